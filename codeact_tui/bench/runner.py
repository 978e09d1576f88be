"""Run M3ToolEval: load the task list, run the episodes (up to `concurrency` at once, each in a
fresh sandbox session), append each record as it finishes, report progress on stderr."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
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
class BenchRun:
    """The outcome: every task's latest record, in task order, and what this run did."""

    records: list[EpisodeRecord]
    ran: int
    skipped: int
    errors: int
    tasks: list[TaskInfo] = field(default_factory=list)


class Progress:
    """One line per finished episode on stderr, with a running count."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
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
        verdict = {"correct": "correct", "incorrect": "failed", "error": "ERROR"}[record.outcome]
        detail = f" ({record.error})" if record.outcome == "error" else ""
        bar = "#" * (20 * self.done // max(self.total, 1))
        print(
            ("\r" + " " * 120 + "\r" if self.stream.isatty() else "") + f"[{bar:<20}] {self.done:>{width}}/{self.total} {record.task_id}: {verdict} after "
            f"{record.turns} turn(s), {record.duration_s:.1f}s{detail} — {self.correct} correct, "
            f"{self.errors} error(s), {time.monotonic() - self.started:.0f}s",
            file=self.stream,
            flush=True,
        )


def default_runner_factory(settings: SandboxSettings) -> RunnerFactory:
    """Real sandboxes with the given limits."""

    def make(project: Path, benchmark: Path) -> CodeRunner:
        return make_executor(project, benchmark, settings)

    return make


async def run_benchmark(
    plan: BenchPlan,
    model: ChatModel,
    make_runner: RunnerFactory,
    *,
    progress_stream: TextIO | None = None,
) -> BenchRun:
    """Run the plan's episodes with `model`; records are appended to `plan.out` as they end."""
    tasks = select_tasks(await load_catalog(plan.benchmark, make_runner), plan.pattern, plan.limit)
    earlier = read_records(plan.out) if plan.resume else {}
    earlier = {k: r for k, r in earlier.items() if r.mode == plan.config.mode and r.action == _action(plan.config)}
    todo = [t for t in tasks if t.task_id not in earlier or earlier[t.task_id].outcome == "error"]
    skipped = len(tasks) - len(todo)
    out = RecordFile(plan.out)
    progress = Progress(len(todo), progress_stream)
    if skipped:
        print(f"resuming: {skipped} task(s) already done in {plan.out}, {len(todo)} to run", file=progress.stream, flush=True)
    prompts = PromptLibrary(resource_dir("prompts"), overrides=plan.config.profile.templates)
    gate = asyncio.Semaphore(max(1, plan.concurrency))
    fresh: dict[str, EpisodeRecord] = {}

    async def episode(task: TaskInfo) -> None:
        async with gate:
            workdir = Path(tempfile.mkdtemp(prefix="m3tooleval-"))
            started = time.monotonic()
            try:
                runner = make_runner(workdir, plan.benchmark)
                if plan.config.mode == "native":
                    record = await run_native(task, model, runner, plan.config, prompts, workdir, progress.turn)
                else:
                    record = await run_faithful(task, model, runner, plan.config, progress.turn)
            except Exception as exc:  # noqa: BLE001 - one broken episode (a sandbox that would not start) is an error record
                record = EpisodeRecord(
                    task_id=task.task_id, domain=task.domain, mode=plan.config.mode, action=_action(plan.config),
                    model=plan.config.model_name, outcome="error", turns=0, end_reason="sandbox",
                    expected=task.expected_repr, error=f"sandbox: {type(exc).__name__}: {exc}",
                    duration_s=time.monotonic() - started,
                )
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            out.append(record)
            fresh[task.task_id] = record
            progress.finished(record)

    await asyncio.gather(*(episode(t) for t in todo))
    merged = [fresh.get(t.task_id) or earlier[t.task_id] for t in tasks]
    return BenchRun(
        records=merged,
        ran=len(todo),
        skipped=skipped,
        errors=sum(r.outcome == "error" for r in merged),
        tasks=tasks,
    )


def _action(config: EpisodeConfig) -> str:
    return config.action if config.mode == "faithful" else "code"
