"""Confine paths given by guest code to the project: no escapes, no `.git`, no symlinks out."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import CodeToolError

HIDDEN_NAMES = frozenset({".git"})
"""Folder names no tool reads or reports, compared case-insensitively (as the mount does)."""


def is_hidden(rel: str) -> bool:
    """Whether a project-relative path lies in (or is) a hidden folder such as `.git`."""
    return any(part.casefold() in HIDDEN_NAMES for part in rel.split("/"))


def confine(project: Path, path: str, *, guest_root: str = "/project") -> str:
    """The project-relative path (forward slashes, "" for the root) of a path from guest code.

    Accepted: relative paths (to the project root, the guest's working directory), absolute
    guest paths under `guest_root`, and absolute host paths inside the project.

    Raises:
        CodeToolError: The path is empty, leaves the project (`..`, an absolute path elsewhere,
            a symlink pointing outside) or enters `.git`.
    """
    if not isinstance(path, str) or not path.strip():
        raise CodeToolError("path must be a non-empty string such as 'src/app.py'")
    if "\0" in path:
        raise CodeToolError("path must not contain NUL characters")
    root = os.path.realpath(project)
    text = path.strip().replace("\\", "/")
    guest = guest_root.rstrip("/")
    if guest and (text == guest or text.startswith(guest + "/")):
        text = text[len(guest) :].lstrip("/")
    elif text.startswith("/"):
        real_abs = os.path.realpath(text)
        if real_abs != root and not real_abs.startswith(root + os.sep):
            raise CodeToolError(
                f"{path!r} is outside the project; use a path relative to the project root, "
                "such as 'src/app.py'"
            )
        text = os.path.relpath(real_abs, root).replace(os.sep, "/")
    lexical = PurePosixPath(text)  # `a/../b` is fine while it stays inside: realpath decides
    real = os.path.realpath(os.path.join(root, text))
    if real != root and not real.startswith(root + os.sep):
        raise CodeToolError(
            f"{path!r} leads outside the project (through '..' or a symlink); "
            "only files inside the project can be read"
        )
    rel = "" if real == root else os.path.relpath(real, root).replace(os.sep, "/")
    if is_hidden(rel) or is_hidden(lexical.as_posix()):
        raise CodeToolError(f"{path!r} is inside .git, which the tools do not read")
    return rel
