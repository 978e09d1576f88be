"""The executor over the real WebAssembly sandbox: state, files, live output, interrupts."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from codeact_tui.config import SandboxSettings
from codeact_tui.core.ports import FileChange
from codeact_tui.executor import SandboxExecutor

from .sandbox_helpers import run_actions

pytestmark = pytest.mark.sandbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "data.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "app.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    return root


def test_state_persists_and_files_change(project: Path) -> None:
    first, second, third = run_actions(
        project,
        [
            "import pandas as pd\ndf = pd.read_csv('data.csv')\ntotal = int(df.b.sum())",
            "print(total)\nwith open('out/result.txt', 'w') as f: f.write(str(total))" ,
            "import os\nos.makedirs('out', exist_ok=True)\nopen('out/result.txt', 'w').write(str(total))\nimport app\nprint(app.greet('you'), os.getcwd())",
        ],
    )
    assert first.status == "ok", first.stderr
    assert second.status == "error" and "FileNotFoundError" in second.stderr
    assert second.stdout == "6\n"
    assert third.status == "ok", third.stderr
    assert third.stdout == "hello you /project\n"
    assert (project / "out" / "result.txt").read_text() == "6"
    assert set(third.changed_files) == {FileChange("out/", "added"), FileChange("out/result.txt", "added")}


def test_temp_files_and_matplotlib_stay_out_of_the_project(project: Path) -> None:
    (result,) = run_actions(
        project,
        [
            "import tempfile, os\n"
            "with tempfile.NamedTemporaryFile('w', delete=False) as f: f.write('x')\n"
            "print(f.name.startswith('/tmp'), os.path.expanduser('~').startswith('/tmp'))\n"
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('plot.png')"
        ],
    )
    assert result.status == "ok", result.stderr
    assert result.stdout == "True True\n"
    assert sorted(p.name for p in project.iterdir()) == ["app.py", "data.csv", "plot.png"]
    assert (project / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_guest_helpers(project: Path) -> None:
    results = run_actions(
        project,
        [
            "print(view_file('app.py'))",
            "print(replace_in_file('app.py', \"'hello '\", \"'hi '\"))",
            "print(write_file('pkg/mod.py', 'X = 1\\n'))\nprint(list_files('.', '*.py'))",
            "print(search_files('hi', glob='*.py'))",
            "replace_in_file('app.py', 'nowhere', 'x')",
            "write_file('twice.txt', 'a\\na\\n'); replace_in_file('twice.txt', 'a', 'b')",
        ],
    )
    view, replace, write, search, missing, ambiguous = results
    assert view.stdout == "1| def greet(name):\n2|     return 'hello ' + name\n"
    assert "replaced 1 line(s) at line 2 of app.py" in replace.stdout
    assert (project / "app.py").read_text().endswith("return 'hi ' + name\n")
    assert "created pkg/mod.py (1 lines)" in write.stdout and "['app.py', 'pkg/mod.py']" in write.stdout
    assert search.stdout.strip() == "app.py:2: return 'hi ' + name"
    assert missing.status == "error" and "was not found in app.py" in missing.stderr
    assert ambiguous.status == "error" and "occurs 2 times in twice.txt (lines 1, 2)" in ambiguous.stderr


def test_replace_in_file_forgives_indentation_once_unique(project: Path) -> None:
    """`old` copied with its indentation off (a space too many, or the method's indent dropped)
    still replaces the one run of lines it means; an ambiguous or absent one still fails."""
    (project / "shapes.py").write_text("class Square:\n    def area(self):\n        return 0\n\n    def size(self):\n        return 0\n")
    extra, dropped, ambiguous = run_actions(
        project,
        [
            "print(replace_in_file('app.py', 'def greet(name):\\n     return \\'hello \\' + name\\n', 'def greet(name):\\n    return \\'hi \\' + name\\n'))",
            "print(replace_in_file('shapes.py', 'def area(self):\\n    return 0', 'def area(self):\\n    side = 2\\n    return side * side'))",
            "write_file('twice.py', 'def a():\\n    return 0\\n\\ndef b():\\n    return 0\\n')\nreplace_in_file('twice.py', 'return 0 ', 'return 1')",
        ],
    )
    assert extra.stdout.strip() == "replaced 2 line(s) at line 1 of app.py with 3 line(s) (matched with its indentation ignored: `old` did not match exactly)"
    assert (project / "app.py").read_text() == "def greet(name):\n    return 'hi ' + name\n"
    assert dropped.status == "ok" and "line 2 of shapes.py" in dropped.stdout
    assert (project / "shapes.py").read_text() == (
        "class Square:\n    def area(self):\n        side = 2\n        return side * side\n\n    def size(self):\n        return 0\n"
    )
    assert ambiguous.status == "error" and "the text to replace was not found in twice.py" in ambiguous.stderr
    assert (project / "twice.py").read_text().count("return 0") == 2


def test_replace_in_file_refuses_an_edit_that_breaks_python(project: Path) -> None:
    """A whole `def` put where only its body was (what small models do) leaves the file as it
    was and says how to replace a function; a broken file may still be edited towards a fix;
    other files are not parsed."""
    (project / "leap.py").write_text("def leap_year(year):\n    pass\n")
    (project / "broken.py").write_text("def f(:\n    pass\n")
    nested, broken, text = run_actions(
        project,
        [
            "replace_in_file('leap.py', 'pass', 'def leap_year(year):\\n    return year % 4 == 0')",
            "print(replace_in_file('broken.py', 'def f(:', 'def f():'))",
            "write_file('notes.txt', 'a\\n'); print(replace_in_file('notes.txt', 'a', 'def ('))",
        ],
    )
    assert nested.status == "error"
    assert "would make leap.py invalid Python" in nested.stderr and "write_definitions('leap.py', code)" in nested.stderr
    assert (project / "leap.py").read_text() == "def leap_year(year):\n    pass\n"
    assert broken.status == "ok" and (project / "broken.py").read_text() == "def f():\n    pass\n"
    assert text.status == "ok", text.stderr


def test_write_definitions_replaces_by_name_and_adds_the_rest(project: Path) -> None:
    """What an action defined goes into the module: same-named definitions replaced in place,
    new ones and missing imports added, other statements left out; a broken file or code is
    refused with the reason."""
    (project / "shapes.py").write_text('"""Shapes."""\nimport math\n\n\ndef area(r):\n    pass\n\n\ndef keep():\n    return 1\n')
    saved, missing_file, nothing, broken = run_actions(
        project,
        [
            "print(write_definitions('shapes.py', r'''import math\nfrom functools import cache\n\n@cache\ndef area(r):\n    return math.pi * r * r\n\nclass Circle:\n    pass\nprint(area(1))\n'''))",
            "print(write_definitions('pkg/new.py', 'def f():\\n    return 1\\n'))",
            "write_definitions('shapes.py', 'print(1)')",
            "write_file('bad.py', 'def (:')\nwrite_definitions('bad.py', 'def f():\\n    return 1\\n')",
        ],
    )
    assert saved.stdout.strip() == "shapes.py: replaced area; added Circle; added 1 import line(s)"
    assert (project / "shapes.py").read_text() == (
        '"""Shapes."""\nimport math\nfrom functools import cache\n\n\n@cache\ndef area(r):\n    return math.pi * r * r\n\n\n'
        "def keep():\n    return 1\n\n\nclass Circle:\n    pass\n"
    )
    assert missing_file.stdout.strip() == "pkg/new.py: added f" and (project / "pkg" / "new.py").read_text() == "def f():\n    return 1\n"
    assert nothing.status == "error" and "defines no function, class or constant" in nothing.stderr
    assert broken.status == "error" and "bad.py is not valid Python now" in broken.stderr


def test_a_method_written_on_its_own_replaces_the_method_of_that_name(project: Path) -> None:
    """Small models write the one method they change, without its class: write_definitions puts
    it in place of the one method of that name (indented as it was), and replace_in_file with
    only that code does the same; a name two classes share, or code for a name the file lacks,
    is not guessed."""
    stub = "class Allergies:\n    def __init__(self, score):\n        pass\n\n    def allergic_to(self, item):\n        pass\n"
    (project / "allergies.py").write_text(stub)
    (project / "two.py").write_text("class A:\n    def f(self):\n        pass\n\n\nclass B:\n    def f(self):\n        pass\n")
    method, two_args, read, not_there, shared, class_too = run_actions(
        project,
        [
            "print(write_definitions('allergies.py', r\'\'\'def __init__(self, score):\n    self.score = score\n\'\'\'))",
            "print(replace_in_file('allergies.py', r\'\'\'def allergic_to(self, item):\n    return bool(self.score & item)\n\'\'\'))",
            "print(open('allergies.py').read(), end='')",
            "replace_in_file('allergies.py', 'def lst(self):\\n    return []\\n')",
            "print(write_definitions('two.py', 'def f(self):\\n    return 1\\n'))",
            "print(write_definitions('allergies.py', 'class Allergies:\\n    pass\\n\\ndef allergic_to(self, item):\\n    return 1\\n'))",
        ],
    )
    assert method.stdout.strip() == "allergies.py: replaced Allergies.__init__"
    assert two_args.stdout.strip() == (
        "allergies.py: replaced Allergies.allergic_to (replace_in_file got no `new`: the definitions of the same names were replaced)"
    )
    assert read.stdout == (
        "class Allergies:\n    def __init__(self, score):\n        self.score = score\n\n"
        "    def allergic_to(self, item):\n        return bool(self.score & item)\n"
    )
    assert not_there.status == "error" and "replace_in_file(path, old, new) needs `new`" in not_there.stderr
    assert "write_definitions('allergies.py', code)" in not_there.stderr
    assert shared.stdout.strip() == "two.py: added f"  # A.f or B.f: not guessed
    assert class_too.stdout.strip() == "allergies.py: replaced Allergies; added allergic_to"
    assert (project / "allergies.py").read_text() == "class Allergies:\n    pass\n\n\ndef allergic_to(self, item):\n    return 1\n"


def test_write_file_warns_about_python_it_broke(project: Path) -> None:
    """A model that writes a function's result (or nothing, or broken code) into a module hears
    it from write_file at once; a non-str content is refused before the file is touched."""
    results = run_actions(
        project,
        [
            "print(write_file('app.py', ''))",
            "print(write_file('app.py', 'def greet(name):\\n    pass\\n'))\nprint(write_file('app.py', 'A\\nBA\\n'))\nprint(write_file('app.py', '  A\\n A\\n'))",
            "print(write_file('app.py', 'def greet(name:\\n'))",
            "print(write_file('app.py', 'def greet(name):\\n    return name\\n\\nclass Extra:\\n    pass\\n'))",
            "write_file('app.py', ['def greet(name): pass'])",
            "print(write_file('app.py', 'def greet(name):\\n    return \\'\\n\\'.join(name)\\n'))",
        ],
    )
    empty, output, broken, fine, wrong_type, escaped = results
    assert escaped.stdout.strip().endswith(r"if a \n in your code became a line break, pass the code as a raw string r'''...'''")
    assert "raw string" not in broken.stdout
    assert empty.stdout.strip() == "overwrote app.py (0 lines); warning: the file is now empty"
    assert output.stdout.splitlines()[1:] == [
        "overwrote app.py (2 lines); warning: it no longer defines greet",  # the function's output, not the function
        "overwrote app.py (2 lines); warning: it is not valid Python (unexpected indent, line 1)",
    ]
    assert broken.stdout.strip().startswith("overwrote app.py (1 lines); warning: it is not valid Python (")
    assert fine.stdout.strip() == "overwrote app.py (5 lines)"
    assert wrong_type.status == "error" and "write_file needs the file's text as a str, not list" in wrong_type.stderr
    assert wrong_type.changed_files == ()  # the refused write left the file alone


def test_live_output_arrives_while_the_action_runs(project: Path) -> None:
    """The host sees the first line while the action still runs: on seeing it, the host writes a
    file that the action itself then finds (no clocks involved)."""
    chunks: list[tuple[str, str]] = []

    async def go() -> str:
        async with SandboxExecutor(project) as executor:
            def collect(stream: str, text: str) -> None:
                chunks.append((stream, text))
                if "first" in text:
                    (project / "host-saw-it").write_text("yes")

            result = await executor.run(
                "import os, sys, time\nprint('first')\n"
                "for _ in range(300):\n    if os.path.exists('host-saw-it'):\n        break\n    time.sleep(0.1)\n"
                "print('seen live' if os.path.exists('host-saw-it') else 'not seen')\n"
                "print('oops', file=sys.stderr)",
                on_output=collect,
            )
            return result.stdout

    stdout = asyncio.run(go())
    assert stdout == "first\nseen live\n"
    streamed = {stream: "".join(t for s, t in chunks if s == stream) for stream in ("stdout", "stderr")}
    assert streamed == {"stdout": "first\nseen live\n", "stderr": "oops\n"}


def test_stdout_and_stderr_reach_the_host_in_the_order_they_were_written(project: Path) -> None:
    """Lines written to both streams within one batching window arrive interleaved as written,
    at the end of the action as well as while it runs (a flush in the middle: the sleep)."""
    chunks: list[tuple[str, str]] = []
    code = (
        "import sys, time\n"
        "for i in range(3):\n    print('out', i)\n    print('err', i, file=sys.stderr)\n"
        "sys.stderr.write('warn\\n'); print('mid')\n"
        "time.sleep(0.01)\n"
        "print('last out'); print('last err', file=sys.stderr); print('very last')"
    )

    async def go() -> None:
        async with SandboxExecutor(project) as executor:
            await executor.run(code, on_output=lambda stream, text: chunks.append((stream, text)))

    asyncio.run(go())
    lines = [(stream, line) for stream, text in chunks for line in text.splitlines()]
    assert lines == [
        ("stdout", "out 0"), ("stderr", "err 0"), ("stdout", "out 1"), ("stderr", "err 1"), ("stdout", "out 2"),
        ("stderr", "err 2"), ("stderr", "warn"), ("stdout", "mid"),
        ("stdout", "last out"), ("stderr", "last err"), ("stdout", "very last"),
    ]


def test_a_malformed_ordered_batch_gives_the_runs_read_before_the_fault() -> None:
    from codeact_tui.executor.sandbox_executor import _ordered_runs

    assert _ordered_runs("stdout\n2\nabstderr\n1\nc") == [("stdout", "ab"), ("stderr", "c")]
    assert _ordered_runs("stdout\n2\nabstderr\nx\nc") == [("stdout", "ab")]
    assert _ordered_runs("stdout\n" + "9" * 5000 + "\nx") == [] and _ordered_runs("no newline") == []


@pytest.mark.parametrize("burst", [1, 3000], ids=["one-line", "after-a-printing-loop"])
def test_output_waiting_in_a_batch_reaches_the_host_while_the_action_computes(project: Path, burst: int) -> None:
    """The last lines of a burst are sent while the action goes on computing (no sleep, no
    further output): the host, on seeing the last line, writes a file the computing loop finds."""
    chunks: list[str] = []

    async def go() -> str:
        async with SandboxExecutor(project) as executor:
            def collect(stream: str, text: str) -> None:
                chunks.append(text)
                if f"line {burst - 1}\n" in "".join(chunks):
                    (project / "host-saw-it").write_text("yes")

            result = await executor.run(
                f"import os, time\nfor i in range({burst}):\n    print('line', i)\n"
                "end = time.monotonic() + 60\n"
                "while not os.path.exists('host-saw-it') and time.monotonic() < end:\n    abs(-1)\n"
                "print('seen live' if os.path.exists('host-saw-it') else 'not seen')",
                on_output=collect,
            )
            return result.stdout

    stdout = asyncio.run(go())
    assert stdout.endswith(f"line {burst - 1}\nseen live\n")
    assert "".join(chunks) == stdout


def test_soft_interrupt_keeps_the_session(project: Path) -> None:
    setup, stopped, after = run_actions(
        project,
        ["kept = 42", "import time\nwhile True:\n    time.sleep(0.05)", "print(kept)"],
        during=lambda executor: executor.interrupt(),
        during_action=1,
    )
    assert stopped.status == "stopped" and stopped.stopped_by == "interrupt"
    assert not stopped.state_reset
    assert "KeyboardInterrupt" in stopped.stderr
    assert after.stdout == "42\n"


@pytest.mark.parametrize("output_limit_kib", [4, 1024], ids=["past-the-live-cap", "streaming-live"])
def test_printing_loop_is_interrupted_softly(project: Path, output_limit_kib: int) -> None:
    _, stopped = run_actions(
        project,
        ["n = 0", "while True:\n    n += 1\n    print(n)"],
        settings=SandboxSettings(output_limit_kib=output_limit_kib, interrupt_grace_s=10),
        during=lambda executor: executor.interrupt(),
    )
    assert stopped.stopped_by == "interrupt" and not stopped.state_reset


def test_busy_loop_is_stopped_hard_after_the_grace_period(project: Path) -> None:
    setup, stopped, after = run_actions(
        project,
        ["kept = 1", "while True:\n    pass", "print('kept' in dir())"],
        settings=SandboxSettings(interrupt_grace_s=0.5),
        during=lambda executor: executor.interrupt(),
        during_action=1,
    )
    assert stopped.status == "stopped" and stopped.stopped_by == "interrupt"
    assert stopped.state_reset
    assert any("session was reset" in w for w in stopped.warnings)
    assert after.status == "ok" and after.stdout == "False\n"


@pytest.mark.timeout(120)
def test_second_interrupt_stops_at_once(project: Path) -> None:
    def twice(executor: SandboxExecutor) -> None:
        executor.interrupt()
        executor.interrupt()

    # With an hour of grace, only the second interrupt can end this loop (else the test times out).
    (stopped,) = run_actions(
        project, ["while True:\n    pass"], settings=SandboxSettings(interrupt_grace_s=3600), during=twice
    )
    assert stopped.stopped_by == "interrupt" and stopped.state_reset


def test_deadline_stops_and_resets(project: Path) -> None:
    (stopped,) = run_actions(project, ["while True:\n    pass"], settings=SandboxSettings(deadline_s=1))
    assert stopped.status == "stopped" and stopped.stopped_by == "deadline" and stopped.state_reset


def test_errors_and_exit_codes(project: Path) -> None:
    error, exited, quiet = run_actions(project, ["1/0", "import sys; sys.exit(3)", "x = 1"])
    assert error.status == "error" and error.exit_code == 1
    assert error.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    assert exited.status == "error" and exited.exit_code == 3 and not exited.state_reset
    assert quiet.status == "ok" and quiet.stdout == "" and quiet.changed_files == ()


def test_input_explains_itself(project: Path) -> None:
    (result,) = run_actions(project, ["input('name? ')"])
    assert "input() is not available in code actions" in result.stderr


def test_project_holding_the_running_virtualenv(tmp_path: Path) -> None:
    """Running codeact-tui on a checkout whose .venv runs it: works, and the venv is read-only."""
    venv_parent = Path(sys.prefix).parent
    (result,) = run_actions(
        venv_parent,
        [
            f"import os\nprint(os.path.isdir({Path(sys.prefix).name!r}))\n"
            f"try:\n    open(os.path.join({Path(sys.prefix).name!r}, 'codeact-planted.pth'), 'w')\n"
            "except OSError as e:\n    print(type(e).__name__)"
        ],
    )
    assert result.status == "ok", result.stderr
    assert result.stdout == "True\nPermissionError\n"
    assert not (Path(sys.prefix) / "codeact-planted.pth").exists()


def test_import_dirs_are_importable_and_read_only(project: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    (library / "toolbox").mkdir(parents=True)
    (library / "toolbox" / "__init__.py").write_text("NAME = 'toolbox'\n")

    async def go() -> list[str]:
        async with SandboxExecutor(project, import_dirs=[library]) as executor:
            first = await executor.run("import toolbox\nprint(toolbox.NAME)")
            second = await executor.run(
                "try:\n    open(toolbox.__file__, 'w')\nexcept OSError as e:\n    print(type(e).__name__)"
            )
            return [first.stdout, second.stdout]

    assert asyncio.run(go()) == ["toolbox\n", "PermissionError\n"]
    assert (library / "toolbox" / "__init__.py").read_text() == "NAME = 'toolbox'\n"
