"""The store lock (one writer per project across processes) and atomic small-file writes."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from .errors import HistoryBusy


class StoreLock:
    """An exclusive `flock` on a file in the store; the kernel releases it if we die."""

    def __init__(self, path: Path) -> None:
        """`path` is the lock file (created if missing)."""
        self.path = path
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, timeout_s: float) -> None:
        """Take the lock (re-entrant within this object), waiting up to `timeout_s`."""
        if self._fd is not None:
            self._depth += 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise HistoryBusy(
                        "another codeact-tui process is changing this project's history"
                        + (f" (pid {holder})" if holder else "")
                        + "; wait for it to finish and try again"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        """Give the lock back (when the outermost `acquire` is released)."""
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


def git_processes_using(git_dir: Path) -> list[int]:
    """Pids of live processes started with `GIT_DIR` = `git_dir` (Linux `/proc`; elsewhere [])."""
    wanted = b"GIT_DIR=" + os.fsencode(git_dir) + b"\0"
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as fh:
                environ = fh.read() + b"\0"
        except OSError:
            continue
        if b"\0" + wanted in b"\0" + environ:
            found.append(int(name))
    return found


def wait_for_git_processes(git_dir: Path, timeout_s: float) -> None:
    """Wait until no git process works on the store any more, so its lock files are stale.

    Raises:
        HistoryBusy: one is still running after `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        live = git_processes_using(git_dir)
        if not live:
            return
        if time.monotonic() >= deadline:
            raise HistoryBusy(
                f"a git process (pid {live[0]}) left by an earlier codeact-tui is still working on "
                "this project's history; wait for it to finish (or end it) and try again"
            )
        time.sleep(0.05)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers (and a crash) see the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as fh:
        json.dump(data, fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
