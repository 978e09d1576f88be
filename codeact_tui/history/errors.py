"""What can go wrong in the history store, as exceptions the CLI and UI map to messages."""

from __future__ import annotations


class HistoryError(Exception):
    """The store could not do what was asked; the message says why and what to do."""


class UnknownEntry(HistoryError):
    """An entry id that does not exist (or whose snapshots were pruned)."""


class HistoryBusy(HistoryError):
    """Another process holds the store's lock for longer than we were willing to wait."""
