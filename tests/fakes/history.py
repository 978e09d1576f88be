"""A test double of the History port: records actions and the files they changed, in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from codeact_tui.core.ports import EntryKind, FileChange, HistoryEntry

from .executor import diff_states, tree_state


@dataclass
class FakeTicket:
    kind: EntryKind
    summary: str
    turn_id: str | None
    before: dict[str, str]


class FakeHistory:
    """Snapshots are dicts of file hashes; entries are made only when files changed."""

    def __init__(self, project: Path, *, fail_begin: bool = False) -> None:
        self.project = project
        self.fail_begin = fail_begin
        self._entries: list[HistoryEntry] = []
        self.begun: list[FakeTicket] = []
        self.finished = 0
        self._last = tree_state(project)
        """The tree at the last snapshot, to find the user's own changes."""

    def begin_action(self, kind: EntryKind, summary: str, turn_id: str | None = None) -> FakeTicket:
        if self.fail_begin:
            raise OSError("disk full")
        ticket = FakeTicket(kind, summary, turn_id, tree_state(self.project))
        self.begun.append(ticket)
        return ticket

    def finish_action(self, ticket: FakeTicket) -> HistoryEntry | None:  # type: ignore[override]
        self.finished += 1
        self._last = tree_state(self.project)
        changes = diff_states(ticket.before, self._last)
        if not changes:
            return None
        return self._record(ticket.kind, ticket.summary, changes, ticket.turn_id)

    def _record(self, kind: EntryKind, summary: str, changes: tuple[FileChange, ...], turn_id: str | None = None) -> HistoryEntry:
        entry = HistoryEntry(
            id=len(self._entries) + 1,
            kind=kind,
            time=datetime.now(UTC).isoformat(timespec="seconds"),
            summary=summary,
            files=changes,
            turn_id=turn_id,
        )
        self._entries.append(entry)
        return entry

    def sync(self) -> None:
        """Record what changed since the last snapshot as a `user` entry."""
        now = tree_state(self.project)
        changes = diff_states(self._last, now)
        self._last = now
        if changes:
            self._record("user", "your changes", changes)

    def diff(self, entry_id: int, paths: list[str] | None = None) -> str:
        """Only file names (the fake keeps no contents)."""
        entry = self._entries[entry_id - 1]
        return "".join(f"diff --git a/{c.path} b/{c.path}\n" for c in entry.files if paths is None or c.path in paths)

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def close(self) -> None:
        pass
