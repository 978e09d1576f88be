"""Which entries are in effect: an undo or redo "reverts" its target, and reverting a revert
puts the target back. This decides the default target of `undo` and what `redo` redoes."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.ports import HistoryEntry

REVERT_KINDS = ("undo", "redo")
UNDOABLE_BY_DEFAULT = ("agent", "manual")


def reverted_ids(entries: Sequence[HistoryEntry]) -> set[int]:
    """Ids of entries whose effect is currently taken back by a live undo or redo."""
    by_target: dict[int, list[int]] = {}
    for entry in entries:
        if entry.kind in REVERT_KINDS and entry.target is not None:
            by_target.setdefault(entry.target, []).append(entry.id)
    reverted: set[int] = set()
    for entry in sorted(entries, key=lambda e: e.id, reverse=True):
        if any(r not in reverted for r in by_target.get(entry.id, ())):
            reverted.add(entry.id)
    return reverted


def default_undo_target(entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The newest agent or manual entry that is not undone."""
    reverted = reverted_ids(entries)
    for entry in reversed(entries):
        if entry.kind in UNDOABLE_BY_DEFAULT and entry.id not in reverted:
            return entry
    return None


def redo_target(entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The newest undo that is still in effect (redo takes it back)."""
    reverted = reverted_ids(entries)
    for entry in reversed(entries):
        if entry.kind == "undo" and entry.id not in reverted:
            return entry
    return None
