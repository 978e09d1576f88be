"""Code the user runs directly (`codeact-tui exec`, or `!` in the app): one recorded action.

It goes through the same history service as the agent's actions, as an entry of kind `manual`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .actions import summarize_code
from .ports import ExecutionResult, Executor, History, HistoryEntry, OutputCallback


@dataclass(frozen=True)
class ManualActionOutcome:
    """What a manual action did."""

    result: ExecutionResult
    """How the code ran."""
    entry: HistoryEntry | None
    """Its history entry; None when it changed no file (or no history was kept)."""


async def run_manual_action(
    executor: Executor,
    history: History | None,
    code: str,
    *,
    on_output: OutputCallback | None = None,
    deadline_s: float | None = None,
) -> ManualActionOutcome:
    """Snapshot, run `code`, snapshot again; the snapshot after is taken even if running fails."""
    ticket = None
    if history is not None:
        ticket = await asyncio.to_thread(history.begin_action, "manual", summarize_code(code))
    entry = None
    try:
        result = await executor.run(code, on_output=on_output, deadline_s=deadline_s)
    finally:
        if history is not None and ticket is not None:
            entry = await asyncio.to_thread(history.finish_action, ticket)
    return ManualActionOutcome(result=result, entry=entry)
