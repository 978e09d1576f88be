"""When the model gives up or goes round in circles while the tests fail after its changes, the
agent takes the project back to where the turn began and asks the model afresh; the turn ends
with the files of the attempt under which the most tests passed (`AgentOptions.fresh_attempts`).
The agent loop with a scripted model, an in-process executor whose `run_tests` reads the file,
and the real history store (git)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor
from fakes.turns import run_turn

from codeact_tui.commands.run_output import TranscriptRenderer
from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.core.test_runs import passed_count
from codeact_tui.core.transcript import Transcript, load_messages
from codeact_tui.history import HistoryStore
from codeact_tui.llm.scripted import ScriptedModel

ORIGINAL = "def add(a, b):\n    return 0\n"
REQUEST = "Fix add in calc.py so the tests pass."


def write(body: str) -> str:
    return f"<execute>\nopen('calc.py', 'w').write('def add(a, b):\\n    return {body}\\n')\n</execute>"


WRONG, HALF, RIGHT = write("a * b"), write("a + b if a else 0"), write("a + b")
GIVE_UP = "<solution>The code is correct.</solution>"


def fake_run_tests() -> str:
    """Two tests, judged by what calc.py holds now."""
    code = Path("calc.py").read_text()
    passed = 2 if "return a + b\n" in code else 1 if "a + b if a" in code else 0
    if passed == 2:
        return "unittest: passed: 2 passed (0.1s)"
    return f"unittest: FAILED: {passed} passed, {2 - passed} failed (0.1s)\n\nFAIL: test_add (calc_test.T.test_add)"


@pytest.fixture
def calc(project: Path) -> Path:
    (project / "calc.py").write_text(ORIGINAL)
    return project


@pytest.fixture
def history(calc: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = HistoryStore.open(calc, store_dir=tmp_path / "history")
    yield store
    store.close()


def agent_for(model: ScriptedModel, project: Path, prompts: PromptLibrary, history: HistoryStore | None, *,
              transcript: Transcript | None = None, **options: object) -> Agent:
    executor = InProcessExecutor(project)
    executor.namespace["run_tests"] = fake_run_tests
    return Agent(
        model=model, executor=executor, history=history, prompts=prompts, transcript=transcript,
        system_prompt="You act with <execute> blocks.", options=AgentOptions(**options),  # type: ignore[arg-type]
    )


def of(kind: type[ev.Event], events: list[ev.Event]) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def test_giving_up_under_failing_tests_starts_over_from_the_turns_beginning(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    seen_at_restart: list[str] = []

    def second_try(messages: list) -> str:  # type: ignore[type-arg]
        seen_at_restart.extend(m.content for m in messages)
        seen_at_restart.append((calc / "calc.py").read_text())
        return RIGHT

    model = ScriptedModel([WRONG, GIVE_UP, GIVE_UP, second_try, "<solution>Fixed.</solution>"])
    agent = agent_for(model, calc, prompts, history)
    events = run_turn(agent, REQUEST)
    [started] = of(ev.StartedOver, events)
    assert (started.step, started.attempt, started.attempts, started.counts) == (3, 2, 3, "0 passed, 2 failed")
    assert started.entry is not None and started.entry.kind == "restore"
    assert started.summary == (
        f"Attempt 1 ended with the tests failing (0 passed, 2 failed); history entry {started.entry.id} took its "
        "changes back. Starting over from the turn's beginning: attempt 2 of 3."
    )
    # The model's second attempt sees the project as the turn found it, and the request without
    # the first attempt's replies and observations.
    _system, request, original = seen_at_restart
    assert original == ORIGINAL
    assert request == (
        f"{REQUEST}\n\n[Attempt 2 of 3: an earlier attempt at this request ended with the tests failing (0 passed, 2 failed); "
        "the project is as it was before that attempt. Solve the request from the start.]"
    )
    assert model.samplings[3].least_temperature == 0.7  # a fresh sample, not the same reply again
    assert (calc / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert isinstance(events[-1], ev.TurnFinished) and (events[-1].answer, events[-1].steps) == ("Fixed.", 5)
    assert not of(ev.AttemptKept, events)
    # The history keeps both attempts: the first one's write, the restore, the second one's write.
    assert [e.kind for e in history.entries()] == ["agent", "restore", "agent"]


def test_going_round_in_circles_under_failing_tests_starts_over_instead_of_ending_stuck(
    calc: Path, prompts: PromptLibrary, history: HistoryStore
) -> None:
    model = ScriptedModel([WRONG] * 6 + [RIGHT, "<solution>Fixed.</solution>"])
    events = run_turn(agent_for(model, calc, prompts, history, max_turns=12), REQUEST)
    assert [e.step for e in of(ev.StartedOver, events)] == [4]
    assert not [e for e in of(ev.TurnFailed, events) if e.kind == "stuck"]
    assert isinstance(events[-1], ev.TurnFinished) and "a + b" in (calc / "calc.py").read_text()


def test_the_turn_ends_with_the_files_of_the_attempt_that_passed_most(calc: Path, prompts: PromptLibrary, history: HistoryStore, tmp_path: Path) -> None:
    transcript = Transcript.create(tmp_path / "conversations")
    model = ScriptedModel([HALF, GIVE_UP, GIVE_UP, WRONG, GIVE_UP, GIVE_UP])
    agent = agent_for(model, calc, prompts, history, transcript=transcript, fresh_attempts=1)
    events = run_turn(agent, REQUEST)
    assert [e.attempt for e in of(ev.StartedOver, events)] == [2]  # one fresh attempt, then no more
    [kept] = of(ev.AttemptKept, events)
    assert (kept.attempt, kept.passed) == (1, 1) and kept.entry is not None
    assert kept.summary == f"Kept the files of attempt 1, the one with the most tests passing (1) (history entry {kept.entry.id}; undo it for the last attempt's)."
    assert "a + b if a" in (calc / "calc.py").read_text()
    assert isinstance(events[-1], ev.TurnFinished) and events.index(kept) == len(events) - 2
    assert [e.kind for e in history.entries()] == ["agent", "restore", "agent", "restore"]
    # The transcript holds the conversation as the model last saw it: the request with the note, attempt 2.
    transcript.close()
    resumed = [m.content for m in load_messages(transcript.path) if m.kind != "system"]
    assert resumed[0].startswith(f"{REQUEST}\n\n[Attempt 2 of 2: ") and "a * b" in resumed[1]
    # `run` shows both on status lines.
    out, err = io.StringIO(), io.StringIO()
    render = TranscriptRenderer(out, err)
    for event in events:
        render(event)
    shown = err.getvalue()
    assert "· Attempt 1 ended with the tests failing (1 passed, 1 failed)" in shown and "· Kept the files of attempt 1" in shown


def test_a_better_last_attempt_keeps_its_files(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    model = ScriptedModel([WRONG, GIVE_UP, GIVE_UP, HALF, GIVE_UP, GIVE_UP])
    events = run_turn(agent_for(model, calc, prompts, history, fresh_attempts=1), REQUEST)
    assert len(of(ev.StartedOver, events)) == 1 and not of(ev.AttemptKept, events)
    assert "a + b if a" in (calc / "calc.py").read_text()


def test_a_fresh_attempt_that_changes_nothing_starts_over_too(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    """Seen with Qwen2.5-Coder-1.5B: the fresh attempt printed the file list three times and
    was stopped with two replies left, the project back at the stub."""
    look = "<execute>\nprint(open('calc.py').read())\n</execute>"
    seen: list[str] = []

    def third_try(messages: list) -> str:  # type: ignore[type-arg]
        seen.extend(m.content for m in messages[1:])
        return RIGHT

    model = ScriptedModel([HALF, GIVE_UP, GIVE_UP, look, look, look, third_try, "<solution>Fixed.</solution>"])
    events = run_turn(agent_for(model, calc, prompts, history, max_turns=10), REQUEST)
    assert [(e.step, e.attempt, e.counts) for e in of(ev.StartedOver, events)] == [(3, 2, "1 passed, 1 failed"), (6, 3, None)]
    second = of(ev.StartedOver, events)[1]
    assert second.entry is None and second.summary == "Attempt 2 ended without changing a file. Starting over from the turn's beginning: attempt 3 of 3."
    notes = [e.text for e in of(ev.ObservationAdded, events) if e.text.startswith("[Attempt")]
    assert notes[1].startswith("[Attempt 3 of 3: an earlier attempt at this request ended with the tests failing (1 passed, 1 failed)")
    assert seen == [f"{REQUEST}\n\n{notes[1]}"]  # the request with the newest note only
    assert isinstance(events[-1], ev.TurnFinished) and "return a + b\n" in (calc / "calc.py").read_text()
    assert [e.kind for e in history.entries()] == ["agent", "restore", "agent"]


def test_running_the_failing_tests_again_and_again_without_a_change_starts_over(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    """Seen with Qwen2.5-Coder-1.5B (`bank-account`, `beer-song`): `print(run_tests())` on the
    stubs, three times, and the turn ended stuck with six replies left."""
    test = "<execute>\nprint(run_tests())\n</execute>"
    model = ScriptedModel([test, test, test, RIGHT, "<solution>Fixed.</solution>"])
    events = run_turn(agent_for(model, calc, prompts, history), REQUEST)
    [started] = of(ev.StartedOver, events)
    assert (started.step, started.attempt, started.counts, started.entry) == (3, 2, None, None)
    assert started.summary == "Attempt 1 ended without changing a file. Starting over from the turn's beginning: attempt 2 of 3."
    [note] = [e.text for e in of(ev.ObservationAdded, events) if e.text.startswith("[Attempt")]
    assert note.startswith("[Attempt 2 of 3: an earlier attempt at this request ended with the tests failing (0 passed, 2 failed);")
    assert isinstance(events[-1], ev.TurnFinished) and "return a + b\n" in (calc / "calc.py").read_text()
    # Its fresh attempt circling too, without running the tests (`bank-account`): once more.
    look = "<execute>\nprint(1)\n</execute>"
    model = ScriptedModel([test, test, test, look, look, look, RIGHT, "<solution>Fixed.</solution>"])
    calc.joinpath("calc.py").write_text(ORIGINAL)
    events = run_turn(agent_for(model, calc, prompts, history), REQUEST)
    assert [(e.step, e.attempt) for e in of(ev.StartedOver, events)] == [(3, 2), (6, 3)]
    notes = [e.text for e in of(ev.ObservationAdded, events) if e.text.startswith("[Attempt")]
    assert notes[1].startswith("[Attempt 3 of 3: an earlier attempt at this request ended with the tests failing (0 passed, 2 failed);")
    assert isinstance(events[-1], ev.TurnFinished) and "return a + b\n" in (calc / "calc.py").read_text()
    # A request the tests do not fail under ends stuck as before.
    looks = ScriptedModel(["<execute>\nprint(1)\n</execute>"] * 3)
    events = run_turn(agent_for(looks, calc, prompts, history), "What does calc.py do?")
    assert not of(ev.StartedOver, events) and isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "stuck"


def test_a_last_attempt_that_changes_nothing_gets_the_best_attempts_files_back(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    model = ScriptedModel([HALF, GIVE_UP, GIVE_UP, GIVE_UP])
    events = run_turn(agent_for(model, calc, prompts, history, fresh_attempts=1), REQUEST)
    [kept] = of(ev.AttemptKept, events)
    assert (kept.attempt, kept.passed) == (1, 1) and "a + b if a" in (calc / "calc.py").read_text()
    # Nothing passed in the first attempt either: the project stays as the turn found it.
    calc.joinpath("calc.py").write_text(ORIGINAL)
    model = ScriptedModel([WRONG, GIVE_UP, GIVE_UP, GIVE_UP])
    events = run_turn(agent_for(model, calc, prompts, history, fresh_attempts=1), REQUEST)
    assert not of(ev.AttemptKept, events) and (calc / "calc.py").read_text() == ORIGINAL


@pytest.mark.parametrize(
    ("replies", "request_text", "options", "with_history"),
    [
        ([WRONG, GIVE_UP, GIVE_UP], REQUEST, {"fresh_attempts": 0}, True),  # turned off
        ([WRONG, GIVE_UP, GIVE_UP], REQUEST, {}, False),  # no history to restore from
        ([WRONG, GIVE_UP, GIVE_UP], REQUEST, {"max_turns": 4}, True),  # fewer than two replies left
        (["<execute>\nprint(run_tests())\n</execute>", GIVE_UP, GIVE_UP], "Run the tests and tell me what fails.", {}, True),  # no change made
        ([WRONG, "<solution>The tests pass.</solution>"], "Fix add in calc.py.", {"auto_test": False, "hold_untested": False}, True),  # no test run
    ],
)
def test_no_fresh_attempt(
    calc: Path, prompts: PromptLibrary, history: HistoryStore, replies: list[str], request_text: str, options: dict[str, object], with_history: bool
) -> None:
    events = run_turn(agent_for(ScriptedModel(replies), calc, prompts, history if with_history else None, **options), request_text)
    assert not of(ev.StartedOver, events) and not of(ev.AttemptKept, events)
    assert isinstance(events[-1], ev.TurnFinished)


def test_ask_mode_does_not_start_over(calc: Path, prompts: PromptLibrary, history: HistoryStore) -> None:
    async def go() -> list[ev.Event]:
        agent = agent_for(ScriptedModel([WRONG, GIVE_UP, GIVE_UP]), calc, prompts, history, approve="ask")
        seen: list[ev.Event] = []
        async for event in agent.run_turn(REQUEST):
            seen.append(event)
            if isinstance(event, ev.ApprovalRequested):
                event.future.set_result(ev.Approval("run"))
        return seen

    events = asyncio.run(go())
    assert not of(ev.StartedOver, events) and (calc / "calc.py").read_text() != ORIGINAL


def test_passed_count_reads_the_counts() -> None:
    assert [passed_count(c) for c in ("3 passed, 6 failed", "1 failed, 12 passed in 0.03s", "2 errors", "")] == [3, 12, 0, 0]
