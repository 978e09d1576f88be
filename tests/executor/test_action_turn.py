"""One code action is one guest turn (real sandbox): the set-up and clean-up ride on the
action's own turn, and the action still behaves as the runtime runs a turn."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from codeact_tui.executor import SandboxExecutor

from .sandbox_helpers import run_actions


def test_an_action_is_one_guest_turn(tmp_path: Path, monkeypatch: Any) -> None:
    turns: list[str] = []

    async def go() -> None:
        async with SandboxExecutor(tmp_path) as executor:
            await executor.run("x = 1")  # the session is set up by now
            session = executor._session
            assert session is not None
            real = session.run

            def counted(code: str, **kwargs: Any) -> Any:
                turns.append(code)
                return real(code, **kwargs)

            monkeypatch.setattr(session, "run", counted)
            for n in range(3):
                assert (await executor.run(f"print(x + {n})")).stdout == f"{n + 1}\n"

    asyncio.run(go())
    assert len(turns) == 3


def test_an_action_runs_as_a_turn_does(tmp_path: Path) -> None:
    results = run_actions(
        tmp_path,
        [
            "x = 2\nx * 21",  # a final expression is shown
            "print(_)\nNone",  # and kept in `_`; None is not shown
            "def f():\n    return 1 / 0\n\nf()",
            "def g(:\n    pass",
            "import sys\nprint('before')\nsys.exit(3)",
            "print(__name__, f.__module__)\nimport inspect\nprint(inspect.getsource(f).splitlines()[0])",
            "from __future__ import annotations\ndef h(a: Undefined) -> None: ...\nprint(h.__annotations__)",
            "raise KeyboardInterrupt",
            "class R:\n    def __repr__(self):\n        raise ValueError('no repr')\n\nR()",  # fails while shown
            "import sys\nsys.displayhook = lambda v: print('hook', repr(v))\n7",  # the action's own hook
            "print('after')",  # None is not shown, also not through the action's hook
            "sys.displayhook = sys.__displayhook__\nx = 5; x + 1",  # after `;` on the last line
        ],
    )
    shown, kept, error, syntax, exited, module, future, interrupted, unshowable, hooked, after, same_line = results
    assert shown.stdout == "42\n" and shown.status == "ok"
    assert kept.stdout == "42\n"
    assert error.status == "error" and error.exit_code == 1
    lines = error.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == "ZeroDivisionError: division by zero"
    assert 'line 4, in <module>' in lines[1] and "    f()" in lines and 'line 2, in f' in error.stderr
    assert "codeact_guest" not in error.stderr and "run_action" not in error.stderr  # only the action's frames
    assert syntax.status == "error" and syntax.stderr.rstrip().endswith("SyntaxError: invalid syntax")
    assert "line 1" in syntax.stderr and "codeact_guest" not in syntax.stderr
    assert exited.exit_code == 3 and exited.stdout == "before\n" and exited.stderr == ""
    assert module.stdout.splitlines() == ["__main__ __main__", "def f():"]
    assert future.stdout == "{'a': 'Undefined', 'return': 'None'}\n"
    assert interrupted.status == "error" and interrupted.stderr.rstrip().endswith("KeyboardInterrupt")
    assert unshowable.status == "error" and unshowable.stderr.rstrip().endswith("ValueError: no repr")
    assert "in __repr__" in unshowable.stderr and "codeact_guest" not in unshowable.stderr
    assert hooked.stdout == "hook 7\n" and after.stdout == "after\n" and same_line.stdout == "6\n"


def test_print_through_the_tee_writes_what_the_builtin_writes(tmp_path: Path) -> None:
    live: list[tuple[str, str]] = []
    code = (
        "import io, sys\n"
        "print('a', 1, None, sep='-', end='|\\n')\n"
        "print('b', 'c', sep=None, end=None)\n"
        "print()\n"
        "print('no newline', end='')\n"
        "print(' then err', file=sys.stderr, flush=True)\n"
        "buf = io.StringIO(); print('x', 'y', file=buf); print(repr(buf.getvalue()))\n"
        "class S(str):\n    def __str__(self): return 'custom'\n"
        "print(S('plain'), b'raw', [1, 'two'])\n"
        "for bad in ({'sep': 1}, {'end': 2}, {'nope': 3}):\n"
        "    try:\n        print('z', **bad)\n    except TypeError as e:\n        print('TypeError:', e)\n"
    )

    async def go() -> str:
        async with SandboxExecutor(tmp_path) as executor:
            result = await executor.run(code, on_output=lambda stream, text: live.append((stream, text)))
            return result.stdout + "\n---\n" + result.stderr

    out, err = asyncio.run(go()).split("\n---\n")
    assert out.splitlines() == [
        "a-1-None|",
        "b c",
        "",
        "no newline'x y\\n'",
        "custom b'raw' [1, 'two']",
        "TypeError: sep must be None or a string, not int",
        "TypeError: end must be None or a string, not int",
        "TypeError: print() got an unexpected keyword argument 'nope'",
    ]
    assert err == " then err\n"
    assert "".join(text for stream, text in live if stream == "stdout") == out  # the live copy is whole


def test_the_final_expression_is_found_in_any_shape_of_action(tmp_path: Path) -> None:
    """Where the last top-level statement starts is read from the text (the action is compiled
    once, without syntax tree objects); every shape the text can take must show what the
    runtime would show, and nothing of an action with a syntax error may run."""
    cases = {
        "x = 1": "",
        "1 + 1": "2\n",
        "def f():\n    return 5\n\nf()  # trailing comment\n# last comment\n\n": "5\n",
        "print('a',\n'b')": "a b\n",  # a line in column 0 inside brackets
        "(1,\n2)": "(1, 2)\n",
        "if True:\n    7\nelse:\n    8": "",
        "import functools\n@functools.cache\ndef g():\n    return 3\ng()": "3\n",
        's = """\nabc\n"""\ns': "'\\nabc\\n'\n",  # column 0 inside a string
        "x = 1 + \\\n2\nx": "3\n",  # a backslash continuation
        "from __future__ import annotations\ndef h(a: Undefined): pass\nh.__annotations__": "{'a': 'Undefined'}\n",
        "'just a string'": "'just a string'\n",
        "# only a comment": "",
        "for i in range(2):\n    i": "",
        "match 1:\n    case 1:\n        'one'": "",
        "q = 1  # a comment\u2028zz9 = 2\nprint('zz9' in dir())": "False\n",  # U+2028 ends no line for Python
        "marker = 'ran'\nnot valid (": "",
        "print('marker' in dir())": "False\n",
        "y = [\n1,\n2]\nlen(y)": "2\n",
        "del y\n\n  \n": "",
    }
    results = run_actions(tmp_path, list(cases))
    for (code, expected), result in zip(cases.items(), results):
        assert result.stdout == expected, (code, result.stdout, result.stderr)
        if code.startswith("marker"):
            assert result.status == "error" and "SyntaxError" in result.stderr
        else:
            assert result.status == "ok", (code, result.stderr)


def test_common_actions_are_split_from_the_text_and_tricky_ones_left_to_the_tree() -> None:
    """`codeact_guest._split_last` on the host's Python (plain Python, no guest needed): it
    must take the cheap path for the shapes actions usually have, and decline the rest."""
    import importlib.util

    from codeact_tui.resources import resource_dir

    spec = importlib.util.spec_from_file_location("codeact_guest_on_host", Path(resource_dir("sandbox")) / "codeact_guest.py")
    assert spec is not None and spec.loader is not None
    guest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guest)
    split = {
        "x = 1": False,
        "import os\nprint(os.getcwd())": True,
        "for i in range(3):\n    print(i)\n": False,
        "def f():\n    return 1\n\nf()  # shown\n# end\n": True,
        "print('a',\n      'b')": True,
        "x == 1": True,
        "format(1)": True,  # a name that begins with a keyword
        "lambda x=1: x": True,
        "d.k = 1": False,
        "x += 1": False,
        "x[0] = 1": False,
    }
    for code, shown in split.items():
        got = guest._split_last(code, "<action 1>")
        assert got is not None and got[2] is shown, code
    for code in ("print('a',\n'b')", "if x:\n    pass\nelse:\n    pass", "a = 1; a", "", "# only", "x = 1\ny = (", "s = 1  # \u2028t = 2"):
        assert guest._split_last(code, "<action 1>") is None, code
