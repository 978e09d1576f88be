"""What undo, redo and restore report back."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.ports import HistoryEntry
from .merge import Conflict


@dataclass(frozen=True)
class UndoResult:
    """The outcome of an undo, redo or restore."""

    ok: bool
    """True when the tree now is what was asked for (also when there was nothing to do)."""
    message: str
    """One or two sentences for the user: what happened and what they can do next."""
    entry: HistoryEntry | None = None
    """The new `undo`/`redo`/`restore` entry, or None when nothing was written."""
    target: HistoryEntry | None = None
    """The entry that was undone, redone or restored to."""
    conflicts: tuple[Conflict, ...] = ()
    """Why it was refused: the files (and regions) later work changed."""
    warnings: tuple[str, ...] = ()
    """Things the user should know even though it worked."""
