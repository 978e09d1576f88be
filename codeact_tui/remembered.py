"""What the app remembers between sessions: the chosen theme (for every project) and the prompt
history (one per project).

Both are small JSON files under the platformdirs folders of `paths`, replaced atomically (a crash
or a second app leaves the old file or the new one, never half of one). Nothing here may stop
the app: an unreadable file reads as empty and a failed write is logged and skipped.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import paths

log = logging.getLogger(__name__)

UI_STATE_FILE = "ui-state.json"
"""In the data folder: the theme chosen in the app."""

PROMPT_HISTORY_FILE = "prompt-history.json"
"""In a project's data folder: the prompts sent there, oldest first."""

PROMPT_HISTORY_LIMIT = 500
"""Prompts kept per project (the oldest are dropped)."""

PROMPT_MAX_CHARS = 16_000
"""Longer prompts (a pasted file) are recalled in the session but not written to disk."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` through a private temporary file and a rename.

    The temporary file is created with mode 0600 (prompts can hold secrets, like shell history)
    and synced before the rename, so a reader never sees a torn file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path, data: Any, what: str) -> bool:
    """Write, logging (not raising) a failure: remembering is a convenience."""
    try:
        write_json_atomic(path, data)
    except OSError as exc:
        log.warning("could not remember the %s in %s: %s", what, path, exc)
        return False
    return True


def remembered_theme(configured: str) -> str | None:
    """The theme last chosen in the app, if it still applies.

    A choice made in the app wins over `[ui] theme` only while that setting is what it was when
    the choice was made: editing the config file afterwards takes effect again.
    """
    state = _read_json(paths.data_dir() / UI_STATE_FILE)
    if not isinstance(state, dict):
        return None
    theme, over = state.get("theme"), state.get("configured")
    if isinstance(theme, str) and theme and over == configured:
        return theme
    return None


def remember_theme(theme: str, *, configured: str) -> bool:
    """Keep `theme` for the next sessions (it was chosen while `[ui] theme` was `configured`)."""
    return _write(paths.data_dir() / UI_STATE_FILE, {"theme": theme, "configured": configured}, "theme")


@dataclass(frozen=True)
class PromptHistory:
    """The prompts sent in one project, kept across sessions."""

    project: Path

    @property
    def file(self) -> Path:
        """Where the prompts are kept."""
        return paths.project_data_dir(self.project) / PROMPT_HISTORY_FILE

    def load(self) -> list[str]:
        """The remembered prompts, oldest first (empty when none or unreadable)."""
        data = _read_json(self.file)
        if not isinstance(data, dict) or not isinstance(data.get("prompts"), list):
            return []
        return [p for p in data["prompts"] if isinstance(p, str)][-PROMPT_HISTORY_LIMIT:]

    def add(self, prompt: str) -> bool:
        """Append one sent prompt (merged with what another app of this project added meanwhile)."""
        if not prompt or len(prompt) > PROMPT_MAX_CHARS:
            return False
        prompts = self.load()
        if prompts and prompts[-1] == prompt:
            return True
        prompts.append(prompt)
        return _write(self.file, {"prompts": prompts[-PROMPT_HISTORY_LIMIT:]}, "prompt history")
