"""What changed between two snapshot states, as `FileChange` records."""

from __future__ import annotations

from ..core.ports import FileChange
from .gitcmd import Git, decode_path, split_z
from .snapshot import TreeState


def changes_between(git: Git, a: TreeState, b: TreeState) -> list[FileChange]:
    """What changed from state `a` to state `b`, as FileChange records sorted by path."""
    changes: list[FileChange] = []
    if a.tree != b.tree:
        out = git.out("diff-tree", "-r", "-z", "-M", "--name-status", "--no-ext-diff", a.tree, b.tree)
        parts = split_z(out)
        i = 0
        while i < len(parts):
            status = parts[i].decode("ascii")
            if status[0] in "RC":
                old, new = decode_path(parts[i + 1]), decode_path(parts[i + 2])
                changes.append(FileChange(new, "renamed" if status[0] == "R" else "added", old if status[0] == "R" else None))
                i += 3
                continue
            path = decode_path(parts[i + 1])
            kind = {"A": "added", "D": "deleted"}.get(status[0], "modified")
            changes.append(FileChange(path, kind))  # type: ignore[arg-type]
            i += 2
    old_dirs, new_dirs = set(a.empty_dirs), set(b.empty_dirs)
    changes += [FileChange(d + "/", "added") for d in new_dirs - old_dirs]
    changes += [FileChange(d + "/", "deleted") for d in old_dirs - new_dirs]
    old_repos, new_repos = set(a.nested_repos), set(b.nested_repos)
    changes += [FileChange(d + "/", "added") for d in new_repos - old_repos]
    changes += [FileChange(d + "/", "deleted") for d in old_repos - new_repos]
    old_large = {f.path: f for f in a.large_files}
    new_large = {f.path: f for f in b.large_files}
    for path in new_large.keys() - old_large.keys():
        changes.append(FileChange(path, "added"))
    for path in old_large.keys() - new_large.keys():
        changes.append(FileChange(path, "deleted"))
    for path in new_large.keys() & old_large.keys():
        if new_large[path] != old_large[path]:
            changes.append(FileChange(path, "modified"))
    # A file that moved between "large" and "in the tree" shows twice; keep one record.
    seen: dict[str, FileChange] = {}
    for change in changes:
        if change.path in seen and seen[change.path].change != change.change:
            seen[change.path] = FileChange(change.path, "modified")
        else:
            seen.setdefault(change.path, change)
    return sorted(seen.values(), key=lambda c: c.path)


def untracked_between(a: TreeState, b: TreeState) -> tuple[str, ...]:
    """What undo cannot restore: large files the change touched, unreadable files, nested
    repositories that appeared or went away, and ignored files that changed."""
    old = {f.path: f for f in a.large_files}
    touched = {f.path for f in b.large_files if old.get(f.path) != f}
    touched |= old.keys() - {f.path for f in b.large_files}
    touched |= set(b.unreadable)
    touched |= {d + "/" for d in set(a.nested_repos) ^ set(b.nested_repos)}
    if a.ignored is not None and b.ignored is not None:
        touched |= {path for path, _size, _mtime in set(a.ignored) ^ set(b.ignored)}
    return tuple(sorted(touched))


def user_summary(changes: list[FileChange]) -> str:
    """A one-line summary for changes made outside codeact-tui."""
    if not changes:
        return "changes made outside codeact-tui"
    if len(changes) == 1:
        return f"outside change: {changes[0].change} {changes[0].path}"
    return f"outside changes: {len(changes)} files"
