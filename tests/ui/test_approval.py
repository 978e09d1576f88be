"""Pilot tests of the approval dialog's keys and layout (issue: a reason typed with `a`, `e` or
`n` in it fired the shortcuts; Tab went to a button; the buttons were off screen at 60×20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Button, Input, TextArea

from codeact_tui.core.events import Approval
from codeact_tui.ui.screens.approval import ApprovalScreen, Decision
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.themes import load_themes
from codeact_tui.ui.widgets.action_card import ActionCard
from tests.fakes.ollama_server import FakeOllama

from .conftest import ANSWER_REPLY, BROKEN, WRITE_REPLY, AppFactory, assert_buttons_stand_out, settings_for, settle, until

pytestmark = pytest.mark.anyio

REASON = "an edge case: keep the name"
"""Typed into the reason field: it holds every letter shortcut (`a`, `e`, `n`, `y`)."""

LONG_CODE = "\n".join(f"print({i})" for i in range(40))


class Host(App[None]):
    """A bare app that shows one approval dialog and keeps its decision."""

    def __init__(self, code: str = "print('hi')", theme: str | None = None) -> None:
        super().__init__()
        self.code = code
        self.wanted_theme = theme
        self.decisions: list[Decision | None] = []

    def on_mount(self) -> None:
        if self.wanted_theme:
            for theme in load_themes()[0]:
                self.register_theme(theme)
            self.theme = self.wanted_theme
        self.push_screen(ApprovalScreen(self.code, step=3), self.decisions.append)


async def _type(pilot: object, text: str) -> None:
    for char in text:
        await pilot.press({" ": "space", ":": "colon"}.get(char, char))  # type: ignore[attr-defined]


async def test_tab_goes_to_the_reason_and_letters_there_only_type() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Button) and app.focused.id == "run"
        await pilot.press("tab")
        assert isinstance(app.focused, Input) and app.focused.id == "reason"
        await _type(pilot, REASON)
        await pilot.pause()
        assert app.decisions == [] and isinstance(app.screen, ApprovalScreen)
        assert app.screen.query_one("#reason", Input).value == REASON
        assert app.screen.query_one("#code", TextArea).text == "print('hi')"
        await pilot.press("enter")
        await pilot.pause()
    assert app.decisions == [(Approval("skip", reason=REASON), False)]


async def test_shortcuts_act_when_a_button_has_focus() -> None:
    for key, expected in [
        ("y", (Approval("run"), False)),
        ("a", (Approval("run"), True)),
        ("n", (Approval("skip", reason="the user declined to run it"), False)),
        ("p", (Approval("preview"), False)),
    ]:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
        assert app.decisions == [expected], key


async def test_tab_cycles_reason_and_buttons_and_shift_tab_goes_back() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        order = []
        for _ in range(6):
            await pilot.press("tab")
            order.append(app.focused.id if app.focused else None)
        assert order == ["reason", "skip", "always", "preview", "stop", "run"]
        await pilot.press("shift+tab")
        assert app.focused is not None and app.focused.id == "stop"


async def test_typing_in_the_code_editor_edits_and_ctrl_s_runs_the_edit() -> None:
    app = Host("print('hi')")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.focused, TextArea)
        await pilot.press("end", "y", "a", "n", "e")
        await pilot.pause()
        assert app.decisions == []
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.decisions == [(Approval("run", code="print('hi')yane"), False)]


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (100, 30)])
async def test_buttons_reason_and_hint_stay_on_screen(size: tuple[int, int]) -> None:
    app = Host(LONG_CODE)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        for selector in ("#run", "#skip", "#always", "#preview", "#stop", "#reason", "#hint", "#question"):
            region = screen.query_one(selector).region
            assert region.area > 0 and screen.region.contains_region(region), (selector, region)
        assert screen.query_one("#code", TextArea).region.height >= 3
        # the laid-out dialog fits: nothing of it scrolls out of view
        dialog = screen.query_one("#dialog")
        assert dialog.max_scroll_y == 0


async def test_a_reason_typed_in_the_app_skips_the_action_and_reaches_the_model(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="ask"))
        async with app.run_test(size=(60, 20)) as pilot:
            await settle(pilot, app)
            await _type(pilot, "fix add")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            assert isinstance(app.screen, ApprovalScreen)
            await pilot.press("tab")
            await _type(pilot, REASON)
            await pilot.press("enter")
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert [c.state for c in main.query(ActionCard)] == ["skipped"]
            assert (project / "calc.py").read_text() == BROKEN
            chats = [body for _, path, body in server.requests if path == "/api/chat" and body.get("messages")]
            assert REASON in json.dumps(chats[-1]["messages"][-1])


async def test_escape_in_a_text_field_leaves_it_and_a_second_escape_stops() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e", "end", "x", "escape")
        await pilot.pause()
        assert app.decisions == [] and isinstance(app.focused, Button) and app.focused.id == "run"
        await pilot.press("tab", "w", "escape")
        await pilot.pause()
        assert app.decisions == [] and app.focused is not None and app.focused.id == "run"
        await pilot.press("escape")
        await pilot.pause()
    assert app.decisions == [(Approval("stop", reason="the user stopped the turn"), False)]


@pytest.mark.parametrize("theme", ["codeact-dark", "codeact-light"])
async def test_every_button_stands_out_from_the_dialog_and_its_label_reads(theme: str) -> None:
    """The Preview button once had no colour of its own and vanished into the dialog (1:1); the
    light theme's Skip and Always labels read at 4.1:1 and 4.2:1."""
    app = Host(theme=theme)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == theme
        checked = assert_buttons_stand_out(app.screen, app.screen.query_one("#dialog"))
        assert checked == ["run", "skip", "always", "preview", "stop"]
