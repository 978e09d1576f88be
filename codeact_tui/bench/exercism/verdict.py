"""The verdict on a solution: the exercise's PRISTINE test files, run in a fresh sandbox session on
a copy of the solution files — never on the solver's folder, so editing, deleting or shadowing
the tests there changes nothing.

Also the test report as aider's harness shows it to the model for its second attempt (see
`aider_cut`). Run as a module it judges one folder and prints JSON, for harnesses outside this
package (the side-by-side run of aider itself):

    python -m codeact_tui.bench.exercism.verdict EXERCISE_FOLDER SOLUTION_FOLDER
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ...config import CodeIntelSettings, SandboxSettings
from ..guest_task import GUEST_DIR, CodeRunner
from .exercises import Exercise, load_exercise

MARKER = "@@exercism@@ "
TIMED_OUT = "Tests timed out!"
"""What aider's harness reports when the tests run past their timeout."""
CUT_LINES = 50
"""Aider's harness shows the model the first 50 lines of the test output."""

class ProjectRunner(Protocol):
    """Builds a fresh sandbox over a folder (served at /project)."""

    def __call__(self, project: Path, code_intel: CodeIntelSettings | None = None) -> CodeRunner:
        """The sandbox of `project`; with `code_intel`, it offers guest code the code tools
        (outline, definitions, references, search), as a conversation's sandbox does."""
        ...


@dataclass(frozen=True)
class TestReport:
    """How the pristine tests went on one solution."""

    passed: bool
    tests_run: int
    failures: int
    errors: int
    output: str
    """The unittest report and whatever the code printed (capped in the guest)."""
    timed_out: bool = False


def project_runner(settings: SandboxSettings) -> ProjectRunner:
    """Real sandboxes (with the guest test runner importable) with the given limits."""

    def make(project: Path, code_intel: CodeIntelSettings | None = None) -> CodeRunner:
        from ...executor import SandboxExecutor
        from ...wiring import code_tools

        tools = code_tools(project, code_intel) if code_intel is not None else []
        return SandboxExecutor(project, settings, import_dirs=[GUEST_DIR], extra_tools=tools)

    return make


def _copy_file(source: Path, target: Path) -> None:
    """Copy a regular file (never a symlink, which could point at anything)."""
    if source.is_file() and not source.is_symlink():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


async def judge(exercise: Exercise, solution_dir: Path, make_runner: ProjectRunner, timeout_s: float = 60.0) -> TestReport:
    """Run the pristine tests on a copy of the solution files found in `solution_dir`.

    A missing solution file is left missing (its tests fail on the import). Raises only when the
    sandbox itself fails (the episode is then an error, not a failure).
    """
    nonce = secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="exercism-verdict-") as scratch:
        folder = Path(scratch) / exercise.slug
        folder.mkdir()
        for name in exercise.solution_files:
            _copy_file(solution_dir / name, folder / name)
        for name in exercise.test_files:
            _copy_file(exercise.folder / name, folder / name)
        runner = make_runner(folder)
        await runner.start()
        try:
            result = await runner.run(f"import exercism_guest; exercism_guest.verdict({nonce!r})", deadline_s=timeout_s)
        finally:
            await runner.close()
    if result.status == "stopped" and result.stopped_by == "deadline":
        return TestReport(False, 0, 0, 0, TIMED_OUT, timed_out=True)
    for line in reversed(result.stdout.split("\n")):
        if line.startswith(MARKER):
            try:
                payload = json.loads(line[len(MARKER):])
            except ValueError:
                continue
            if payload.get("nonce") != nonce:
                continue
            return TestReport(
                passed=bool(payload["passed"]),
                tests_run=int(payload["tests_run"]),
                failures=int(payload["failures"]),
                errors=int(payload["errors"]),
                output=str(payload["output"]),
            )
    # The run ended without a result: the solution killed the interpreter (memory, a hard stop).
    why = result.stopped_by or (result.stderr.strip().rsplit("\n", 1)[-1] if result.stderr.strip() else result.status)
    return TestReport(False, 0, 0, 1, f"The tests did not finish: {why}\n{result.stderr[-2000:]}".rstrip())


def aider_cut(output: str, slug: str, lines: int = CUT_LINES) -> str:
    """The test report as aider's Exercism harness passes it to the model: timing lines removed,
    rule lines shortened, the test folder's path replaced by its name, the first `lines` lines."""
    text = re.sub(r"^Ran \d+ tests? in \d+\.\d+s$", "", output, flags=re.MULTILINE)
    text = re.sub(r"^====*$", "====", text, flags=re.MULTILINE)
    text = re.sub(r"^----*$", "----", text, flags=re.MULTILINE)
    text = text.replace("/project", slug)
    return "\n".join(text.splitlines()[:lines])


def main(argv: list[str] | None = None) -> int:
    """Judge a solution folder against an exercise; print the report as JSON (aider's cut too)."""
    parser = argparse.ArgumentParser(description="Run an exercise's pristine tests on a solution, in the sandbox.")
    parser.add_argument("exercise", type=Path, help="the exercise folder in the exercism/python checkout")
    parser.add_argument("solution", type=Path, help="the folder holding the solution files")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for the tests (default 60)")
    args = parser.parse_args(argv)
    exercise = load_exercise(args.exercise)
    report = asyncio.run(judge(exercise, args.solution, project_runner(SandboxSettings()), args.timeout))
    data = asdict(report)
    data["cut"] = TIMED_OUT if report.timed_out else aider_cut(report.output, exercise.slug)
    json.dump(data, sys.stdout)
    print()
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
