"""Built-in excludes: folders no snapshot should contain (VCS data, virtualenvs, caches).

They head the exclude file every snapshot uses (see `rules.py`), before the project's own
recorded `.gitignore` patterns. Virtualenvs with unusual names are found by their `pyvenv.cfg`
and interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

BUILTIN_PATTERNS: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    ".virtualenv/",
    ".direnv/",
    "node_modules/",
    "__pycache__/",
    "*.py[cod]",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".tox/",
    ".nox/",
    ".ipynb_checkpoints/",
    ".import_linter_cache/",
    ".DS_Store",
    ".codeact-tmp-*",
)
"""gitignore patterns every snapshot leaves out."""

SKIP_DIR_NAMES = frozenset(p.rstrip("/") for p in BUILTIN_PATTERNS if p.endswith("/") and "*" not in p)
"""Folder names never descended into when the store walks the tree itself."""


ATTRIBUTES_TEXT = (
    "# written by codeact-tui: snapshots keep bytes exactly; the store decides text or binary\n"
    "* -text -eol -filter -ident -working-tree-encoding !diff !merge\n"
)
"""The store's `info/attributes` (it outranks every `.gitattributes`): no line-ending
conversion, filters or encodings, ever; `diff` and `merge` unset, so git looks at the content
(a NUL byte means binary) instead of trusting a `-diff`, `binary` or driver line the project
— or guest code — wrote."""


def escape_pattern(path: str) -> str:
    """A gitignore pattern that matches exactly one project-relative path, anchored at the root."""
    out = []
    for ch in path:
        if ch in "*?[]\\!# ":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "/" + "".join(out)


_INTERPRETERS = ("bin/python", "bin/python3", "Scripts/python.exe")


def _has_interpreter(folder: str) -> bool:
    """Whether a folder holds a virtualenv's interpreter: a symlink or an executable file.

    Guest code can write a `pyvenv.cfg` but can make neither, so it cannot turn a folder of the
    user's files into an excluded "virtualenv".
    """
    for rel in _INTERPRETERS:
        path = os.path.join(folder, rel)
        if os.path.islink(path) or (os.path.isfile(path) and os.access(path, os.X_OK)):
            return True
    return False


def find_virtualenvs(project: Path) -> list[str]:
    """Top-level folders of the project that are virtualenvs (a `pyvenv.cfg` and an interpreter)."""
    found: list[str] = []
    try:
        with os.scandir(project) as it:
            for entry in it:
                if (
                    entry.is_dir(follow_symlinks=False)
                    and os.path.isfile(os.path.join(entry.path, "pyvenv.cfg"))
                    and _has_interpreter(entry.path)
                ):
                    found.append(entry.name)
    except OSError:
        return []
    return sorted(found)


def exclude_file_text(project: Path, extra_dirs: list[str]) -> str:
    """The built-in part of the exclude file: built-ins plus the given project folders."""
    lines = ["# written by codeact-tui: never snapshotted", *BUILTIN_PATTERNS]
    lines += [escape_pattern(d) + "/" for d in extra_dirs if "\n" not in d]
    return "\n".join(lines) + "\n"
