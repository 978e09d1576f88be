"""A test double of the History port: records actions and the files they changed, in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from codeact_tui.core.ports import EntryKind, HistoryEntry

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

    def begin_action(self, kind: EntryKind, summary: str, turn_id: str | None = None) -> FakeTicket:
        if self.fail_begin:
            raise OSError("disk full")
        ticket = FakeTicket(kind, summary, turn_id, tree_state(self.project))
        self.begun.append(ticket)
        return ticket

    def finish_action(self, ticket: FakeTicket) -> HistoryEntry | None:  # type: ignore[override]
        self.finished += 1
        changes = diff_states(ticket.before, tree_state(self.project))
        if not changes:
            return None
        entry = HistoryEntry(
            id=len(self._entries) + 1,
            kind=ticket.kind,
            time=datetime.now(UTC).isoformat(timespec="seconds"),
            summary=ticket.summary,
            files=changes,
            turn_id=ticket.turn_id,
        )
        self._entries.append(entry)
        return entry

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)
