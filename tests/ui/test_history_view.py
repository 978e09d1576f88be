"""Pilot tests of the history view: undone marks, refusals that name their cause, the redo rule,
narrow screens, and typing after going back to a turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from codeact_tui.ui.screens.confirm import ConfirmScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import UserMessage
from codeact_tui.ui.widgets.prompt import PromptInput
from tests.fakes.ollama_server import FakeOllama

from .conftest import BROKEN, FIXED, AppFactory, settings_for, settle

pytestmark = pytest.mark.anyio


async def _type(pilot: object, text: str) -> None:
    for key in text:
        await pilot.press(key if key != " " else "space")  # type: ignore[attr-defined]


async def _turn(pilot: object, app: object, text: str = "fix add") -> None:
    await _type(pilot, text)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot, app)  # type: ignore[arg-type]


def _rows(history: HistoryScreen) -> list[str]:
    timeline = history.query_one("#timeline", OptionList)
    return [str(timeline.get_option_at_index(i).prompt) for i in range(timeline.option_count)]


async def test_undone_entries_are_marked_and_summaries_fit_at_80x24(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await _turn(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("u", "y")
        await settle(pilot, app)
        rows = _rows(history)
        assert rows[0].startswith("#2") and "undone" not in rows[0].splitlines()[0]
        assert rows[1].startswith("#1") and "undone" in rows[1].splitlines()[0]  # the mark is on the short first line
        # What the narrow timeline really shows of #1: its summary is readable, not ellipsised away.
        timeline = history.query_one("#timeline", OptionList)
        shown = [timeline.render_line(y).text for y in range(timeline.size.height)]
        entry = next(e for e in history.entries if e.id == 1)
        first = next(i for i, line in enumerate(shown) if "#1 " in line)
        assert timeline.size.width < 40 and "undone" in shown[first]
        assert entry.summary[:20] in shown[first + 1]


async def test_a_refused_undo_shows_the_user_entry_and_names_the_cause(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await _turn(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert [e.kind for e in history.entries] == ["agent"]
        (project / "calc.py").write_text("def add(a, b):\n    return b + a  # mine\n")  # the user's own edit
        await pilot.press("u", "y")
        await settle(pilot, app)
        assert [e.kind for e in history.entries] == ["agent", "user"]  # recorded by the undo, shown at once
        assert len(_rows(history)) == 2 and _rows(history)[0].split()[:2] == ["#2", "user"]
        conflicts = str(history.query_one("#conflicts", Static).render())
        assert "your own edit" in conflicts and "#2" in conflicts and "# mine" in conflicts
        assert history.current_entry() is not None and history.current_entry().id == 1


async def test_redo_follows_the_redo_target_and_names_what_it_redoes(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await _turn(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.action_undo_last()
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == BROKEN
        main.action_redo_last()  # nothing newer: the palette offers #1 by name
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.title_text.startswith("Redo #1: ")
        await pilot.press("n")
        await _turn(pilot, app, "!open('b.txt','w').write('b')")  # new work drops the redo stack
        assert (project / "b.txt").read_text() == "b"
        main.action_redo_last()
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)  # nothing offered: the notice says why
        assert (project / "calc.py").read_text() == BROKEN
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("r")  # on the newest entry (the manual action): no plain redo
        await settle(pilot, app)
        assert app.screen is history and (project / "calc.py").read_text() == BROKEN
        await pilot.press("down", "down")  # the undone #1: redo it by naming it
        assert history.current_entry() is not None and history.current_entry().id == 1
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.title_text.startswith("Redo #1: ")
        await pilot.press("y")
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == FIXED and (project / "b.txt").read_text() == "b"
        assert 1 not in history.undone


async def test_after_go_to_turn_typing_reaches_the_prompt(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await _turn(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        assert app.screen is main and not isinstance(app.focused, PromptInput)
        await _type(pilot, "now test it")
        prompt = main.query_one(PromptInput)
        assert prompt.text == "now test it" and app.focused is prompt
        await pilot.press("alt+up", "alt+up", "alt+up")
        card = app.focused
        assert isinstance(card, ActionCard)
        await pilot.press("d")  # a card's own key still works
        await settle(pilot, app)
        assert isinstance(app.screen, HistoryScreen)


async def test_every_key_of_an_empty_history_says_why_it_does_nothing(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    """`u`, `s`, `t`, `w`, `[`, `]` and `e` once did nothing at all, and `y` said "Diff copied"."""
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.entries == []
        said: dict[str, str] = {}
        for key, name in [("u", "u"), ("s", "s"), ("t", "t"), ("w", "w"), ("left_square_bracket", "["), ("right_square_bracket", "]"), ("e", "e"), ("y", "y")]:
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot, app)
            assert app.screen is history, name
            said[name] = " / ".join(str(n.message) for n in app._notifications)
        assert said == {
            "u": "Nothing to undo: the history has no entries yet.",
            "s": "Nothing to restore to: the history has no entries yet.",
            "t": "Nothing to go to: the history has no entries yet.",
            "w": "Nothing to rewind to: the history has no entries yet.",
            "[": "Nothing to step through: the history has no entries yet.",
            "]": "Nothing to step through: the history has no entries yet.",
            "e": "Nothing to open: the history has no entries yet.",
            "y": "Nothing to copy: the history has no entries yet.",
        }


async def test_go_to_turn_finds_the_card_of_a_manual_action(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    """A manual action's entry once had no turn: `t` said "belongs to no conversation turn"."""
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        await _turn(pilot, app, "!open('notes.txt', 'w').write('hi')")
        (card,) = main.query(ActionCard)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen) and [e.kind for e in history.entries] == ["manual"]
        assert history.entries[0].turn_id == card.turn_id
        app.clear_notifications()
        await pilot.press("w")  # it is no request to rewind to: say what to do instead
        await settle(pilot, app)
        assert app.screen is history and [str(n.message) for n in app._notifications] == [
            "A manual action is no request to rewind to: u undoes its changes; Ctrl+G picks a request."
        ]
        app.clear_notifications()
        await pilot.press("t")
        await settle(pilot, app)
        assert app.screen is main and not list(app._notifications)
        assert isinstance(app.focused, UserMessage) and app.focused.turn_id == card.turn_id  # the turn's first entry
