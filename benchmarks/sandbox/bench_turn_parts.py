"""Where a trivial action's guest time goes, in one sandbox session of the executor:

- our session's own turn (`Session.run("x = 1")`: no executor, no wrapper),
- the executor's wrapper turn for the same action (`if 1: …run_action('x = 1', …)`, as
  `SandboxExecutor._run_turn` sends it, without the host's thread hop),
- `codeact_guest.run_action` timed inside its own turn (the first call of the turn), and
- the same call warm, in a loop inside one turn.

    python benchmarks/sandbox/bench_turn_parts.py [N]

Turns alternate, so load from elsewhere falls on both kinds alike; medians of N (400) after
30 of each to warm up. Run it under the shared lock.
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

CAP = 4096 << 10
WRAPPER = f"if 1: __import__('codeact_guest').run_action('x = 1', {CAP}, None)"
TIMED_INSIDE = (
    "if 1:\n import time as _t\n _s = _t.perf_counter_ns()\n"
    f" __import__('codeact_guest').run_action('x = 1', {CAP}, None)\n"
    " __import__('builtins').__dict__.setdefault('_inside', []).append(_t.perf_counter_ns() - _s)"
)
WARM_LOOP = (
    "if 1:\n import time as _t, statistics\n g = __import__('codeact_guest')\n v = []\n"
    f" for _ in range(400):\n  _s = _t.perf_counter_ns(); g.run_action('x = 1', {CAP}, None); v.append(_t.perf_counter_ns() - _s)\n"
    " print(statistics.median(v[50:]) / 1e6)"
)


async def measure(n: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        async with SandboxExecutor(Path(tmp), SandboxSettings(output_limit_kib=4096)) as executor:
            await executor.run("pass")
            session = executor._session  # the executor's own session, mounts and tools included
            own: list[float] = []
            wrapped: list[float] = []
            for _ in range(30):
                session.run("x = 1")
                session.run(WRAPPER)
                session.run(TIMED_INSIDE)
            for _ in range(n):
                for code, sink in (("x = 1", own), (WRAPPER, wrapped)):
                    started = time.perf_counter()
                    session.run(code)
                    sink.append(time.perf_counter() - started)
                session.run(TIMED_INSIDE)
            inside = float(session.run("if 1:\n import builtins, statistics\n print(statistics.median(builtins._inside[30:]) / 1e6)").stdout.decode())
            warm = float(session.run(WARM_LOOP).stdout.decode())
    return (
        f"own turn {statistics.median(own) * 1e3:.3f} ms; wrapper turn {statistics.median(wrapped) * 1e3:.3f} ms; "
        f"run_action inside its turn (first call) {inside:.3f} ms; warm, in a loop {warm:.3f} ms"
    )


if __name__ == "__main__":
    print(asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 400)))
