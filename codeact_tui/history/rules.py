"""The exclusion rules of a snapshot, taken from the project's *recorded* ignore files.

Git would read `.gitignore` files from the disk, where guest code writes them: an action could
then hide its own files from its own entry, and a slow pattern could hang every later command.
So the store never lets git read them. It builds one exclude file from the `.gitignore` blobs
of the last recorded state (each nested file's patterns rewritten to be anchored at the
project root), plus the built-ins and the user's own `.git/info/exclude` (which guest code
cannot reach). An action's change to an ignore file therefore takes effect from the next
snapshot on, after it was recorded (and shown) in the action's entry.

Patterns git would match slowly (many `**`, very long) are left out, and counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .excludes import SKIP_DIR_NAMES, escape_pattern
from .gitcmd import Git, decode_path, split_z
from .trees import read_blobs

IGNORE_FILE = ".gitignore"
MAX_PATTERN_CHARS = 400
"""Longer ignore patterns are not used (no real pattern is that long)."""
MAX_DOUBLE_STARS = 4
"""Patterns with more `**` than this are not used: git's matching of chained `**` is
exponential in their number (12 take seconds per path, more take minutes)."""


@dataclass(frozen=True)
class Rules:
    """An exclude file's text and how many project patterns were left out as too costly."""

    text: str
    dropped: int = 0


def is_ignore_file(path: str) -> bool:
    """Whether a project-relative path is a `.gitignore` file."""
    return path == IGNORE_FILE or path.endswith("/" + IGNORE_FILE)


def pattern_too_costly(pattern: str) -> bool:
    """Whether a pattern could make git's matching take seconds or more per path."""
    return len(pattern) > MAX_PATTERN_CHARS or pattern.count("**") > MAX_DOUBLE_STARS


def anchor_patterns(folder: str, text: str) -> tuple[list[str], int]:
    """The patterns of the ignore file in `folder` ("" = the root), anchored at the root.

    Returns the patterns and how many were dropped as too costly.
    """
    out: list[str] = []
    dropped = 0
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        if pattern_too_costly(line):
            dropped += 1
            continue
        negate = line.startswith("!")
        body = line[1:] if negate else line
        if folder:
            dir_only = body.endswith("/")
            core = body[:-1] if dir_only else body
            base = escape_pattern(folder)  # "/folder", special characters escaped
            if "/" in core:
                body = f"{base}/{core.lstrip('/')}"
            else:
                body = f"{base}/**/{core}"
            body += "/" if dir_only else ""
            if pattern_too_costly(body):
                dropped += 1
                continue
        out.append(("!" if negate else "") + body)
    return out, dropped


def recorded_rules(git: Git, tree: str | None, builtin_text: str, user_exclude: Path | None) -> Rules:
    """The exclude-file text for a snapshot whose rules are those recorded in `tree`.

    `tree` None (no recorded state yet) reads the ignore files from disk instead.
    """
    parts = [builtin_text.rstrip("\n")]
    dropped = 0
    if user_exclude is not None:
        try:
            own, lost = anchor_patterns("", user_exclude.read_text(encoding="utf-8", errors="surrogateescape"))
            parts += own
            dropped += lost
        except OSError:
            pass
    for folder, text in _ignore_files(git, tree):
        lines, lost = anchor_patterns(folder, text)
        parts += lines
        dropped += lost
    return Rules("\n".join(parts) + "\n", dropped)


def _ignore_files(git: Git, tree: str | None) -> list[tuple[str, str]]:
    """(folder, text) of every `.gitignore` in `tree` (or on disk), shallowest first."""
    found: list[tuple[str, str]] = []
    if tree is None:
        root = git.work_tree
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d.casefold() != ".git" and d not in SKIP_DIR_NAMES]
            if IGNORE_FILE in files:
                rel = os.path.relpath(folder, root)
                try:
                    text = Path(folder, IGNORE_FILE).read_text(encoding="utf-8", errors="surrogateescape")
                except OSError:
                    continue
                found.append(("" if rel == "." else rel.replace(os.sep, "/"), text))
    else:
        out = git.out("ls-tree", "-r", "-z", "--full-tree", tree)
        blobs: list[tuple[str, str]] = []
        for record in split_z(out):
            meta, _, raw = record.partition(b"\t")
            path = decode_path(raw)
            mode = meta.split(b" ")[0]
            if is_ignore_file(path) and mode in (b"100644", b"100755"):
                blobs.append((path, meta.split(b" ")[2].decode("ascii")))
        data = read_blobs(git, [sha for _, sha in blobs])
        for path, sha in blobs:
            folder = path[: -len(IGNORE_FILE)].rstrip("/")
            found.append((folder, data[sha].decode("utf-8", "surrogateescape")))
    found.sort(key=lambda item: (item[0].count("/") + bool(item[0]), item[0]))
    return found
