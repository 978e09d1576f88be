"""Stuck-loop signatures, repetition detection and fence completion, without a model."""

from __future__ import annotations

from codeact_tui.core.actions import action_complete, parse_reply, repetition_start
from codeact_tui.core.observations import repeat_note
from codeact_tui.core.ports import ExecutionResult, FileChange
from codeact_tui.core.progress import ProgressTracker, Repeat, failure_line, normalise_code
from codeact_tui.core.prompts import PromptLibrary


def failed(error: str) -> ExecutionResult:
    return ExecutionResult("", f"Traceback (most recent call last):\n  File \"<turn 7>\", line 1\n{error}\n", "error", exit_code=1)


def test_normalised_code_ignores_comments_blank_lines_and_spacing() -> None:
    assert normalise_code("# fix\nx  =  1\n\n   print(x)  # show\n") == normalise_code("x = 1\nprint(x)  # show")
    assert normalise_code("x = 1") != normalise_code("x = 2")


def test_failure_line_ignores_addresses_and_turn_numbers() -> None:
    one = failed("TypeError: <object at 0x7f00aa> is not callable")
    two = failed("TypeError: <object at 0x12345> is not callable")
    assert failure_line(one) == failure_line(two) == "TypeError: <object at 0x…> is not callable"
    long = failed("ValueError: the text to replace was not found in calc.py. It holds:\n1| def add(a, b):\nCopy it exactly.")
    assert failure_line(long) == "ValueError: the text to replace was not found in calc.py. It holds:"


def test_tracker_counts_same_failure_not_different_ones() -> None:
    tracker = ProgressTracker()
    assert tracker.action("f()", failed("NameError: name 'f' is not defined")) is None
    assert tracker.action("f()", failed("NameError: name 'g' is not defined")) is None  # failed differently
    repeat = tracker.action("# again\nf()", failed("NameError: name 'f' is not defined"))
    assert repeat is not None and repeat.kind == "failure" and repeat.count == 2
    assert repeat.detail == "NameError: name 'f' is not defined"
    tracker.reset()
    assert tracker.action("f()", failed("NameError: name 'f' is not defined")) is None


def test_tracker_sees_no_progress_only_without_changes() -> None:
    tracker = ProgressTracker()
    ok = ExecutionResult("same\n", "", "ok")
    wrote = ExecutionResult("same\n", "", "ok", changed_files=(FileChange("a.txt", "modified"),))
    assert tracker.action("print('same')", ok) is None
    assert tracker.action("print('same')", wrote) is None  # a file changed: progress
    repeat = tracker.action("print('same')", ok)
    assert repeat is not None and repeat.kind == "no_progress" and repeat.count == 2
    assert tracker.action("print('same')", ExecutionResult("other\n", "", "ok")) is None  # other output
    timed = tracker.action("print(run_tests())", ExecutionResult("1 failed in 0.12s (1.3s)\n", "", "ok"))
    assert timed is None
    again = tracker.action("print(run_tests())", ExecutionResult("1 failed in 0.02s (0.1s)\n", "", "ok"))
    assert again is not None and again.kind == "no_progress"  # only the timings differ


def test_writes_that_changed_no_content_are_no_progress() -> None:
    tracker = ProgressTracker()
    wrote = ExecutionResult("", "", "ok", changed_files=(FileChange("a.py", "modified"),))
    assert tracker.action("write_file('a.py', 'x')", wrote) is None
    # Sent right after itself, writing what it wrote: a repeat at once (the note), not yet one
    # that counts towards `stuck_after`.
    assert tracker.action("write_file('a.py', 'x')", wrote, changed_content=False) == Repeat("no_progress", 1, "", 2)
    repeat = tracker.action("write_file('a.py', 'x')", wrote, changed_content=False)
    assert repeat == Repeat("no_progress", 2, "", 3)
    other = ProgressTracker()
    assert other.action("write_file('a.py', 'x')", wrote) is None
    assert other.action("print(1)", ExecutionResult("1\n", "", "ok")) is None
    assert other.action("write_file('a.py', 'x')", wrote, changed_content=False) is None  # not right after itself


def test_interrupted_actions_are_not_repeats() -> None:
    tracker = ProgressTracker()
    stopped = ExecutionResult("", "KeyboardInterrupt", "stopped", stopped_by="interrupt")
    tracker.action("while True: pass", stopped)
    assert tracker.action("while True: pass", stopped) is None


def test_repetition_is_found_and_cut_after_its_first_occurrence() -> None:
    text = "Let me think. " + "I will fix it now. " * 60
    at = repetition_start(text)
    assert at >= 0 and text[:at] == "Let me think. I will fix it now."
    assert repetition_start("Done.\n" + "\n" * 700) == 6  # endless blank lines count too
    assert repetition_start("abc" * 100) == -1  # too short to judge
    varied = "".join(f"line {n}: value {n * n}\n" for n in range(80))
    assert repetition_start(varied) == -1


def test_a_fenced_action_completes_at_its_closing_fence_line() -> None:
    text = "Look:\n```python\nprint(1)\n```"
    assert action_complete(text) == -1  # the closing line may still grow ("```python" …)
    assert action_complete(text + "\nmore") == len(text)
    assert action_complete("<solution>```python\nx\n```\n") == -1  # an answer, not an action


def test_prose_and_fences_inside_execute() -> None:
    parsed = parse_reply("I will check.\n<execute>\nRun this:\n```python\nprint(2)\n```\n</execute>")
    assert parsed.code == "print(2)" and parsed.prose == "I will check."


def test_a_failures_note_counts_the_failing_runs_only(prompts: PromptLibrary) -> None:
    """`replace_in_file` worked once, then failed twice the same way: "2 times", not 3."""
    tracker = ProgressTracker()
    edit = "replace_in_file('a.py', 'x', 'y')"
    assert tracker.action(edit, ExecutionResult("", "", "ok", changed_files=(FileChange("a.py", "modified"),))) is None
    failed = ExecutionResult("", "ValueError: the text to replace was not found in a.py\n", "error", 1)
    assert tracker.action(edit, failed) is None
    repeat = tracker.action(edit, failed)
    assert repeat == Repeat("failure", 2, "ValueError: the text to replace was not found in a.py", 3)
    assert repeat_note(prompts, repeat).startswith("Note: you have now run this same code 2 times and it failed the same way")
