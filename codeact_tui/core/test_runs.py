"""What an action's output says about the project's tests: the summary line `run_tests` prints.

The agent holds an answer given while the turn's last test run failed and no file changed
since (measured: Qwen2.5-Coder-1.5B answered "the code is already correct" right under
"0 passed, 9 failed" in 4 of 16 Exercism exercises). The line's shape is the sandbox helper's
(`sandbox/codeact_tests.py`, `run_tests`); a test runs both against each other.
"""

from __future__ import annotations

import re

_SUMMARY = re.compile(
    r"^(?P<runner>pytest|unittest): (?P<status>passed|FAILED|no tests collected|[a-z ]+error|interrupted|exit \d+)"
    r"(?::\s*(?P<counts>.*?))?(?: \(\d+(?:\.\d+)?s\))?$",
    re.MULTILINE,
)


def last_test_run(stdout: str) -> tuple[bool, str] | None:
    """(passed, counts) of the last test summary an action printed; None when it printed none.

    A run that collected nothing or could not start counts as not passed."""
    found = None
    for found in _SUMMARY.finditer(stdout):
        pass
    if found is None:
        return None
    counts = (found["counts"] or found["status"]).strip()
    return found["status"] == "passed", counts
