"""Rewind in the app, through the real sandbox and real git: Ctrl+G picks a turn, the confirmation
lists what changes, and files, conversation and variables go back; the history view's `w`
offers the highlighted entry's turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from codeact_tui.ui.screens.confirm import ConfirmScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.screens.rewind import RewindPicker
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import Notice
from tests.fakes.ollama_server import FakeOllama

from .conftest import AppFactory, settings_for, settle

pytestmark = [pytest.mark.anyio, pytest.mark.sandbox]

TURN1 = "<execute>\nx = 41\nopen('a.txt', 'w').write('one')\n</execute>"
TURN2 = "<execute>\nx = 100\nopen('b.txt', 'w').write('b')\n</execute>"
DONE = "<solution>done</solution>"


async def type_text(pilot: object, text: str) -> None:
    for key in text:
        await pilot.press({" ": "space", "!": "exclamation_mark"}.get(key, key))  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_rewind_from_the_app_restores_files_conversation_and_variables(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=[TURN1, DONE, TURN2, DONE]) as server:
        app = app_factory(settings_for(server.url), sandbox=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            await type_text(pilot, "one")
            await settle(pilot, app)
            await type_text(pilot, "two")
            await settle(pilot, app)
            assert (project / "b.txt").read_text() == "b"
            first_id = main.conversation.transcript.id  # type: ignore[union-attr]

            await pilot.press("ctrl+g")
            await settle(pilot, app)
            picker = app.screen
            assert isinstance(picker, RewindPicker)
            turns = picker.query_one(OptionList)
            assert turns.option_count == 2 and turns.highlighted == 1  # the newest turn first
            await pilot.press("enter")
            await settle(pilot, app)
            confirm = app.screen
            assert isinstance(confirm, ConfirmScreen)
            detail = str(confirm.query_one("#detail", Static).render())
            assert "Files restored (1): b.txt." in detail
            assert "without the last 1 turn(s)" in detail and "variables kept: x" in detail
            await pilot.press("y")
            await settle(pilot, app)

            assert app.screen is main
            assert (project / "a.txt").read_text() == "one" and not (project / "b.txt").exists()
            assert main.conversation.transcript.id != first_id  # type: ignore[union-attr]
            assert [t.request for t in main.conversation.user_turns()] == ["one"]
            notices = " ".join(str(n.render()) for n in main.query(Notice))
            assert "rewound to before turn 2" in notices and "Defined again: x" in notices

            await type_text(pilot, "!print(x)")
            await settle(pilot, app)
            manual = [c for c in main.query(ActionCard) if c.manual][-1]
            assert manual.output_text().strip() == "41"

            # The history view offers the highlighted entry's turn: the first turn's action.
            await pilot.press("ctrl+r")
            await settle(pilot, app)
            history = app.screen
            assert isinstance(history, HistoryScreen)
            timeline = history.query_one("#timeline", OptionList)
            for index in range(timeline.option_count):
                timeline.highlighted = index
                entry = history.current_entry()
                if entry is not None and entry.kind == "agent" and entry.turn_id == main.conversation.user_turns()[0].turn_id:
                    break
            await pilot.press("w")
            await settle(pilot, app)
            picker = app.screen
            assert isinstance(picker, RewindPicker) and picker.query_one(OptionList).highlighted == 0
            await pilot.press("escape")
            await settle(pilot, app)
            assert app.screen is main


async def test_the_apps_resume_brings_the_variables_back_and_says_so(app_factory: AppFactory, project: Path) -> None:
    from codeact_tui.conversation import Services
    from codeact_tui.ui.app import make_app

    with FakeOllama(replies=[TURN1, DONE, TURN2, DONE]) as server:
        app = app_factory(settings_for(server.url), sandbox=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await settle(pilot, app)
            await type_text(pilot, "one")
            await settle(pilot, app)
            await type_text(pilot, "!h = open('a.txt')")
            await settle(pilot, app)

        resumed = make_app(project, settings_for(server.url), services=Services(), resume="latest")
        async with resumed.run_test(size=(110, 34)) as pilot:
            await settle(pilot, resumed)
            main = resumed.screen
            assert isinstance(main, MainScreen)
            notices = " ".join(str(n.render()) for n in main.query(Notice))
            assert "restored to where the resumed conversation ended" in notices
            assert "Defined again: x" in notices and "h: cannot be pickled" in notices
            await type_text(pilot, "!print(x)")
            await settle(pilot, resumed)
            manual = [c for c in main.query(ActionCard) if c.manual][-1]
            assert manual.output_text().strip() == "41"
