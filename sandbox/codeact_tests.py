"""Runs INSIDE the sandbox: `run_tests(args="")`, the project's tests in-process.

pytest (copied read-only into the session by the host) runs when the project uses it: a pytest
configuration, a `conftest.py`, or test files written for pytest (top-level `def test_…` or an
`import pytest`). Otherwise unittest's discovery runs. Before each run the project's own modules
are forgotten, so the tests see the files as they are now. The result is a short summary line
first, then the failures, cut to fit an observation.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import re
import shlex
import sys
import tempfile
import time
from typing import Callable

import codeact_trace

MAX_CHARS = 6000
"""The most characters `run_tests` returns (summary and the last lines always kept)."""
CODE_LINES = 60
"""After failures, the project's code the tests imported is shown when it has at most this
many lines in all."""

NEXT_STEP = (
    "Next: fix the code under test: rewrite a wrong function whole with "
    "print(write_definitions(path, r'''def …''')), or change a few lines with "
    "replace_in_file(path, old, new), copying `old` exactly from the code; and call "
    "print(run_tests()) in the same action to confirm."
)
"""Said after failing tests: small models otherwise describe the fix instead of making it."""
STUB_STEP = "Next: {names} in {path} {still}. Write the code and run the tests in one action:"
"""Said after failing tests whose code is a stub, above a template to fill in: small models
copy the last action they saw (measured: Qwen2.5-Coder-1.5B re-ran the tests three times in
7 of 16 Exercism exercises), so the action they should take next is the one shown."""
PLACEHOLDER = "# your code here"
STUB_TEMPLATE_LINES = 40
"""A template longer than this is not shown (the generic next step is)."""
FULL_FAILURES = 5
"""unittest failures shown with their traceback; the ones after are one line each."""
TRACE_FAILURES = True
"""Whether the first failing test is run again, traced (`codeact_trace`); off only for the
benchmark's baseline (`benchmarks/sandbox/bench_failure_trace.py`)."""
RERUN_SECONDS = 10
"""A run that took longer is not followed by the traced re-run (it would take as long again)."""

_PYTEST_COUNTS = re.compile(r"\b\d+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed)\b.* in \d")
_PYTEST_STYLE = re.compile(r"^(def test_\w*\(|import pytest|from pytest import|@pytest\.)", re.MULTILINE)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache"}


def _has_pytest_config(root: str) -> bool:
    def read(name: str) -> str:
        try:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    if any(os.path.isfile(os.path.join(root, n)) for n in ("pytest.ini", ".pytest.ini", "conftest.py")):
        return True
    return "[tool.pytest" in read("pyproject.toml") or "[pytest]" in read("tox.ini") or "[tool:pytest]" in read("setup.cfg")


def _test_files(root: str, limit: int = 2000):
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                seen += 1
                if seen > limit:
                    return
                yield os.path.join(folder, name)


def uses_pytest(root: str = ".") -> bool:
    """Whether the project's tests are meant for pytest (else unittest runs them)."""
    if _has_pytest_config(root):
        return True
    for path in _test_files(root):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if _PYTEST_STYLE.search(f.read()):
                    return True
        except OSError:
            continue
    return False


def _in_project(path: str, root: str = ".") -> str | None:
    """The path relative to the project when it is inside it and outside its virtualenv."""
    base = os.path.abspath(root) + os.sep
    path = os.path.abspath(path)
    if not path.startswith(base) or path.startswith(tuple(base + d + os.sep for d in (".venv", "venv"))):
        return None
    return path[len(base) :]


def forget_project_modules(root: str = ".") -> int:
    """Drop the project's modules from `sys.modules` (not its virtualenv's), so the next import
    reads the files as they are now; returns how many were dropped."""
    dropped = 0
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and _in_project(file, root) is not None:
            del sys.modules[name]
            dropped += 1
    importlib.invalidate_caches()
    return dropped


def _is_test_file(path: str) -> bool:
    name = os.path.basename(path)
    parts = path.replace(os.sep, "/").split("/")
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or "tests" in parts[:-1]


def _python_file(path: str, root: str = ".") -> str | None:
    """The project-relative path of a Python file of the project (not code made at run time,
    such as `<string>` or a namedtuple's methods)."""
    relative = _in_project(path, root)
    return relative if relative is not None and path.endswith(".py") and os.path.isfile(path) else None


def project_source(path: str, root: str = ".") -> bool:
    """Whether a file is the project's own (non-test) code."""
    relative = _python_file(path, root)
    return relative is not None and not _is_test_file(relative)


def test_source(path: str, root: str = ".") -> bool:
    """Whether a file is one of the project's test files (or a `conftest.py`)."""
    relative = _python_file(path, root)
    return relative is not None and _is_test_file(relative)


def project_modules_loaded(root: str = ".") -> list[str]:
    """The project's own (non-test) source files now imported, relative to the project."""
    found = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and project_source(file, root) and os.path.getsize(file) > 0:
            found.add(_in_project(file, root))
    return sorted(found)  # type: ignore[arg-type]


def _code_under_test(paths: list[str]) -> str:
    """The numbered source of the code the tests imported, when it is short (a small model
    that sees the code fixes it; one that does not guesses), else just the file names."""
    texts = []
    total = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        total += len(lines)
        width = len(str(len(lines)))
        texts.append(f"{path}:\n" + "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, 1)))
    if texts and total <= CODE_LINES:
        return "The code under test:\n" + "\n".join(texts)
    return f"The code under test is in {', '.join(paths)}." if paths else ""


def _is_stub(node: ast.AST) -> bool:
    """A function whose body (after its docstring) is only `pass`, `...` or
    `raise NotImplementedError`, on lines of its own."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or body[0].lineno == node.lineno:
        return False
    statement = body[0]
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False


def _own_line(lines: list[str], statement: ast.stmt) -> bool:
    """Whether a statement starts its line (a body that can be replaced line by line)."""
    return not lines[statement.lineno - 1][: statement.col_offset].strip()


def _stub_blocks(source: str, report: str) -> list[tuple[str, str]]:
    """(name, template) for each top-level function that is a stub, and each class with stub
    methods, that the test report names; the stubs' bodies become PLACEHOLDER."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines()
    blocks = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            stubs = [item for item in node.body if _is_stub(item)]
            named = [node.name] + [stub.name for stub in stubs]  # type: ignore[attr-defined]
        else:
            stubs = [node] if _is_stub(node) else []
            named = [getattr(node, "name", "")]
        if not stubs or not any(re.search(rf"\b{re.escape(name)}\b", report) for name in named):
            continue
        if not all(_own_line(lines, stub.body[-1]) for stub in stubs):  # type: ignore[attr-defined]
            return []
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])  # type: ignore[attr-defined]
        block = lines[start - 1 : node.end_lineno]
        for stub in reversed(stubs):
            statement = stub.body[-1]  # type: ignore[attr-defined]
            indent = lines[statement.lineno - 1][: statement.col_offset]
            block[statement.lineno - start : statement.end_lineno - start + 1] = [indent + PLACEHOLDER]
        blocks.append((node.name, "\n".join(block)))  # type: ignore[attr-defined]
    return blocks


def _stub_step(paths: list[str], report: str) -> str:
    """The next action to take when the failing tests call stubs of one file: a template of
    `write_definitions` with the stubs to fill in; empty when there is none to show."""
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                source = f.read()
        except OSError:
            continue
        blocks = _stub_blocks(source, report)
        code = "\n\n".join(block for _, block in blocks)
        if not blocks or "'''" in code or code.count("\n") >= STUB_TEMPLATE_LINES:
            continue
        names = ", ".join(f"`{name}`" for name, _ in blocks)
        step = STUB_STEP.format(names=names, path=path, still="are still stubs" if len(blocks) > 1 else "is still a stub")
        return f"{step}\n\nprint(write_definitions({path!r}, r'''{code}\n'''))\nprint(run_tests())"
    return ""


def _cut(text: str, keep_tail_lines: int = 12) -> str:
    """Keep the head of the report and its last lines (the summary) within MAX_CHARS."""
    if len(text) <= MAX_CHARS:
        return text
    lines = text.splitlines()
    tail = "\n".join(lines[-keep_tail_lines:])
    room = max(MAX_CHARS - len(tail) - 80, 500)
    head = text[:room].rsplit("\n", 1)[0]
    omitted = len(text) - len(head) - len(tail)
    return f"{head}\n[… {omitted} characters of the report omitted …]\n{tail}"


def _pytest_options(argv: list[str]) -> list[str]:
    options = ["-q", "--tb=short", "--no-header", "-rfE", "-p", "no:cacheprovider", "-p", "no:faulthandler"]
    options += ["-p", "no:pastebin", "-o", "console_output_style=classic"]
    # pytest's log-file handler opens os.devnull by default, and the sandbox has no /dev/null.
    options += ["-o", f"log_file={os.path.join(tempfile.gettempdir(), 'codeact-pytest.log')}"]
    if not any(a == "-s" or a.startswith("--capture") for a in argv):
        options.append("--capture=sys")  # fd capture needs dup2, which WASI lacks
    return options


def _pytest_trace(nodeid: str) -> str:
    """The first failing test run again alone, traced; empty when it passed this time."""
    import pytest

    class Tracing:
        recorder: codeact_trace.Recorder | None = None

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):  # type: ignore[no-untyped-def]
            with codeact_trace.recording(project_source, test_source) as self.recorder:
                yield

        def pytest_runtest_logreport(self, report):  # type: ignore[no-untyped-def]
            if report.when == "call" and report.failed and self.recorder is not None:
                self.recorder.stopped, self.recorder.failed_as = True, report.location[2]

    tracing = Tracing()
    forget_project_modules()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main([*_pytest_options([]), nodeid], plugins=[tracing])
    if tracing.recorder is None or not tracing.recorder.stopped:
        return ""  # it passed when run alone (order, randomness): its trace would mislead
    return codeact_trace.format_trace(tracing.recorder, os.getcwd())


def _run_pytest(argv: list[str]) -> tuple[str, str, Callable[[], str] | None]:
    import pytest

    class FirstFailure:
        nodeid: str | None = None

        def pytest_runtest_logreport(self, report):  # type: ignore[no-untyped-def]
            if report.when == "call" and report.failed and self.nodeid is None:
                self.nodeid = report.nodeid

    first = FirstFailure()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main([*_pytest_options(argv), *argv], plugins=[first])
    report = out.getvalue().strip()
    lines = [line.strip("= ") for line in report.splitlines() if line.strip()]
    # The counts line ("1 failed, 2 passed in 0.1s"), not a banner such as -x's "stopping after".
    counted = [line for line in lines if _PYTEST_COUNTS.search(line)]
    last = counted[-1] if counted else lines[-1] if lines else ""
    status = {0: "passed", 1: "FAILED", 2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}.get(int(code), f"exit {int(code)}")
    nodeid = first.nodeid
    return f"pytest: {status}: {last}", report, (lambda: _pytest_trace(nodeid)) if nodeid else None


UNITTEST_PATTERNS = ("test*.py", "*_test.py")
"""The test files unittest's discovery looks for: its own default, and `x_test.py` (as pytest
finds them, and as Exercism and many projects name them)."""


def _discover(unittest):  # type: ignore[no-untyped-def]
    """Every test in files matching UNITTEST_PATTERNS, each once."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    seen = set()

    def add(item) -> None:  # type: ignore[no-untyped-def]
        if isinstance(item, unittest.TestSuite):
            for inner in item:
                add(inner)
        elif item.id() not in seen:
            seen.add(item.id())
            suite.addTest(item)

    for pattern in UNITTEST_PATTERNS:
        add(loader.discover(".", pattern=pattern, top_level_dir="."))
    return suite


_CARETS = re.compile(r"^\s*[~^]+\s*$")


_FRAME = re.compile(r'^\s*File ".*", line \d+, in ')


_GROUP_MARGIN = re.compile(r"^(\s*[|+][ -]*)+(?=\s)")
_ELIDED = re.compile(r"^\s*\.\.\.<\d+ lines?>\.\.\.\s*$")


def without_markers(trace: str) -> list[str]:
    """A traceback's lines without the position markers (`~~~^^^`) and `...<2 lines>...` under a
    frame's code: a small model copies them into its next action as if they were code (measured:
    Qwen2.5-Coder-1.5B, in `replace_in_file`'s `old`). A SyntaxError's `^`, which has no frame
    and says where the error is, stays."""
    kept = []
    in_frame = False
    for line in trace.splitlines():
        body = _GROUP_MARGIN.sub("", line)  # an exception group's members are drawn in a margin
        if body.lstrip().startswith('File "'):
            in_frame = bool(_FRAME.match(body))
        elif not body.startswith(" "):
            in_frame = False
        if in_frame and (_CARETS.match(body) or _ELIDED.match(body)):
            continue
        kept.append(line)
    return kept


def _trace_lines(trace: str) -> list[str]:
    """A failure's traceback without its header, its markers (`without_markers`), and the
    project folder in file names."""
    root = f'File "{os.getcwd()}{os.sep}'
    return [
        line.replace(root, 'File "')
        for line in without_markers(trace)
        if line.strip() and not line.startswith("Traceback (most recent call last)")
    ]


def _test_name(test) -> str:  # type: ignore[no-untyped-def]
    """A test's method name, with a subtest's parameters."""
    case = getattr(test, "test_case", test)  # a subtest's own case
    name = getattr(case, "_testMethodName", str(test))
    describe = getattr(test, "_subDescription", None)
    return f"{name} {describe()}" if case is not test and describe is not None else name


def _unittest_report(result, printed: str) -> str:  # type: ignore[no-untyped-def]
    """The failures, the first FULL_FAILURES with their traceback and the rest one line each,
    then what the tests printed: the report unittest writes repeats every separator and marker,
    which costs a small model's context more than it tells."""
    problems = [("ERROR", test, trace) for test, trace in result.errors]
    problems += [("FAIL", test, trace) for test, trace in result.failures]
    problems += [("UNEXPECTED SUCCESS", test, "") for test in getattr(result, "unexpectedSuccesses", ())]
    parts = []
    for kind, test, trace in problems[:FULL_FAILURES]:
        parts.append("\n".join([f"{kind}: {test}", *_trace_lines(trace)]))
    rest = problems[FULL_FAILURES:]
    if rest:
        lines = []
        for kind, test, trace in rest:
            trace_lines = _trace_lines(trace)
            frames = [n for n, line in enumerate(trace_lines) if line.startswith('  File "')]
            after = trace_lines[frames[-1] + 1 :] if frames else trace_lines
            code = " ".join(line.strip() for line in after if line.startswith("    "))
            error = next((line for line in after if not line.startswith(" ")), "")
            said = " -> ".join(part[:200] for part in (code, error) if part)
            lines.append(f"{kind}: {_test_name(test)}" + (f": {said}" if said else ""))
        parts.append(f"{len(rest)} more:\n" + "\n".join(lines))
    if printed.strip():
        parts.append("Printed while testing:\n" + printed.strip())
    return "\n\n".join(parts)


def _unittest_trace(test) -> str:  # type: ignore[no-untyped-def]
    """A failing test loaded afresh (the project's modules too) and run again alone, in a suite
    so its class and module fixtures run, traced until it fails; empty when it passed this time."""
    import unittest

    case = getattr(test, "test_case", test)
    if not hasattr(type(case), getattr(case, "_testMethodName", "")):
        return ""  # a class or module fixture that failed: no test to run again

    class StopAtFailure(unittest.TestResult):
        def __init__(self, recorder: codeact_trace.Recorder) -> None:
            super().__init__()
            self.recorder = recorder

        def _stop(self, test) -> None:  # type: ignore[no-untyped-def]
            if not self.recorder.stopped:
                self.recorder.stopped, self.recorder.failed_as = True, _test_name(test)

        def addFailure(self, test, err) -> None:  # type: ignore[no-untyped-def]
            self._stop(test)
            super().addFailure(test, err)

        def addError(self, test, err) -> None:  # type: ignore[no-untyped-def]
            self._stop(test)
            super().addError(test, err)

        def addSubTest(self, test, subtest, err) -> None:  # type: ignore[no-untyped-def]
            if err is not None:
                self._stop(subtest)
            super().addSubTest(test, subtest, err)

    forget_project_modules()  # module state (caches, counters) as the first run found it
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fresh = unittest.TestLoader().loadTestsFromName(case.id())
        with codeact_trace.recording(project_source, test_source) as recorder:
            fresh.run(StopAtFailure(recorder))
    if not recorder.stopped:
        return ""  # it passed when run alone (order, randomness): its trace would mislead
    return codeact_trace.format_trace(recorder, os.getcwd())


def _run_unittest(argv: list[str]) -> tuple[str, str, Callable[[], str] | None]:
    import unittest

    printed = io.StringIO()
    runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        if argv:
            result = unittest.main(module=None, argv=["python -m unittest", *argv], exit=False, testRunner=runner).result
        else:
            result = runner.run(_discover(unittest))
    # A test whose subtests fail is one failed test, however many of them fail.
    failing = {getattr(test, "test_case", test).id() for test, _ in result.failures + result.errors}
    failed = len(failing) + len(getattr(result, "unexpectedSuccesses", ()))
    passed = result.testsRun - failed - len(result.skipped)
    parts = [f"{passed} passed"] + ([f"{failed} failed"] if failed else []) + ([f"{len(result.skipped)} skipped"] if result.skipped else [])
    status = "no tests collected" if result.testsRun == 0 else "passed" if result.wasSuccessful() else "FAILED"
    first = next(iter(result.errors + result.failures), None)
    retrace = (lambda: _unittest_trace(first[0])) if first is not None else None
    return f"unittest: {status}: {', '.join(parts)}", _unittest_report(result, printed.getvalue()), retrace


def _pytest_available() -> bool:
    try:
        import pytest  # noqa: F401
    except ImportError:
        return False
    return True


def run_tests(args: str = "") -> str:
    """Run the project's tests on the files as they are now.

    Args:
        args: Extra arguments as on a command line: for pytest e.g. "-k test_add" or
            "tests/test_cart.py"; for unittest test names such as "test_calc.CalcTest".

    Returns:
        A summary line (runner, passed/FAILED, counts), then the report with the failures, cut
        to fit.
    """
    argv = shlex.split(args)
    forget_project_modules()
    writes = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ (or pytest's rewritten .pyc) in the project
    started = time.monotonic()
    try:
        summary, report, retrace = _run_pytest(argv) if uses_pytest() and _pytest_available() else _run_unittest(argv)
        took = time.monotonic() - started
        tested = project_modules_loaded()
        failed = ": FAILED:" in summary
        step = _stub_step(tested, report) if failed else ""
        traced = failed and not step and retrace is not None and TRACE_FAILURES and took <= RERUN_SECONDS
        how = _trace_of(retrace) if traced else ""  # type: ignore[arg-type]
    finally:
        sys.dont_write_bytecode = writes
        forget_project_modules()
    text = f"{summary} ({took:.1f}s)\n\n{_cut(report)}".rstrip()
    if failed:
        code = _code_under_test(tested)
        text += "".join("\n\n" + part for part in (code, how) if part) + "\n\n" + (step or NEXT_STEP)
    return text


def _trace_of(retrace: Callable[[], str]) -> str:
    """The failing test's trace, or nothing when tracing it failed (the report stands alone)."""
    try:
        return retrace()
    except Exception:  # noqa: BLE001 - a trace is a help, never a reason for run_tests to fail
        return ""
