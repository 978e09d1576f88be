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


class Money:
    def __init__(self, cents):
        self.cents = cents

    def __eq__(self, other):
        return self.cents == other.cents

    def __repr__(self):
        return f"Money({self.cents})"

    def add(self, other):
        return Money(self.cents * other.cents)


def evens(n):
    for i in range(0, n, 2):
        yield i


def score(word):
    return sum(ord(c) - 96 for c in word)


def norm(w):
    return w.lower()


def norm_all(text):
    return [norm(w) for w in text]
'''


def record(trace: ModuleType, tmp_path: Path, calls: str, name: str = "test_x") -> str:
    """Run `calls` as a test file's code (using the project module `code`) under the recorder;
    the trace text."""
    (tmp_path / "code.py").write_text(CODE)
    (tmp_path / "code_test.py").write_text("import code_under_trace as code\n\ntry:\n" + "".join(f"    {line}\n" for line in calls.splitlines()) + "except Exception:\n    pass\n")
    load(tmp_path / "code.py", "code_under_trace")
    before = sys.gettrace()
    with trace.recording(lambda path: path == str(tmp_path / "code.py"), lambda path: path == str(tmp_path / "code_test.py")) as recorder:
        load(tmp_path / "code_test.py", "code_test")
    assert sys.gettrace() is before
    recorder.failed_as = name
    return trace.format_trace(recorder, str(tmp_path))


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
    assert "| value = Odd()  # value = <Odd instance at 0x" in record(trace, tmp_path, "code.odd()")
    text = record(trace, tmp_path, "code.spin(200_000)")
    lines = text.splitlines()
    assert len(lines) <= trace.TRACE_LINES + 6 and lines[-1] == "  returned 19999900000"
    assert lines[-2] == "  … the rest of the call is not shown"


def test_past_its_budget_tracing_stops_and_shows_nothing(trace: ModuleType, tmp_path: Path) -> None:
    """The last call seen might then not be the failing one."""
    assert record(trace, tmp_path, "for n in range(30):\n    code.spin(1000)") == ""
    assert record(trace, tmp_path, f"for n in range({trace.TOTAL_CALLS + 1}):\n    code.careful()") == ""


def test_only_the_tests_own_calls_count_and_generators_are_not_followed(trace: ModuleType, tmp_path: Path) -> None:
    # unittest's assertEqual calls __eq__ and __repr__ itself: those are not the test's calls.
    text = record(trace, tmp_path, "import unittest\nunittest.TestCase().assertEqual(code.Money(2).add(code.Money(3)), code.Money(6))")
    assert text.splitlines()[1:] == [
        "Earlier calls: Money.__init__(cents=2) returned None; Money.__init__(cents=3) returned None",
        "Money.add(other=Money(3))",
        "  58| return Money(self.cents * other.cents)",
        "    → Money.__init__(cents=6)",
        "      49| self.cents = cents  # self.cents = 6",
        "  returned Money(6)",
    ]  # the test's expected value, built after the call, is not the call shown
    assert record(trace, tmp_path, "list(code.evens(6))") == ""  # a generator's resumptions are no calls
    scored = record(trace, tmp_path, "code.score('abc')").splitlines()
    assert scored[2:] == ["  67| return sum(ord(c) - 96 for c in word)", "  returned 6"]
    calls = record(trace, tmp_path, "code.norm_all('abcdef')").splitlines()
    assert sum("→ norm(" in line for line in calls) == trace.ROUNDS  # repeated calls are cut like loops


def test_a_caught_exception_is_not_what_the_call_raised(trace: ModuleType, tmp_path: Path) -> None:
    text = record(trace, tmp_path, "code.careful()")
    assert "raised KeyError: 'x'" in text and text.endswith("  returned None")


def test_no_call_into_the_project_gives_no_trace(trace: ModuleType, tmp_path: Path) -> None:
    assert record(trace, tmp_path, "len('abc')") == ""
