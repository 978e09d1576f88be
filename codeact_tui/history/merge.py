"""Undo of any entry: apply its inverse onto the current tree with a three-way merge.

Base = the entry's "after", ours = the current tree, theirs = the entry's "before". Paths the
entry did not touch keep the current content; a path the entry touched takes the entry's
"before" if nobody changed it since, and text files changed by both get a line merge
(`git merge-file`). Anything else — overlapping lines, binary files, a file deleted or
re-created later — is a conflict, and then nothing is written anywhere.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .gitcmd import Git, decode_path
from .snapshot import TreeState
from .treeedit import TreeEditor
from .trees import REGULAR_MODES, Blob, diff_trees, list_tree, read_blobs, write_blob

_MAX_HUNK_LINES = 6


@dataclass(frozen=True)
class ConflictHunk:
    """One region where later work overlaps what undo would change."""

    line: int
    """Where it starts in the current file (1-based)."""
    current: str
    """The current lines there (shortened)."""
    wanted: str
    """What undo would put there (shortened)."""


@dataclass(frozen=True)
class Conflict:
    """A file undo cannot change without losing later work."""

    path: str
    """Project-relative path."""
    reason: str
    """In words: what happened to it since the entry."""
    hunks: tuple[ConflictHunk, ...] = ()
    """For text files, the overlapping regions."""


@dataclass(frozen=True)
class MergeResult:
    """The tree undo would produce, or the conflicts that stop it."""

    state: TreeState | None
    conflicts: tuple[Conflict, ...]


def inverse_merge(git: Git, base: TreeState, ours: TreeState, theirs: TreeState, scratch_dir: Path) -> MergeResult:
    """Merge the change `base` → `theirs` into `ours` (see the module docstring).

    Only the folders of `ours` on the way to the changed paths are read and rewritten.
    """
    changes = diff_trees(git, base.tree, theirs.tree)
    editor = TreeEditor(git, ours.tree, [c.path for c in changes])
    updates: dict[bytes, Blob | None] = {}
    conflicts: list[Conflict] = []
    to_merge: list[tuple[bytes, Blob, Blob, Blob]] = []
    for change in changes:
        a, b, c = change.old, change.new, editor.entry(change.path)
        if c == a:
            updates[change.path] = b
        elif c == b:
            continue
        elif a is not None and b is not None and c is not None and all(x.mode in REGULAR_MODES for x in (a, b, c)):
            to_merge.append((change.path, a, b, c))
        else:
            conflicts.append(Conflict(decode_path(change.path), _reason(a, b, c)))
    if to_merge:
        blobs = read_blobs(git, [x.sha for _, a, b, c in to_merge for x in (a, b, c)])
        for path, a, b, c in to_merge:
            mode = _merge_mode(a.mode, b.mode, c.mode)
            if mode is None:
                conflicts.append(Conflict(decode_path(path), "its executable bit was changed later"))
                continue
            if c.sha == a.sha:
                updates[path] = Blob(mode, b.sha)
                continue
            if b.sha == a.sha:
                updates[path] = Blob(mode, c.sha)
                continue
            contents = (blobs[a.sha], blobs[b.sha], blobs[c.sha])
            if any(b"\0" in data[:8000] for data in contents):
                conflicts.append(Conflict(decode_path(path), "binary file changed again later"))
                continue
            merged, hunks = _merge_text(git, base=contents[0], ours=contents[2], theirs=contents[1], scratch_dir=scratch_dir)
            if merged is None:
                conflicts.append(Conflict(decode_path(path), "lines it changed were changed again later", hunks))
                continue
            updates[path] = Blob(mode, write_blob(git, merged))
    if conflicts:
        return MergeResult(None, tuple(sorted(conflicts, key=lambda c: c.path)))
    clash = editor.apply(updates)
    if clash:
        return MergeResult(None, (Conflict(decode_path(clash), "a file and a folder of that name would both be needed"),))
    tree = editor.write()
    removed_dirs = set(base.empty_dirs) - set(theirs.empty_dirs)
    added_dirs = set(theirs.empty_dirs) - set(base.empty_dirs)
    empty_dirs = (set(ours.empty_dirs) - removed_dirs) | added_dirs
    if empty_dirs:  # a folder that now holds a file is no longer empty
        result_files = list_tree(git, tree)
        files_dirs = _dirs_of(result_files)
        empty_dirs = {d for d in empty_dirs if os.fsencode(d) not in files_dirs and os.fsencode(d) not in result_files}
    modes = dict(ours.modes)
    theirs_modes = dict(theirs.modes)
    for raw, blob in updates.items():
        path = decode_path(raw)
        if blob is None:
            modes.pop(path, None)
        elif path in theirs_modes:
            modes[path] = theirs_modes[path]
    return MergeResult(
        TreeState(tree, tuple(sorted(empty_dirs)), ours.large_files, ours.nested_repos, tuple(sorted(modes.items()))),
        (),
    )


def _reason(a: Blob | None, b: Blob | None, c: Blob | None) -> str:
    """Words for a path that cannot be merged (a: after the entry, b: before it, c: now)."""
    if c is None:
        return "it was deleted later"
    if a is None:
        return "the entry deleted it, and it was created again later"
    if b is None:
        return "the entry created it, and it was changed later (removing it would lose that)"
    return "it was changed later and is not a plain text file (a link, or its type changed)"


def _merge_mode(base: str, theirs: str, ours: str) -> str | None:
    if ours == base:
        return theirs
    if theirs == base or theirs == ours:
        return ours
    return None


def _merge_text(git: Git, *, base: bytes, ours: bytes, theirs: bytes, scratch_dir: Path) -> tuple[bytes | None, tuple[ConflictHunk, ...]]:
    """Line-merge three versions; the result, or None and the conflicting regions."""
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="merge-") as tmp:
        names = []
        for label, data in (("current", ours), ("base", base), ("undo", theirs)):
            path = os.path.join(tmp, label)
            with open(path, "wb") as fh:
                fh.write(data)
            names.append(path)
        res = git.run(
            "merge-file", "-p", "-L", "current", "-L", "entry", "-L", "undo", *names, check=False, cwd=Path(tmp)
        )
    if res.returncode == 0:
        return res.stdout, ()
    if res.returncode < 0 or res.returncode > 127:
        return None, ()
    return None, _parse_hunks(res.stdout)


def _parse_hunks(merged: bytes) -> tuple[ConflictHunk, ...]:
    """The conflict regions of `git merge-file` output, with their line in the current file."""
    hunks: list[ConflictHunk] = []
    current_line = 0
    side: str | None = None
    ours: list[str] = []
    theirs: list[str] = []
    start = 0
    for raw in merged.split(b"\n"):
        line = raw.decode("utf-8", "replace")
        if side is None and line.startswith("<<<<<<< current"):
            side, ours, theirs, start = "ours", [], [], current_line + 1
        elif side == "ours" and line.startswith("======="):
            side = "theirs"
        elif side == "theirs" and line.startswith(">>>>>>> undo"):
            hunks.append(ConflictHunk(start, _shorten(ours), _shorten(theirs)))
            current_line += len(ours)
            side = None
        elif side == "ours":
            ours.append(line)
        elif side == "theirs":
            theirs.append(line)
        else:
            current_line += 1
    return tuple(hunks)


def _shorten(lines: list[str]) -> str:
    if len(lines) <= _MAX_HUNK_LINES:
        return "\n".join(lines)
    return "\n".join(lines[:_MAX_HUNK_LINES] + [f"… ({len(lines) - _MAX_HUNK_LINES} more lines)"])


def _dirs_of(files: dict[bytes, Blob]) -> set[bytes]:
    """Every folder that holds at least one of `files`."""
    dirs: set[bytes] = set()
    for path in files:
        parts = path.split(b"/")
        for i in range(1, len(parts)):
            dirs.add(b"/".join(parts[:i]))
    return dirs
