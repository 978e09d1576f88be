"""Make the project on disk go from one snapshot state to another, touching only what differs.

Git's own checkout would replace every changed file with a fresh one (losing e.g. a 0600
mode), so the store writes files itself: each file atomically (temp file + rename); a changed
file keeps its permission bits (the executable bit follows the target), a re-created one gets
the bits its snapshot recorded; symlinks recreated; emptied folders removed; recorded empty
folders recreated. Nothing is ever written through a symlinked folder. A preflight check runs
first and refuses — before anything is written — when an untracked or ignored file is in the
way, because overwriting it would lose data the history does not hold.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from .gitcmd import Git, decode_path
from .snapshot import TreeState
from .trees import MODE_EXEC, MODE_GITLINK, MODE_LINK, TreeChange, diff_trees, read_blobs


class ChangedMeanwhile(OSError):
    """A file changed on disk after the plan was made (a user saved it during the undo)."""


class ApplyRefused(Exception):
    """The change cannot be written without destroying files the history does not hold."""

    def __init__(self, blocked: list[tuple[str, str]]) -> None:
        """`blocked`: (path, reason) pairs."""
        super().__init__("; ".join(f"{p}: {r}" for p, r in blocked))
        self.blocked = blocked


TEMP_PREFIX = b".codeact-tmp-"
"""Name prefix of files being written (excluded from snapshots, removed by crash recovery)."""


def _umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class ApplyPlan:
    """A checked change of the files on disk from one state to another, ready to run."""

    def __init__(self, git: Git, project: Path, current: TreeState, target: TreeState) -> None:
        """Compute and check the change (nothing is written).

        Raises:
            ApplyRefused: an untracked or ignored file or folder is in the way.
        """
        self.git = git
        self.root = os.fsencode(project)
        self.current = current
        self.target = target
        changes = diff_trees(git, current.tree, target.tree)
        self.deletions = [c for c in changes if c.new is None]
        self.writes = [c for c in changes if c.new is not None]
        _preflight(self.root, self.deletions, self.writes, current)

    @property
    def write_paths(self) -> list[str]:
        """The project-relative paths the plan writes (for crash clean-up of temp files)."""
        return [decode_path(c.path) for c in self.writes]

    @property
    def delete_paths(self) -> list[str]:
        """The project-relative paths the plan deletes."""
        return [decode_path(c.path) for c in self.deletions]

    def run(self) -> None:
        """Write the change: deletions first, then files and links, then empty folders.

        Every path is compared with the state the plan was computed from — all of them before
        the first write, and each again right before its own — so a file the user saves while
        this runs is never overwritten.

        Raises:
            ChangedMeanwhile: a path no longer matches; `done` lists what was changed so far.
        """
        root, target = self.root, self.target
        self.done: list[str] = []
        blobs = read_blobs(self.git, [c.new.sha for c in self.writes if c.new is not None and c.new.mode != MODE_GITLINK])
        mask = _umask()
        recorded = {os.fsencode(path): perms for path, perms in target.modes}
        for change in [*self.deletions, *self.writes]:
            _check_unchanged(root, change)
        for change in sorted(self.deletions, key=lambda c: c.path, reverse=True):
            if change.old is not None and change.old.mode == MODE_GITLINK:
                continue  # a nested repository: its files were never ours to remove
            _check_unchanged(root, change)
            self.done.append(decode_path(change.path))
            _remove(os.path.join(root, change.path))
        for change in self.deletions:
            _prune_parents(root, change.path, keep=target)
        for change in self.writes:
            assert change.new is not None
            path = os.path.join(root, change.path)
            _check_unchanged(root, change)
            self.done.append(decode_path(change.path))
            _make_parents(root, change.path)
            if change.new.mode == MODE_GITLINK:
                os.makedirs(path, exist_ok=True)
            elif change.new.mode == MODE_LINK:
                if os.path.lexists(path):
                    _remove(path)
                os.symlink(blobs[change.new.sha], path)
            else:
                _write_file(path, blobs[change.new.sha], change.new.mode == MODE_EXEC, mask, recorded.get(change.path))
        for d in set(self.current.empty_dirs) - set(target.empty_dirs):
            try:
                os.rmdir(os.path.join(root, os.fsencode(d)))
            except OSError:
                continue
            _prune_parents(root, os.fsencode(d), keep=target)
        for d in target.empty_dirs:
            if not os.path.isdir(os.path.join(root, os.fsencode(d))):
                _make_parents(root, os.fsencode(d) + b"/x")


def _blob_id(data: bytes) -> str:
    """The git object id of a blob with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _check_unchanged(root: bytes, change: TreeChange) -> None:
    """Raise ChangedMeanwhile unless the path on disk still is what the plan started from."""
    path = os.path.join(root, change.path)
    old = change.old
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        if old is None or old.mode == MODE_GITLINK:
            return
        raise ChangedMeanwhile(f"{decode_path(change.path)} was deleted while this ran") from None
    if old is None:
        if stat.S_ISDIR(st.st_mode):
            return  # a folder where a file will go: checked by the preflight
        raise ChangedMeanwhile(f"{decode_path(change.path)} was created while this ran")
    if old.mode == MODE_GITLINK:
        return
    if old.mode == MODE_LINK:
        current = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
        if current is None or _blob_id(current) != old.sha:
            raise ChangedMeanwhile(f"{decode_path(change.path)} changed while this ran")
        return
    if not stat.S_ISREG(st.st_mode):
        raise ChangedMeanwhile(f"{decode_path(change.path)} changed while this ran")
    with open(path, "rb") as fh:
        if _blob_id(fh.read()) != old.sha:
            raise ChangedMeanwhile(f"{decode_path(change.path)} changed while this ran (it was left as it is)")


def temp_path(root: bytes, rel: bytes, pid: int) -> bytes:
    """Where `_write_file` stages the new content of `rel` before renaming it into place."""
    directory, name = os.path.split(os.path.join(root, rel))
    return os.path.join(directory, TEMP_PREFIX + name[:64] + b"-" + str(pid).encode())


def _preflight(root: bytes, deletions: list[TreeChange], writes: list[TreeChange], current: TreeState) -> None:
    """Refuse when writing the plan would overwrite something the history does not hold."""
    deleted = {c.path for c in deletions}
    large = {os.fsencode(f.path) for f in current.large_files}
    blocked: list[tuple[str, str]] = []
    for change in writes:
        path = os.path.join(root, change.path)
        if change.old is None:  # a path the current snapshot does not have
            if change.path in large:
                blocked.append((decode_path(change.path), "a large untracked file is in the way"))
            elif os.path.isdir(path) and not os.path.islink(path):
                stray = _untracked_under(root, change.path, deleted)
                if stray:
                    where = decode_path(stray)
                    blocked.append((decode_path(change.path), f"the folder there holds files the history does not have ({where})"))
            elif os.path.lexists(path):
                blocked.append((decode_path(change.path), "an untracked or ignored file is in the way"))
        parts = change.path.split(b"/")
        for i in range(1, len(parts)):
            parent = b"/".join(parts[:i])
            ppath = os.path.join(root, parent)
            if os.path.lexists(ppath) and not (os.path.isdir(ppath) and not os.path.islink(ppath)) and parent not in deleted:
                blocked.append((decode_path(change.path), f"{decode_path(parent)} is an untracked file or link, not a folder"))
                break
    if blocked:
        raise ApplyRefused(blocked)


def _untracked_under(root: bytes, rel: bytes, deleted: set[bytes]) -> bytes | None:
    """A file under folder `rel` that the plan does not delete, if any."""
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, rel)):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            relpath = os.path.relpath(full, root)
            if relpath not in deleted:
                return relpath
    return None


def _remove(path: bytes) -> None:
    """Delete a file or symlink, or a folder that holds only empty folders (nothing else)."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for dirpath, _dirnames, _filenames in os.walk(path, topdown=False):
                os.rmdir(dirpath)  # fails (and stops) if anything but empty folders is inside
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _prune_parents(root: bytes, rel: bytes, keep: TreeState) -> None:
    """Remove folders above `rel` that became empty, unless the target keeps them as empty."""
    keep_dirs = {os.fsencode(d) for d in keep.empty_dirs}
    parts = rel.split(b"/")[:-1]
    while parts:
        parent = b"/".join(parts)
        if parent in keep_dirs:
            return
        try:
            os.rmdir(os.path.join(root, parent))
        except OSError:
            return
        parts.pop()


def _make_parents(root: bytes, rel: bytes) -> None:
    """Create the folders above `rel`, replacing nothing."""
    parent = os.path.dirname(rel)
    if parent:
        os.makedirs(os.path.join(root, parent), exist_ok=True)


def _write_file(path: bytes, data: bytes, executable: bool, umask: int, recorded: int | None = None) -> None:
    """Write a regular file atomically.

    An existing file keeps its permission bits (only the executable bit follows the target); a
    new one gets the bits the snapshot recorded for it, else the usual ones for the umask.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        perms = stat.S_IMODE(st.st_mode)
    else:
        if st is not None:
            _remove(path)
        perms = recorded if recorded is not None else 0o666 & ~umask
    perms = perms | ((perms & 0o444) >> 2) if executable else perms & ~0o111
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, TEMP_PREFIX + name[:64] + b"-" + str(os.getpid()).encode())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), perms)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
