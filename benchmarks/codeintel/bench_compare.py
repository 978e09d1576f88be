"""Cold repo maps with two checkouts of the code side by side, in one run (before/after a change).

    python benchmarks/codeintel/bench_compare.py --before ../old-checkout --after . [--repeat 2]

Each map runs in a fresh process with its own empty cache folder, alternating between the two
checkouts, on the generated 10,001-file tree and on a real `site-packages`. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from generate_tree import generate

from codeact_tui.bench.machine import machine_facts

PROBE = r"""
import json, sys, time
from pathlib import Path
from codeact_tui.codeintel.repomap import build_repo_map
start = time.perf_counter()
m = build_repo_map(Path(sys.argv[1]), token_budget=1024)
import codeact_tui
print(json.dumps({"s": time.perf_counter() - start, "files": m.files_total, "shown": m.files_shown, "module": codeact_tui.__file__}))
"""


def cold_map(checkout: Path, tree: Path, scratch: Path) -> dict[str, float]:
    """One cold map in a fresh process, with `checkout` first on the import path."""
    with tempfile.TemporaryDirectory(dir=scratch) as cache:
        env = dict(os.environ, PYTHONPATH=str(checkout), XDG_CACHE_HOME=cache)
        # Run outside any checkout: `python -c` puts the working folder first on the import path.
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(tree)], env=env, cwd=cache, capture_output=True, text=True, check=True
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result.pop("module")).is_relative_to(checkout), f"measured the wrong checkout: {result}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--site-packages", type=Path, default=Path(sysconfig.get_paths()["purelib"]))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codeintel-compare-") as tmp:
        scratch = Path(tmp)
        tree = scratch / "tree"
        generate(tree, 10_000)
        old = time.time() - 3600
        for folder, _dirs, names in os.walk(tree):
            for name in [*names, "."]:
                os.utime(os.path.join(folder, name), (old, old))
        rows = []
        for label, target in (("generated tree", tree), ("site-packages", args.site_packages)):
            times: dict[str, list[float]] = {"before": [], "after": []}
            files = 0
            for _ in range(args.repeat):
                for side, checkout in (("before", args.before), ("after", args.after)):
                    result = cold_map(checkout.resolve(), target, scratch)
                    times[side].append(result["s"])
                    files = int(result["files"])
            rows.append((label, files, times))
    print("| machine | |\n|---|---|")
    for key, value in machine_facts().items():
        print(f"| {key} | {value} |")
    print("\n| cold map (1,024 tokens) | files | before, each run | after, each run | median before → after |")
    print("|---|---:|---|---|---|")
    for label, files, times in rows:
        b, a = times["before"], times["after"]
        print(
            f"| {label} | {files:,} | {' / '.join(f'{t:.2f} s' for t in b)} | {' / '.join(f'{t:.2f} s' for t in a)} "
            f"| {statistics.median(b):.2f} s → {statistics.median(a):.2f} s |"
        )


if __name__ == "__main__":
    main()
