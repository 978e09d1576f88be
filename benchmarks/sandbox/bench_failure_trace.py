"""What the failure trace costs `run_tests`: a failing run with the first failing test run again
and traced, beside the same run without the trace (`codeact_tests.TRACE_FAILURES = False`), in
one sandbox session of the executor, on four small projects:

- `unittest`: Exercism's acronym tests (9 failing) on a wrong `abbreviate`,
- `pytest`: two tests, one failing (the trace runs pytest a second time, collection included),
- `many calls`: a unittest that calls the project's function 100,000 times, then fails
  (tracing stops for good after `codeact_trace.TOTAL_CALLS` calls, and no trace is shown),
- `long loop`: a unittest whose failing call runs a 300,000-round loop (tracing stops after
  `codeact_trace.LINE_EVENTS` lines of it).

    python benchmarks/sandbox/bench_failure_trace.py [N]

Runs alternate (traced, baseline), so load from elsewhere falls on both alike; medians of N (7)
after one of each to warm up. Run it under the shared lock.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from codeact_tui.config import SandboxSettings
from codeact_tui.executor import SandboxExecutor

ACRONYM = "def abbreviate(words):\n    acronym = ''\n    for word in words:\n        acronym += word[0]\n    return acronym.upper()\n"
ACRONYM_TESTS = "import unittest\nfrom acronym import abbreviate\n\n\nclass AcronymTest(unittest.TestCase):\n" + "".join(
    f"    def test_{n}(self):\n        self.assertEqual(abbreviate({text!r}), {want!r})\n\n"
    for n, (text, want) in enumerate(
        [("Portable Network Graphics", "PNG"), ("Ruby on Rails", "ROR"), ("First In, First Out", "FIFO"), ("GNU Image Manipulation Program", "GIMP"),
         ("Complementary metal-oxide semiconductor", "CMOS"), ("Something - I made up from thin air", "SIMUFTA"), ("Halley's Comet", "HC"),
         ("The Road _Not_ Taken", "TRNT"), ("Rolling On The Floor Laughing", "ROTFL")]
    )
)
PROJECTS = {
    "unittest": {"acronym.py": ACRONYM, "acronym_test.py": ACRONYM_TESTS},
    "pytest": {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n\ndef test_zero():\n    assert add(0, 0) == 0\n",
    },
    "many calls": {
        "ident.py": "def ident(x):\n    return x\n",
        "ident_test.py": "import unittest\nfrom ident import ident\n\n\nclass T(unittest.TestCase):\n    def test_many(self):\n"
        "        for i in range(100_000):\n            ident(i)\n        self.assertEqual(ident(1), 2)\n",
    },
    "long loop": {
        "spin.py": "def spin(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n",
        "spin_test.py": "import unittest\nfrom spin import spin\n\n\nclass T(unittest.TestCase):\n    def test_spin(self):\n        self.assertEqual(spin(300_000), 0)\n",
    },
}
RUN = "import codeact_tests\ncodeact_tests.TRACE_FAILURES = {traced}\n_report = run_tests()\nprint(len(_report), 'How the code ran' in _report)"


async def measure(name: str, files: dict[str, str], n: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        for file, text in files.items():
            (Path(tmp) / file).write_text(text)
        async with SandboxExecutor(Path(tmp), SandboxSettings(deadline_s=120)) as executor:
            times: dict[bool, list[float]] = {True: [], False: []}
            chars: dict[bool, int] = {}
            for round_ in range(n + 1):
                for traced in (True, False):
                    started = time.perf_counter()
                    result = await executor.run(RUN.format(traced=traced))
                    took = time.perf_counter() - started
                    size, shown = result.stdout.split()
                    assert result.status == "ok" and (shown == "True") == (traced and name != "many calls"), result
                    chars[traced] = int(size)
                    if round_:
                        times[traced].append(took)
    traced_ms, base_ms = (statistics.median(times[t]) * 1000 for t in (True, False))
    return f"| {name} | {base_ms:,.0f} | {traced_ms:,.0f} | {traced_ms - base_ms:+,.0f} | {chars[False]:,} | {chars[True]:,} |"


async def main(n: int) -> None:
    print("| project | run_tests, no trace (ms) | with the trace (ms) | difference (ms) | report chars, no trace | with the trace |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, files in PROJECTS.items():
        print(await measure(name, files, n), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
