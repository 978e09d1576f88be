"""Prompt templates: text lives in files under `prompts/`, filled with `string.Template`.

The core never locates the folder itself (that is `resources.resource_dir("prompts")`, done by
the composition root); it receives the folder and reads templates from it.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path

INSTRUCTIONS_LIMIT_CHARS = 16_000
"""The most characters of the project's instructions file put into the system prompt."""


class PromptMissing(RuntimeError):
    """A prompt template file is missing: the installation is broken."""


@dataclass
class PromptLibrary:
    """Reads and fills the prompt templates of one folder (cached after the first read)."""

    directory: Path
    overrides: dict[str, str] = field(default_factory=dict)
    """Template texts that replace the folder's files of the same name (a model profile's)."""
    _cache: dict[str, str] = field(default_factory=dict, repr=False)

    def text(self, name: str) -> str:
        """The raw text of a template, e.g. `text("system.md")`."""
        cached = self.overrides.get(name, self._cache.get(name))
        if cached is None:
            path = self.directory / name
            try:
                cached = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise PromptMissing(f"prompt template {path} is missing") from None
            self._cache[name] = cached
        return cached

    def optional_text(self, name: str) -> str | None:
        """The text of a template that may be absent (e.g. documentation of other parts)."""
        try:
            return self.text(name)
        except PromptMissing:
            return None

    def render(self, name: str, **values: object) -> str:
        """Fill a template's `$name` placeholders; unknown placeholders are left as they are."""
        return string.Template(self.text(name)).safe_substitute({k: str(v) for k, v in values.items()})


def read_instructions(project: Path, instructions_file: str) -> tuple[str, str] | None:
    """The project's instructions file (name, text), or None when it is absent or empty."""
    if not instructions_file:
        return None
    path = project / instructions_file
    root = os.path.realpath(project)
    real = os.path.realpath(path)
    if not real.startswith(root + os.sep) or not os.path.isfile(real):
        return None  # a link out of the project (or to a FIFO) must not reach the prompt
    try:
        text = Path(real).read_text(encoding="utf-8", errors="replace").strip()
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError):
        return None
    if not text:
        return None
    if len(text) > INSTRUCTIONS_LIMIT_CHARS:
        text = text[:INSTRUCTIONS_LIMIT_CHARS] + "\n[… instructions cut]"
    return instructions_file, text


def build_system_prompt(
    library: PromptLibrary,
    *,
    project: Path,
    instructions_file: str = "AGENTS.md",
    repo_map: str | None = None,
    code_tools: bool = False,
) -> str:
    """The system prompt: the action format, the sandbox helpers (and the code tools, when the
    sandbox offers them), the project's instructions and the repo map, each section present
    only when it has content."""
    docs = [library.optional_text("sandbox_helpers.md") or ""]
    if code_tools:
        docs.append(library.optional_text("code_tools.md") or "")
    helpers_text = "\n\n".join(doc.strip() for doc in docs if doc.strip())
    helpers = library.render("helpers.md", helpers_text=helpers_text) if helpers_text else ""
    found = read_instructions(project, instructions_file)
    instructions = library.render("instructions.md", file=found[0], text=found[1]) if found else ""
    repo_section = library.render("repo_map.md", repo_map=repo_map.strip()) if repo_map and repo_map.strip() else ""
    prompt = library.render(
        "system.md",
        project_name=project.resolve().name or str(project),
        helpers=helpers,
        instructions=instructions,
        repo_map=repo_section,
    )
    return prompt.rstrip() + "\n"
