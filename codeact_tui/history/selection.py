"""Which entries are in effect: an undo or redo "reverts" its target, and reverting a revert
puts the target back. This decides the default target of `undo` and what `redo` redoes.

The redo rule, as in most editors: new work (an action, an edit of yours, a restore) drops the
redo stack, so a plain `redo` never reaches back past it. An older undo can still be redone by
naming it (or the entry it undid); the result then says which entry it redoes."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.ports import HistoryEntry

REVERT_KINDS = ("undo", "redo")
UNDOABLE_BY_DEFAULT = ("agent", "manual")
NEW_WORK_KINDS = ("agent", "manual", "user", "restore")
"""Entries that drop the redo stack."""


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
    """The undo a plain `redo` takes back: the newest undo still in effect, unless new work
    came after it (then None: the redo stack was dropped)."""
    reverted = reverted_ids(entries)
    for entry in reversed(entries):
        if entry.kind == "undo" and entry.id not in reverted:
            return entry
        if entry.kind in NEW_WORK_KINDS:
            return None
    return None


def named_redo_target(entries: Sequence[HistoryEntry], entry_id: int) -> HistoryEntry | None:
    """The undo in effect that `redo ENTRY_ID` takes back: the entry itself if it is such an
    undo, else the newest undo in effect whose target it is; None if there is none."""
    reverted = reverted_ids(entries)
    live = [e for e in entries if e.kind == "undo" and e.id not in reverted]
    for entry in live:
        if entry.id == entry_id:
            return entry
    for entry in reversed(live):
        if entry.target == entry_id:
            return entry
    return None


def newest_new_work(entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The newest entry that dropped the redo stack, if it came after the newest live undo."""
    reverted = reverted_ids(entries)
    for entry in reversed(entries):
        if entry.kind in NEW_WORK_KINDS:
            return entry
        if entry.kind == "undo" and entry.id not in reverted:
            return None
    return None
