"""The conversation service headless: user turns and manual actions as core events, the real
history store (real git) for undo, redo and restore, new and resumed conversations, approvals."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor
from fakes.turns import kinds

from codeact_tui.config import HistorySettings, Settings
from codeact_tui.conversation import Conversation, Services, SetupError, apply_overrides
from codeact_tui.conversation.rewind import RewindOutcome
from codeact_tui.core import events as ev
from codeact_tui.core.ports import ModelInfo, StateRestore, UnknownEntry
from codeact_tui.history import HistoryStore
from codeact_tui.llm.scripted import ScriptedModel
from tests.support import BROKEN, FIXED, calc_project

FIX = "I'll fix it.\n<execute>\n# fix add\nsrc = open('calc.py').read().replace('a - b', 'a + b')\nopen('calc.py', 'w').write(src)\n</execute>"
DONE = "<solution>fixed</solution>"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return calc_project(tmp_path)


def services(*models: ScriptedModel, executor: object | None = None, history: bool = True) -> Services:
    """Fakes for the model and the executor; the real history store unless `history` is False."""
    queue = list(models)
    return Services(
        make_model=lambda settings: queue.pop(0),
        make_executor=lambda project, settings: executor if executor is not None else InProcessExecutor(project),  # type: ignore[return-value]
        open_history=(lambda project, settings: HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0))) if history else (lambda p, s: None),
        sandbox_is_warm=lambda: True,
        repo_map=lambda project, settings, budget: "calc.py",
    )


async def started(conversation: Conversation) -> Conversation:
    """Open the history and the sandbox, as the front-ends do."""
    await asyncio.to_thread(conversation.open_history)
    await conversation.start_sandbox()
    return conversation


async def drain(events: AsyncIterator[ev.TurnEvent]) -> list[ev.TurnEvent]:
    return [event async for event in events]


def test_a_user_turn_acts_records_and_answers_then_undo_redo_restore(project: Path) -> None:
    async def go() -> None:
        conversation = await started(Conversation(project, Settings(), services(ScriptedModel([FIX, DONE]))))
        try:
            events = await drain(conversation.turn("fix add"))
            assert kinds(events)[0] == "turn_started" and kinds(events)[-1] == "turn_finished"
            assert (project / "calc.py").read_text() == FIXED
            (snapshot,) = [e for e in events if isinstance(e, ev.SnapshotTaken)]
            assert snapshot.entry is not None and snapshot.entry.kind == "agent" and snapshot.entry.turn_id == events[0].turn_id
            sent = conversation.model.requests[0]  # type: ignore[union-attr]
            assert "calc.py" in sent[0].content and sent[-1].content == "fix add"  # repo map, then the request

            undone = await conversation.undo()
            assert undone.ok and (project / "calc.py").read_text() == BROKEN
            assert await conversation.undone_ids() == {snapshot.entry.id}
            assert await conversation.redo_target() == snapshot.entry  # what the app offers to bring back
            redone = await conversation.redo()
            assert redone.ok and (project / "calc.py").read_text() == FIXED
            assert await conversation.undone_ids() == {undone.entry.id}  # the undo itself is taken back
            restored = await conversation.restore(0)  # back to before the first entry
            assert restored.ok and restored.entry is not None and (project / "calc.py").read_text() == BROKEN
            assert "+    return a + b" in await conversation.diff(snapshot.entry.id)
            assert [e.kind for e in await conversation.entries()] == ["agent", "undo", "redo", "restore"]
        finally:
            await conversation.close()

    asyncio.run(go())


def test_a_refused_undo_reports_its_conflicts_and_writes_nothing(project: Path) -> None:
    async def go() -> None:
        conversation = await started(Conversation(project, Settings(), services(ScriptedModel([FIX, DONE]))))
        try:
            await drain(conversation.turn("fix add"))
            (project / "calc.py").write_text("def add(a, b):\n    return b + a  # mine\n")
            refused = await conversation.undo()
            assert not refused.ok and [c.path for c in refused.conflicts] == ["calc.py"]
            assert refused.conflicts[0].hunks and "# mine" in refused.conflicts[0].hunks[0].current
            assert (project / "calc.py").read_text().endswith("# mine\n")
        finally:
            await conversation.close()

    asyncio.run(go())


def test_a_manual_action_is_a_turn_of_core_events_and_a_manual_entry(project: Path) -> None:
    async def go() -> None:
        conversation = await started(Conversation(project, Settings(), services()))
        try:
            events = await drain(conversation.manual("open('new.txt', 'w').write('hi')\nprint(6 * 7)"))
            assert kinds(events) == ["turn_started", "execution_started", "execution_finished", "snapshot_taken", "turn_finished"]
            output = [e for e in events if isinstance(e, ev.ExecutionOutput)]
            assert "".join(e.text for e in output) == "42\n" and {e.step for e in output} == {0}
            finished = events[-1]
            assert isinstance(finished, ev.TurnFinished) and finished.reason == "manual"
            (snapshot,) = [e for e in events if isinstance(e, ev.SnapshotTaken)]
            assert snapshot.entry is not None and snapshot.entry.kind == "manual"
            assert [c.path for c in snapshot.entry.files] == ["new.txt"]
            assert not conversation.connected  # no model was needed
        finally:
            await conversation.close()

    asyncio.run(go())


def test_a_manual_action_whose_sandbox_fails_ends_with_turn_failed(project: Path) -> None:
    executor = InProcessExecutor(project)
    executor.crash = RuntimeError("the sandbox went away")

    async def go() -> list[ev.TurnEvent]:
        conversation = await started(Conversation(project, Settings(), services(executor=executor, history=False)))
        try:
            return await drain(conversation.manual("print(1)"))
        finally:
            await conversation.close()

    events = asyncio.run(go())
    failed = events[-1]
    assert isinstance(failed, ev.TurnFailed) and failed.kind == "executor" and "went away" in failed.message


def test_interrupt_reaches_a_running_manual_action(project: Path) -> None:
    executor = InProcessExecutor(project)
    executor.hang = True

    async def go() -> list[ev.TurnEvent]:
        conversation = await started(Conversation(project, Settings(), services(executor=executor, history=False)))
        seen: list[ev.TurnEvent] = []
        try:
            async for event in conversation.manual("while True: pass"):
                seen.append(event)
                if isinstance(event, ev.ExecutionOutput):
                    conversation.interrupt()
            return seen
        finally:
            await conversation.close()

    events = asyncio.run(go())
    result = next(e.result for e in events if isinstance(e, ev.ExecutionFinished))
    assert result.status == "stopped" and executor.interrupts == 1


def test_always_approve_grants_approvals_without_asking(project: Path) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, agent=dataclasses.replace(settings.agent, approve="ask"))

    async def go() -> list[ev.TurnEvent]:
        conversation = await started(Conversation(project, settings, services(ScriptedModel([FIX, DONE]), history=False)))
        conversation.set_always_approve(True)
        try:
            return await drain(conversation.turn("fix add"))
        finally:
            await conversation.close()

    events = asyncio.run(go())
    assert not any(isinstance(e, ev.ApprovalRequested) for e in events)
    assert (project / "calc.py").read_text() == FIXED


def test_new_and_resumed_conversations(project: Path) -> None:
    async def go() -> None:
        first = await started(Conversation(project, Settings(), services(ScriptedModel(["<solution>7</solution>"]), history=False)))
        await drain(first.turn("remember 7"))
        first_id = first.transcript.id  # type: ignore[union-attr]
        first.new()
        assert first.messages == [] and first.transcript is None
        await first.close()

        again = Conversation(project, Settings(), services(ScriptedModel(["<solution>it was 7</solution>"]), history=False), resume="latest")
        again.load_resume()
        assert [m.content for m in again.messages if m.kind == "user"] == ["remember 7"]
        assert any(r.get("type") == "turn" for r in again.earlier_records)
        await started(again)
        await drain(again.turn("what number?"))
        assert again.transcript is not None and again.transcript.id == first_id  # continued, not copied
        assert [m.content for m in again.messages if m.kind == "user"] == ["remember 7", "what number?"]
        await again.close()

    asyncio.run(go())


def test_switching_the_model_keeps_the_conversation(project: Path) -> None:
    async def go() -> None:
        models = (ScriptedModel(["<solution>a</solution>"], name="one"), ScriptedModel(["<solution>b</solution>"], name="two"))
        conversation = await started(Conversation(project, Settings(), services(*models, history=False)))
        try:
            await drain(conversation.turn("first"))
            await conversation.switch_model("two")
            assert conversation.settings.model.model == "two" and conversation.info is None
            info = await conversation.connect()
            assert info.name == "two"
            await drain(conversation.turn("second"))
            sent = [m.content for m in models[1].requests[0]]
            assert "first" in sent and sent[-1] == "second"
        finally:
            await conversation.close()

    asyncio.run(go())


class SlowModel(ScriptedModel):
    """A scripted model whose check asks the server once per session, as the real backends'
    do, and takes a while; `prepared` counts the checks that asked."""

    prepared = 0
    _checked: ModelInfo | None = None

    async def prepare(self) -> ModelInfo:
        if self._checked is None:
            self.prepared += 1
            await asyncio.sleep(0.05)
            self._checked = await super().prepare()
        return self._checked


def test_callers_at_the_same_time_share_one_connection(project: Path) -> None:
    """Start-up's check and a quick first user turn: one check, one repo map, one agent."""
    maps: list[int] = []

    async def go() -> None:
        model = SlowModel(["<solution>a</solution>", "<solution>b</solution>"])
        counted = dataclasses.replace(services(model, history=False), repo_map=lambda p, s, budget: maps.append(budget) or "calc.py")
        conversation = await started(Conversation(project, Settings(), counted))
        try:
            first = asyncio.create_task(drain(conversation.turn("first")))
            infos = await asyncio.gather(conversation.ensure_connected(), conversation.connect())
            await first
            assert infos[0] == infos[1] and model.prepared == 1 and len(maps) == 1
            assert conversation.connected and await conversation.ensure_connected() == infos[0]
            await drain(conversation.turn("second"))
            sent = [m.content for m in model.requests[1]]
            assert "first" in sent and sent[-1] == "second"  # the agent the first turn used goes on
            assert model.prepared == 1
        finally:
            await conversation.close()

    asyncio.run(go())


def test_switching_the_model_abandons_a_connection_under_way(project: Path) -> None:
    async def go() -> None:
        one, two = SlowModel([], name="one"), ScriptedModel(["<solution>b</solution>"], name="two")
        conversation = await started(Conversation(project, Settings(), services(one, two, history=False)))
        try:
            checking = asyncio.create_task(conversation.connect())
            await asyncio.sleep(0.01)
            await conversation.switch_model("two")
            with pytest.raises(asyncio.CancelledError):
                await checking
            assert not conversation.connected
            assert (await conversation.ensure_connected()).name == "two"
            events = await drain(conversation.turn("go"))
            assert kinds(events)[-1] == "turn_finished" and two.requests
        finally:
            await conversation.close()

    asyncio.run(go())


def test_sandbox_that_cannot_start_is_a_setup_error_with_its_reason(project: Path) -> None:
    class Broken(InProcessExecutor):
        async def start(self) -> None:
            raise RuntimeError("wasmtime is missing")

    async def go() -> str:
        conversation = Conversation(project, Settings(), services(executor=Broken(project), history=False))
        try:
            with pytest.raises(SetupError, match="wasmtime is missing"):
                await conversation.start_sandbox()
            events = await drain(conversation.manual("print(1)"))
            failed = events[-1]
            assert isinstance(failed, ev.TurnFailed)
            return failed.message
        finally:
            await conversation.close()

    assert "the sandbox is not available: wasmtime is missing" in asyncio.run(go())


def test_the_compile_reports_progress_from_zero(project: Path) -> None:
    reported: list[float] = []

    def warm(on_progress: object) -> float:
        on_progress(12.0)  # type: ignore[operator]
        return 61.0

    async def go() -> float | None:
        base = services(history=False)
        conversation = Conversation(project, Settings(), dataclasses.replace(base, sandbox_is_warm=lambda: False, warm_sandbox=warm))
        try:
            return await conversation.start_sandbox(reported.append)
        finally:
            await conversation.close()

    assert asyncio.run(go()) == 61.0 and reported == [0.0, 12.0]


def test_the_history_commands_operations_through_the_service(project: Path) -> None:
    """What `codeact-tui history/diff` use: existence without creating, one entry, a diff
    between two points, the store's size, pruning; an unknown id is the port's UnknownEntry."""

    async def go() -> None:
        conversation = Conversation(project, Settings(), services(ScriptedModel([FIX, DONE])))
        assert not conversation.history_exists() and conversation.history_size() is None
        await started(conversation)
        try:
            assert conversation.history_exists()
            events = await drain(conversation.turn("fix add"))
            (snapshot,) = [e for e in events if isinstance(e, ev.SnapshotTaken)]
            assert snapshot.entry is not None
            assert await conversation.entry(snapshot.entry.id) == snapshot.entry
            assert "+    return a + b" in await conversation.diff_between(0, snapshot.entry.id)
            assert await conversation.diff_between(snapshot.entry.id, snapshot.entry.id) == ""
            size = conversation.history_size()
            assert size is not None and size[0] > 0 and size[1] is None
            assert await conversation.prune() == 0  # keep_days 0 keeps everything
            with pytest.raises(UnknownEntry, match="#99"):
                await conversation.entry(99)
        finally:
            await conversation.close()

    asyncio.run(go())


def test_history_calls_say_why_when_there_is_no_history(project: Path) -> None:
    def unusable(project: Path, settings: Settings) -> None:
        raise OSError("read-only file system")

    async def go() -> None:
        conversation = Conversation(project, Settings(), dataclasses.replace(services(), open_history=unusable))
        conversation.open_history()
        assert conversation.history_error == "read-only file system"
        with pytest.raises(SetupError, match="read-only file system"):
            await conversation.entries()

    asyncio.run(go())


def test_undo_redo_and_restore_by_verb_name_their_target_first(project: Path) -> None:
    """What the app asks before a plain undo or redo: the entry it acts on, then the change by
    verb; with nothing to act on, the change itself says why."""

    async def go() -> None:
        conversation = await started(Conversation(project, Settings(), services(ScriptedModel([FIX, DONE]))))
        try:
            assert await conversation.change_target("undo") is None
            nothing = await conversation.change("undo")
            assert not nothing.ok and nothing.message
            events = await drain(conversation.turn("fix add"))
            (snapshot,) = [e for e in events if isinstance(e, ev.SnapshotTaken)]
            assert await conversation.change_target("undo") == snapshot.entry
            assert await conversation.change_target("redo") is None
            undone = await conversation.change("undo", snapshot.entry.id)  # type: ignore[union-attr]
            assert undone.ok and (project / "calc.py").read_text() == BROKEN
            assert await conversation.change_target("redo") == snapshot.entry
            assert (await conversation.change("redo")).ok and (project / "calc.py").read_text() == FIXED
            assert (await conversation.change("restore", 0)).ok and (project / "calc.py").read_text() == BROKEN
            with pytest.raises(ValueError, match="restore"):
                await conversation.change("restore")
        finally:
            await conversation.close()

    asyncio.run(go())


def test_the_history_problem_says_why_the_history_cannot_be_used(project: Path) -> None:
    def unusable(project: Path, settings: Settings) -> None:
        raise OSError("read-only file system")

    opening = Conversation(project, Settings(), services())
    assert opening.history_problem == "no history: it is still opening"
    broken = Conversation(project, Settings(), dataclasses.replace(services(), open_history=unusable))
    broken.open_history()
    assert broken.history_problem == "no history: read-only file system"
    opening.open_history()
    assert opening.history_problem is None
    assert opening.history is not None
    opening.history.close()


def test_a_user_turn_is_found_by_its_id(project: Path) -> None:
    async def go() -> None:
        conversation = await started(Conversation(project, Settings(), services(ScriptedModel(["<solution>1</solution>", "<solution>2</solution>"]), history=False)))
        try:
            first = await drain(conversation.turn("one"))
            second = await drain(conversation.turn("two"))
            assert conversation.turn_number(second[0].turn_id) == 2
            assert conversation.turn_number(first[0].turn_id) == 1
            assert conversation.turn_number("no-such-turn") is None and conversation.turn_number(None) is None
        finally:
            await conversation.close()

    asyncio.run(go())


def test_what_the_python_session_holds_is_said_in_words(project: Path) -> None:
    """After a rewind: what came back at once, else what a resume will bring; after a restore:
    nothing to say until one ran."""
    later = RewindOutcome(True, "rewound", state_plan="variables kept: total")
    assert later.session_text == "Python session: variables kept: total."
    now = RewindOutcome(True, "rewound", state=StateRestore(restored=("total",)), state_where="to before turn 2")
    assert now.session_text.startswith("The Python session was restored to before turn 2.") and "Defined again: total." in now.session_text

    conversation = Conversation(project, Settings(), services())
    assert conversation.restore_text(None) is None  # nothing was to be restored
    conversation.last_restore_where = "to where the resumed conversation ended"
    assert "Defined again: x." in (conversation.restore_text(StateRestore(restored=("x",))) or "")


def test_a_new_conversation_before_the_sandbox_is_up_waits_for_nothing(project: Path) -> None:
    """A session not started yet has no variables: the next user turn must not wait for it."""
    conversation = Conversation(project, Settings(), services())
    conversation.new()
    assert not conversation.restore_pending


def test_command_line_overrides_apply_once_for_every_front_end() -> None:
    settings = Settings()
    args = argparse.Namespace(backend="openai", host=None, model="m", approve="ask", max_turns=None, json=True)
    changed = apply_overrides(settings, args)
    assert (changed.model.backend, changed.model.host, changed.model.model) == ("openai", settings.model.host, "m")
    assert changed.agent.approve == "ask" and changed.agent.max_turns == settings.agent.max_turns
    app_args = argparse.Namespace(backend=None, host="http://h:1", model=None, approve=None)  # no --max-turns
    assert apply_overrides(settings, app_args).model.host == "http://h:1"


@pytest.mark.parametrize("command", [["run", "fix it"], ["app"], []])
def test_auto_test_is_on_unless_the_command_line_or_the_settings_turn_it_off(command: list[str]) -> None:
    from codeact_tui import cli

    parser = cli.build_parser()

    def agent_of(*flags: str, settings: Settings = Settings()) -> bool:
        args = parser.parse_args(cli._with_app_default(parser, [*command, *flags]))
        return apply_overrides(settings, args).agent.auto_test

    off = dataclasses.replace(Settings(), agent=dataclasses.replace(Settings().agent, auto_test=False))
    assert agent_of() is True and agent_of("--no-auto-test") is False
    assert agent_of(settings=off) is False and agent_of("--auto-test", settings=off) is True


@pytest.mark.parametrize("command", [["run", "fix it"], ["app"], []])
def test_fresh_attempts_come_from_the_settings_unless_the_command_line_says(command: list[str]) -> None:
    from codeact_tui import cli

    parser = cli.build_parser()

    def attempts(*flags: str) -> int:
        args = parser.parse_args(cli._with_app_default(parser, [*command, *flags]))
        return apply_overrides(Settings(), args).agent.fresh_attempts

    assert attempts() == 2 and attempts("--fresh-attempts", "0") == 0 and attempts("--fresh-attempts", "5") == 5


# --- keeping the model in the know --------------------------------------------------------------


def _file_list_map(project: Path, settings: Settings, budget: int) -> str:
    """A repo map that is just the project's files (so a new file changes it)."""
    return "\n".join(sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()))


def test_the_next_user_message_says_what_changed_and_the_system_prompt_stays_the_same(project: Path) -> None:
    model = ScriptedModel([FIX, DONE, "<solution>noted</solution>"])

    async def go() -> None:
        base = services(model)
        conversation = await started(Conversation(project, Settings(), dataclasses.replace(base, repo_map=_file_list_map)))
        try:
            await drain(conversation.turn("fix add"))
            undone = await conversation.undo()  # back to a - b
            assert undone.ok
            (project / "calc.py").write_text(BROKEN + "\n\ndef sub(a, b):\n    return a - b\n")  # the user's own edit
            await drain(conversation.manual("open('notes.txt', 'w').write('n')\nprint('made notes')"))
            await drain(conversation.turn("what now?"))
        finally:
            await conversation.close()

    asyncio.run(go())
    first, last = model.requests[0], model.requests[-1]
    assert first[0].content == last[0].content  # byte-stable system prompt: the server's prefix cache holds
    message = last[-1].content
    assert message.endswith("[Request]\nwhat now?") and message.startswith("[What changed since your last action, not by you:")
    assert "The user undid #1 (fix add)" in message and "calc.py (modified)" in message
    assert "The user edited files" in message and "calc.py (modified, +4 -0)" in message
    assert "The user ran this code in the sandbox; it ran:\n    open('notes.txt', 'w').write('n')" in message
    assert "made notes" in message and "notes.txt (added)" in message
    assert message.index("undid #1") < message.index("edited files") < message.index("ran this code")  # in order
    assert "The repo map changed (+ new, - gone):\n+ notes.txt" in message
    # The model's own action is not news to it, and the first request had nothing to report.
    assert "action changed files" not in message and message.count("- The user") == 3
    assert first[-1].content == "fix add"


def test_an_approved_action_the_user_edited_is_reported(project: Path) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, agent=dataclasses.replace(settings.agent, approve="ask"))
    model = ScriptedModel([FIX, DONE, "<solution>ok</solution>"])
    edited = "open('calc.py', 'w').write('def add(a, b):\\n    return b + a\\n')"

    async def go() -> None:
        conversation = await started(Conversation(project, settings, services(model, history=False)))
        try:
            async for event in conversation.turn("fix add"):
                if isinstance(event, ev.ApprovalRequested):
                    event.future.set_result(ev.Approval("run", code=edited))
            await drain(conversation.turn("thanks"))
        finally:
            await conversation.close()

    asyncio.run(go())
    message = model.requests[-1][-1].content
    assert "The user edited the action of your reply 1 before it ran; this ran instead:" in message
    assert "return b + a" in message and message.endswith("[Request]\nthanks")


def test_nothing_changed_means_no_briefing(project: Path) -> None:
    model = ScriptedModel(["<solution>a</solution>", "<solution>b</solution>"])

    async def go() -> None:
        base = services(model)
        conversation = await started(Conversation(project, Settings(), dataclasses.replace(base, repo_map=_file_list_map)))
        try:
            await drain(conversation.turn("one"))
            await drain(conversation.turn("two"))
        finally:
            await conversation.close()

    asyncio.run(go())
    assert model.requests[-1][-1].content == "two"


def test_a_resumed_conversation_hears_of_edits_made_since_its_last_action(project: Path) -> None:
    async def go() -> None:
        first = await started(Conversation(project, Settings(), services(ScriptedModel([FIX, DONE]))))
        await drain(first.turn("fix add"))
        await first.close()
        (project / "calc.py").write_text(FIXED + "# reviewed\n")  # between the two sessions
        model = ScriptedModel(["<solution>seen</solution>"])
        again = Conversation(project, Settings(), services(model), resume="latest")
        again.load_resume()
        await started(again)
        try:
            await drain(again.turn("go on"))
        finally:
            await again.close()
        message = model.requests[0][-1].content
        assert "The user edited files" in message and "calc.py (modified, +1 -0)" in message

    asyncio.run(go())
