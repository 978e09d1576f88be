"""An answer given while the turn's last test run failed and no file changed since goes back to
the model once: the summary line's reading, and the agent loop with a scripted model and an
in-process executor (files really written). The line's shape is checked against the real
sandbox helper in tests/executor/test_run_tests_and_namespace.py."""

from __future__ import annotations

from pathlib import Path

from fakes.executor import InProcessExecutor
from fakes.turns import run_turn

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.core.test_runs import last_test_run
from codeact_tui.llm.scripted import ScriptedModel

FAILED = "unittest: FAILED: 0 passed, 9 failed (0.1s)"
RUN_FAILING = f"<execute>\nprint({FAILED!r})\n</execute>"
RUN_PASSING = "<execute>\nprint('pytest: passed: 9 passed (0.2s)')\n</execute>"
EDIT = "<execute>\nopen('calc.py', 'w').write('def add(a, b):\\n    return a + b\\n')\n</execute>"
EDIT_AND_FAIL = "<execute>\nopen('calc.py', 'w').write('def add(a, b):\\n    return a * b\\n')\n" + f"print({FAILED!r})\n</execute>"


def test_last_test_run_reads_the_last_summary_line() -> None:
    assert last_test_run(FAILED + "\n\nFAIL: test_add (calc_test.T.test_add)") == (False, "0 passed, 9 failed")
    assert last_test_run("pytest: FAILED: 1 failed, 1 passed in 0.03s (0.4s)") == (False, "1 failed, 1 passed in 0.03s")
    assert last_test_run(f"{FAILED}\nfixed\npytest: passed: 2 passed (0.1s)\n") == (True, "2 passed")
    assert last_test_run("unittest: no tests collected: 0 passed (0.0s)") == (None, "0 passed")
    assert last_test_run("pytest: usage error: ERROR: file not found: x (0.1s)") == (None, "ERROR: file not found: x")
    assert last_test_run("the tests: FAILED: 3 (0.1s)\n  unittest: FAILED: 1 failed (0.1s)") is None  # a line of its own
    # A bare `run_tests()` ending an action: the session shows its value's repr.
    assert last_test_run("'unittest: FAILED: 1 passed, 2 failed (0.0s)\\n\\nFAIL: test_x (t.T.test_x)\\n'") == (False, "1 passed, 2 failed")
    assert last_test_run("") is None


def agent_for(model: ScriptedModel, project: Path, prompts: PromptLibrary, **options: object) -> Agent:
    return Agent(
        model=model, executor=InProcessExecutor(project), history=None, prompts=prompts,
        system_prompt="You act with <execute> blocks.", options=AgentOptions(**options),  # type: ignore[arg-type]
    )


def held(events: list[ev.TurnEvent]) -> list[ev.AnswerHeld]:
    return [e for e in events if isinstance(e, ev.AnswerHeld)]


def test_an_answer_under_failing_tests_goes_back_once(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([RUN_FAILING, "<solution>The code is already correct.</solution>", EDIT, RUN_PASSING, "<solution>Fixed.</solution>"])
    events = run_turn(agent_for(model, project, prompts), "Make the tests pass.")
    [hold] = held(events)
    assert hold.step == 2 and hold.reason == "tests_failing"
    assert hold.note.startswith("Observation: not done yet. Your last test run failed (0 passed, 9 failed) and no file changed since")
    assert hold.note.endswith("If you meant only to report on the tests, give your answer again.")
    assert [e.text for e in events if isinstance(e, ev.ObservationAdded)][1] == hold.note
    assert ev.ANSWER_HELD["tests_failing"].startswith("The model answered, but its last test run failed")
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and (finished.answer, finished.steps) == ("Fixed.", 5)


def test_a_second_answer_under_failing_tests_ends_the_turn(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([RUN_FAILING, "<solution>9 tests fail.</solution>", "<solution>9 tests fail.</solution>"])
    events = run_turn(agent_for(model, project, prompts), "Run the tests and tell me what fails.")
    assert len(held(events)) == 1
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "9 tests fail."


def test_no_hold_after_a_change_a_passing_run_in_plan_mode_or_on_the_last_reply(project: Path, prompts: PromptLibrary) -> None:
    changed_after = ScriptedModel([RUN_FAILING, EDIT, "<solution>Fixed, not re-run.</solution>"])
    assert not held(run_turn(agent_for(changed_after, project, prompts), "Fix add."))
    passed_after = ScriptedModel([RUN_FAILING, RUN_PASSING, "<solution>done</solution>"])
    assert not held(run_turn(agent_for(passed_after, project, prompts), "Fix add."))
    plan = ScriptedModel([RUN_FAILING, "<solution>the plan</solution>"])
    assert not held(run_turn(agent_for(plan, project, prompts, approve="plan"), "Plan the fix."))
    last = ScriptedModel([RUN_FAILING, "<solution>out of replies</solution>"])
    events = run_turn(agent_for(last, project, prompts, max_turns=2), "Fix add.")
    assert not held(events) and isinstance(events[-1], ev.TurnFinished)


def test_a_change_that_still_fails_its_own_run_is_held(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([EDIT_AND_FAIL, "<solution>Fixed.</solution>", "<solution>Fixed.</solution>"])
    events = run_turn(agent_for(model, project, prompts), "Fix add.")
    assert [h.reason for h in held(events)] == ["tests_failing"]
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a * b\n"


def test_a_held_answer_or_a_repeat_makes_the_rest_of_the_turn_hotter(project: Path, prompts: PromptLibrary) -> None:
    """`retry_temperature` goes with every request after the first repeat or held answer, as
    `least_temperature` over the profile's sampling; a new turn starts cool again."""
    model = ScriptedModel([RUN_FAILING, "<solution>correct</solution>", EDIT, RUN_PASSING, "<solution>done</solution>", "<solution>hi</solution>"])
    agent = agent_for(model, project, prompts)
    events = run_turn(agent, "Fix add.")
    [raised] = [e for e in events if isinstance(e, ev.SamplingRaised)]
    assert raised.step == 2 and raised.temperature == 0.7
    assert [s.least_temperature for s in model.samplings] == [None, None, 0.7, 0.7, 0.7]
    run_turn(agent, "Thanks.")
    assert model.samplings[-1].least_temperature is None
    cool = ScriptedModel([RUN_FAILING, RUN_FAILING, "<solution>correct</solution>", "<solution>correct</solution>"])
    events = run_turn(agent_for(cool, project, prompts, retry_temperature=0), "Fix add.")
    assert not [e for e in events if isinstance(e, ev.SamplingRaised)] and {s.least_temperature for s in cool.samplings} == {None}


def test_python_changed_after_the_last_run_goes_back_when_the_request_speaks_of_tests(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([RUN_PASSING, EDIT, "<solution>The tests pass.</solution>", RUN_PASSING, "<solution>They pass.</solution>"])
    events = run_turn(agent_for(model, project, prompts), "Fix add in calc.py so the tests pass.")
    [hold] = held(events)
    assert hold.reason == "untested" and hold.step == 3
    assert hold.note.startswith("Observation: not done yet. You changed `calc.py` and have not run the tests since")
    assert hold.note.endswith("Run them now, fix what fails, and give your answer once they pass:\n\n```python\nprint(run_tests())\n```")  # the action to copy, last
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "They pass."
    # Without tests in the request, or when the change ran its tests, or a text file only: no hold.
    plain = ScriptedModel([EDIT, "<solution>Done.</solution>"])
    assert not held(run_turn(agent_for(plain, project, prompts), "Make add add."))
    tested = ScriptedModel(["<execute>\nopen('calc.py', 'w').write('x = 1\\n')\nprint('pytest: passed: 1 passed (0.1s)')\n</execute>", "<solution>ok</solution>"])
    assert not held(run_turn(agent_for(tested, project, prompts), "Fix it; the tests must pass."))
    notes = ScriptedModel(["<execute>\nopen('notes.md', 'w').write('tests\\n')\n</execute>", "<solution>ok</solution>"])
    assert not held(run_turn(agent_for(notes, project, prompts), "Write notes on the tests."))


def test_turn_tests_state() -> None:
    from codeact_tui.core.test_runs import TurnTests

    tests = TurnTests()
    tests.action("", ["a.py", "README.md"])
    assert tests.untested == ("a.py",) and tests.hold("run the tests") == "untested" and tests.hold("fix a.py") is None
    tests.action(FAILED, [])
    assert (tests.failing, tests.untested, tests.hold("fix a.py")) == ("0 passed, 9 failed", (), "tests_failing")
    tests.action("", ["README.md"])
    assert tests.failing is None and tests.hold("the tests") is None  # a change may have fixed them
    tests.action(FAILED, [], tests_count=False)
    assert tests.failing is None
    tests.action("", ["b.py"])
    tests.action("pytest: no tests collected: no tests ran in 0.01s (0.2s)", [])
    assert tests.untested == ("b.py",)  # a run that tested nothing checked nothing


def test_the_same_action_twice_in_a_row_makes_the_turn_hotter_at_once(project: Path, prompts: PromptLibrary) -> None:
    """A rewrite sent again word for word (it changed the file the first time) is not yet a
    repeat without progress to the stuck check, but it is one to break."""
    model = ScriptedModel([EDIT_AND_FAIL, EDIT_AND_FAIL, RUN_PASSING, "<solution>ok</solution>"])
    events = run_turn(agent_for(model, project, prompts), "Fix add.")
    assert [e.step for e in events if isinstance(e, ev.SamplingRaised)] == [2]
    assert [s.least_temperature for s in model.samplings] == [None, None, 0.7, 0.7]


def test_the_same_code_again_under_failing_tests_is_pointed_at_the_trace(project: Path, prompts: PromptLibrary) -> None:
    """A repeat that leaves the tests failing is told to change the line the trace shows wrong
    (or, without a trace, the code the failures call), not offered to answer; a repeat without a
    failing run keeps the general note."""
    traced = f"<execute>\nprint({FAILED!r} + '\\n\\nHow the code ran in the failing test test_add')\n</execute>"
    model = ScriptedModel([traced, traced, RUN_FAILING, RUN_FAILING, "<solution>x</solution>"])
    observations = [e.text for e in run_turn(agent_for(model, project, prompts), "Fix add.") if isinstance(e, ev.ObservationAdded)]
    assert observations[1].endswith(
        "Note: you have now run this same code 2 times, and the tests fail the same way each time (0 passed, 9 failed): "
        "the code is still wrong, and running it again changes nothing. Under \"How the code ran\" above, find the first "
        "line whose value is not what the failing test expects, and change that line (or write the function another way); "
        "then call `print(run_tests())` in the same action."
    )
    assert observations[3].endswith("Read the failures above and change the code they call (or write it another way); then call `print(run_tests())` in the same action.")
    stubs = f"<execute>\nprint({FAILED!r} + '\\n\\nprint(write_definitions(\\'calc.py\\', r\\'\\'\\'def add(a, b):\\n    # your code here\\n\\'\\'\\'))')\n</execute>"
    model = ScriptedModel([stubs, stubs, "<solution>x</solution>"])
    observations = [e.text for e in run_turn(agent_for(model, project, prompts), "Fix add.") if isinstance(e, ev.ObservationAdded)]
    assert observations[1].endswith("the functions they call are still stubs, so running the tests again changes nothing. Take the `write_definitions` action shown above, with your code in place of each `# your code here`.")
    listing = "<execute>\nprint('a.py')\n</execute>"
    model = ScriptedModel([listing, listing, "<solution>x</solution>"])
    observations = [e.text for e in run_turn(agent_for(model, project, prompts), "List the files.") if isinstance(e, ev.ObservationAdded)]
    assert "Note: you have now run this same code 2 times with the same output" in observations[1]


def test_the_same_write_again_with_the_tests_unrun_is_given_the_test_run(project: Path, prompts: PromptLibrary) -> None:
    """The model that writes the same definition again and again without testing is shown the
    test run to take; in aider's protocol (the harness tests) it keeps the general note."""
    model = ScriptedModel([EDIT, EDIT, "<solution>x</solution>"])
    observations = [e.text for e in run_turn(agent_for(model, project, prompts), "Make the tests pass.") if isinstance(e, ev.ObservationAdded)]
    assert observations[1].endswith(
        "Note: you have now run this same code 2 times with the same result, and running it again changes nothing. "
        "The tests have not run since you changed `calc.py`: run them now, in an action of its own, and read what fails:\n\n"
        "```python\nprint(run_tests())\n```"
    )
    model = ScriptedModel([EDIT, EDIT, "<solution>x</solution>"])
    events = run_turn(agent_for(model, project, prompts, hold_untested=False), "Make the tests pass.")
    assert "with the same output" in [e.text for e in events if isinstance(e, ev.ObservationAdded)][1]
