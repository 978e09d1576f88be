"""What the status bar says while a user turn runs, from the core's events."""

from __future__ import annotations

from ...core import events as ev
from .status import StatusBar


def follow(status: StatusBar, event: ev.TurnEvent) -> None:
    """Update the status bar for one core event (the transcript shows the rest)."""
    match event:
        case ev.ModelLoading(model=model):
            status.activity = f"loading {model} into memory (first request only)"
        case ev.ModelLoaded() | ev.GenerationStarted():
            status.activity = "generating"
        case ev.AssistantMessage(stats=stats) if stats.tokens_per_s:
            status.tokens_per_s = stats.tokens_per_s
        case ev.ApprovalRequested():
            status.activity = "waiting for approval"
        case ev.PreviewStarted():
            status.activity = "previewing action"
        case ev.PreviewReady():
            status.activity = "waiting: apply or discard"
        case ev.ExecutionStarted():
            status.activity = "running action"
            if status.sandbox == "ready":
                status.sandbox = "busy"
        case ev.TestsStarted():
            status.activity = "running the tests"
            if status.sandbox == "ready":
                status.sandbox = "busy"
        case ev.ExecutionFinished() | ev.TestsFinished() if status.sandbox == "busy":
            status.sandbox = "ready"
        case ev.ContextUsage(used_tokens=used, window=window):
            status.context_used = used
            status.context_window = window
        case _:
            pass
