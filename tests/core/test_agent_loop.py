"""Core turns with a scripted model and an in-process executor: event order, files on disk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor, TrivialExecutor
from fakes.history import FakeHistory
from fakes.turns import collect, kinds, run_turn

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.ports import ModelSetupError, ModelStreamError
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.core.transcript import Transcript, load_messages
from codeact_tui.llm.scripted import ScriptedModel


def make_agent(model: ScriptedModel, project: Path, prompts: PromptLibrary, **options: object) -> tuple[Agent, InProcessExecutor, FakeHistory]:
    executor = InProcessExecutor(project)
    history = FakeHistory(project)
    agent = Agent(
        model=model,
        executor=executor,
        history=history,
        prompts=prompts,
        system_prompt="You act with <execute> blocks.",
        options=AgentOptions(**options),  # type: ignore[arg-type]
    )
    return agent, executor, history


def test_self_debugging_trajectory_error_fix_answer(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(
        [
            "I'll sum the numbers.\n<execute>\n# sum the numbers\ntotal = sum(int(x) for x in open('data.txt').readlines()\nprint(total)\n</execute>",
            "A syntax error; fix it.\n<execute>\n# sum the numbers, fixed\ntotal = sum(int(x) for x in open('data.txt'))\nopen('total.txt', 'w').write(str(total))\nprint(total)\n</execute>",
            "<solution>The total is 12; written to total.txt.</solution>",
        ]
    )
    agent, executor, history = make_agent(model, project, prompts)
    events = run_turn(agent, "Sum data.txt into total.txt")

    assert kinds(events) == [
        "turn_started",
        "context_usage", "generation_started", "assistant_message", "code_proposed",
        "execution_started", "execution_finished", "snapshot_taken", "observation_added",
        "context_usage", "generation_started", "assistant_message", "code_proposed",
        "execution_started", "execution_finished", "snapshot_taken", "observation_added",
        "context_usage", "generation_started", "assistant_message",
        "turn_finished",
    ]
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished)
    assert finished.reason == "solution" and finished.answer == "The total is 12; written to total.txt."
    assert finished.steps == 3
    assert (project / "total.txt").read_text() == "12"

    results = [e.result for e in events if isinstance(e, ev.ExecutionFinished)]
    assert [r.status for r in results] == ["error", "ok"]
    assert "SyntaxError" in results[0].stderr
    observations = [e.text for e in events if isinstance(e, ev.ObservationAdded)]
    assert "SyntaxError" in observations[0] and "failed" in observations[0]
    assert "12" in observations[1] and "added: total.txt" in observations[1]
    # The second request carried the error back to the model as a user turn.
    assert model.requests[1][-1].role == "user" and "SyntaxError" in model.requests[1][-1].content
    # Every action went through the history, linked to the turn.
    turn_id = events[0].turn_id
    assert [t.kind for t in history.begun] == ["agent", "agent"]
    assert all(t.turn_id == turn_id for t in history.begun)
    assert history.begun[1].summary == "sum the numbers, fixed"
    snapshots = [e.entry for e in events if isinstance(e, ev.SnapshotTaken)]
    assert snapshots[0] is None and snapshots[1] is not None and snapshots[1].turn_id == turn_id
    # Every request asked to stop after the action.
    assert all(stop == ("</execute>",) for stop in model.stops)


def test_closing_tag_lost_to_stop_sequence_still_runs(project: Path, prompts: PromptLibrary) -> None:
    # The scripted model honours the stop sequence, so the reply arrives without </execute>.
    model = ScriptedModel(["<execute>\nprint('hello')\n</execute>", "<solution>ok</solution>"])
    agent, executor, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "say hello")
    proposed = next(e for e in events if isinstance(e, ev.CodeProposed))
    assert proposed.code == "print('hello')" and proposed.repaired
    assert executor.codes == ["print('hello')"]
    assistant = next(e for e in events if isinstance(e, ev.AssistantMessage))
    assert assistant.text.endswith("</execute>")


def test_stream_is_closed_once_the_action_is_complete(project: Path, prompts: PromptLibrary) -> None:
    """A server that ignores the stop sequence: nothing after the first action is run or kept."""

    class NoStopModel(ScriptedModel):
        def stream(self, messages, *, stop=(), sampling=None):  # type: ignore[no-untyped-def]
            return super().stream(messages, stop=(), sampling=sampling)

    model = NoStopModel(["<execute>print(1)</execute>\n<execute>print(2)</execute> more text", "<solution>1</solution>"], chunk_size=3)
    agent, executor, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "go")
    assert executor.codes == ["print(1)"]
    assistant = next(e for e in events if isinstance(e, ev.AssistantMessage))
    assert assistant.text == "<execute>print(1)\n</execute>"
    streamed = "".join(e.text for e in events if isinstance(e, ev.TextDelta) and e.step == 1)
    assert streamed == "<execute>print(1)</execute>"
    assert model.closed_streams == 1


def test_fenced_block_counts_as_action(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["```python\nprint(6 * 7)\n```", "<solution>42</solution>"])
    agent, executor, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "compute")
    assert executor.codes == ["print(6 * 7)"]
    assert next(e for e in events if isinstance(e, ev.CodeProposed)).fenced
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and finished.answer == "42"


def test_reply_without_code_ends_the_turn(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["Hello! What should I do?"])
    agent, executor, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "hi")
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].reason == "reply"
    assert executor.codes == []


def test_turn_limit(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([f"<execute>print({n})</execute>" for n in range(3)])
    agent, executor, _ = make_agent(model, project, prompts, max_turns=3)
    events = run_turn(agent, "loop forever")
    failed = events[-1]
    assert isinstance(failed, ev.TurnFailed) and failed.kind == "limit" and failed.steps == 3
    assert len(executor.codes) == 3


def test_live_output_is_streamed_as_events(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>\nfor i in range(3):\n    print(i)\n</execute>", "<solution>done</solution>"])
    agent, _, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "count")
    output = "".join(e.text for e in events if isinstance(e, ev.ExecutionOutput))
    assert output == "0\n1\n2\n"
    started = next(i for i, e in enumerate(events) if isinstance(e, ev.ExecutionStarted))
    finished = next(i for i, e in enumerate(events) if isinstance(e, ev.ExecutionFinished))
    assert all(started < i < finished for i, e in enumerate(events) if isinstance(e, ev.ExecutionOutput))


def test_text_after_the_action_is_not_read(project: Path, prompts: PromptLibrary) -> None:
    class NoStopModel(ScriptedModel):
        def stream(self, messages, *, stop=(), sampling=None):  # type: ignore[no-untyped-def]
            return super().stream(messages, stop=(), sampling=sampling)

    # A server that ignores the stop sequence: the text after the action is cut by the agent.
    model = NoStopModel(["<execute>print(1)</execute>\nNow the answer is 1.", "<solution>1</solution>"], chunk_size=4)
    agent, _, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "go")
    message = next(e for e in events if isinstance(e, ev.AssistantMessage))
    assert message.text == "<execute>print(1)\n</execute>"
    assert model.closed_streams == 1


def test_a_closed_fence_ends_generation_like_the_closing_tag(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["Let me look.\n```python\nprint(1)\n```\nNow the answer is 1, and more text.", "<solution>1</solution>"], chunk_size=4)
    agent, executor, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "go")
    message = next(e for e in events if isinstance(e, ev.AssistantMessage))
    assert message.text == "Let me look.\n```python\nprint(1)\n```"
    assert message.prose == "Let me look."  # the code is shown once: in the action, not also in the prose
    assert model.closed_streams == 1 and executor.codes == ["print(1)"]
    assert isinstance(events[-1], ev.TurnFinished)
    # The stream closed before the server could report usage: the kept reply is counted instead.
    assert message.stats.completion_tokens == model.count_tokens(message.text) > 0


def test_plan_mode_runs_actions_without_asking(project: Path, prompts: PromptLibrary) -> None:
    # The executor is read-only in plan mode (tests/executor/test_plan_mode.py runs it for real):
    # the agent runs each action at once and the turn ends with the model's plan.
    model = ScriptedModel(["<execute>print(open('data.txt').read())</execute>", "<solution>Plan: add a total.</solution>"])
    agent, executor, _ = make_agent(model, project, prompts, approve="plan")
    events = run_turn(agent, "plan a total")
    assert "approval_requested" not in kinds(events) and executor.codes == ["print(open('data.txt').read())"]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "Plan: add a total."


def test_ask_mode_run_with_edited_code(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print('model')</execute>", "<solution>ok</solution>"])
    agent, executor, _ = make_agent(model, project, prompts, approve="ask")

    def answer(event: ev.Event) -> None:
        if isinstance(event, ev.ApprovalRequested):
            assert event.code == "print('model')"
            event.future.set_result(ev.Approval("run", code="print('edited')"))

    events = asyncio.run(collect(agent, "go", answer))
    assert executor.codes == ["print('edited')"]
    assert isinstance(events[-1], ev.TurnFinished)


def test_ask_mode_skip_tells_the_model(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>import shutil</execute>", "<solution>skipped</solution>"])
    agent, executor, _ = make_agent(model, project, prompts, approve="ask")

    def answer(event: ev.Event) -> None:
        if isinstance(event, ev.ApprovalRequested):
            event.future.set_result(ev.Approval("skip", reason="Not now."))

    events = asyncio.run(collect(agent, "go", answer))
    assert executor.codes == []
    assert "action_skipped" in kinds(events)
    assert "declined" in model.requests[1][-1].content and "Not now." in model.requests[1][-1].content


def test_ask_mode_stop_ends_turn(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print(1)</execute>"])
    agent, executor, _ = make_agent(model, project, prompts, approve="ask")

    def answer(event: ev.Event) -> None:
        if isinstance(event, ev.ApprovalRequested):
            event.future.set_result(ev.Approval("stop"))

    events = asyncio.run(collect(agent, "go", answer))
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted"
    assert executor.codes == []


def test_model_loading_is_reported_before_generating(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<solution>hi</solution>", "<solution>again</solution>"], loaded=False)
    agent, _, _ = make_agent(model, project, prompts)
    first = kinds(run_turn(agent, "a"))
    assert first[:3] == ["turn_started", "model_loading", "model_loaded"]
    assert first.index("model_loaded") < first.index("generation_started")
    second = kinds(run_turn(agent, "b"))
    assert "model_loading" not in second
    assert model.loads == 1


def test_setup_error_fails_turn_with_setup_kind(project: Path, prompts: PromptLibrary) -> None:
    class Missing(ScriptedModel):
        async def prepare(self):  # type: ignore[no-untyped-def]
            raise ModelSetupError("model 'x' is not installed; run: ollama pull x")

    agent, _, _ = make_agent(Missing([]), project, prompts)
    events = run_turn(agent, "go")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "setup"
    assert "ollama pull x" in events[-1].message


def test_stream_error_fails_turn_and_next_turn_works(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([ModelStreamError("connection cut"), "<solution>back</solution>"])
    agent, _, _ = make_agent(model, project, prompts)
    events = run_turn(agent, "go")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "model"
    assert "connection cut" in events[-1].message
    events = run_turn(agent, "again")
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "back"


def test_a_backend_that_refuses_the_call_ends_the_turn_instead_of_hanging(project: Path, prompts: PromptLibrary) -> None:
    class OldSignature(ScriptedModel):
        def stream(self, messages, *, stop=()):  # type: ignore[no-untyped-def, override]  # no `sampling`
            return super().stream(messages, stop=stop)

    agent, _, _ = make_agent(OldSignature(["<solution>x</solution>"]), project, prompts)
    with pytest.raises(TypeError, match="sampling"):
        asyncio.run(asyncio.wait_for(collect(agent, "go"), timeout=30))


def test_history_failure_refuses_to_run(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>open('y','w')</execute>"])
    executor = InProcessExecutor(project)
    agent = Agent(model=model, executor=executor, history=FakeHistory(project, fail_begin=True), prompts=prompts, system_prompt="s")
    events = run_turn(agent, "go")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "history"
    assert "disk full" in events[-1].message
    assert executor.codes == []


def test_executor_crash_fails_turn(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print(1)</execute>"])
    agent, executor, _ = make_agent(model, project, prompts)
    executor.crash = RuntimeError("wasm trap")
    events = run_turn(agent, "go")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "executor"
    assert "wasm trap" in events[-1].message


def test_interrupt_during_execution(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>while True: pass</execute>"])
    agent, executor, _ = make_agent(model, project, prompts)
    executor.hang = True

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.ExecutionOutput):
            agent.interrupt()

    events = asyncio.run(collect(agent, "spin", on_event))
    assert executor.interrupts == 1
    finished = next(e for e in events if isinstance(e, ev.ExecutionFinished))
    assert finished.result.status == "stopped"
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted"
    # The observation was kept, so the model learns what happened next turn.
    assert agent.messages[-1].kind == "observation" and "stopped by interrupt" in agent.messages[-1].content


def test_interrupt_during_generation_closes_stream_and_next_turn_works(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["a" * 400, "<solution>fine</solution>"], chunk_size=4, delay_s=0.001)
    agent, _, _ = make_agent(model, project, prompts)
    count = 0

    def on_event(event: ev.Event) -> None:
        nonlocal count
        if isinstance(event, ev.TextDelta):
            count += 1
            if count == 3:
                agent.interrupt()

    async def both() -> tuple[list[ev.Event], list[ev.Event]]:
        first = await collect(agent, "write a lot", on_event)
        second = await collect(agent, "again")
        return first, second

    first, second = asyncio.run(both())
    assert isinstance(first[-1], ev.TurnFailed) and first[-1].kind == "interrupted"
    assert model.closed_streams == 1
    assert isinstance(second[-1], ev.TurnFinished) and second[-1].answer == "fine"


def test_consumer_closing_generator_stops_action(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>spin()</execute>"])
    agent, executor, history = make_agent(model, project, prompts)
    executor.hang = True

    async def go() -> None:
        turn = agent.run_turn("spin")
        async for event in turn:
            if isinstance(event, ev.ExecutionOutput):
                break
        await turn.aclose()

    asyncio.run(go())
    assert executor.interrupts == 1
    assert len(history.begun) == 1 and history.finished == 1  # no dangling snapshot


def test_transcript_records_turn_and_resumes(project: Path, prompts: PromptLibrary, tmp_path: Path) -> None:
    conversations = tmp_path / "conversations"
    transcript = Transcript.create(conversations, project=str(project), model="scripted")
    model = ScriptedModel(["<execute>open('a.txt','w').write('a')</execute>", "<solution>wrote a</solution>"])
    executor = InProcessExecutor(project)
    history = FakeHistory(project)
    agent = Agent(model=model, executor=executor, history=history, prompts=prompts, system_prompt="sys", transcript=transcript)
    events = run_turn(agent, "write a")
    transcript.close()
    records = [json.loads(line) for line in transcript.path.read_text().splitlines()]
    types = [r["type"] for r in records]
    assert types[0] == "meta" and types[-1] == "turn"
    action = next(r for r in records if r["type"] == "action")
    assert action["history_entry"] == 1 and action["turn_id"] == events[0].turn_id == f"{transcript.id}/1"
    assert records[-1]["outcome"] == "finished" and records[-1]["answer"] == "wrote a"

    resumed = load_messages(transcript.path)
    assert [m.kind for m in resumed] == ["system", "user", "assistant", "observation", "assistant"]
    model2 = ScriptedModel(["<solution>still here</solution>"])
    agent2 = Agent(
        model=model2, executor=executor, history=history, prompts=prompts, system_prompt="new sys",
        transcript=Transcript.open(transcript.path), resume=resumed,
    )
    events2 = run_turn(agent2, "and now?")
    assert events2[0].turn_id.endswith("/2")
    sent = model2.requests[0]
    assert sent[0].content == "new sys" and sent[1].content == "write a" and sent[-1].content == "and now?"


def test_event_to_dict_is_json_ready(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print(1)</execute>", "<solution>1</solution>"])
    agent, _, _ = make_agent(model, project, prompts)
    for event in run_turn(agent, "x"):
        data = ev.event_to_dict(event)
        json.dumps(data)
        assert data["type"] == ev.event_type(event)


def test_trivial_executor_turn(prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>pass</execute>", "<solution>ok</solution>"])
    agent = Agent(model=model, executor=TrivialExecutor(), history=None, prompts=prompts, system_prompt="s")
    assert isinstance(run_turn(agent, "x")[-1], ev.TurnFinished)


@pytest.mark.parametrize("reply", ["", "   \n"])
def test_empty_reply_fails(project: Path, prompts: PromptLibrary, reply: str) -> None:
    agent, _, _ = make_agent(ScriptedModel([reply]), project, prompts)
    events = run_turn(agent, "x")
    assert isinstance(events[-1], ev.TurnFailed) and "empty" in events[-1].message


def test_approve_mode_can_change_between_turns(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print(1)</execute>", "<execute>print(2)</execute>", "<solution>ok</solution>"])
    agent, executor, _ = make_agent(model, project, prompts, approve="plan")
    modes: list[str] = []
    executor.set_mount_mode = modes.append  # type: ignore[attr-defined]
    run_turn(agent, "plan")
    agent.set_approve_mode("auto")
    assert agent.options.approve == "auto" and modes == ["live"]
    run_turn(agent, "now do it")
    assert executor.codes == ["print(1)", "print(2)"]
    agent.set_approve_mode("plan")
    assert modes == ["live", "read-only"]


def test_interrupt_while_the_model_loads(project: Path, prompts: PromptLibrary) -> None:
    class SlowLoad(ScriptedModel):
        async def load(self) -> float:
            await asyncio.sleep(30)
            return 30.0

    model = SlowLoad(["<solution>x</solution>"], loaded=False)
    agent, _, _ = make_agent(model, project, prompts)

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.ModelLoading):
            asyncio.get_running_loop().call_later(0.05, agent.interrupt)

    events = asyncio.run(asyncio.wait_for(collect(agent, "go", on_event), 10))
    assert kinds(events) == ["turn_started", "model_loading", "turn_failed"]
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted" and "loading" in events[-1].message


def test_interrupt_between_steps_sends_no_further_request(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<execute>print(1)</execute>", "<solution>never</solution>"])
    agent, _, _ = make_agent(model, project, prompts)

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.ContextUsage) and len(model.requests) == 1:
            agent.interrupt()

    events = asyncio.run(collect(agent, "go", on_event))
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted"
    assert "before the next model reply" in events[-1].message
    assert len(model.requests) == 1


def test_preview_events_are_json_ready_without_the_change_set() -> None:
    from codeact_tui.core.ports import ExecutionResult, FileChange, PreviewRun

    async def make() -> ev.PreviewReady:
        future: asyncio.Future[ev.Approval] = asyncio.get_running_loop().create_future()
        result = ExecutionResult("hi\n", "", "ok", changed_files=(FileChange("a.txt", "added"),))
        return ev.PreviewReady("t/1", 1, "print('hi')", PreviewRun(result, "+a\n", "1 added", changes=object()), future)

    data = ev.event_to_dict(asyncio.run(make()))
    assert data["type"] == "preview_ready" and "future" not in data
    assert "changes" not in data["preview"] and data["preview"]["diff"] == "+a\n"
    assert json.loads(json.dumps(data))["preview"]["result"]["stdout"] == "hi\n"
