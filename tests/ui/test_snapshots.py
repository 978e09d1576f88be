"""A small set of SVG snapshots at a fixed size (update with `pytest --snapshot-update`).

What moves with time is frozen: elapsed time, the spinner, history timestamps and the timeline's
"now"; the project is `~/demo` under a fresh home folder per test, so the title reads the same on
every run and two runs never share a folder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from codeact_tui.core import events as ev
from codeact_tui.core.ports import GenerationStats
from codeact_tui.ui import messages as m
from codeact_tui.ui.screens.approval import ApprovalScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.screens.preview import PreviewScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.prompt import PromptInput
from codeact_tui.ui.widgets.status import StatusBar
from tests.fakes.executor import InProcessExecutor
from tests.fakes.ollama_server import FakeOllama

from .conftest import ANSWER_REPLY, BROKEN, WRITE_REPLY, AppFactory, settings_for, until

SIZE = (100, 30)
FROZEN_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    project = home / "demo"
    project.mkdir(parents=True)
    (project / "calc.py").write_text(BROKEN)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(ActionCard, "clock", staticmethod(lambda: 100.0))
    monkeypatch.setattr(StatusBar, "_spin", lambda self: None)
    monkeypatch.setattr("codeact_tui.history.store.now_iso", lambda: "2026-11-25T09:30:00.000Z")
    monkeypatch.setattr(HistoryScreen, "clock", staticmethod(lambda: FROZEN_NOW))
    # Numbers that come from other parts' text (prompt templates, the fake server's timings) are
    # pinned, so those parts can change without touching these pictures.
    original = MainScreen.on_core_event

    async def pinned(self: MainScreen, message: m.CoreEvent) -> None:
        event = message.event
        if isinstance(event, ev.AssistantMessage):
            event = dataclasses.replace(event, stats=GenerationStats(tokens_per_s=42.0))
        elif isinstance(event, ev.ContextUsage):
            event = dataclasses.replace(event, used_tokens=1234, window=16384)
        await original(self, m.CoreEvent(event))

    monkeypatch.setattr(MainScreen, "on_core_event", pinned)
    yield project


async def _type(pilot: Any, text: str) -> None:
    app = pilot.app
    prompt = app.screen.query_one(PromptInput)
    prompt.cursor_blink = False
    for key in text:
        await pilot.press(key if key != " " else "space")
    await pilot.press("enter")


async def _ready(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: app.screen.query(StatusBar) and app.screen.query_one(StatusBar).sandbox == "ready")
    await app.workers.wait_for_complete()
    app.screen.query_one(PromptInput).cursor_blink = False


def test_main_screen_mid_turn(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    executor = InProcessExecutor(demo)
    executor.hang = True
    with FakeOllama(replies=[WRITE_REPLY]) as server:
        app = app_factory(settings_for(server.url), executor=executor, root=demo)

        async def run_before(pilot: Any) -> None:
            await _ready(pilot)
            await _type(pilot, "fix add in calc.py")
            await until(pilot, lambda: app.screen.query(ActionCard) and "working" in app.screen.query_one(ActionCard).output_text())
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_history_with_a_diff(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url), root=demo)

        async def run_before(pilot: Any) -> None:
            await _ready(pilot)
            await _type(pilot, "fix add")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+r")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_approval_modal(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="ask"), root=demo)

        async def run_before(pilot: Any) -> None:
            await _ready(pilot)
            await _type(pilot, "fix add")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.sandbox
def test_preview_dialog(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    """`p` in the approval dialog: the action ran on a copy (real sandbox); output and diff."""
    reply = (
        "I'll fix `add` and add a test.\n\n<execute>\nsrc = open('calc.py').read().replace('a - b', 'a + b')\n"
        "open('calc.py', 'w').write(src)\nopen('test_calc.py', 'w').write('from calc import add\\n')\nprint('fixed')\n</execute>"
    )
    with FakeOllama(replies=[reply]) as server:
        app = app_factory(settings_for(server.url, approve="ask"), sandbox=True, root=demo)

        async def run_before(pilot: Any) -> None:
            await _ready(pilot)
            await _type(pilot, "fix add")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.focused is not None)
            await pilot.pause()
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.ready, seconds=90, step=0.05)  # the real sandbox runs it
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_setup_card_without_a_model_server(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    app = app_factory(settings_for("http://127.0.0.1:9"), root=demo)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_light_theme_after_a_turn(snap_compare: Any, app_factory: AppFactory, demo: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url), root=demo)
        app._wanted_theme = "codeact-light"

        async def run_before(pilot: Any) -> None:
            await _ready(pilot)
            await _type(pilot, "fix add")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
