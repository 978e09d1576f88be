"""Every message the app's parts send each other, as dataclasses (the Toad habit).

Core events are not re-declared here: `CoreEvent` wraps them, as Toad wraps protocol objects.
Workers post these; screens and widgets handle them on the event loop, so no widget is ever
touched from a worker or a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..conversation import HistoryVerb
from ..conversation.rewind import RewindOutcome
from ..core.events import TurnEvent
from ..core.ports import HistoryChange, ModelInfo


# --- the prompt -----------------------------------------------------------------------------


@dataclass
class UserSubmitted(Message):
    """The user pressed Enter in the prompt."""

    text: str
    """What they typed (without a leading `!` when `manual` is True)."""
    manual: bool = False
    """True for `!code`: run it directly in the sandbox as a manual action."""


# --- one user turn ----------------------------------------------------------------------------


@dataclass
class CoreEvent(Message):
    """One event of a user turn, exactly as the core emitted it (the worker posts it; the
    transcript view dispatches on it). Streamed text arrives batched: one `TextDelta` per frame."""

    event: TurnEvent
    """The core's event (`core.events`)."""


@dataclass
class TurnOver(Message):
    """The turn worker ended (however it ended); the prompt is free again."""


# --- setup, models, sandbox -------------------------------------------------------------------


@dataclass
class ModelReady(Message):
    """The model server answered and the model exists: the agent is ready."""

    info: ModelInfo
    """What the backend reported."""
    context_used: int | None = None
    """Tokens the conversation already uses (a resumed one is not empty)."""


@dataclass
class ModelUnavailable(Message):
    """The model cannot be used; the app stays open and shows the setup card."""

    message: str
    """The backend's explanation (with its own hint)."""


@dataclass
class SandboxWarming(Message):
    """The one-time sandbox compile is running."""

    elapsed_s: float
    """Seconds so far."""


@dataclass
class SandboxReady(Message):
    """The sandbox can run code."""

    took_s: float | None = None
    """How long the compile took, when there was one."""


@dataclass
class SandboxFailed(Message):
    """The sandbox could not be started."""

    message: str
    """Why, and what to do."""


@dataclass
class HistoryChanged(Message):
    """The history gained an entry (undo, redo, restore, an action): views refresh."""


@dataclass
class ShowEntry(Message):
    """Open the history view at one entry (from a transcript card)."""

    entry_id: int
    """The entry to show."""


@dataclass
class ShowTurn(Message):
    """Go back to the transcript at the card of one turn (from the history view)."""

    turn_id: str
    """The turn whose first card to focus."""


@dataclass
class DiffLoaded(Message):
    """The diff of a history entry was read."""

    entry_id: int
    """The entry."""
    path: str | None
    """The one file shown, or None for all."""
    text: str
    """The unified diff (git's format)."""


@dataclass
class RewindDone(Message):
    """A rewind ended (done or refused); the conversation may be a new branch now."""

    outcome: RewindOutcome
    """What the conversation service reported."""


@dataclass
class HistoryOpDone(Message):
    """An undo, redo or restore ended (done or refused)."""

    verb: HistoryVerb
    """`undo`, `redo` or `restore`."""
    result: HistoryChange
    """What the history reported (ok, message, entry, target, conflicts, warnings)."""
