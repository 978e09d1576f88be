"""Pilot tests of the README's key table rows no other test presses: moving between cards and
back to the prompt, copying an action's code and output, a new conversation, retrying the
model, one file at a time and restore in the history view."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from codeact_tui.ui.screens.confirm import ConfirmScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import AnswerCard, Notice, SetupCard
from codeact_tui.ui.widgets.prompt import PromptInput
from tests.fakes.ollama_server import FakeOllama, free_port

from .conftest import AppFactory, send, settings_for, settle

pytestmark = pytest.mark.anyio


async def test_card_keys_copy_move_and_ctrl_l_returns_to_the_prompt(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "fix add")
        await settle(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        card = main.query_one(ActionCard)
        await pilot.press("alt+up", "alt+up", "alt+up")  # answer, reply, action card
        assert app.focused is card
        await pilot.press("y")
        assert app.clipboard == card.code and "open('calc.py', 'w')" in app.clipboard
        await pilot.press("o")
        assert app.clipboard == card.output_text() and "fixed" in app.clipboard
        await pilot.press("alt+down", "alt+down")
        assert isinstance(app.focused, AnswerCard)
        await pilot.press("ctrl+l")
        assert isinstance(app.focused, PromptInput)


async def test_ctrl_n_starts_a_new_conversation(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "fix add")
        await settle(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        first = main.conversation.transcript.path
        assert main.query(ActionCard)
        await pilot.press("ctrl+n")
        await settle(pilot, app)
        assert not main.query(ActionCard) and not main.query(AnswerCard)
        assert any("New conversation" in str(n.render()) for n in main.query(Notice))
        assert main.conversation.transcript.path != first and first.exists()  # the old one stays resumable


async def test_f5_checks_the_model_again_after_the_setup_card(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url, model="later:1b"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert "ollama pull later:1b" in "\n".join(main.query_one(SetupCard).fix)
        fake_ollama.models["later:1b"] = 8192  # pulled in another terminal
        await pilot.press("f5")
        await settle(pilot, app)
        assert not main.query(SetupCard)
        assert main.status.model.startswith("ollama:later:1b")


async def test_history_shows_one_file_at_a_time_and_s_restores_to_an_entry(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))  # manual actions need no model
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "!open('a.txt','w').write('one');open('b.txt','w').write('two')")
        await settle(pilot, app)
        await send(pilot, "!open('a.txt','w').write('changed')")
        await settle(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("up")  # the first entry: both files
        await settle(pilot, app)
        entry = history.current_entry()
        assert entry is not None and sorted(f.path for f in entry.files) == ["a.txt", "b.txt"]
        assert "a.txt" in history.diff_text and "b.txt" in history.diff_text
        await pilot.press("right_square_bracket")
        await settle(pilot, app)  # the diff loads in a worker
        assert "a.txt" in history.diff_text and "b.txt" not in history.diff_text
        await pilot.press("right_square_bracket")
        await settle(pilot, app)  # the diff loads in a worker
        assert "b.txt" in history.diff_text and "a.txt" not in history.diff_text
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot, app)  # the diff loads in a worker
        assert "a.txt" in history.diff_text and "b.txt" in history.diff_text
        await pilot.press("s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        assert (project / "a.txt").read_text() == "one" and (project / "b.txt").read_text() == "two"
        assert history.entries[-1].kind == "restore"


async def test_a_lone_bang_says_what_it_wants_and_keeps_the_text(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    """`!` and Enter once cleared the prompt and did nothing."""
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("!", "space", "enter")
        await settle(pilot, app)
        prompt = app.screen.query_one(PromptInput)
        assert prompt.text == "! " and app.focused is prompt
        assert [str(n.message) for n in app._notifications] == ["Write Python after the ! to run it in the sandbox, e.g. !print(2 + 2)"]
        assert not app.screen.query(ActionCard) and "!" not in prompt.recall


async def test_card_keys_on_short_or_no_output_say_so(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    """Enter on a card whose output is all shown did nothing, and `o` with no output said
    "Output copied"."""
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        said = []
        for code in ("x = 1", "print(x)", "print('\\n'.join(map(str, range(30))))"):
            await send(pilot, "!" + code)
            await settle(pilot, app)
            card = list(app.screen.query(ActionCard))[-1]
            card.focus()
            app.copy_to_clipboard("")
            app.clear_notifications()
            await pilot.press("o", "enter")
            await pilot.pause()
            said.append(([str(n.message) for n in app._notifications], app.clipboard, card.expanded))
        assert said == [
            (["This action printed nothing: nothing copied.", "This action printed nothing."], "", False),
            (["Output copied to the clipboard.", "All of its output is shown: there is nothing to fold."], "1\n", False),
            (["Output copied to the clipboard."], "\n".join(map(str, range(30))) + "\n", True),  # long output unfolds
        ]
        assert card._output_text()[0].plain.startswith("30 lines (Enter folds)\n0\n1\n")  # and says how to fold it


def _footer_keys(screen: object) -> list[str]:
    """The descriptions the screen's own footer shows."""
    return [key.description for key in screen.query_one(Footer).query(FooterKey)]  # type: ignore[attr-defined]


async def test_a_dialog_s_footer_shows_its_own_keys_not_the_screen_s_beneath(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert "History" in _footer_keys(app.screen)
        await pilot.press("f1")
        await settle(pilot, app)
        assert _footer_keys(app.screen) == ["Close"]
        await pilot.press("escape")
        app.push_screen(ConfirmScreen("Undo #1?", yes="Undo"))
        await settle(pilot, app)
        assert _footer_keys(app.screen) == ["Yes", "No"]
