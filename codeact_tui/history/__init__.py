"""The shadow git store: snapshots around every action, diff, undo, redo, restore."""

from .errors import HistoryBusy, HistoryError, UnknownEntry
from .store import ActionTicket, HistoryStore

__all__ = ["ActionTicket", "HistoryBusy", "HistoryError", "HistoryStore", "UnknownEntry"]
