"""In the real sandbox: one namespace for helpers and code tools, `run_tests` on unittest- and
pytest-style projects, and the project's virtualenv importable read-only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codeact_tui.codeintel.host_tools import make_host_tools
from codeact_tui.config import SandboxSettings
from codeact_tui.core.ports import ExecutionResult
from codeact_tui.core.observations import STUB_PLACEHOLDER, TRACE_HEADING
from codeact_tui.core.test_runs import last_test_run
from codeact_tui.executor import GUEST_PROJECT, SandboxExecutor

pytestmark = pytest.mark.sandbox


def run(project: Path, codes: list[str], *, code_tools: bool = False) -> list[ExecutionResult]:
    async def go() -> list[ExecutionResult]:
        tools = make_host_tools(project, guest_root=GUEST_PROJECT) if code_tools else []
        async with SandboxExecutor(project, SandboxSettings(deadline_s=60), extra_tools=tools) as executor:
            return [await executor.run(code) for code in codes]

    return asyncio.run(go())


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CALC = "def add(a, b):\n    return a - b\n"


def test_helpers_and_code_tools_are_one_namespace(tmp_path: Path) -> None:
    project = write(tmp_path, {"calc.py": CALC})
    results = run(
        project,
        [
            "print(tools.view_file('calc.py'))",  # a helper through tools.
            "from host import tools\nprint(tools.replace_in_file('calc.py', 'a - b', 'a + b'))",  # … after the import too
            "print([s['name'] for s in outline('calc.py')['symbols']])",  # a code tool as a global
            "tools.replace_file('calc.py', 'x', 'y')",
            "replace_file('calc.py', 'x', 'y')",
            "replace_in_file('calc.py', 'assert add(2, 3) == 5', 'x')",
            "print(src)",
            "solution",
            "run_test()",
        ],
        code_tools=True,
    )
    assert [r.status for r in results] == ["ok", "ok", "ok", "error", "error", "error", "error", "error", "error"]
    # A variable the model assumed is not offered a helper's name; a misspelt helper is.
    assert "Close names" not in results[6].stderr and "Close names" not in results[7].stderr
    assert "Close names in this sandbox: run_tests(args='')" in results[8].stderr
    # A replacement that misses shows the file, so the next try can copy the real text.
    assert "not found in calc.py. It holds:\n1| def add(a, b):\n2|     return a + b" in results[5].stderr
    assert "2|     return a - b" in results[0].stdout
    assert "replaced 1 line(s)" in results[1].stdout and "a + b" in (project / "calc.py").read_text()
    assert "['add']" in results[2].stdout
    attribute = results[3].stderr.strip().splitlines()[-1]
    assert attribute.startswith("AttributeError: tools has no 'replace_file'; did you mean replace_in_file(path, old, new)")
    assert "outline" in attribute and "run_tests" in attribute  # every real name is listed
    assert "replace_in_file(path, old, new)" in results[4].stderr  # a NameError gets the signature
    assert "emit" not in attribute and "poll" not in attribute  # plumbing stays hidden


def test_run_tests_with_pytest_sees_fresh_edits(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            "calc.py": CALC,
            "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n\ndef test_zero():\n    assert add(0, 0) == 0\n",
        },
    )
    results = run(
        project,
        [
            "print(run_tests())",
            "replace_in_file('calc.py', 'a - b', 'a + b')\nprint(run_tests('-k test_add'))",
            "import os\nprint(sorted(os.listdir('.')))",
        ],
    )
    first, second, listing = (r.stdout for r in results)
    assert first.startswith("pytest: FAILED: 1 failed, 1 passed")
    assert "assert -1 == 5" in first and "FAILED test_calc.py::test_add" in first
    assert "The code under test:\ncalc.py:\n1| def add(a, b):\n2|     return a - b" in first  # not the test file
    assert first.rstrip().endswith("call print(run_tests()) in the same action to confirm.")
    assert second.startswith("pytest: passed: 1 passed, 1 deselected")
    assert listing.strip() == "['calc.py', 'test_calc.py']"  # no caches or bytecode left behind


def test_run_tests_falls_back_to_unittest(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            "calc.py": CALC,
            "tests/__init__.py": "",
            "tests/test_calc.py": "import unittest\nfrom calc import add\n\n\nclass CalcTest(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    def test_zero(self):\n        self.assertEqual(add(0, 0), 0)\n",
        },
    )
    results = run(project, ["print(run_tests())", "write_file('calc.py', 'def add(a, b):\\n    return a + b\\n')\nprint(run_tests())"])
    assert results[0].stdout.startswith("unittest: FAILED: 1 passed, 1 failed")
    assert "AssertionError: -1 != 5" in results[0].stdout
    assert results[1].stdout.startswith("unittest: passed: 2 passed")


STUB_TESTS = (
    "import unittest\nfrom words import shout, Counter\n\n\nclass WordsTest(unittest.TestCase):\n"
    + "".join(f"    def test_{n}(self):\n        self.assertEqual(shout('a{n}'), 'A{n}!')\n\n" for n in range(7))
    + "    def test_count(self):\n        print('counting')\n        self.assertEqual(Counter().count('a b'), 2)\n"
)
STUBS = (
    "import re\n\n\ndef shout(text):\n    \"\"\"Upper case, with a bang.\"\"\"\n    pass\n\n\n"
    "def helper():\n    return 1\n\n\nclass Counter:\n    def __init__(self):\n        self.n = 0\n\n"
    "    def count(self, text):\n        raise NotImplementedError('later')\n"
)


def test_failing_stubs_get_a_template_and_the_report_stays_short(tmp_path: Path) -> None:
    """Stubs the failing tests call come back as the `write_definitions` action to fill in (the
    step a small model should copy); unittest's report keeps each failure's code and error, the
    first five with their traceback and the rest one line each, and what the tests printed."""
    project = write(tmp_path, {"words.py": STUBS, "words_test.py": STUB_TESTS})
    filled = (
        "def shout(text):\n    return text.upper() + '!'\n\n"
        "class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def count(self, text):\n        return len(text.split())\n"
    )
    first, second = run(project, ["print(run_tests())", f"print(write_definitions('words.py', r\'\'\'{filled}\'\'\'))\nprint(run_tests())"])
    out = first.stdout
    assert out.startswith("unittest: FAILED: 0 passed, 8 failed")
    assert "Traceback (most recent call last)" not in out and "~~~" not in out and "=====" not in out
    assert 'File "words_test.py", line' in out and str(tmp_path) not in out  # names relative to the project
    assert out.count('  File "words_test.py"') == 5 and 'File "words.py", line 18, in count' in out and "3 more:\n" in out
    assert "FAIL: test_6: self.assertEqual(shout('a6'), 'A6!') -> AssertionError: None != 'A6!'" in out
    assert "NotImplementedError: later" in out and "Printed while testing:\ncounting" in out
    assert out.rstrip().endswith(
        "Next: `shout`, `Counter` in words.py are still stubs. Write the code and run the tests in one action:\n\n"
        "print(write_definitions('words.py', r\'\'\'def shout(text):\n    \"\"\"Upper case, with a bang.\"\"\"\n    # your code here\n\n"
        "class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def count(self, text):\n        # your code here\n\'\'\'))\n"
        "print(run_tests())"
    )
    assert "The code under test:\nwords.py:\n" in out and "def helper" in out  # constants and helpers too
    assert TRACE_HEADING not in out and STUB_PLACEHOLDER in out  # a stub's run shows nothing a trace would
    assert last_test_run(out) == (False, "0 passed, 8 failed")
    assert second.stdout.startswith("words.py: replaced shout, Counter") and "unittest: passed: 8 passed" in second.stdout
    assert last_test_run(second.stdout) == (True, "8 passed")


def test_the_first_failing_test_is_run_again_and_traced(tmp_path: Path) -> None:
    """Under unittest (class fixtures, subtests, a cache the first run filled) and pytest (with
    `-s` too), a failing run shows the last call the first failing test made into the project's
    code: its lines with the values they set. A test that passes when run again shows none."""
    project = write(tmp_path, {
        "bank.py": "import functools\n\n\nclass Account:\n    def __init__(self, start):\n        self.balance = start\n\n"
        "    def withdraw(self, amount):\n        self.balance -= fee(amount)\n        return self.balance\n\n\n"
        "@functools.lru_cache\ndef fee(amount):\n    return amount * 2\n",
        "bank_test.py": "import unittest\nfrom bank import Account\n\n\nclass T(unittest.TestCase):\n"
        "    @classmethod\n    def setUpClass(cls):\n        cls.start = 10\n\n"
        "    def test_many(self):\n        for n in range(3):\n            with self.subTest(n=n):\n"
        "                a = Account(self.start)\n                self.assertEqual(a.withdraw(n), self.start - n)\n",
    })
    (unittested,) = run(project, ["print(run_tests())"])
    assert unittested.stdout.startswith("unittest: FAILED: 0 passed, 1 failed")
    assert (
        f"{TRACE_HEADING} in the failing test test_many (n=1) (its last call into the project's code, line by line, with the values each line set):\n"
        "Earlier calls: Account.__init__(start=10) returned None; Account.withdraw(amount=0) returned 10; Account.__init__(start=10) returned None\n"
        "Account.withdraw(amount=1)\n  9| self.balance -= fee(amount)  # self.balance = 8\n    → fee(amount=1)\n"
        "      15| return amount * 2  # returned 2\n  10| return self.balance\n  returned 8\n\nNext: fix"  # `fee` ran: modules loaded afresh
    ) in unittested.stdout
    project = write(tmp_path / "py", {
        "calc.py": CALC,
        "test_calc.py": "from calc import add\n\ndef test_zero():\n    assert add(0, 0) == 0\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    })
    pytested, shown = run(project, ["print(run_tests())", "print(run_tests('-s'))"])
    for out in (pytested.stdout, shown.stdout):
        assert out.startswith("pytest: FAILED: 1 failed, 1 passed")
        assert "the failing test test_add (its last call" in out and "add(a=2, b=3)\n  2| return a - b\n  returned -1\n" in out
    project = write(tmp_path / "flaky", {
        "calc.py": CALC,
        "calc_test.py": "import os\nimport unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
        "    def test_once(self):\n        first = not os.path.exists('ran')\n        open('ran', 'w').close()\n"
        "        self.assertEqual(add(2, 3), 5 if first else -1)\n",
    })
    (flaky,) = run(project, ["print(run_tests())"])
    assert flaky.stdout.startswith("unittest: FAILED: 0 passed, 1 failed") and TRACE_HEADING not in flaky.stdout


def test_pytest_runs_that_tested_nothing_are_not_failures(tmp_path: Path) -> None:
    """`-x` ends pytest's report with a banner and a bad option with a usage error: the summary
    keeps the counts line, and neither reads as a failing run."""
    project = write(tmp_path, {
        "calc.py": CALC,
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n\ndef test_one():\n    assert add(1, 0) == 1\n",
    })
    stopped, usage = run(project, ["print(run_tests('-x'))", "print(run_tests('--no-such-option'))"])
    assert stopped.stdout.startswith("pytest: FAILED: 1 failed in ") and last_test_run(stopped.stdout) == (False, stopped.stdout.split(": ", 2)[2].split(" (")[0])
    assert usage.stdout.startswith("pytest: usage error:") and last_test_run(usage.stdout)[0] is None  # type: ignore[index]


def test_subtests_syntax_errors_and_one_line_stubs(tmp_path: Path) -> None:
    cases = "".join(f"    def test_{n}(self):\n        self.assertEqual(add({n}, 1), {n + 1})\n\n" for n in range(5))
    project = write(tmp_path, {
        "calc.py": "def add(a, b): pass\n",
        "calc_test.py": "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n" + cases
        + "    def test_many(self):\n        for n in range(3):\n            with self.subTest(n=n):\n                self.assertEqual([add(n, 0)], [n])\n",
    })
    (result,) = run(project, ["print(run_tests())"])
    out = result.stdout
    assert out.startswith("unittest: FAILED: 0 passed, 6 failed")  # three failing subtests are one test
    assert "FAIL: test_many (n=1): self.assertEqual([add(n, 0)], [n]) -> AssertionError: Lists differ: [None] != [1]" in out
    assert "still a stub" not in out  # `def add(a, b): pass` has no line of its own to replace
    write(tmp_path, {"calc.py": "def add(a, b):\n    return a +\n"})
    (broken,) = run(project, ["print(run_tests())"])
    assert 'File "calc.py", line 2\n    return a +\n              ^\nSyntaxError: invalid syntax' in broken.stdout  # its marker kept


def test_position_markers_go_only_under_a_frames_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guest module's trace filter, loaded on the host: `~~^^` under a frame's line goes, a
    SyntaxError's `^` (no frame) stays."""
    import importlib.util

    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "sandbox"))  # its `codeact_trace`
    spec = importlib.util.spec_from_file_location("guest_tests", Path(__file__).parents[2] / "sandbox" / "codeact_tests.py")
    assert spec is not None and spec.loader is not None
    guest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guest)
    trace = (
        'Traceback (most recent call last):\n  File "t.py", line 3, in test_x\n    add(1)\n    ~~~^^^\n'
        '  File "calc.py", line 2\n    return a +\n              ^\nSyntaxError: invalid syntax\n'
    )
    assert guest._trace_lines(trace) == [
        '  File "t.py", line 3, in test_x', "    add(1)", '  File "calc.py", line 2', "    return a +", "              ^", "SyntaxError: invalid syntax",
    ]


def test_a_stub_the_failures_do_not_name_gets_no_template(tmp_path: Path) -> None:
    project = write(tmp_path, {
        "calc.py": CALC + "\n\ndef unused():\n    pass\n",
        "calc_test.py": "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
    })
    (result,) = run(project, ["print(run_tests())"])
    assert "still a stub" not in result.stdout and "The code under test:\ncalc.py:" in result.stdout
    assert result.stdout.rstrip().endswith("call print(run_tests()) in the same action to confirm.")


def test_unittest_finds_x_test_files_too(tmp_path: Path) -> None:
    """`calc_test.py` (Exercism's, Go's and many projects' naming) is found as `test_calc.py` is;
    a file both patterns match runs once."""
    case = "import unittest\nfrom calc import add\n\n\nclass {name}(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
    project = write(tmp_path, {
        "calc.py": CALC,
        "calc_test.py": case.format(name="SuffixTest"),
        "test_calc.py": case.format(name="PrefixTest"),
        "test_both_test.py": case.format(name="BothTest"),
    })
    (result,) = run(project, ["print(run_tests())"])
    assert result.stdout.startswith("unittest: FAILED: 0 passed, 3 failed")
    assert "calc_test.SuffixTest" in result.stdout and "test_calc.PrefixTest" in result.stdout
    assert result.stdout.count("test_both_test.BothTest") == 1


CALC_TEST = "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"


COPY_AND_SOLUTION = (
    "import os\nimport operator\n\n\ndef list_files(path='.'):\n    return os.listdir(path)\n\n\n"
    "def write_definitions(path, code):\n    open(path, 'w').write(code)\n\n\ndef run_tests():\n    print('Tests passed!')\n\n\n"
    "def add(a, b):\n    return operator.add(a, b)\n"
)


def test_an_action_s_own_helper_definitions_are_left_out_so_its_calls_reach_the_helpers(tmp_path: Path) -> None:
    """A small model copies the prompt's helper list into its action (`def write_definitions(path,
    code): open(path, 'w').write(code)`, a `run_tests` printing "Tests passed!") and calls the
    copies: the top-level copies are left out, with a warning naming the real signatures, so the
    calls reach the helpers; `write_definitions` leaves them out of the file. Nested functions, a
    decorated one, one with a helper's name but not its first parameter, and text all stay."""
    project = write(tmp_path, {"calc.py": "import math\n\n\n" + CALC, "calc_test.py": CALC_TEST})
    fake, copied, saved, nested, own, text, traced = run(project, [
        "def run_tests():\n    print('Tests passed!')\n\ndef view_file(path):\n    return ''\nprint(run_tests())",
        "def write_definitions(path, code):\n    open(path, 'w').write(code)\n"
        "print(write_definitions('calc.py', 'def add(a, b):\\n    return a + b\\n'))\nprint(run_tests())",
        # What the agent appends to an action that only defines (`core.unsaved.with_save`).
        f"{COPY_AND_SOLUTION}\nprint(write_definitions('calc.py', r'''{COPY_AND_SOLUTION}''', existing_only=True))",
        "def view_file(path):\n    return ''\n\ndef outer():\n    def run_tests():\n        return 'mine'\n    return run_tests()\nouter()",
        "import functools\n\n@functools.cache\ndef search_files(pattern):\n    return 'cached'\n\ndef list_files(directory):\n    return 'mine'\n"
        "print(search_files('x'), list_files('.'))",
        'text = """\ndef view_file(path):\n"""\nlen(text)',
        "async def run_tests(args=''):\n    return []\n\n\n1 / 0",
    ])
    assert fake.stdout.startswith("unittest: FAILED: 0 passed, 1 failed") and "Tests passed!" not in fake.stdout
    assert len(fake.warnings) == 1 and fake.left_out == ("run_tests", "view_file"), fake.warnings
    assert fake.warnings[0].startswith("this action's own definitions of run_tests, view_file were left out: the sandbox has them")
    assert "view_file(path, start=1, end=None)" in fake.warnings[0]
    assert "write_definitions(path, code, existing_only=False)" in copied.warnings[0]
    assert copied.stdout.startswith("calc.py: replaced add\nunittest: passed: 1 passed"), copied.stdout + copied.stderr
    assert saved.stdout == (
        "calc.py: replaced add; added 1 import line(s); left out list_files, write_definitions, run_tests "
        "(the sandbox's own helpers: call them, do not save them)\n"
    ), saved.stdout + saved.stderr
    saved_file = (project / "calc.py").read_text()
    assert "def run_tests" not in saved_file and "import operator\n" in saved_file and "import os" not in saved_file  # os: only the copy's
    assert (project / "calc.py").read_text().startswith("import math\n")  # merged by the helper, not overwritten
    assert (nested.stdout, nested.left_out) == ("'mine'\n", ("view_file",))
    assert own.stdout == "cached mine\n" and own.left_out == ()
    assert len(own.warnings) == 1 and own.warnings[0].startswith("this action redefined the sandbox's own list_files, search_files; the originals were put back")
    assert (text.stdout, text.warnings) == ("22\n", ())
    assert 'File "<action 7>", line 5' in traced.stderr and traced.stderr.strip().endswith("ZeroDivisionError: division by zero")
    assert traced.left_out == ("run_tests",)


def test_helpers_rebound_or_deleted_are_put_back_with_a_warning(tmp_path: Path) -> None:
    """An action that rebinds or deletes a helper (other than by a top-level `def`) is told, and
    the next action calls the real one again."""
    project = write(tmp_path, {"calc.py": CALC, "calc_test.py": CALC_TEST})
    fake, real, deleted, after, plain = run(project, [
        "run_tests = lambda: print('Tests passed!')\nif True:\n    def view_file(path):\n        return ''\nrun_tests()",
        "print(run_tests())",
        "del list_files",
        "print(list_files())",
        "helper = 1",
    ])
    assert fake.stdout == "Tests passed!\n" and "@@" not in fake.stdout
    assert len(fake.warnings) == 1 and fake.warnings[0].startswith("this action redefined the sandbox's own view_file, run_tests; the originals were put back")
    assert real.stdout.startswith("unittest: FAILED: 0 passed, 1 failed") and real.warnings == ()
    assert "list_files" in deleted.warnings[0] and "calc.py" in after.stdout
    assert plain.warnings == ()


def make_venv(project: Path) -> Path:
    site = project / ".venv" / "lib" / "python3.11" / "site-packages"
    write(
        project,
        {
            ".venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.7\n",
            ".venv/lib/python3.11/site-packages/moneyfmt/__init__.py": "def cents(value):\n    return f'{value / 100:.2f}'\n",
            ".venv/lib/python3.11/site-packages/fastjson/__init__.py": "from ._speedups import loads\n",
        },
    )
    (site / "fastjson" / "_speedups.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF" + b"\0" * 60)
    return site


def test_project_virtualenv_is_importable_read_only(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    site = make_venv(project)
    write(
        project,
        {
            "price.py": "from moneyfmt import cents\n\ndef label(value):\n    return 'EUR ' + cents(value)\n",
            "test_price.py": "from price import label\n\ndef test_label():\n    assert label(1234) == 'EUR 12.34'\n",
        },
    )
    results = run(
        project,
        [
            "print(run_tests())",
            "import fastjson",
            "open('.venv/lib/python3.11/site-packages/moneyfmt/__init__.py', 'w').write('broken')",
            "import numpy, sys\nprint(numpy.__file__.startswith('/usr/local'))",  # the sandbox's own numpy still wins
        ],
    )
    assert results[0].stdout.startswith("pytest: passed: 1 passed"), results[0].stdout + results[0].stderr
    last = results[1].stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: cannot import fastjson._speedups: package 'fastjson'")
    assert "compiled extension" in last and "pure-Python" in last and ".venv/lib/python3.11/site-packages" in last
    assert results[2].status == "error"
    assert (site / "moneyfmt" / "__init__.py").read_text().startswith("def cents")
    assert results[3].stdout.strip() == "True"


def test_an_actions_traceback_has_no_position_markers_to_copy(tmp_path: Path) -> None:
    """A failed action's traceback names its lines without `~~~^^^` under them or
    `...<1 line>...` in them (a small model copied both into its next `replace_in_file`); a
    SyntaxError still points at its column, and the unknown-name hint stays."""
    failing, syntax, unknown = run(tmp_path, [
        "def f(table):\n    return table['a'] + table[\n        'b']\n\nprint(f({'a': 1}))",
        "x = (1 +\n",
        "print(run_test())",
    ])
    lines = failing.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == "KeyError: 'b'"
    assert not [line for line in lines if set(line.strip()) <= set("~^") or "...<" in line], failing.stderr
    assert '  File "<action 1>", line 2, in f' in lines and "    return table['a'] + table[" in lines
    assert syntax.stderr.rstrip().endswith("^\nSyntaxError: '(' was never closed")
    assert "Close names in this sandbox: run_tests" in unknown.stderr
