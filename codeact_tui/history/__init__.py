"""The shadow git store: snapshots around every action, diff, undo, redo, restore."""

from .errors import HistoryBusy, HistoryError, UnknownEntry
from .merge import Conflict, ConflictHunk
from .results import UndoResult
from .store import ActionTicket, HistoryStore

__all__ = [
    "ActionTicket",
    "Conflict",
    "ConflictHunk",
    "HistoryBusy",
    "HistoryError",
    "HistoryStore",
    "UndoResult",
    "UnknownEntry",
]
