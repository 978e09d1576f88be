"""Every message the app's parts send each other, as dataclasses (the Toad habit).

The bridge turns core events into these; workers post them; screens and widgets handle them on
the event loop, so no widget is ever touched from a worker or a thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from ..core.events import Approval
from ..core.ports import ExecutionResult, GenerationStats, HistoryEntry, ModelInfo, StreamName


# --- the prompt -----------------------------------------------------------------------------


@dataclass
class UserSubmitted(Message):
    """The user pressed Enter in the prompt."""

    text: str
    """What they typed (without a leading `!` when `manual` is True)."""
    manual: bool = False
    """True for `!code`: run it directly in the sandbox as a manual action."""


# --- one turn ---------------------------------------------------------------------------------


@dataclass
class TurnBegan(Message):
    """A turn started for the user's text."""

    turn_id: str
    """The core's id of the turn."""
    text: str
    """The user's message."""


@dataclass
class ModelLoadingStarted(Message):
    """The model server is loading the model into memory (not generating yet)."""

    model: str
    """The model's name."""


@dataclass
class ModelLoadingDone(Message):
    """The model is in memory."""

    model: str
    """The model's name."""
    seconds: float
    """How long the load took."""


@dataclass
class ReplyStarted(Message):
    """The model started a reply; deltas follow."""

    step: int
    """Which reply of the turn, from 1."""


@dataclass
class ReplyDelta(Message):
    """A piece of the model's reply."""

    step: int
    """Which reply of the turn."""
    text: str
    """The new text."""


@dataclass
class ReplyDone(Message):
    """The model's reply is complete."""

    step: int
    """Which reply of the turn."""
    text: str
    """The whole reply (closing tag restored)."""
    stats: GenerationStats
    """Token counts and speed."""


@dataclass
class ActionProposed(Message):
    """The reply holds a code action (a card appears in the `proposed` state)."""

    step: int
    """Which reply of the turn."""
    code: str
    """The code."""
    repaired: bool = False
    """A lost closing tag or fence was restored."""


@dataclass
class ApprovalNeeded(Message):
    """In ask mode: show the approval modal and resolve `future` with the user's decision."""

    step: int
    """Which reply of the turn."""
    code: str
    """The proposed code."""
    future: asyncio.Future[Approval] = field(repr=False)
    """The core waits on it."""


@dataclass
class ActionSkipped(Message):
    """The user declined the action."""

    step: int
    """Which reply of the turn."""
    reason: str
    """Why (told to the model)."""


@dataclass
class ActionStarted(Message):
    """The action runs in the sandbox (the card shows elapsed time and live output)."""

    step: int
    """Which reply of the turn (0 for a manual action)."""
    code: str
    """The code actually run (maybe edited in the approval modal)."""


@dataclass
class ActionOutput(Message):
    """Live output of the running action."""

    step: int
    """Which reply of the turn (0 for a manual action)."""
    stream: StreamName
    """`stdout` or `stderr`."""
    text: str
    """A chunk of output."""


@dataclass
class ActionEnded(Message):
    """The action ended; the result is authoritative."""

    step: int
    """Which reply of the turn (0 for a manual action)."""
    result: ExecutionResult
    """How it ended."""


@dataclass
class ActionRecorded(Message):
    """The history recorded the action (or found no change)."""

    step: int
    """Which reply of the turn (0 for a manual action)."""
    entry: HistoryEntry | None
    """Its history entry; None when it changed no file."""


@dataclass
class ContextUsed(Message):
    """How full the context window is."""

    used_tokens: int
    """Tokens in the conversation."""
    window: int
    """The context window."""


@dataclass
class ContextShortened(Message):
    """Old messages were compacted to stay within the window."""

    before_tokens: int
    """Tokens before."""
    after_tokens: int
    """Tokens after."""


@dataclass
class TurnAnswered(Message):
    """The turn ended with an answer (shown so it stands out)."""

    answer: str
    """The final answer (or, in plan mode, the proposed code)."""
    reason: str
    """`solution`, `reply` or `plan`."""


@dataclass
class TurnStopped(Message):
    """The turn ended without an answer."""

    kind: str
    """`setup`, `model`, `executor`, `history`, `limit` or `interrupted`."""
    message: str
    """Why, and what to do."""


@dataclass
class TurnOver(Message):
    """The turn worker ended (however it ended); the prompt is free again."""


# --- setup, models, sandbox -------------------------------------------------------------------


@dataclass
class ModelReady(Message):
    """The model server answered and the model exists: the agent is ready."""

    info: ModelInfo
    """What the backend reported."""


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
class HistoryOpDone(Message):
    """An undo, redo or restore ended (done or refused)."""

    verb: str
    """`undo`, `redo` or `restore`."""
    result: Any
    """The history's `UndoResult` (ok, message, entry, conflicts, warnings)."""
