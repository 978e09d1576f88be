"""The whole path through the real WebAssembly sandbox: prompt → streamed text → action card with
live output → file changed → history entry → undo from the history view → file restored."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import AnswerCard
from tests.fakes.ollama_server import FakeOllama

from .conftest import ANSWER_REPLY, BROKEN, FIXED, WRITE_REPLY, AppFactory, settings_for, settle

pytestmark = [pytest.mark.anyio, pytest.mark.sandbox]


async def test_turn_in_the_real_sandbox_then_undo(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url), sandbox=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert main.status.sandbox == "ready"
            for key in ["f", "i", "x", "enter"]:
                await pilot.press(key)
            await settle(pilot, app)
            card = main.query_one(ActionCard)
            assert card.state == "done", card.output_text()
            assert card.result is not None and card.result.exit_code == 0
            assert "fixed" in card.output_text()
            assert card.entry is not None and [c.path for c in card.entry.files] == ["calc.py"]
            assert main.query_one(AnswerCard)
            assert (project / "calc.py").read_text() == FIXED

            await pilot.press("ctrl+r")
            await settle(pilot, app)
            history = app.screen
            assert isinstance(history, HistoryScreen)
            assert "-    return a - b" in history.diff_text
            await pilot.press("u", "y")
            await settle(pilot, app)
            assert (project / "calc.py").read_text() == BROKEN

            await pilot.press("escape")
            for key in "!print(open('calc.py').read())":
                await pilot.press(key if key != " " else "space")
            await pilot.press("enter")
            await settle(pilot, app)
            manual = [c for c in main.query(ActionCard) if c.manual][0]
            assert "return a - b" in manual.output_text()


async def _run_code(pilot: object, code: str) -> None:
    for key in "!" + code:
        await pilot.press(key if key != " " else "space")  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_ctrl_n_starts_a_new_conversation_with_a_fresh_python_session(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for("http://127.0.0.1:9"), sandbox=True)  # no model needed: manual actions
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        await _run_code(pilot, "x=41")
        await settle(pilot, app)
        await _run_code(pilot, "print('x' in globals())")
        await settle(pilot, app)
        assert main.query(ActionCard).last().output_text().strip() == "True"

        await pilot.press("ctrl+n")
        await settle(pilot, app)
        assert not main.query(ActionCard)  # the transcript starts over
        await _run_code(pilot, "print('x' in globals())")
        await settle(pilot, app)
        assert main.query(ActionCard).last().output_text().strip() == "False"
