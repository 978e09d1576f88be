"""The store lock (one writer per project across processes) and atomic small-file writes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .errors import HistoryBusy


class StoreLock:
    """An exclusive OS file lock on a file in the store (`flock` on Unix, `LockFileEx` on
    Windows, through `filelock`); the OS releases it if the process dies."""

    def __init__(self, path: Path) -> None:
        """`path` is the lock file (created if missing); the holder's pid goes beside it."""
        self.path = path
        self._pid_path = path.with_name(path.name + ".pid")
        # One holder per object, whichever thread releases it (an action may end on another
        # thread than it began): filelock's per-thread counting is off, ours counts instead.
        self._lock = FileLock(path, thread_local=False, preserve_lock_file=True, fallback_to_soft=False)
        self._depth = 0

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._depth > 0

    def acquire(self, timeout_s: float) -> None:
        """Take the lock (re-entrant within this object), waiting up to `timeout_s`."""
        if self._depth > 0:
            self._depth += 1
            return
        try:
            self._lock.acquire(timeout=max(timeout_s, 0.0), poll_interval=0.05)
        except Timeout:
            holder = _read_holder(self._pid_path)
            raise HistoryBusy(
                "another codeact-tui process is changing this project's history"
                + (f" (pid {holder})" if holder else "")
                + "; wait for it to finish and try again"
            ) from None
        try:
            self._pid_path.write_text(str(os.getpid()), encoding="ascii")
        except OSError:
            pass
        self._depth = 1

    def release(self) -> None:
        """Give the lock back (when the outermost `acquire` is released)."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        self._pid_path.unlink(missing_ok=True)
        self._lock.release(force=True)


def _read_holder(pid_file: Path) -> str:
    try:
        return pid_file.read_text(encoding="ascii", errors="replace").strip()[:32]
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
