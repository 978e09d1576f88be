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
