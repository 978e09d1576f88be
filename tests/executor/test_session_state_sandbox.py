"""Saving and restoring the interpreter state (the actions' variables) in the real sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codeact_tui.config import SandboxSettings
from codeact_tui.executor import SandboxExecutor
from codeact_tui.executor.session_state import read_header

pytestmark = pytest.mark.sandbox

SETUP = """
import json
import numpy as np
counts = {"a": 1, "b": [1, 2, 3]}
alias = counts
arr = np.arange(10)
def double(x):
    return x * 2 + offset
offset = 100
class Point:
    def __init__(self, x):
        self.x = x
    def moved(self):
        return Point(self.x + offset)
p = Point(3)
handle = open("notes.txt")
gen = (i for i in range(3))
big = bytes(3 << 20)
view_file = "rebound"
"""


def test_save_names_what_it_skips_and_restore_brings_back_the_rest(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("one\n")

    async def go() -> None:
        async with SandboxExecutor(tmp_path, SandboxSettings(state_limit_mib=2)) as executor:
            assert (await executor.run(SETUP)).status == "ok"
            state = await executor.save_state()
            kept = dict(state.kept)
            skipped = dict(state.skipped)
            assert {"counts", "alias", "arr", "double", "offset", "Point", "p", "np", "json", "view_file"} <= set(kept)
            assert "handle" in skipped and "cannot be pickled" in skipped["handle"]
            assert "gen" in skipped and "generator" in skipped["gen"]
            assert "big" in skipped and "too large" in skipped["big"] and "state_limit_mib" in skipped["big"]
            assert kept["arr"] == "numpy.ndarray"
            assert read_header(state.data)["bytes"] == state.size - len(state.data.split(b"\n", 2)[0]) - len(state.data.split(b"\n", 2)[1]) - 2

            # Later work changes and adds variables; restoring removes what came after.
            await executor.run("counts['a'] = 99\nlater = 1\noffset = 0")
            restored = await executor.restore_state(state)
            assert restored.ok and set(restored.restored) == set(kept)
            out = await executor.run(
                "print(counts['a'], alias is counts, double(1), p.moved().x, int(arr.sum()), 'later' in globals(), "
                "'handle' in globals(), view_file)\n"
                "offset = 1000\nprint(double(1))"
            )
            assert out.stdout.split() == ["1", "True", "102", "103", "45", "False", "False", "rebound", "1002"], out.stderr

            # Into a fresh session: the helpers are back where actions had not rebound them.
            restored = await executor.restore_state(state, fresh=True)
            assert restored.ok
            out = await executor.run("print(counts, callable(read_file) if 'read_file' in globals() else 'n/a', json.dumps([1]))")
            assert out.status == "ok", out.stderr
            assert out.stdout.startswith("{'a': 1, 'b': [1, 2, 3]}")

            # Clearing leaves no action variable and brings rebound helpers back.
            await executor.clear_state()
            out = await executor.run("print('counts' in globals(), view_file == 'rebound')")
            assert out.stdout.split() == ["False", "False"]

    asyncio.run(go())


def test_a_state_that_cannot_load_is_reported_not_raised(tmp_path: Path) -> None:
    async def go() -> None:
        async with SandboxExecutor(tmp_path) as executor:
            await executor.run("import types, sys\nmod = types.ModuleType('gone_mod')\nexec('class Thing: pass', mod.__dict__)\n"
                               "sys.modules['gone_mod'] = mod\nmod.Thing.__module__ = 'gone_mod'\nthing = mod.Thing()\nkeep = 5")
            state = await executor.save_state()
            assert "thing" in dict(state.kept)
            restored = await executor.restore_state(state, fresh=True)  # gone_mod does not exist there
            assert not restored.ok
            assert dict(restored.failed)["keep"].startswith("could not be loaded")
            out = await executor.run("print(1 + 1)")
            assert out.stdout == "2\n"  # the session is usable after

    asyncio.run(go())


def test_huge_frames_modules_and_hostile_objects_are_named_and_the_session_goes_on(tmp_path: Path) -> None:
    code = """
import sys, types
import numpy as np, pandas as pd
df = pd.DataFrame({"a": np.zeros(9_000_000), "b": np.ones(9_000_000)})  # ~137 MiB
small = df.head(3)
made = types.ModuleType("made_here")  # a module no import can bring back
made.value = 3
class Hostile:
    def __reduce__(self):
        raise RuntimeError("no pickling for me")
hostile = Hostile()
deep = []
node = deep
for _ in range(100_000):
    node.append([])
    node = node[0]
lam = lambda v: v + 1
"""

    async def go() -> None:
        async with SandboxExecutor(tmp_path, SandboxSettings(state_limit_mib=64)) as executor:
            ran = await executor.run(code)
            assert ran.status == "ok", ran.stderr
            state = await executor.save_state()
            kept, skipped = dict(state.kept), dict(state.skipped)
            assert "too large (about 137.3 MiB" in skipped["df"]
            assert "no pickling for me" in skipped["hostile"]
            assert "deep" in skipped and "recursion" in skipped["deep"]
            assert {"small", "lam", "np", "pd"} <= set(kept)
            assert state.size < 1 << 20
            restored = await executor.restore_state(state, fresh=True)
            assert restored.ok, restored.failed
            out = await executor.run("print(small.shape, lam(1), made.value, 'df' in globals())")
            assert out.stdout.strip() == "(3, 2) 2 3 False", out.stderr

    asyncio.run(go())


def test_a_hard_stop_brings_back_the_variables_kept_after_the_previous_action(tmp_path: Path) -> None:
    async def go() -> None:
        async with SandboxExecutor(tmp_path, SandboxSettings(deadline_s=3)) as executor:
            await executor.run("import math\nx = 41\nrows = [1, 2]")
            await executor.save_state()  # what the conversation does after every action
            stopped = await executor.run("y = 5\nwhile True:\n    pass")
            assert stopped.status == "stopped" and stopped.state_reset
            assert set(stopped.restored_names) == {"math", "x", "rows"}
            assert not any("variables and imports from earlier actions are gone" in w for w in stopped.warnings)
            out = await executor.run("print(x + 1, rows, math.pi > 3, 'y' in globals())")
            assert out.stdout == "42 [1, 2] True False\n", out.stderr
            # Without a kept state a hard stop still says the variables are gone.
            await executor.reset_session()
            await executor.run("z = 1")
            stopped = await executor.run("while True:\n    pass")
            assert stopped.state_reset and not stopped.restored_names
            assert any("variables and imports from earlier actions are gone" in w for w in stopped.warnings)

    asyncio.run(go())


def test_an_unchanged_session_saves_the_same_bytes(tmp_path: Path) -> None:
    async def go() -> None:
        async with SandboxExecutor(tmp_path) as executor:
            await executor.run("import pandas as pd\ndf = pd.DataFrame({'a': range(1000)})\nnames = ['x', 'y']")
            first = await executor.save_state()
            second = await executor.save_state()
            assert first.data == second.data  # so the history stores it once
            await executor.run("names.append('z')")
            assert (await executor.save_state()).data != first.data

    asyncio.run(go())
