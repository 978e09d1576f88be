"""What can go wrong in the history store, as exceptions the CLI and UI map to messages.

They are the `History` port's own (`core.ports`), so callers that know only the port catch them.
"""

from __future__ import annotations

from ..core.ports import HistoryBusy, HistoryError, UnknownEntry

__all__ = ["HistoryBusy", "HistoryError", "UnknownEntry"]
