"""Show the model the files a request names, as they are now.

A request such as "implement this in `allergies.py`" or "fix the bug in calc.py" is about those
files. A small model that is only told their names guesses their content: it rewrites a stub's
method without its class, or copies `old` for `replace_in_file` one space off (measured with
Qwen2.5-Coder-1.5B on Exercism). aider puts the files of the chat in every request for the same
reason. Here a named text file inside the project is quoted once in the user message, ahead of
the request, and again only when it changed since the model last saw it there.
"""

from __future__ import annotations

from pathlib import Path

from ..core.briefing import NamedFile
from ..core.unsaved import named_files

MAX_FILES = 3
"""At most this many named files are quoted per request."""
MAX_LINES = 200
"""A longer file is named with its length, not quoted (the model reads it with `view_file`)."""
MAX_CHARS = 8_000
"""Likewise for a file with very long lines."""


def read_named_files(project: Path, request: str) -> list[NamedFile]:
    """The existing text files inside `project` that `request` names (see `named_files`), in
    order; paths outside the project, in `.git`, through symlinks, binary or unreadable are
    left out."""
    root = project.resolve()
    found: list[NamedFile] = []
    for name in named_files(request, limit=MAX_FILES):
        path = project / name
        if ".git" in Path(name).parts or path.is_symlink() or not path.is_file():
            continue
        try:
            if not path.resolve().is_relative_to(root):
                continue
            size = path.stat().st_size
            if size > MAX_CHARS * 4:  # certainly too long: not read
                found.append(NamedFile(name, None, f"{size // 1024} KB"))
                continue
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "\0" in text:
            continue
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        quoted = text if lines <= MAX_LINES and len(text) <= MAX_CHARS else None
        found.append(NamedFile(name, quoted, f"{lines} lines"))
    return found
