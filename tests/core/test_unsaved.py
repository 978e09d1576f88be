"""The note for code defined only in the session when the request names files: unit rules and
the agent loop with a scripted model and an in-process executor (files really written)."""

from __future__ import annotations

from pathlib import Path

from fakes.executor import InProcessExecutor
from fakes.turns import run_turn

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.ports import ExecutionResult, FileChange
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.core.unsaved import (
    before_the_cut,
    defined_names,
    definitions_source,
    held_answer_note,
    named_files,
    unsaved_note,
    with_save,
    without_definitions,
)
from codeact_tui.llm.scripted import ScriptedModel

DEFINES = "def accumulate(items, op):\n    return [op(x) for x in items]\n\nclass Helper:\n    pass\n\nx = 1\nprint(accumulate([x], str))\n"
"""Defines and calls: an action that does more than define is never saved on the model's behalf."""
REQUEST = "Implement this in the file `accumulate.py` of this folder. The tests are in accumulate_test.py."


def test_named_files_and_defined_names() -> None:
    assert named_files(REQUEST) == ("accumulate.py",)  # the test file named beside it is left out
    assert named_files("make tests/test_calc.py pass") == ("tests/test_calc.py",)
    assert named_files("fix src/app/main.py, then main.py; see https://x.org/a.py?q") == ("src/app/main.py", "main.py")
    assert named_files("no files here, only python.pyc and notes.pyx") == ()
    assert defined_names(DEFINES) == ("accumulate", "Helper")
    assert defined_names("if True:\n    def inner(): pass\nprint(1)") == ()  # top level only
    assert defined_names("def broken(:\n") == ()


def test_definitions_source_quotes_imports_and_definitions() -> None:
    code = "import re\nx = 2\n\n@cache\ndef f(a):\n    return a\nprint(f(1))\nclass C:\n    y = 1\n"
    assert definitions_source(code) == "import re\n\n@cache\ndef f(a):\n    return a\n\nclass C:\n    y = 1\n"
    assert definitions_source("def f():\n    return \'\'\'x\'\'\'\n") is None  # cannot sit in r'''…'''
    assert definitions_source("print(1)") is None


def test_note_only_when_nothing_was_written(prompts: PromptLibrary) -> None:
    ok = ExecutionResult("", "", "ok")
    note = unsaved_note(prompts, DEFINES, ok, REQUEST)
    assert note is not None and note.startswith("Note: no file changed. What you defined (`accumulate`, `Helper`) lives only in this Python session")
    assert "it is not saved in `accumulate.py`, and" in note
    # A ready-to-run save action quoting the definitions (not the statements around them).
    assert note.endswith("```python\nprint(write_definitions('accumulate.py', r'''def accumulate(items, op):\n    return [op(x) for x in items]\n\nclass Helper:\n    pass\n'''))\n```")
    wrote = ExecutionResult("", "", "ok", changed_files=(FileChange("accumulate.py", "modified"),))
    assert unsaved_note(prompts, DEFINES, wrote, REQUEST) is None
    assert unsaved_note(prompts, "print(run_tests())", ok, REQUEST) is None  # nothing defined
    assert unsaved_note(prompts, DEFINES, ok, "Write a function that doubles numbers.") is None  # no file named
    stopped = ExecutionResult("", "", "stopped", stopped_by="deadline")
    assert unsaved_note(prompts, DEFINES, stopped, REQUEST) is None
    failed = ExecutionResult("", "NameError: name 'y' is not defined", "error", exit_code=1)
    assert unsaved_note(prompts, DEFINES + "y\n", failed, REQUEST) is not None


def agent_for(model: ScriptedModel, project: Path, prompts: PromptLibrary, **options: object) -> Agent:
    return Agent(
        model=model, executor=InProcessExecutor(project), history=None, prompts=prompts,
        system_prompt="You act with <execute> blocks.", options=AgentOptions(**options),  # type: ignore[arg-type]
    )


def observations(events: list[ev.TurnEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.ObservationAdded)]


def test_agent_tells_the_model_its_function_was_not_saved(project: Path, prompts: PromptLibrary) -> None:
    (project / "accumulate.py").write_text("def accumulate(collection, operation):\n    pass\n")
    code = "def accumulate(collection, operation):\n    return [operation(x) for x in collection]"
    model = ScriptedModel([
        f"<execute>\n{code}\n</execute>",
        f"<execute>\nwrite_text = open('accumulate.py', 'w').write({code + chr(10)!r})\n</execute>",
        "<solution>done</solution>",
    ])
    seen = observations(run_turn(agent_for(model, project, prompts), REQUEST))
    assert "Note: no file changed. What you defined (`accumulate`) lives only in this Python session; it is not saved in `accumulate.py`" in seen[0]
    assert "Note: no file changed" not in seen[1] and "modified: accumulate.py" in seen[1]
    assert "return [operation(x)" in (project / "accumulate.py").read_text()


def test_no_note_in_plan_mode_or_without_named_files(project: Path, prompts: PromptLibrary) -> None:
    action = "<execute>\ndef double(x):\n    return 2 * x\nprint(double(2))\n</execute>"
    plan = agent_for(ScriptedModel([action, "<solution>plan</solution>"]), project, prompts, approve="plan")
    assert "no file changed" not in observations(run_turn(plan, REQUEST))[0]
    plain = agent_for(ScriptedModel([action, "<solution>4</solution>"]), project, prompts)
    assert "no file changed" not in observations(run_turn(plain, "What is double of 2?"))[0]


SAVE = "<execute>\nopen('accumulate.py', 'w').write(" + repr(DEFINES) + ")\n</execute>"


def held(events: list[ev.TurnEvent]) -> list[ev.AnswerHeld]:
    return [e for e in events if isinstance(e, ev.AnswerHeld)]


def test_an_answer_before_saving_goes_back_once_with_the_save_action(project: Path, prompts: PromptLibrary) -> None:
    (project / "accumulate.py").write_text("def accumulate(collection, operation):\n    pass\n")
    model = ScriptedModel([f"<execute>\n{DEFINES}</execute>", "<solution>Saved; the tests pass.</solution>", SAVE, "<solution>Saved now.</solution>"])
    events = run_turn(agent_for(model, project, prompts), REQUEST)
    [hold] = held(events)
    assert hold.step == 2 and hold.note == held_answer_note(prompts, DEFINES, REQUEST)
    assert hold.note.startswith("Observation: not done yet. No file changed since you defined `accumulate`, `Helper`")
    assert "print(write_definitions('accumulate.py', r'''def accumulate(items, op):" in hold.note
    assert hold.note.endswith("If you meant to leave the files as they are, give your answer again.")
    assert "Traceback" not in observations(events)[0]  # the action ran as the model wrote it
    assert observations(events)[1] == hold.note  # the model reads it as the observation of its answer
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and (finished.answer, finished.steps) == ("Saved now.", 4)
    assert "return [op(x) for x in items]" in (project / "accumulate.py").read_text()


def test_an_answer_is_held_only_once_a_turn(project: Path, prompts: PromptLibrary) -> None:
    model = ScriptedModel([f"<execute>\n{DEFINES}</execute>", "<solution>done</solution>", "<solution>Leave the file.</solution>"])
    events = run_turn(agent_for(model, project, prompts), REQUEST)
    assert len(held(events)) == 1
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "Leave the file."


def test_no_unsaved_hold_when_a_file_changed_after_the_note_on_the_last_reply_or_without_files(project: Path, prompts: PromptLibrary) -> None:
    saved_after = ScriptedModel([f"<execute>\n{DEFINES}</execute>", SAVE, "<solution>done</solution>", "<solution>done</solution>"])
    # Saved: what goes back is only that the tests have not run since (the request names them).
    assert [h.reason for h in held(run_turn(agent_for(saved_after, project, prompts), REQUEST))] == ["untested"]
    last_reply = ScriptedModel([f"<execute>\n{DEFINES}</execute>", "<solution>done</solution>"])
    events = run_turn(agent_for(last_reply, project, prompts, max_turns=2), REQUEST)
    assert not held(events) and isinstance(events[-1], ev.TurnFinished)  # an answer beats ending at the limit
    no_files = ScriptedModel([f"<execute>\n{DEFINES}</execute>", "<solution>done</solution>"])
    assert not held(run_turn(agent_for(no_files, project, prompts), "Write a function that accumulates."))
    plan = ScriptedModel([f"<execute>\n{DEFINES}</execute>", "<solution>plan</solution>"])
    assert not held(run_turn(agent_for(plan, project, prompts, approve="plan"), REQUEST))


def test_a_plain_reply_is_held_too_and_the_next_turn_starts_afresh(project: Path, prompts: PromptLibrary) -> None:
    agent = agent_for(
        ScriptedModel([f"<execute>\n{DEFINES}</execute>", "I wrote it.", "It is in the session.", "<solution>4</solution>"]), project, prompts
    )
    first = run_turn(agent, REQUEST)
    assert len(held(first)) == 1 and isinstance(first[-1], ev.TurnFinished) and first[-1].answer == "It is in the session."
    second = run_turn(agent, REQUEST)  # nothing defined in this turn: its answer ends it
    assert not held(second) and isinstance(second[-1], ev.TurnFinished)


def test_an_action_that_only_defines_gets_the_line_that_saves_it() -> None:
    code = '"""Doc."""\nimport math\nPI2 = 2 * math.pi\n\n\ndef area(r):\n    return PI2 * r\n'
    saved = with_save(code, "Implement area in shapes.py")
    assert saved == (
        code.rstrip() + "\n\n# The request names shapes.py: these definitions replace the ones of the same names there.\n"
        "print(write_definitions('shapes.py', r\'\'\'" + code.lstrip("\n") + "\'\'\', existing_only=True))"
    )
    assert with_save(code + "print(area(1))\n", "Implement area in shapes.py") is None  # it does more than define
    assert with_save("import math\nX = 1\n", "Implement area in shapes.py") is None  # no function or class
    assert with_save(code, "Implement area.") is None  # no file named
    assert with_save("def f():\n    return \'\'\'x\'\'\'\n", "fix f in a.py") is None  # cannot be quoted raw
    assert with_save("def f(:\n", "fix f in a.py") is None
    documented = "def f():\n    \"\"\"" + "A long docstring. " * 300 + "\"\"\"\n    return 1\n"  # 5,400 characters
    assert with_save(documented, "fix f in a.py") is not None and definitions_source(documented) is None  # saved, not quoted back


def test_the_saving_line_is_added_to_what_runs_but_never_in_plan_mode(project: Path, prompts: PromptLibrary) -> None:
    only = "<execute>\ndef accumulate(items, op):\n    return [op(x) for x in items]\n</execute>"
    for approve, saved in (("auto", True), ("plan", False)):
        agent = agent_for(ScriptedModel([only, "<solution>done</solution>"]), project, prompts, approve=approve)
        events = run_turn(agent, REQUEST)
        [proposed] = [e.code for e in events if isinstance(e, ev.CodeProposed)]
        assert ("print(write_definitions('accumulate.py'," in proposed) is saved, approve
        # The conversation keeps the model's own reply: the line is the product's, not the model's.
        assert [m.content for m in agent.messages if m.role == "assistant"][0] == only


def test_a_cut_action_keeps_its_whole_definitions_only_when_they_only_define() -> None:
    solution = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\n# helpers\ndef write_file(path, content):\n    with open(path, 'w') as f:\n        f.write(content)\n"
    assert before_the_cut(solution + "\n\ndef run_tests():\n    import unit") == solution
    assert before_the_cut(solution + "\nclass Shape:\n    def __init__(self") == solution
    saved = with_save(solution, "Implement area in shapes.py")
    assert saved is not None and saved.startswith(solution.rstrip())
    kept = before_the_cut("def area(r):\n    return 3.14 * r * r\n\nopen('x.py', 'w').write('')\ndef more(")
    assert kept is not None and with_save(kept, "Implement area in shapes.py") is None  # more than definitions
    assert before_the_cut("def area(r):\n    return 3.14 * r * r\n\nopen('x.py', 'w').write(\"\"\"\nprint(1)\n") == "def area(r):\n    return 3.14 * r * r\n"
    kept = before_the_cut("x = 1\ny = 2\nprint(x +")
    assert kept == "x = 1\ny = 2\n" and with_save(kept, "Implement area in shapes.py") is None  # no function or class
    assert before_the_cut("def area(r):\n    return (r *") is None  # nothing whole before the cut


def test_without_definitions_drops_only_top_level_functions_of_those_names() -> None:
    code = "import os\n\n@cache\ndef run_tests():\n    pass\n\n\nclass run_tests_too:\n    def view_file(self):\n        pass\n\ndef area(r):\n    return r\n"
    assert without_definitions(code, ("run_tests", "view_file")) == "import os\n\n\n\nclass run_tests_too:\n    def view_file(self):\n        pass\n\ndef area(r):\n    return r\n"
    assert without_definitions(code, ()) == code and without_definitions("def broken(:", ("broken",)) == "def broken(:"
