"""Start-up: the one-time sandbox compile shows progress while the app stays usable;
conversations can be continued."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest
from textual.widgets import OptionList

from codeact_tui.ui.app import make_app
from codeact_tui.ui.screens.approval import ApprovalScreen
from codeact_tui.ui.screens.history import HistoryScreen
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.screens.resume import ResumeScreen
from codeact_tui.conversation import Services
from codeact_tui.ui.widgets.action_card import ActionCard
from codeact_tui.ui.widgets.cards import AnswerCard, AssistantReply, Notice, UserMessage
from codeact_tui.ui.widgets.status import SandboxProgress
from tests.fakes.executor import InProcessExecutor
from tests.fakes.ollama_server import FakeOllama

from .conftest import ANSWER_REPLY, WRITE_REPLY, settings_for, settle, until

pytestmark = pytest.mark.anyio


async def test_first_compile_shows_progress_and_the_app_stays_usable(project: Path) -> None:
    release = threading.Event()
    reported = threading.Event()

    def slow_warm(on_progress: object) -> float:
        on_progress(3.0)  # type: ignore[operator]
        reported.set()
        release.wait(30)
        return 61.0

    services = dataclasses.replace(
        Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: False, warm_sandbox=slow_warm
    )
    with FakeOllama() as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(80, 24)) as pilot:
            main = app.screen
            assert isinstance(main, MainScreen)
            await until(pilot, lambda: reported.is_set() and main.query_one(SandboxProgress).has_class("-active"))
            progress = main.query_one(SandboxProgress)
            assert progress.has_class("-active") and "3s" in str(progress.query_one("#sandbox-label").render())
            assert main.status.sandbox == "compiling"
            await pilot.press("ctrl+r")  # usable meanwhile: the history opens
            await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            assert isinstance(app.screen, HistoryScreen)
            await pilot.press("escape")
            release.set()
            await settle(pilot, app)
            assert not progress.has_class("-active") and main.status.sandbox == "ready"


async def test_continue_redraws_the_last_conversation(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY, "<solution>again</solution>"]) as server:
        first = make_app(project, settings_for(server.url), services=services)
        async with first.run_test(size=(80, 24)) as pilot:
            await settle(pilot, first)
            for key in "fix":
                await pilot.press(key)
            await pilot.press("enter")
            await settle(pilot, first)
        again = make_app(project, settings_for(server.url), services=services, resume="latest")
        async with again.run_test(size=(80, 24)) as pilot:
            await settle(pilot, again)
            main = again.screen
            assert [w.text for w in main.query(UserMessage)] == ["fix"]
            assert main.query_one(AnswerCard).answer == "`add` now adds."
            assert again.conversation.connected
            assert [msg.content for msg in again.conversation.messages if msg.kind == "user"] == ["fix"]
            again.action_resume()
            await pilot.pause()
            assert isinstance(again.screen, ResumeScreen)
            await pilot.press("escape")


async def test_continue_skips_a_conversation_in_which_nothing_happened(project: Path) -> None:
    """Opening the app and quitting without a turn once made the latest conversation an empty
    one: `--continue` then resumed nothing, and the picker listed "(empty)"."""
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=["<solution>one</solution>"]) as server:
        first = make_app(project, settings_for(server.url), services=services)
        async with first.run_test(size=(80, 24)) as pilot:
            await settle(pilot, first)
            await pilot.press("f", "i", "x", "enter")
            await settle(pilot, first)
        idle = make_app(project, settings_for(server.url), services=services)
        async with idle.run_test(size=(80, 24)) as pilot:
            await settle(pilot, idle)
            assert idle.conversation.connected
            idle.action_resume()
            await pilot.pause()
            assert isinstance(idle.screen, ResumeScreen)
            listed = [str(option.prompt) for option in idle.screen.query_one(OptionList).options]
            assert len(listed) == 1 and listed[0].endswith("fix"), listed
            await pilot.press("escape")
        again = make_app(project, settings_for(server.url), services=services, resume="latest")
        async with again.run_test(size=(80, 24)) as pilot:
            await settle(pilot, again)
            assert [w.text for w in again.screen.query(UserMessage)] == ["fix"]


async def test_continue_with_nothing_to_continue_says_the_conversation_is_new(project: Path) -> None:
    """`--continue` in a project without conversations once opened a new one without a word."""
    from codeact_tui import cli
    from codeact_tui.ui.app import CodeActApp
    from codeact_tui.ui.launch import app_for

    parser = cli.build_parser()
    args = parser.parse_args(cli._with_app_default(parser, [str(project), "--continue"]))
    launched = app_for(args, settings_for("http://127.0.0.1:9"))
    assert isinstance(launched, CodeActApp) and launched.conversation.resume_id is None
    notice = "There is no earlier conversation in this project to continue: this one is new."
    assert launched.start_notices == [notice]
    # Shown once the app is up (built here with the in-process executor, as the other tests).
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    app = make_app(project, settings_for("http://127.0.0.1:9"), services=services)
    app.start_notices = launched.start_notices
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert notice in [str(n.message) for n in app._notifications]


async def test_picking_an_earlier_conversation_resumes_it(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=["<solution>one</solution>", "<solution>two</solution>"]) as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            for request in ("first", "second"):
                for key in request:
                    await pilot.press(key)
                await pilot.press("enter")
                await settle(pilot, app)
                if request == "first":
                    await pilot.press("ctrl+n")
                    await settle(pilot, app)
            main = app.screen
            assert [w.text for w in main.query(UserMessage)] == ["second"]
            app.action_resume()
            await pilot.pause()
            assert isinstance(app.screen, ResumeScreen)
            await pilot.press("down", "enter")  # the newest is first: the one before it
            await settle(pilot, app)
            assert app.screen is main and [w.text for w in main.query(UserMessage)] == ["first"]
            assert [msg.content for msg in app.conversation.messages if msg.kind == "user"] == ["first"]


async def test_a_conversation_of_only_a_manual_action_is_listed_by_its_code(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama() as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            for key in "!x = 41":
                await pilot.press(key if key != " " else "space")
            await pilot.press("enter")
            await settle(pilot, app)
            await pilot.press("ctrl+n")
            await settle(pilot, app)
            app.action_resume()
            await pilot.pause()
            assert isinstance(app.screen, ResumeScreen)
            listed = [str(option.prompt) for option in app.screen.query_one(OptionList).options]
            assert len(listed) == 1 and listed[0].endswith("manual: x = 41"), listed  # the new one, empty, is not listed
            await pilot.press("escape")


async def test_a_resumed_conversation_looks_like_the_live_one(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        first = make_app(project, settings_for(server.url), services=services)
        async with first.run_test(size=(100, 30)) as pilot:
            await settle(pilot, first)
            for key in "fix":
                await pilot.press(key)
            await pilot.press("enter")
            await settle(pilot, first)
            await pilot.press("ctrl+r")
            await settle(pilot, first)
            await pilot.press("u", "y")  # undo the action: the resumed card must say so
            await settle(pilot, first)
            live = first.screen_stack[1].query_one(ActionCard)
            assert live.undone
            await pilot.press("escape")
            for key in "!print(6*7)":
                await pilot.press(key)
            await pilot.press("enter")  # the user's own code is shown again too
            await settle(pilot, first)
        again = make_app(project, settings_for(server.url), services=services, resume="latest")
        async with again.run_test(size=(100, 30)) as pilot:
            await settle(pilot, again)
            main = again.screen
            assert isinstance(main, MainScreen)
            card, manual = main.query(ActionCard)
            assert manual.manual and "42" in manual.output_text() and manual.state == "done"
            assert [w.text for w in main.query(UserMessage)] == ["fix", "print(6*7)"] and main.query(UserMessage).last().has_class("-manual")
            assert card.state == "done" and card.result is not None and card.result.exit_code == 0
            assert "fixed" in card.output_text()
            assert card.entry_id == 1 and card.entry is not None and [c.path for c in card.entry.files] == ["calc.py"]
            assert card.undone and "history #1" in str(card._header()) and "undone" in str(card._header())
            assert [r.text.strip() for r in main.query(AssistantReply) if r.text.strip()] == ["I'll fix `calc.py`.", "Done."]
            assert main.query_one(AnswerCard).answer == "`add` now adds."
            assert main.status.context_used > 0 and main.status.context_window > 0
            card.focus()
            await pilot.press("d")
            await settle(pilot, again)
            history = again.screen
            assert isinstance(history, HistoryScreen)
            assert history.current_entry() is not None and history.current_entry().id == 1
            assert "+    return a + b" in history.diff_text


async def test_a_skipped_action_shows_skipped_again_on_resume(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        first = make_app(project, settings_for(server.url, approve="ask"), services=services)
        async with first.run_test(size=(100, 30)) as pilot:
            await settle(pilot, first)
            for key in "fix":
                await pilot.press(key)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(first.screen, ApprovalScreen) and first.focused is not None)
            await pilot.press("tab")
            for key in "not now":
                await pilot.press(key if key != " " else "space")
            await pilot.press("enter")  # skip, with that reason
            await settle(pilot, first)
            live = first.screen.query_one(ActionCard)
            assert live.state == "skipped"
        again = make_app(project, settings_for(server.url), services=services, resume="latest")
        async with again.run_test(size=(100, 30)) as pilot:
            await settle(pilot, again)
            card = again.screen.query_one(ActionCard)
            assert card.state == "skipped" and "src = open('calc.py')" in card.code
            assert card.notes == ("skipped: not now",)
            assert [w.text for w in again.screen.query(UserMessage)] == ["fix"]


async def test_a_transcript_from_before_output_was_kept_still_resumes(project: Path) -> None:
    import json

    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    folder = make_app(project, settings_for("http://127.0.0.1:9"), services=services).conversation.conversations_dir
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"type": "meta", "version": 1, "id": "20260101-000000-abcdef", "project": str(project), "model": "ollama:x", "created": "2026-01-01T00:00:00+00:00"},
        {"type": "message", "role": "user", "kind": "user", "content": "old ask", "turn_id": "t1"},
        {"type": "message", "role": "assistant", "kind": "assistant", "content": "Looking.\n<execute>\nprint(1)\n</execute>", "turn_id": "t1"},
        {"type": "action", "turn_id": "t1", "step": 1, "code": "print(1)", "status": "ok", "exit_code": 0, "stopped_by": None, "changed_files": [], "history_entry": None},
        {"type": "action", "turn_id": "t1", "step": 2, "code": "boom()", "status": "failed", "exit_code": None, "stopped_by": None, "changed_files": [], "history_entry": None},
        {"type": "turn", "turn_id": "t1", "steps": 2, "outcome": "failed", "reason": "executor", "message": "the sandbox failed"},
    ]
    (folder / "20260101-000000-abcdef.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"torn')
    app = make_app(project, settings_for("http://127.0.0.1:9"), services=services, resume="latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        cards = list(main.query(ActionCard))
        assert [c.state for c in cards] == ["done", "failed"] and cards[0].entry_id is None
        assert [r.text.strip() for r in main.query(AssistantReply) if r.text.strip()] == ["Looking."]
        assert any("the sandbox failed" in str(n.render()) for n in main.query(Notice))


async def test_a_long_transcript_keeps_the_newest_entries_on_screen(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codeact_tui.ui.widgets import transcript as transcript_module
    from codeact_tui.ui.widgets.cards import EarlierNote, Notice

    monkeypatch.setattr(transcript_module, "KEEP_ENTRIES", 10)
    monkeypatch.setattr(transcript_module, "TRIM_BATCH", 5)
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    app = make_app(project, settings_for("http://127.0.0.1:9"), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        main = app.screen
        for n in range(30):
            await main.add(Notice(f"note {n}"))
        entries = [w for w in main.transcript.children if not isinstance(w, EarlierNote)]
        assert len(entries) <= 15
        assert str(entries[-1].render()) == "note 29"
        note = main.query_one(EarlierNote)
        assert f"{main.transcript.hidden_entries} earlier entries" in str(note.render())


async def test_palette_lists_every_action_and_help_opens(project: Path) -> None:
    from codeact_tui.ui.screens.help import HelpScreen

    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    app = make_app(project, settings_for("http://127.0.0.1:9"), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"History", "Models", "Interrupt", "New conversation", "Resume a conversation", "Copy last answer",
                "Next theme", "Help", "Retry model connection"} <= titles
        assert "Key bindings" not in titles  # beside Textual's own "Keys" it read as the same thing
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        # The main screen's footer stays visible under the help: the help says how it closes.
        frame = app.screen.query_one("VerticalScroll")
        assert "Esc, q or F1 closes" in str(frame.border_subtitle)
        assert frame.region.bottom <= app.screen.region.bottom - 1  # the subtitle is on screen at 80×24
        await pilot.press("escape")
        before = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != before and app.theme in {"codeact-dark", "codeact-light"}


async def test_open_in_editor_runs_the_configured_command(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    calls: list[list[str]] = []
    monkeypatch.setattr("codeact_tui.ui.app.subprocess.run", lambda args, check: calls.append(args))
    settings = settings_for("http://127.0.0.1:9")
    settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, editor="myedit --wait"))
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    app = make_app(project, settings, services=services)
    monkeypatch.setattr(type(app), "suspend", lambda self: contextlib.nullcontext())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.open_in_editor("calc.py")
    assert calls == [["myedit", "--wait", str(project.resolve() / "calc.py")]]


async def test_a_turn_submitted_at_once_shares_the_start_up_model_check(project: Path) -> None:
    """The start-up check and a first user turn sent before it finished connect once: the
    model is checked (`/api/show`) and loaded once, one agent is composed (one transcript, one
    system prompt), and the second user turn still has the first in its conversation."""
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    replies = [WRITE_REPLY, ANSWER_REPLY, "<solution>again</solution>"]
    with FakeOllama(replies=replies, show_delay_s=0.4, load_delay_s=0.2) as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(80, 24)) as pilot:
            for key in "fix":
                await pilot.press(key)
            await pilot.press("enter")  # while the start-up check waits for the slow server
            main = app.screen
            assert isinstance(main, MainScreen)
            for _ in range(400):  # the start-up worker joins the connection under way
                if any(w.name == "checking the model" for w in app.workers):
                    break
                await pilot.pause(0.01)
            await settle(pilot, app)
            assert main.query_one(AnswerCard).answer == "`add` now adds."
            for key in "more":
                await pilot.press(key)
            await pilot.press("enter")
            await settle(pilot, app)
            conversations = list(app.conversation.conversations_dir.glob("*.jsonl"))
        shows = [body for method, path, body in server.requests if path == "/api/show"]
        assert len(shows) == 1, shows
        assert server.loads == 1
        assert len(conversations) == 1
        records = [json.loads(line) for line in conversations[0].read_text().splitlines()]
        assert sum(1 for r in records if r.get("kind") == "system") == 1
        last = server.chat_requests()[-1]["messages"]
        assert [m["content"] for m in last if m["role"] == "user"][0].endswith("fix")
        assert last[-1]["content"].endswith("more")


async def test_the_footer_names_what_esc_does_now(project: Path) -> None:
    """Idle, Esc goes back to the prompt and the footer says "Prompt"; while a turn runs it
    interrupts and the footer says "Interrupt" (it once said "Interrupt" with nothing running)."""
    from tests.fakes.ollama_server import Fault

    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=["<solution>done</solution>"], faults=[Fault("slow_first_token", delay_s=1.5)]) as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            assert main.active_bindings["escape"].binding.description == "Prompt"
            await pilot.press("h", "i", "enter")
            await until(pilot, lambda: main.busy)
            assert main.active_bindings["escape"].binding.description == "Interrupt"
            await settle(pilot, app)
            assert not main.busy and main.active_bindings["escape"].binding.description == "Prompt"
            main.query_one(AnswerCard).focus()
            await pilot.press("escape")
            assert app.focused is main.query_one("#prompt")
