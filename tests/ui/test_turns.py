"""Pilot tests: whole turns against the fake Ollama server (in-process executor: fast)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from codeact_tui.core import events as ev
from codeact_tui.ui import messages as m
from codeact_tui.ui.screens.approval import ApprovalScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import AnswerCard, AssistantReply, Notice, SetupCard, UserMessage
from codeact_tui.ui.widgets.prompt import PromptInput
from tests.fakes.executor import InProcessExecutor
from tests.fakes.ollama_server import FakeOllama, free_port

from .conftest import ANSWER_REPLY, BROKEN, FIXED, WRITE_REPLY, AppFactory, send, settings_for, settle, until


pytestmark = pytest.mark.anyio


def _record_messages(app: object, seen: list[str]) -> None:
    """Record what the main screen handles: core events by their type, other messages by name."""
    original = MainScreen._on_message

    async def spy(self: MainScreen, message: object) -> None:
        seen.append(ev.event_type(message.event) if isinstance(message, m.CoreEvent) else type(message).__name__)
        await original(self, message)  # type: ignore[arg-type]

    MainScreen._on_message = spy  # type: ignore[method-assign]
    app._restore_spy = lambda: setattr(MainScreen, "_on_message", original)  # type: ignore[attr-defined]


def _first_card_state(app: object) -> str | None:
    cards = app.screen.query(ActionCard)  # type: ignore[attr-defined]
    return cards.first().state if cards else None


async def test_a_turn_streams_acts_records_and_answers(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    seen: list[str] = []
    _record_messages(app, seen)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add")
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, MainScreen)
            kinds = [type(w).__name__ for w in screen.transcript.children]
            assert kinds[-5:] == ["UserMessage", "AssistantReply", "ActionCard", "AssistantReply", "AnswerCard"]
            card = screen.query_one(ActionCard)
            assert card.state == "done" and card.entry is not None and card.entry.id == 1
            assert "fixed" in card.output_text()
            assert [c.path for c in card.entry.files] == ["calc.py"]
            reply = screen.query(AssistantReply).first()
            assert reply.text.strip() == "I'll fix `calc.py`."  # prose only: the code went to the card
            assert screen.query_one(AnswerCard).answer == "`add` now adds."
            assert screen.status.activity == "idle" and screen.status.context_window > 0
            assert isinstance(app.focused, PromptInput)
    finally:
        app._restore_spy()  # type: ignore[attr-defined]
    assert (project / "calc.py").read_text() == FIXED
    ours = {name for name in vars(m) if isinstance(getattr(m, name), type)}
    flow = [name for name in seen if (name in ours or name.islower()) and name not in ("text_delta", "execution_output", "HistoryChanged")]
    start = flow.index("turn_started")
    assert flow[start:start + 14] == [
        "turn_started", "model_loading", "model_loaded", "context_usage", "generation_started", "assistant_message",
        "code_proposed", "execution_started", "execution_finished", "snapshot_taken", "observation_added",
        "context_usage", "generation_started", "assistant_message",
    ]
    assert flow[-3:] == ["assistant_message", "turn_finished", "TurnOver"]
    assert "text_delta" in seen and seen.count("TurnOver") == 1


async def test_undo_from_the_history_view_restores_the_file(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "fix add")
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == FIXED
        await pilot.press("alt+up")  # the answer card
        await pilot.press("alt+up", "alt+up")  # the action card
        assert isinstance(app.focused, ActionCard)
        await pilot.press("d")  # its diff, in the history view
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert history.current_entry() is not None and history.current_entry().id == 1
        assert "+    return a + b" in history.diff_text
        await pilot.press("u")
        await pilot.press("y")  # confirm
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == BROKEN
        assert [e.kind for e in history.entries] == ["agent", "undo"]
        assert history.current_entry().kind == "undo"
        card = app.screen_stack[-2].query_one(ActionCard)
        assert card.undone  # the transcript shows it
        await pilot.press("r", "y")  # redo
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == FIXED
        assert not card.undone
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_undo_refused_shows_the_conflict(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "fix add")
        await settle(pilot, app)
        (project / "calc.py").write_text("def add(a, b):\n    return b + a  # mine\n")  # later work on the same line
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("u", "y")
        await settle(pilot, app)
        conflicts = history.query_one("#conflicts", Static)
        assert conflicts.has_class("-shown")
        shown = str(conflicts.render())
        assert "calc.py" in shown and "return b + a  # mine" in shown
        assert (project / "calc.py").read_text().endswith("# mine\n")  # nothing written


async def test_manual_action_runs_without_a_model(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        card = screen.query_one(SetupCard)
        assert "cannot reach" in card.message and any("ollama serve" in line for line in card.fix)
        await send(pilot, "!open('new.txt','w').write('hi'); print(6*7)")
        await settle(pilot, app)
        manual = screen.query_one(ActionCard)
        assert manual.manual and manual.state == "done" and "42" in manual.output_text()
        assert manual.entry is not None and manual.entry.kind == "manual"
        assert (project / "new.txt").read_text() == "hi"
        messages = screen.query(UserMessage)
        assert messages.last().has_class("-manual")


async def test_setup_card_for_a_missing_model_then_picking_one(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url, model="nope:1b"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        card = app.screen.query_one(SetupCard)
        assert "ollama pull nope:1b" in "\n".join(card.fix)
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        picker = app.screen
        options = picker.query_one("#models", OptionList)
        assert options.option_count == 1 and options.get_option_at_index(0).id == "codeact:7b"
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MainScreen)
        assert not app.screen.query(SetupCard)
        assert app.screen.status.model == "ollama:codeact:7b · generic"  # backend:model · profile


async def test_model_picker_pulls_with_progress(app_factory: AppFactory, fake_ollama: FakeOllama) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        picker = app.screen
        await pilot.click("#pull")
        for key in "tiny:1b":
            await pilot.press(key)
        await pilot.press("enter")
        await settle(pilot, app)
        assert "tiny:1b is installed" in str(picker.query_one("#pull-status", Static).render())
        assert any(path == "/api/pull" for _, path, _ in fake_ollama.requests)
        await pilot.press("escape")


async def test_model_picker_without_a_server_says_how_to_list_again(app_factory: AppFactory) -> None:
    """F5 in the picker lists again; with the server down the picker said only the error."""
    from tests.fakes.ollama_server import free_port

    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        said = str(app.screen.query_one("#pull-status", Static).render())
        assert "cannot reach Ollama" in said and said.endswith("F5 lists the models again."), said


async def test_ask_mode_approval_resolves_the_future(app_factory: AppFactory, project: Path) -> None:
    skip_then_answer = [WRITE_REPLY, WRITE_REPLY, ANSWER_REPLY]
    with FakeOllama(replies=skip_then_answer) as server:
        app = app_factory(settings_for(server.url, approve="ask"))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            assert isinstance(app.screen, ApprovalScreen)
            assert app.screen_stack[0] is not None
            await pilot.press("n")  # skip: the model is told and proposes again
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            assert isinstance(app.screen, ApprovalScreen)
            assert (project / "calc.py").read_text() == BROKEN
            await pilot.press("y")
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            states = [c.state for c in main.query(ActionCard)]
            assert states == ["skipped", "done"]
            assert (project / "calc.py").read_text() == FIXED
            assert main.status.approvals == 0


async def test_escape_interrupts_a_running_action(app_factory: AppFactory, project: Path) -> None:
    executor = InProcessExecutor(project)
    executor.hang = True
    with FakeOllama(replies=[WRITE_REPLY]) as server:
        app = app_factory(settings_for(server.url), executor=executor)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add")
            await until(pilot, lambda: _first_card_state(app) == "running")
            assert app.screen.query_one(ActionCard).state == "running"
            executor.interrupt = lambda: executor._stop.set()  # type: ignore[method-assign]
            await pilot.press("escape")
            await settle(pilot, app)
            main = app.screen
            assert main.query_one(ActionCard).state == "stopped"
            assert any("Stopped" in str(n.render()) for n in main.query(Notice))
            assert not main.busy


async def test_prompt_recall_and_multiline(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        prompt = app.screen.query_one(PromptInput)
        await send(pilot, "!print(1)")
        await settle(pilot, app)
        await pilot.press("a", "ctrl+j", "b", "ctrl+j", "c")
        assert prompt.text == "a\nb\nc" and prompt.cursor_location == (2, 1)
        prompt.load_text("")
        await pilot.press("up")
        assert prompt.text == "!print(1)"
        await pilot.press("down")
        assert prompt.text == ""


async def test_submitting_during_a_turn_keeps_the_text(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.turns.busy = True  # as if a turn were running
        screen.post_message(m.UserSubmitted("later please"))
        await pilot.pause()
        assert screen.query_one(PromptInput).text == "later please"


async def test_a_plain_reply_is_the_answer_and_stands_out(app_factory: AppFactory, project: Path) -> None:
    with FakeOllama(replies=["Nothing to change: `add` is fine as it is."]) as server:
        app = app_factory(settings_for(server.url))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "is add ok?")
            await settle(pilot, app)
            reply = app.screen.query(AssistantReply).last()
            assert reply.has_class("-final") and "Nothing to change" in reply.text
            assert app.screen.last_answer() == reply.text


class _StubbornExecutor(InProcessExecutor):
    """Ignores the first (soft) interrupt; the second (hard) one stops it, resetting the state."""

    async def run(self, code: str, *, on_output=None, deadline_s=None):  # type: ignore[no-untyped-def, override]
        from codeact_tui.core.ports import ExecutionResult

        self._stop.clear()
        if on_output is not None:
            on_output("stdout", "spinning\n")
        await self._stop.wait()
        # As the real sandbox reports it: the flag and its own warning.
        reset = "the Python session was reset: variables and imports from earlier actions are gone"
        return ExecutionResult("spinning\n", "", "stopped", None, "interrupt", state_reset=True, warnings=(reset,))

    def interrupt(self) -> None:
        self.interrupts += 1
        if self.interrupts >= 2:
            self._stop.set()


async def test_escape_twice_stops_an_action_hard(app_factory: AppFactory, project: Path) -> None:
    executor = _StubbornExecutor(project)
    with FakeOllama(replies=[WRITE_REPLY]) as server:
        app = app_factory(settings_for(server.url), executor=executor)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add")
            await until(pilot, lambda: _first_card_state(app) == "running")
            await pilot.press("escape")
            await pilot.pause()
            main = app.screen
            assert main.busy and main.status.activity == "interrupting"
            card = main.query_one(ActionCard)
            assert "Esc again" in str(card._header())  # on the card, for as long as it runs
            await pilot.press("escape")
            await settle(pilot, app)
            assert executor.interrupts == 2 and card.state == "stopped"
            assert "Esc again" not in str(card._header())
            assert card.result is not None and card.result.state_reset
            assert sum("session was reset" in note for note in card._notes) == 1  # said once
            assert not main.busy


async def test_undo_last_from_the_palette_and_its_conflicts(app_factory: AppFactory, fake_ollama: FakeOllama, project: Path) -> None:
    app = app_factory(settings_for(fake_ollama.url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await send(pilot, "fix add")
        await settle(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        (project / "calc.py").write_text("def add(a, b):\n    return b + a  # mine\n")
        main.action_undo_last()
        await settle(pilot, app)
        assert app.screen.title_text.startswith("Undo #1: ")  # names the action
        await pilot.press("y")
        await settle(pilot, app)
        history = app.screen
        assert isinstance(history, HistoryScreen)  # refused: the conflicts are shown
        assert history.query_one("#conflicts", Static).has_class("-shown")
        assert "# mine" in str(history.query_one("#conflicts", Static).render())
        await pilot.press("escape")
        (project / "calc.py").write_text(FIXED)
        main.action_undo_last()
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert (project / "calc.py").read_text() == BROKEN
        assert main.query_one(ActionCard).undone


class _UnreadableHistory:
    """A history whose log cannot be read (and would say so by raising)."""

    def entries(self) -> list[object]:
        raise RuntimeError("the log is unreadable")

    def close(self) -> None:
        pass


async def test_a_failing_worker_is_shown_to_the_user(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    app.conversation.services = dataclasses.replace(app.conversation.services, open_history=lambda p, s: _UnreadableHistory())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+r")  # the history view's reading worker raises
        await settle(pilot, app)
        shown = [n for n in app._notifications if n.severity == "error"]
        assert any("reading the history failed: RuntimeError: the log is unreadable" in n.message for n in shown)


async def test_an_unexpected_error_in_the_turn_is_shown_and_frees_the_prompt(app_factory: AppFactory, project: Path) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))

    async def broken_connect() -> object:
        raise ValueError("the prompt templates are missing")

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.conversation.connect = broken_connect  # type: ignore[method-assign]
        await send(pilot, "fix add")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen) and not screen.busy and screen.status.activity == "idle"
        assert any("the turn failed: ValueError: the prompt templates are missing" in n.message for n in app._notifications)


async def test_a_fenced_action_shows_its_code_once(app_factory: AppFactory, project: Path) -> None:
    fenced = "Let me fix it.\n```python\nsrc = open('calc.py').read().replace('a - b', 'a + b')\nopen('calc.py', 'w').write(src)\n```\n"
    with FakeOllama(replies=[fenced, ANSWER_REPLY]) as server:
        app = app_factory(settings_for(server.url))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add")
            await settle(pilot, app)
            reply = app.screen.query(AssistantReply).first()
            assert reply.text.strip() == "Let me fix it." and "open(" not in reply.text
            card = app.screen.query_one(ActionCard)
            assert card.state == "done" and "replace('a - b', 'a + b')" in card.code
    assert (project / "calc.py").read_text() == FIXED


async def test_the_transcript_shows_every_core_event(app_factory: AppFactory, project: Path) -> None:
    from codeact_tui.core.ports import ExecutionResult, GenerationStats, HistoryEntry

    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        view = screen.transcript
        await view.begin_turn("do it", manual=False)
        entry = HistoryEntry(1, "agent", "2026-11-25T09:00:00Z", "fix")
        future = asyncio.get_running_loop().create_future()
        future.set_result(ev.Approval("run"))  # already decided: only the card's state matters here
        events: list[ev.TurnEvent] = [
            ev.TurnStarted("t/1", "do it"), ev.ModelLoading("t/1", "m"), ev.ModelLoaded("t/1", "m", 2.0),
            ev.ContextUsage("t/1", 10, 100), ev.GenerationStarted("t/1", 1), ev.TextDelta("t/1", 1, "Prose.\n<execute>\nx = 1\n"),
            ev.AssistantMessage("t/1", 1, "Prose.\n<execute>\nx = 1\n</execute>", GenerationStats(tokens_per_s=9.0)),
            ev.CodeProposed("t/1", 1, "x = 1"), ev.ApprovalRequested("t/1", 1, "x = 1", future), ev.ExecutionStarted("t/1", 1, "x = 1"),
            ev.ExecutionOutput("t/1", 1, "stdout", "out\n"), ev.ExecutionFinished("t/1", 1, ExecutionResult("out\n", "", "ok")),
            ev.SnapshotTaken("t/1", 1, entry), ev.ObservationAdded("t/1", 1, "obs"), ev.ContextCompacted("t/1", 90, 40, 1, 0),
            ev.GenerationStarted("t/1", 2), ev.AssistantMessage("t/1", 2, "<execute>y</execute>", GenerationStats()),
            ev.CodeProposed("t/1", 2, "y"), ev.ActionSkipped("t/1", 2, "no"), ev.AnswerHeld("t/1", 2, "note"),
            ev.AnswerHeld("t/1", 2, "note", "tests_failing", "It is [b]correct[/b]."), ev.SamplingRaised("t/1", 2, 0.7),
            ev.StartedOver("t/1", 2, 2, 3, "1 passed, 2 failed", HistoryEntry(2, "agent", "2026-11-25T09:00:01Z", "restore")),
            ev.AttemptKept("t/1", 2, 1, 1, None), ev.TurnFinished("t/1", "solution", "Done.", 2),
            ev.TurnFailed("t/1", "limit", "too long", 2),
        ]
        for event in events:
            await view.show(event)
        await pilot.pause()
        kinds = [type(w).__name__ for w in view.children]
        assert kinds[-14:] == [
            "UserMessage", "Notice", "AssistantReply", "ActionCard", "Notice", "AssistantReply", "ActionCard", "Notice", "Notice", "Notice",
            "Notice", "Notice", "AnswerCard", "Notice",
        ]
        cards = list(view.query(ActionCard))
        assert [c.state for c in cards[-2:]] == ["done", "skipped"] and cards[-2].entry == entry
        assert view.query(UserMessage).last().turn_id == "t/1" and cards[-2].turn_id == "t/1"
        notices = [str(n.render()) for n in view.query(Notice)]
        assert any("loaded into memory in 2.0s" in n for n in notices)
        assert any("shortened to fit the context window (90 → 40 tokens)" in n for n in notices)
        assert any("the code it defined is only in the Python session: no file changed" in n for n in notices)
        assert any("its last test run failed and no file changed since" in n and n.endswith("It said: “It is [b]correct[/b].”") for n in notices)
        assert any("out of a rut, its next replies in this turn are sampled at temperature 0.7 or more" in n for n in notices)
        assert any("tests failing (1 passed, 2 failed); history entry 2 took its changes back. Starting over" in n for n in notices)
        assert any("Kept the files of attempt 1, the one with the most tests passing (1)." in n for n in notices)
        assert "Stopped at a limit: too long" in notices[-1]
        assert view.query_one(AnswerCard).answer == "Done."
