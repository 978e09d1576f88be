"""Turn an execution result into the observation the model reads next.

Long output keeps its head and its tail (the end of a traceback matters most) and says how many
lines were left out; very long lines are cut too, so one minified line cannot fill the context.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .ports import ExecutionResult, FileChange
from .progress import Repeat
from .prompts import PromptLibrary
from .test_runs import last_test_run

NotRunReason = Literal["cut", "looping", "thinking"]
Ignored = Literal["text", "cut"]
"""What of a reply did not run with its action: text after the action, or a cut action's
unfinished end (its whole definitions ran)."""

LINE_LIMIT_CHARS = 500
"""The most characters kept of one output line."""


@dataclass(frozen=True)
class ClippedText:
    """Text shortened to a line budget."""

    text: str
    omitted_lines: int
    """How many whole lines were left out of the middle."""


def _clip_line(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]}… [{len(line) - limit} more characters]"


def clip_lines(text: str, max_lines: int, *, max_line_chars: int = LINE_LIMIT_CHARS) -> ClippedText:
    """Keep the first and last lines of a text within `max_lines` (about 1/3 head, 2/3 tail)."""
    lines = text.splitlines()
    lines = [_clip_line(line, max_line_chars) for line in lines]
    max_lines = max(max_lines, 2)
    if len(lines) <= max_lines:
        return ClippedText("\n".join(lines), 0)
    head = max(max_lines // 3, 1)
    tail = max_lines - head
    omitted = len(lines) - head - tail
    kept = [*lines[:head], f"[… {omitted} lines omitted …]", *lines[-tail:]]
    return ClippedText("\n".join(kept), omitted)


def clip_chars(text: str, max_chars: int) -> str:
    """Keep the first third and last two thirds of a text within `max_chars` characters."""
    if len(text) <= max_chars:
        return text
    head = max_chars // 3
    tail = max_chars - head
    return f"{text[:head]}\n[… {len(text) - head - tail} characters omitted …]\n{text[-tail:]}"


def _describe_status(result: ExecutionResult) -> str:
    duration = f" in {result.duration_s:.1f}s" if result.duration_s >= 0.05 else ""
    if result.status == "ok":
        return f"the code ran to the end{duration}."
    if result.status == "error":
        code = f" (exit status {result.exit_code})" if result.exit_code not in (None, 0, 1) else ""
        return f"the code failed{code}{duration}."
    stopped_by = result.stopped_by or "a limit"
    return f"the code was stopped by {stopped_by}{duration}."


def _describe_change(change: FileChange) -> str:
    if change.change == "renamed" and change.old_path:
        return f"- renamed: {change.old_path} → {change.path}"
    return f"- {change.change}: {change.path}"


def format_observation(
    result: ExecutionResult,
    library: PromptLibrary,
    *,
    max_lines: int = 120,
    max_chars: int = 12_000,
    ignored: Ignored | None = None,
    max_files: int = 30,
    same_content: bool = False,
) -> str:
    """The observation message for one finished action.

    Output is cut to `max_lines` lines and `max_chars` characters in all (head and tail kept),
    shared between stdout and stderr when both have text. `same_content`: the history saw that
    the files the action wrote hold what they held before (said so, not listed as changed).
    """
    sections: list[str] = []
    both = bool(result.stdout.strip()) and bool(result.stderr.strip())
    lines_each = max(max_lines // 2, 2) if both else max_lines
    chars_each = max(max_chars // 2, 200) if both else max(max_chars, 200)
    if result.stdout.strip():
        clipped = clip_lines(result.stdout.rstrip("\n"), lines_each)
        sections.append(f"stdout:\n{clip_chars(clipped.text, chars_each)}")
    if result.stderr.strip():
        clipped = clip_lines(result.stderr.rstrip("\n"), lines_each)
        sections.append(f"stderr:\n{clip_chars(clipped.text, chars_each)}")
    if not sections:
        # Helpers return their text: a small model often forgets to print it.
        sections.append("(no output: print() what you want to see, e.g. print(run_tests()))" if result.status == "ok" else "(no output)")
    if result.truncated:
        streams = " and ".join(result.truncated)
        sections.append(f"Note: {streams} passed the sandbox's output limit and was cut.")
    if result.changed_files:
        listed = [_describe_change(c) for c in result.changed_files[:max_files]]
        more = len(result.changed_files) - max_files
        if more > 0:
            listed.append(f"- … and {more} more")
        title = "Files written with the content they already had (nothing changed)" if same_content else "Files changed"
        sections.append(f"{title}:\n" + "\n".join(listed))
    if result.state_reset and result.restored_names:
        names = ", ".join(result.restored_names[:20]) + (" …" if len(result.restored_names) > 20 else "")
        sections.append(f"Note: the Python session was restarted; the variables from before this action are back ({names}); what this action defined is gone.")
    elif result.state_reset:
        sections.append("Note: the Python session was restarted; variables and imports are gone.")
    for warning in result.warnings:
        sections.append(f"Warning: {warning}")
    if ignored is not None:
        sections.append(library.text({"text": "observation_ignored.md", "cut": "observation_cut_kept.md"}[ignored]).strip())
    return library.render(
        "observation.md", status=_describe_status(result), sections="\n\n".join(sections)
    ).rstrip()


def test_report(result: ExecutionResult, *, max_lines: int = 120, max_chars: int = 12_000) -> str:
    """What the model reads of a test run the agent started: `run_tests`'s report, cut as an
    action's output is; a run that did not end says how."""
    report = result.stdout.strip()
    if result.stderr.strip():
        report = f"{report}\nstderr:\n{result.stderr.strip()}".strip()
    if result.status != "ok" or not report:
        report = f"{report}\n(the test run {_describe_status(result).removeprefix('the code ')})".strip()
    return clip_chars(clip_lines(report, max_lines).text, max(max_chars, 200))


def format_auto_tests(result: ExecutionResult, library: PromptLibrary, files: Iterable[str], *, max_lines: int = 120, max_chars: int = 12_000) -> str:
    """What the model reads of the test run the agent started after its change to `files`."""
    report = test_report(result, max_lines=max_lines, max_chars=max_chars)
    return library.render("observation_auto_tests.md", files=quoted_paths(files), report=report).rstrip()


def format_declined(library: PromptLibrary, reason: str = "") -> str:
    """The observation for an action the user declined."""
    return library.render("observation_declined.md", reason=reason).rstrip()


def format_not_run(library: PromptLibrary, why: NotRunReason, *, limit: int | None = None) -> str:
    """The observation for a reply whose action could not run: cut at the token limit
    (`cut`), stopped because it repeated itself (`looping`), or reasoning only (`thinking`)."""
    name = {"cut": "observation_cut.md", "looping": "observation_looping.md", "thinking": "observation_thinking_only.md"}[why]
    return library.render(name, limit=f" ({limit} tokens)" if limit else "").rstrip()


TRACE_HEADING = "How the code ran"
"""How `run_tests` (sandbox/codeact_tests.py) starts the trace of a failing test."""
STUB_PLACEHOLDER = "# your code here"
"""What `run_tests` puts in the bodies of the stub template it shows (its PLACEHOLDER)."""


def quoted_paths(paths: Iterable[str]) -> str:
    """Paths for a note to the model: `a.py`, `b.py`."""
    return ", ".join(f"`{path}`" for path in paths)


def repeat_note(
    library: PromptLibrary,
    repeat: Repeat,
    *,
    tests_failing: str | None = None,
    untested: tuple[str, ...] = (),
    output: str = "",
    report: str = "",
) -> str:
    """The note added to an observation when the step repeated an earlier one of this turn.

    Under failing tests (`tests_failing`, the counts of a failing run no change followed) the same
    step sent again gets the way out of them, pointing at the stub template or the trace when
    the failing run's `report` has one, and saying whether the step itself ran the tests (its
    `output`); with `untested` files (changed, the request speaks of tests, no run since) it gets
    the test run to take. Neither is offered to answer: a small model takes that offer, and
    answers under failing or unrun tests."""
    if repeat.kind == "failure":
        return library.render("observation_repeated.md", count=repeat.count, error=repeat.detail).rstrip()
    if tests_failing is not None:
        report = report or output
        name = (
            "observation_no_progress_stubs.md" if STUB_PLACEHOLDER in report
            else "observation_no_progress_traced.md" if TRACE_HEADING in report
            else "observation_no_progress_tests.md"
        )
        # A step that did not run the tests (a listing, the same rewrite) did not see them fail again.
        how = ", and the tests fail the same way each time" if last_test_run(output) is not None else " with the same result, and the tests still fail"
        return library.render(name, count=repeat.runs, how=how, counts=tests_failing).rstrip()
    if untested:
        return library.render("observation_no_progress_untested.md", count=repeat.runs, files=quoted_paths(untested)).rstrip()
    return library.render("observation_no_progress.md", count=repeat.runs).rstrip()
