"""What a turn's actions say about the project's tests: the summary line `run_tests` prints,
and whether the code changed since.

The agent holds an answer given while the turn's last test run failed and no file changed
since (measured: Qwen2.5-Coder-1.5B answered "the code is already correct" right under
"0 passed, 9 failed" in 4 of 16 Exercism exercises), or given after Python files changed with
no test run since when the request speaks of tests (it answered "the tests passed" without
running them). Before an answer given while the tests have not run in the turn at all, the
agent runs them (`not_run`). The line's shape is the sandbox helper's (`sandbox/codeact_tests.py`,
`run_tests`); a test runs both against each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

TestsHold = Literal["tests_failing", "untested"]
_SPEAKS_OF_TESTS = re.compile(r"\b(tests?|pytest|unittest)\b", re.IGNORECASE)

_SUMMARY = re.compile(
    r"^['\"]?(?P<runner>pytest|unittest): (?P<status>passed|FAILED|no tests collected|[a-z ]+error|interrupted|exit \d+)"
    r"(?::\s*(?P<counts>[^\n]*?))? \(\d+(?:\.\d+)?s\)",
    re.MULTILINE,
)
"""`run_tests`'s first line, ending in how long the run took; also as the quoted value of a
bare `run_tests()` at the end of an action, shown by the session (its repr, on one line)."""


_PASSED = re.compile(r"\b(\d+) passed\b")


def _last_summary(stdout: str) -> re.Match[str] | None:
    """The last test summary line an action printed, if any."""
    found = None
    for found in _SUMMARY.finditer(stdout):
        pass
    return found


def summary_line(stdout: str) -> str:
    """The last test summary line an action printed (`pytest: FAILED: 1 passed, 2 failed
    (0.4s)`); empty when it printed none."""
    found = _last_summary(stdout)
    return "" if found is None else found[0].lstrip("'\"")


def last_test_run(stdout: str) -> tuple[bool | None, str] | None:
    """(passed, counts) of the last test summary an action printed; None when it printed none.

    `passed` is None when the run tested nothing: it collected no tests, or could not run
    (a usage or internal error, interrupted)."""
    found = _last_summary(stdout)
    if found is None:
        return None
    counts = (found["counts"] or found["status"]).strip()
    status = found["status"]
    return {"passed": True, "FAILED": False}.get(status), counts


def passed_count(counts: str) -> int:
    """How many tests passed, from a summary's counts (`3 passed, 6 failed`: 3; none named: 0)."""
    found = _PASSED.search(counts)
    return int(found[1]) if found else 0


@dataclass
class TurnTests:
    """The tests as this turn's actions left them."""

    failing: str | None = None
    """The counts of the last test run when it failed and no file changed after it."""
    untested: tuple[str, ...] = ()
    """Python files changed after the last test run (or in a turn without one)."""
    report: str = ""
    """What the last test run printed (the model's own or the agent's after a change)."""

    def reset(self) -> None:
        """A new turn."""
        self.failing, self.untested, self.report = None, (), ""

    def action(self, stdout: str, changed: Iterable[str], *, tests_count: bool = True) -> None:
        """Record an action: the files whose content it changed and what it printed. A test run
        in it is taken to follow its changes (`run_tests` is called last, as the prompt
        shows); one that tested nothing changes nothing. `tests_count` False (plan mode)
        ignores its test runs."""
        changed = list(changed)
        if changed:
            self.failing = None
            self.untested += tuple(p for p in changed if p.endswith(".py") and p not in self.untested)
        run = last_test_run(stdout) if tests_count else None
        if run is not None and run[0] is not None:
            self.failing = run[1] if run[0] is False else None
            self.untested = ()
            self.report = stdout

    def untested_for(self, request: str) -> tuple[str, ...]:
        """The Python files changed after the last test run, when the request speaks of tests."""
        return self.untested if _SPEAKS_OF_TESTS.search(request) else ()

    def not_run(self, request: str) -> bool:
        """Whether the tests have not run in this turn, no Python file waits for them, and the
        request speaks of tests."""
        return not self.report and not self.untested and self.failing is None and bool(_SPEAKS_OF_TESTS.search(request))

    def hold(self, request: str, *, untested: bool = True) -> TestsHold | None:
        """Why an answer given now should go back to the model, if it should; `untested` False
        leaves out the changes no test run followed."""
        if self.failing is not None:
            return "tests_failing"
        if untested and self.untested_for(request):
            return "untested"
        return None
