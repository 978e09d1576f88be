"""Fixtures for core tests: the shipped prompts, a project folder, and a turn runner."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.resources import resource_dir


@pytest.fixture
def prompts() -> PromptLibrary:
    return PromptLibrary(resource_dir("prompts"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "data.txt").write_text("3\n4\n5\n")
    return root


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
