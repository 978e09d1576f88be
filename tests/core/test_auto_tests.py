"""After an action changes Python files while the request speaks of tests, the agent runs the
tests itself and the report joins the action's observation (`AgentOptions.auto_test`): the
agent loop with a scripted model and an in-process executor whose `run_tests` reads the file
(files really written). The real sandbox's `run_tests` after a change is exercised in
tests/bench/test_exercism.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor
from fakes.history import FakeHistory
from fakes.turns import collect, run_turn

from codeact_tui.commands.run_output import TranscriptRenderer
from codeact_tui.core import events as ev
from codeact_tui.core.agent import AUTO_TEST_CODE, Agent, AgentOptions
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.core.transcript import Transcript, read_records
from codeact_tui.llm.scripted import ScriptedModel

WRONG = "<execute>\nopen('calc.py', 'w').write('def add(a, b):\\n    return a * b\\n')\n</execute>"
RIGHT = "<execute>\nopen('calc.py', 'w').write('def add(a, b):\\n    return a + b\\n')\n</execute>"
REQUEST = "Fix add in calc.py so the tests pass."


def fake_run_tests() -> str:
    """The sandbox helper's report, judged by what calc.py holds now."""
    passed = "a + b" in Path("calc.py").read_text()
    if passed:
        return "unittest: passed: 1 passed (0.1s)"
    return "unittest: FAILED: 0 passed, 1 failed (0.1s)\n\nFAIL: test_add (calc_test.T.test_add)\nAssertionError: 6 != 5"


def executor_for(project: Path) -> InProcessExecutor:
    executor = InProcessExecutor(project)
    executor.namespace["run_tests"] = fake_run_tests
    return executor


def agent_for(
    model: ScriptedModel, executor: InProcessExecutor, prompts: PromptLibrary, *,
    history: FakeHistory | None = None, transcript: Transcript | None = None, **options: object,
) -> Agent:
    return Agent(
        model=model, executor=executor, history=history, prompts=prompts, transcript=transcript,
        system_prompt="You act with <execute> blocks.", options=AgentOptions(**options),  # type: ignore[arg-type]
    )


def observations(events: list[ev.Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.ObservationAdded)]


def test_a_change_to_python_files_runs_the_tests_and_their_report_joins_the_observation(project: Path, prompts: PromptLibrary) -> None:
    executor = executor_for(project)
    model = ScriptedModel([WRONG, RIGHT, "<solution>The tests pass.</solution>"])
    events = run_turn(agent_for(model, executor, prompts), REQUEST)
    assert executor.codes == [executor.codes[0], AUTO_TEST_CODE, executor.codes[2], AUTO_TEST_CODE]
    first = observations(events)[0]
    assert first.endswith(
        "\n\nThe tests ran after your change to `calc.py`:\nunittest: FAILED: 0 passed, 1 failed (0.1s)\n\n"
        "FAIL: test_add (calc_test.T.test_add)\nAssertionError: 6 != 5"
    )
    assert "The tests ran after your change to `calc.py`:\nunittest: passed: 1 passed (0.1s)" in observations(events)[1]
    started = [e for e in events if isinstance(e, ev.TestsStarted)]
    finished = [e for e in events if isinstance(e, ev.TestsFinished)]
    assert [(e.step, e.files) for e in started] == [(1, ("calc.py",)), (2, ("calc.py",))]
    assert [e.summary for e in finished] == ["unittest: FAILED: 0 passed, 1 failed (0.1s)", "unittest: passed: 1 passed (0.1s)"]
    assert "".join(e.text for e in events if isinstance(e, ev.TestsOutput)).startswith("unittest: FAILED")
    # In order: the action's card ends, then the tests run, then the model reads both.
    order = [type(e) for e in events if type(e) in (ev.ExecutionFinished, ev.SnapshotTaken, ev.TestsStarted, ev.TestsFinished, ev.ObservationAdded)]
    assert order[:5] == [ev.ExecutionFinished, ev.SnapshotTaken, ev.TestsStarted, ev.TestsFinished, ev.ObservationAdded]
    # The passing run counts as the model's: its answer is not sent back for untested changes.
    assert not [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "The tests pass."


def test_an_answer_under_the_agent_s_failing_run_goes_back(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([WRONG, "<solution>Done.</solution>", RIGHT, "<solution>Done now.</solution>"])
    events = run_turn(agent_for(model, executor_for(project), prompts), REQUEST)
    [held] = [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert held.reason == "tests_failing" and "(0 passed, 1 failed)" in held.note
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "Done now."


@pytest.mark.parametrize(
    ("reply", "request_text", "options", "before_answer"),
    [
        (WRONG, "Make add multiply in calc.py.", {}, False),  # the request does not speak of tests
        ("<execute>\nopen('notes.md', 'w').write('the tests\\n')\n</execute>", REQUEST, {}, True),  # no Python file changed
        (WRONG.replace("</execute>", "print(run_tests())\n</execute>"), REQUEST, {}, False),  # the action ran them itself
        ("<execute>\nprint(open('data.txt').read())\n</execute>", REQUEST, {}, True),  # nothing changed
        (WRONG, REQUEST, {"auto_test": False}, False),  # switched off
        (WRONG, REQUEST, {"approve": "plan"}, False),  # a plan writes nothing
    ],
)
def test_no_test_run_after_an_action_without_a_python_change_tests_in_the_request_or_the_option(
    project: Path, prompts: PromptLibrary, reply: str, request_text: str, options: dict[str, object], before_answer: bool
) -> None:
    """Only the run before the answer, where the tests had not run in the turn, is left."""
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")  # passing: the answer stands
    executor = executor_for(project)
    events = run_turn(agent_for(ScriptedModel([reply, "<solution>ok</solution>"] * 2), executor, prompts, **options), request_text)
    started = [e for e in events if isinstance(e, ev.TestsStarted)]
    assert [(e.step, e.files) for e in started] == ([(2, ())] if before_answer else [])
    assert executor.codes.count(AUTO_TEST_CODE) == int(before_answer)
    assert "The tests ran after your change" not in "\n".join(observations(events))
    assert isinstance(events[-1], ev.TurnFinished)


STUB = "def add(a, b):\n    pass\n"


def test_an_answer_given_before_the_tests_ran_in_the_turn_waits_for_them_and_goes_back_when_they_fail(
    project: Path, prompts: PromptLibrary, tmp_path: Path
) -> None:
    """Measured: Qwen2.5-Coder-1.5B answered with prose about the task while the file it was
    asked to implement was still a stub and the tests had never run."""
    (project / "calc.py").write_text(STUB)
    executor = executor_for(project)
    runs = iter(range(1, 10))
    executor.namespace["run_tests"] = lambda: (Path("runs.txt").write_text(f"{next(runs)}\n"), fake_run_tests())[1]  # an entry each
    history = FakeHistory(project)
    transcript = Transcript.create(tmp_path / "conversations", project=str(project), model="scripted")
    model = ScriptedModel(["<solution>Use the + operator.</solution>", RIGHT, "<solution>Done.</solution>"])
    events = run_turn(agent_for(model, executor, prompts, history=history, transcript=transcript), REQUEST)
    [held] = [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert held.reason == "tests_not_run" and held.step == 1 and held.answer == "Use the + operator."
    assert held.summary == f"{ev.ANSWER_HELD['tests_not_run']} It said: “Use the + operator.”"
    assert held.note.startswith("Observation: not done yet. The tests had not run in this turn, so they ran now, before your answer, and they fail:\n")
    assert "unittest: FAILED: 0 passed, 1 failed (0.1s)" in held.note and "AssertionError: 6 != 5" in held.note
    assert held.note.endswith("If you meant only to report on the tests, give your answer again.")
    assert observations(events)[0] == held.note
    # Before the answer, then after the fix: the second run counts, so "Done." ends the turn.
    started = [e for e in events if isinstance(e, ev.TestsStarted)]
    assert [(e.step, e.files, e.title) for e in started] == [(1, (), "tests before answer 1"), (2, ("calc.py",), "tests after action 2")]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "Done."
    [record, _] = [r for r in read_records(transcript.path) if r["type"] == "tests"]
    assert (record["step"], record["title"]) == (1, "tests before answer 1")
    assert [e.summary for e in history.entries() if e.summary.startswith("tests")] == ["tests before answer 1", "tests after action 2"]


def test_an_answer_under_passing_tests_that_had_not_run_ends_the_turn(project: Path, prompts: PromptLibrary) -> None:
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    executor = executor_for(project)
    events = run_turn(agent_for(ScriptedModel(["<solution>It already works.</solution>"]), executor, prompts), REQUEST)
    assert executor.codes == [AUTO_TEST_CODE]
    assert not [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "It already works."


@pytest.mark.parametrize(
    ("request_text", "options"),
    [
        ("Explain what add in calc.py does.", {}),  # the request does not speak of tests
        ("Do the tests pass?", {}),  # nor name a file
        (REQUEST, {"auto_test": False}),
        (REQUEST, {"approve": "plan"}),
        (REQUEST, {"max_turns": 1}),  # no reply left to act on the report
    ],
)
def test_no_test_run_before_the_answer_when_the_request_names_no_file_or_no_tests_or_the_option_is_off(
    project: Path, prompts: PromptLibrary, request_text: str, options: dict[str, object]
) -> None:
    (project / "calc.py").write_text(STUB)
    executor = executor_for(project)
    model = ScriptedModel(["<solution>ok</solution>"] * 2)
    events = run_turn(agent_for(model, executor, prompts, **options), request_text)
    assert executor.codes == [] and not [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].steps == 1


def test_the_test_run_is_snapshotted_on_its_own_and_kept_in_the_transcript(project: Path, prompts: PromptLibrary, tmp_path: Path) -> None:
    """Tests may write files: what they wrote is an entry of its own, not the action's; the
    transcript keeps the run as a `tests` record (a resumed view shows it, a replay skips it)."""
    executor = executor_for(project)
    executor.namespace["run_tests"] = lambda: (Path("report.txt").write_text("ran\n"), fake_run_tests())[1]
    history = FakeHistory(project)
    transcript = Transcript.create(tmp_path / "conversations", project=str(project), model="scripted")
    model = ScriptedModel([WRONG, "<solution>ok</solution>", "<solution>ok</solution>"])
    events = run_turn(agent_for(model, executor, prompts, history=history, transcript=transcript), REQUEST)
    [action_entry] = [e.entry for e in events if isinstance(e, ev.SnapshotTaken)]
    [tests] = [e for e in events if isinstance(e, ev.TestsFinished)]
    assert action_entry is not None and [c.path for c in action_entry.files] == ["calc.py"]
    assert tests.entry is not None and [c.path for c in tests.entry.files] == ["report.txt"]
    assert (tests.entry.kind, tests.entry.summary, tests.entry.turn_id) == ("agent", "tests after action 1", action_entry.turn_id)
    records = read_records(transcript.path)
    [record] = [r for r in records if r["type"] == "tests"]
    assert (record["step"], record["code"], record["history_entry"], record["changed_files"]) == (1, AUTO_TEST_CODE, tests.entry.id, ["report.txt"])
    assert record["stdout"].startswith("unittest: FAILED")


def test_a_sandbox_that_breaks_during_the_test_run_ends_the_turn_with_the_action_observed(project: Path, prompts: PromptLibrary) -> None:
    executor = executor_for(project)

    async def turn() -> list[ev.Event]:
        agent = agent_for(ScriptedModel([WRONG, "<solution>ok</solution>"]), executor, prompts)

        def on_event(event: ev.Event) -> None:
            if isinstance(event, ev.SnapshotTaken):
                executor.crash = RuntimeError("the guest died")

        return await collect(agent, REQUEST, on_event)

    events = asyncio.run(turn())
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "executor"
    assert "the guest died" in events[-1].message
    assert observations(events) and "calc.py" in observations(events)[0]  # the action's result is not lost


def test_an_interrupt_during_the_test_run_ends_the_turn(project: Path, prompts: PromptLibrary) -> None:
    executor = executor_for(project)

    async def turn() -> list[ev.Event]:
        agent = agent_for(ScriptedModel([WRONG, "<solution>ok</solution>"]), executor, prompts)

        def on_event(event: ev.Event) -> None:
            if isinstance(event, ev.SnapshotTaken):
                executor.hang = True  # the test run waits until interrupted
            elif isinstance(event, ev.TestsOutput):
                agent.interrupt()

        return await collect(agent, REQUEST, on_event)

    events = asyncio.run(turn())
    [finished] = [e for e in events if isinstance(e, ev.TestsFinished)]
    assert finished.result.status == "stopped" and finished.summary == ""
    assert "(the test run was stopped by interrupt" in observations(events)[0]
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted"


def test_run_shows_the_test_run_with_its_summary(project: Path, prompts: PromptLibrary) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    render = TranscriptRenderer(out, err)
    for event in run_turn(agent_for(ScriptedModel([WRONG, RIGHT, "<solution>ok</solution>"]), executor_for(project), prompts), REQUEST):
        render(event)
    assert "── running the tests after action 1 changed calc.py ([agent] auto_test) ──" in err.getvalue()
    assert "── tests: unittest: FAILED: 0 passed, 1 failed (0.1s) ──" in err.getvalue()
    assert "── tests: unittest: passed: 1 passed (0.1s) ──" in err.getvalue()
    assert "FAIL: test_add" in out.getvalue()  # the report itself, as it streams
    (project / "calc.py").write_text(STUB)
    out, err = io.StringIO(), io.StringIO()
    render = TranscriptRenderer(out, err)
    for event in run_turn(agent_for(ScriptedModel(["<solution>ok</solution>", RIGHT, "<solution>ok</solution>"]), executor_for(project), prompts), REQUEST):
        render(event)
    assert "── running the tests before the answer: they have not run in this turn ([agent] auto_test) ──" in err.getvalue()
    assert f"· {ev.ANSWER_HELD['tests_not_run']} It said: “ok”" in err.getvalue()


def test_a_held_answer_is_quoted_on_one_line_and_cut() -> None:
    held = ev.AnswerHeld("t", 2, "note", "tests_failing", "The code\n\nis  correct. " + "x" * 400)
    quote = held.summary.removeprefix(ev.ANSWER_HELD["tests_failing"] + " It said: “").removesuffix("”")
    assert quote.startswith("The code is correct. xxx") and quote.endswith("…") and len(quote) == ev.ANSWER_QUOTE_CHARS
    assert ev.AnswerHeld("t", 2, "note", "untested").summary == ev.ANSWER_HELD["untested"]  # no answer kept: no quote


def test_a_listing_repeated_under_the_agent_s_failing_run_is_pointed_at_that_run_s_trace(project: Path, prompts: PromptLibrary) -> None:
    """Seen with Qwen2.5-Coder-0.5B: after its change failed the tests, it listed the files again
    and again. The note must not say the listing ran the tests, and it points at the trace the
    agent's run showed."""
    executor = executor_for(project)
    executor.namespace["run_tests"] = lambda: fake_run_tests() + "\n\nHow the code ran in the failing test test_add:\n2| return a * b"
    listing = "<execute>\nprint(sorted(__import__('os').listdir('.')))\n</execute>"
    events = run_turn(agent_for(ScriptedModel([WRONG, listing, listing, "<solution>x</solution>"]), executor, prompts), REQUEST)
    assert observations(events)[2].endswith(
        "Note: you have now run this same code 2 times with the same result, and the tests still fail (0 passed, 1 failed): "
        "the code is still wrong, and running it again changes nothing. Under \"How the code ran\" above, find the first "
        "line whose value is not what the failing test expects, and change that line (or write the function another way); "
        "then call `print(run_tests())` in the same action."
    )
