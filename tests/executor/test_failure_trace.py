"""The guest's failure trace (`sandbox/codeact_trace.py`), loaded on the host: which lines ran,
the values they set, loops and long runs cut, errors and broken reprs shown."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SANDBOX = Path(__file__).parents[2] / "sandbox"


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def trace() -> ModuleType:
    return load(SANDBOX / "codeact_trace.py", "guest_trace")


CODE = '''\
def abbreviate(words):
    acronym = ''
    for word in words:
        acronym += word[0]
    return acronym.upper()


def _check(amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    return amount


class Account:
    def __init__(self):
        self.balance = 0

    def withdraw(self, amount):
        self.balance -= _check(amount) * 2
        return self.balance


class Odd:
    def __repr__(self):
        raise RuntimeError("no")


def odd():
    value = Odd()
    return value


def careful():
    try:
        {}["x"]
    except KeyError:
        pass


def spin(n):
    total = 0
    for i in range(n):
        total += i
    return total
'''


def record(trace: ModuleType, tmp_path: Path, calls: str, name: str = "test_x") -> str:
    """Run `calls` (code using the project module `code`) under the recorder; the trace text."""
    (tmp_path / "code.py").write_text(CODE)
    project = load(tmp_path / "code.py", "code_under_trace")
    with trace.recording(lambda path: path == str(tmp_path / "code.py")) as recorder:
        try:
            exec(calls, {"code": project})
        except Exception:
            pass
    return trace.format_trace(recorder, name, str(tmp_path))


def test_a_loop_shows_its_first_rounds_and_the_values_each_line_set(trace: ModuleType, tmp_path: Path) -> None:
    text = record(trace, tmp_path, "code.abbreviate('Portable Network Graphics')", "test_basic")
    assert text.splitlines()[1:] == [
        "abbreviate(words='Portable Network Graphics')",
        "  2| acronym = ''  # acronym = ''",
        "  3| for word in words:  # word = 'P'",
        "  4|     acronym += word[0]  # acronym = 'P'",
        "  3| for word in words:  # word = 'o'",
        "  4|     acronym += word[0]  # acronym = 'Po'",
        "  3| for word in words:  # word = 'r'",
        "  4|     acronym += word[0]  # acronym = 'Por'",
        "  … 45 more lines ran, repeating the ones above",
        "  5| return acronym.upper()",
        "  returned 'PORTABLE NETWORK GRAPHICS'",
    ]
    assert text.startswith("How the code ran in the failing test test_basic")


def test_methods_show_attributes_earlier_calls_and_nested_errors(trace: ModuleType, tmp_path: Path) -> None:
    text = record(trace, tmp_path, "a = code.Account()\na.withdraw(3)\na.withdraw(-1)")
    assert text.splitlines()[1:] == [
        "Earlier calls: Account.__init__() returned None; Account.withdraw(amount=3) returned -6",
        "Account.withdraw(amount=-1)",
        "  19| self.balance -= _check(amount) * 2  # raised ValueError: amount must be positive",
        "    → _check(amount=-1)",
        "      9| if amount <= 0:",
        "      10|     raise ValueError(\"amount must be positive\")  # raised ValueError: amount must be positive",
        "  raised ValueError: amount must be positive",
    ]
    assert "self.balance = -6" in record(trace, tmp_path, "code.Account().withdraw(3)")


def test_a_broken_repr_and_a_long_run_do_not_break_the_trace(trace: ModuleType, tmp_path: Path) -> None:
    assert "29| value = Odd()  # value = <Odd instance at 0x" in record(trace, tmp_path, "code.odd()")
    text = record(trace, tmp_path, "code.spin(200_000)")
    lines = text.splitlines()
    assert len(lines) <= trace.TRACE_LINES + 6 and lines[-1] == "  returned 19999900000"
    assert lines[-2] == "  … the rest of the call is not shown"
    many = record(trace, tmp_path, "for n in range(30):\n    code.spin(1000)\ncode.spin(10)").splitlines()
    assert many[1].startswith("Earlier calls: spin(n=1000) returned 499500; ") and many[1].endswith(" (and more)")
    assert many[2:] == [
        "spin(n=10)",
        f"  (its lines are not shown: the test ran over {trace.TOTAL_LINE_EVENTS:,} lines of the project's code before it)",
        "  returned 45",
    ]


def test_a_caught_exception_is_not_what_the_call_raised(trace: ModuleType, tmp_path: Path) -> None:
    text = record(trace, tmp_path, "code.careful()")
    assert "raised KeyError: 'x'" in text and text.endswith("  returned None")


def test_no_call_into_the_project_gives_no_trace(trace: ModuleType, tmp_path: Path) -> None:
    assert record(trace, tmp_path, "len('abc')") == ""
