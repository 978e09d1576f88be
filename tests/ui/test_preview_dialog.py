"""The app's preview for real: `p` in the approval dialog (and `--approve preview`) runs the
model's action in the real WebAssembly sandbox over an overlay, shows its output and diff, then
`y` applies exactly that change set as one history entry (real git) or `n` discards it; the fake
Ollama server shows what the model was told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button

from codeact_tui.core.agent import PREVIEW_DISCARDED
from codeact_tui.ui.app import CodeActApp
from codeact_tui.ui.screens.approval import ApprovalScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.screens.preview import PreviewScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from tests.fakes.ollama_server import FakeOllama

from .conftest import (
    ANSWER_REPLY,
    BROKEN,
    FIXED,
    WRITE_REPLY,
    AppFactory,
    settings_for,
    settle,
    until,
)

pytestmark = [pytest.mark.anyio, pytest.mark.sandbox]


async def _ask(pilot: object, app: CodeActApp) -> None:
    await settle(pilot, app)
    for key in ["f", "i", "x", "enter"]:
        await pilot.press(key)  # type: ignore[attr-defined]


async def _asked(pilot: object, app: CodeActApp) -> None:
    """The approval dialog is up and takes keys (its Run button has the focus)."""
    await until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.focused is not None and app.focused.id == "run", seconds=90, step=0.05)
    await pilot.pause()  # type: ignore[attr-defined]


async def _previewed(pilot: object, app: CodeActApp) -> PreviewScreen:
    await until(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.ready, seconds=90, step=0.05)
    await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, PreviewScreen)
    return screen


def _visible(screen: PreviewScreen, *selectors: str) -> None:
    for selector in selectors:
        region = screen.query_one(selector).region
        assert region.area > 0 and screen.region.contains_region(region), (selector, region)


def _told(server: FakeOllama) -> str:
    chats = [body for _, path, body in server.requests if path == "/api/chat" and body.get("messages")]
    return json.dumps(chats[-1]["messages"][-1])


async def test_p_previews_then_y_applies_as_one_action(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="ask"), sandbox=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ask(pilot, app)
            await _asked(pilot, app)
            assert "p: preview" in app.screen.HINT
            await pilot.press("p")
            screen = await _previewed(pilot, app)
            assert (project / "calc.py").read_text() == BROKEN  # nothing written yet
            assert "+    return a + b" in screen.diff_text and "-    return a - b" in screen.diff_text
            assert "fixed" in screen.output_text
            assert "1 modified" in screen.question_text
            assert app.focused is screen.query_one("#apply", Button)
            _visible(screen, "#apply", "#discard", "#stop", "#hint", "#question")
            await pilot.press("y")
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert (project / "calc.py").read_text() == FIXED
            (card,) = main.query(ActionCard)
            assert card.state == "done" and "fixed" in card.output_text()
            assert card.entry is not None and card.entry.kind == "agent" and [c.path for c in card.entry.files] == ["calc.py"]
            entries = await app.conversation.entries()
            assert [e.kind for e in entries] == ["agent"]
            assert "fixed" in _told(server)  # the preview run's output is the observation


async def test_n_discards_and_the_model_is_told(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="ask"), sandbox=True)
        async with app.run_test(size=(60, 20)) as pilot:
            await _ask(pilot, app)
            await _asked(pilot, app)
            await pilot.press("p")
            screen = await _previewed(pilot, app)
            _visible(screen, "#apply", "#discard", "#stop", "#hint", "#question")  # 60×20 fits
            await pilot.press("n")
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert (project / "calc.py").read_text() == BROKEN
            (card,) = main.query(ActionCard)
            assert card.state == "skipped"
            assert await app.conversation.entries() == []
            assert PREVIEW_DISCARDED in _told(server)


async def test_approve_preview_opens_the_preview_for_every_action(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="preview"), sandbox=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ask(pilot, app)
            await _previewed(pilot, app)
            assert (project / "calc.py").read_text() == BROKEN
            await pilot.press("y")
            await settle(pilot, app)
            assert (project / "calc.py").read_text() == FIXED


async def test_a_change_underneath_refuses_the_apply_and_asks_again(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url, approve="ask"), sandbox=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ask(pilot, app)
            await _asked(pilot, app)
            await pilot.press("p")
            await _previewed(pilot, app)
            (project / "calc.py").write_text("# the user's own edit\n")
            await pilot.press("y")
            await _asked(pilot, app)  # asked again
            assert (project / "calc.py").read_text() == "# the user's own edit\n"
            assert any("changed since the preview" in str(n.message) for n in app._notifications)
            await pilot.press("n")
            await settle(pilot, app)
            assert (project / "calc.py").read_text() == "# the user's own edit\n"


async def test_esc_while_the_preview_runs_interrupts_it_and_ends_the_turn(app_factory: AppFactory, project: Path) -> None:
    endless = "Let me wait.\n<execute>\nimport time\nopen('calc.py', 'w').write('gone')\nwhile True:\n    time.sleep(0.05)\n</execute>"
    with FakeOllama(replies=[endless]) as server:
        app = app_factory(settings_for(server.url, approve="preview"), sandbox=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ask(pilot, app)
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.is_mounted, seconds=90, step=0.05)
            screen = app.screen
            assert isinstance(screen, PreviewScreen) and not screen.ready
            assert not screen.check_action("apply", ()) and not screen.check_action("discard", ())  # nothing to answer yet
            await pilot.pause(0.5)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen) and not app.screen.busy, seconds=90, step=0.05)
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert (project / "calc.py").read_text() == BROKEN
            assert await app.conversation.entries() == []
            assert [c.state for c in main.query(ActionCard)] == ["skipped"]  # it never ran on the project
