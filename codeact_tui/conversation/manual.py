"""A manual action (`codeact-tui exec`, or `!code` in the app) as a user turn of core events.

The user's own code goes through the same sandbox and history as the model's actions — one
`manual` history entry — and emits the same events a model's sandbox run does, so every
front-end shows it the same way: `TurnStarted`, `ExecutionStarted`, `ExecutionOutput`…,
`ExecutionFinished`, `SnapshotTaken`, then `TurnFinished(reason="manual")` (or `TurnFailed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from ..core import events as ev
from ..core.actions import summarize_code
from ..core.live_run import run_with_live_output
from ..core.ports import ActionTicket, ExecutionResult, Executor, History, HistoryEntry

MANUAL_STEP = 0
"""The step number of a manual action's events (a model's replies count from 1)."""


@dataclass(frozen=True)
class ManualActionOutcome:
    """What a manual action did."""

    result: ExecutionResult
    """How the code ran."""
    entry: HistoryEntry | None
    """Its history entry; None when it changed no file (or no history was kept)."""


async def manual_turn(
    executor: Executor,
    history: History | None,
    code: str,
    *,
    turn_id: str,
    deadline_s: float | None = None,
) -> AsyncGenerator[ev.TurnEvent, None]:
    """Snapshot, run `code` (output streams as events), snapshot again — even if running fails."""
    yield ev.TurnStarted(turn_id, code)
    ticket: ActionTicket | None = None
    if history is not None:
        try:
            ticket = await asyncio.to_thread(history.begin_action, "manual", summarize_code(code), turn_id)
        except Exception as exc:
            yield ev.TurnFailed(turn_id, "history", f"could not snapshot the project before the action: {exc}", 0)
            return
    yield ev.ExecutionStarted(turn_id, MANUAL_STEP, code)
    result: ExecutionResult | str | None = None
    entry: HistoryEntry | None = None
    history_error: str | None = None
    try:
        async for item in run_with_live_output(executor, code, turn_id, MANUAL_STEP, deadline_s):
            if isinstance(item, ev.ExecutionOutput):
                yield item
            else:
                result = item if isinstance(item, ExecutionResult) else str(item) or type(item).__name__
    finally:
        if history is not None and ticket is not None:
            try:
                entry = await asyncio.to_thread(history.finish_action, ticket)
            except Exception as exc:
                history_error = f"could not snapshot the project after the action: {exc}"
    if not isinstance(result, ExecutionResult):
        yield ev.TurnFailed(turn_id, "executor", f"the manual action failed: {result}", 0)
        return
    yield ev.ExecutionFinished(turn_id, MANUAL_STEP, result)
    yield ev.SnapshotTaken(turn_id, MANUAL_STEP, entry)
    if history_error is not None:
        yield ev.TurnFailed(turn_id, "history", history_error, 0)
        return
    yield ev.TurnFinished(turn_id, "manual", "", 0)
