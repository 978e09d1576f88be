"""Run a benchmark's episodes (up to `concurrency` at once, each in a fresh sandbox session),
append each record as it finishes, report progress on stderr; and M3ToolEval's plan on top."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..config import SandboxSettings
from ..core.ports import ChatModel
from ..core.prompts import PromptLibrary
from ..resources import resource_dir
from .catalog import TaskInfo, load_catalog, select_tasks
from .episodes import EpisodeConfig, run_faithful, run_native
from .guest_task import CodeRunner, make_executor
from .records import EpisodeRecord, RecordFile, read_records

RunnerFactory = Callable[[Path, Path], CodeRunner]
"""Builds the sandbox of one episode: (project folder, benchmark folder) -> executor."""


@dataclass
class BenchPlan:
    """What one `bench m3tooleval` run does."""

    benchmark: Path
    config: EpisodeConfig
    out: Path
    pattern: str | None = None
    limit: int | None = None
    concurrency: int = 1
    resume: bool = False


@dataclass
class RunTally:
    """What a benchmark run did: the latest record of every chosen episode, how many ran now,
    how many were kept from earlier records, and how many ended in an error."""

    records: list[EpisodeRecord]
    ran: int
    skipped: int
    errors: int


@dataclass
class BenchRun(RunTally):
    """The outcome of `bench m3tooleval`: records in task order, and the tasks they came from."""

    tasks: list[TaskInfo] = field(default_factory=list)


class Progress:
    """One line per finished episode on stderr, with a running count."""

    def __init__(self, total: int, stream: TextIO | None = None, *, passed: str = "correct") -> None:
        self.total = total
        self.words = {"correct": passed, "incorrect": "failed", "error": "ERROR"}
        self.done = 0
        self.correct = 0
        self.errors = 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()

    def turn(self, task_id: str, turns: int) -> None:
        """A status line on a terminal (rewritten in place) after every model reply."""
        if self.stream.isatty():
            status = f"  {task_id}: {turns} turn(s) so far, {time.monotonic() - self.started:.0f}s"
            print(f"\r{status[:120]:<120}", end="", file=self.stream, flush=True)

    def finished(self, record: EpisodeRecord) -> None:
        self.done += 1
        self.correct += record.outcome == "correct"
        self.errors += record.outcome == "error"
        width = len(str(self.total))
        verdict = self.words[record.outcome]
        detail = f" ({record.error})" if record.outcome == "error" else ""
        bar = "#" * (20 * self.done // max(self.total, 1))
        print(
            ("\r" + " " * 120 + "\r" if self.stream.isatty() else "") + f"[{bar:<20}] {self.done:>{width}}/{self.total} {record.task_id}: {verdict} after "
            f"{record.turns} turn(s), {record.duration_s:.1f}s{detail} — {self.correct} {self.words['correct']}, "
            f"{self.errors} error(s), {time.monotonic() - self.started:.0f}s",
            file=self.stream,
            flush=True,
        )


def default_runner_factory(settings: SandboxSettings) -> RunnerFactory:
    """Real sandboxes with the given limits."""

    def make(project: Path, benchmark: Path) -> CodeRunner:
        return make_executor(project, benchmark, settings)

    return make


async def run_episodes(
    ids: Sequence[str],
    play: Callable[[str], Awaitable[EpisodeRecord]],
    crashed: Callable[[str, Exception, float], EpisodeRecord],
    *,
    out: Path,
    earlier: dict[str, EpisodeRecord],
    concurrency: int,
    progress: Progress,
) -> tuple[list[EpisodeRecord], int]:
    """Play every id not already finished in `earlier` (errors are played again), up to
    `concurrency` at once; append each record to `out` as it ends. Returns every id's latest
    record, in the order of `ids`, and how many were played.

    Args:
        ids: The episodes, in report order.
        play: Runs one episode.
        crashed: The error record for an episode whose `play` raised (elapsed seconds given).
        out: The records file.
        earlier: Records of this run read back for `--resume` (empty otherwise).
        concurrency: Episodes at once.
        progress: Told about each finished episode.
    """
    todo = [i for i in ids if i not in earlier or earlier[i].outcome == "error"]
    skipped = len(ids) - len(todo)
    records = RecordFile(out)
    progress.total = len(todo)
    if skipped:
        print(f"resuming: {skipped} episode(s) already done in {out}, {len(todo)} to run", file=progress.stream, flush=True)
    gate = asyncio.Semaphore(max(1, concurrency))
    fresh: dict[str, EpisodeRecord] = {}

    async def episode(item: str) -> None:
        async with gate:
            started = time.monotonic()
            try:
                record = await play(item)
            except Exception as exc:  # noqa: BLE001 - one broken episode (a sandbox that would not start) is an error record
                record = crashed(item, exc, time.monotonic() - started)
            records.append(record)
            fresh[item] = record
            progress.finished(record)

    await asyncio.gather(*(episode(i) for i in todo))
    return [fresh.get(i) or earlier[i] for i in ids], len(todo)


async def run_benchmark(
    plan: BenchPlan,
    model: ChatModel,
    make_runner: RunnerFactory,
    *,
    progress_stream: TextIO | None = None,
) -> BenchRun:
    """Run the plan's episodes with `model`; records are appended to `plan.out` as they end."""
    tasks = select_tasks(await load_catalog(plan.benchmark, make_runner), plan.pattern, plan.limit)
    by_id = {t.task_id: t for t in tasks}
    earlier = read_records(plan.out) if plan.resume else {}
    earlier = {k: r for k, r in earlier.items() if r.mode == plan.config.mode and r.action == _action(plan.config)}
    progress = Progress(len(tasks), progress_stream)
    prompts = PromptLibrary(resource_dir("prompts"), overrides=plan.config.profile.templates)

    async def play(task_id: str) -> EpisodeRecord:
        task = by_id[task_id]
        workdir = Path(tempfile.mkdtemp(prefix="m3tooleval-"))
        try:
            runner = make_runner(workdir, plan.benchmark)
            if plan.config.mode == "native":
                return await run_native(task, model, runner, plan.config, prompts, workdir, progress.turn)
            return await run_faithful(task, model, runner, plan.config, progress.turn)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def crashed(task_id: str, exc: Exception, elapsed: float) -> EpisodeRecord:
        task = by_id[task_id]
        return EpisodeRecord(
            task_id=task.task_id, domain=task.domain, mode=plan.config.mode, action=_action(plan.config),
            model=plan.config.model_name, outcome="error", turns=0, end_reason="sandbox",
            expected=task.expected_repr, error=f"sandbox: {type(exc).__name__}: {exc}", duration_s=elapsed,
        )

    merged, ran = await run_episodes(
        [t.task_id for t in tasks], play, crashed, out=plan.out, earlier=earlier,
        concurrency=plan.concurrency, progress=progress,
    )
    return BenchRun(
        records=merged,
        ran=ran,
        skipped=len(tasks) - ran,
        errors=sum(r.outcome == "error" for r in merged),
        tasks=tasks,
    )


def _action(config: EpisodeConfig) -> str:
    return config.action if config.mode == "faithful" else "code"
