"""What the model is told before the user's request: what changed in the project since its last
action that it did not do (the user's edits, undo/redo/restore, manual actions, edited approvals)
and how the repo map changed.

The system prompt stays byte-stable for the whole conversation (so a model server's prefix cache
holds); anything new goes into the user message, ahead of the request, between markers that let a
front-end show the request alone.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .prompts import PromptLibrary

BRIEFING_END = "\n\n[Request]\n"
"""Separates the briefing from the user's own words in a user message."""
MAX_LINES_PER_ITEM = 8
"""Lines of code or output quoted per change (head kept)."""


def compose_user_message(briefing: str, request: str) -> str:
    """The user message the model gets: the briefing (if any), then the request."""
    return f"{briefing.rstrip()}{BRIEFING_END}{request}" if briefing.strip() else request


def user_request(message: str) -> str:
    """The user's own words in a user message (the briefing left out)."""
    _, found, request = message.partition(BRIEFING_END)
    return request if found else message


def quote(text: str, *, max_lines: int = MAX_LINES_PER_ITEM, indent: str = "    ") -> str:
    """A short indented quote of code or output: its first lines, with a count of the rest."""
    lines = text.rstrip("\n").splitlines() or [""]
    shown = [indent + line[:200] for line in lines[:max_lines]]
    if len(lines) > max_lines:
        shown.append(f"{indent}… ({len(lines) - max_lines} more lines)")
    return "\n".join(shown)


def map_update(sent: str, fresh: str, *, max_changed_lines: int = 40) -> str | None:
    """How the repo map changed since `sent`: the changed lines, or the whole fresh map when most
    of it changed; None when it did not change."""
    if fresh.strip() == sent.strip():
        return None
    changed = [line for line in difflib.ndiff(sent.splitlines(), fresh.splitlines()) if line[:2] in ("+ ", "- ")]
    if not changed or len(changed) > max_changed_lines or len(changed) > len(fresh.splitlines()) // 2 + 1:
        return "The repo map now:\n" + fresh.strip()
    return "The repo map changed (+ new, - gone):\n" + "\n".join(changed)


def briefing_text(prompts: PromptLibrary, changes: list[str]) -> str:
    """The briefing for a list of change descriptions (empty when nothing changed)."""
    if not changes:
        return ""
    return prompts.render("project_changes.md", changes="\n".join(f"- {change}" for change in changes)).strip()


@dataclass(frozen=True)
class NamedFile:
    """A file the request names: its text, or why it is not quoted."""

    path: str
    """Relative to the project, as the request spells it."""
    text: str | None
    """The file's text; None when it is too long to quote."""
    size: str
    """Its length for the reader: `12 lines`, or `300 KB` for a file too big to count."""


def named_files_note(prompts: PromptLibrary, files: list[NamedFile]) -> str:
    """The part of the user message that quotes the files ("" when there are none)."""
    parts = []
    for file in files:
        if file.text is None:
            parts.append(f"`{file.path}` ({file.size}: too long to show here; read it with `view_file`)")
        else:
            body = file.text if file.text.endswith("\n") or not file.text else file.text + "\n"
            fence = "````" if "```" in body else "```"
            parts.append(f"`{file.path}` ({file.size}):\n{fence}\n{body}{fence}")
    if not parts:
        return ""
    return prompts.render("named_files.md", files="\n\n".join(parts)).strip()
