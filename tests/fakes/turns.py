"""Run agent turns in tests and look at their events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent


async def collect(agent: Agent, text: str, on_event: Callable[[ev.Event], None] | None = None) -> list[ev.Event]:
    """Run one turn and return its events."""
    seen: list[ev.Event] = []
    async for event in agent.run_turn(text):
        seen.append(event)
        if on_event is not None:
            on_event(event)
    return seen


def run_turn(agent: Agent, text: str) -> list[ev.Event]:
    """Run one turn in a fresh event loop."""
    return asyncio.run(collect(agent, text))


def kinds(events: list[ev.Event]) -> list[str]:
    """Event type names without the streaming noise (text deltas, live output)."""
    return [ev.event_type(e) for e in events if not isinstance(e, (ev.TextDelta, ev.ExecutionOutput))]
