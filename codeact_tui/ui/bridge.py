"""Core turn events → UI messages: the one place that knows both vocabularies.

When the core's events change, this module changes; the widgets only know `messages`.
"""

from __future__ import annotations

from textual.message import Message

from ..core import events as ev
from . import messages as m


def to_message(event: ev.Event) -> Message | None:
    """The UI message for a core event, or None for events the UI does not show."""
    match event:
        case ev.TurnStarted(turn_id=turn_id, user_text=text):
            return m.TurnBegan(turn_id, text)
        case ev.ModelLoading(model=model):
            return m.ModelLoadingStarted(model)
        case ev.ModelLoaded(model=model, load_s=seconds):
            return m.ModelLoadingDone(model, seconds)
        case ev.GenerationStarted(step=step):
            return m.ReplyStarted(step)
        case ev.TextDelta(step=step, text=text):
            return m.ReplyDelta(step, text)
        case ev.AssistantMessage(step=step, text=text, stats=stats):
            return m.ReplyDone(step, text, stats)
        case ev.CodeProposed(step=step, code=code, repaired=repaired):
            return m.ActionProposed(step, code, repaired)
        case ev.ApprovalRequested(step=step, code=code, future=future):
            return m.ApprovalNeeded(step, code, future)
        case ev.ActionSkipped(step=step, reason=reason):
            return m.ActionSkipped(step, reason)
        case ev.ExecutionStarted(step=step, code=code):
            return m.ActionStarted(step, code)
        case ev.ExecutionOutput(step=step, stream=stream, text=text):
            return m.ActionOutput(step, stream, text)
        case ev.ExecutionFinished(step=step, result=result):
            return m.ActionEnded(step, result)
        case ev.SnapshotTaken(step=step, entry=entry):
            return m.ActionRecorded(step, entry)
        case ev.ContextUsage(used_tokens=used, window=window):
            return m.ContextUsed(used, window)
        case ev.ContextCompacted(before_tokens=before, after_tokens=after):
            return m.ContextShortened(before, after)
        case ev.TurnFinished(reason=reason, answer=answer):
            return m.TurnAnswered(answer, reason)
        case ev.TurnFailed(kind=kind, message=message):
            return m.TurnStopped(kind, message)
    return None  # ObservationAdded: the card already shows what the model is told
