"""Run the Exercism benchmark: choose the exercises, play the episodes through the shared
runner (records, `--resume`, progress, concurrency), return every exercise's latest record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ...core.ports import ChatModel
from ...core.profiles import GENERIC
from ...core.prompts import PromptLibrary
from ...resources import resource_dir
from ..records import EpisodeRecord, read_records
from ..runner import Progress, RunTally, run_episodes
from .episodes import DOMAIN, ExercismConfig, run_exercise
from .exercises import list_exercises
from .verdict import ProjectRunner


@dataclass
class ExercismPlan:
    """What one `bench exercism` run does."""

    practice: Path
    """The checkout's `exercises/practice` folder."""
    config: ExercismConfig
    out: Path
    pattern: str | None = None
    limit: int | None = None
    concurrency: int = 1
    resume: bool = False


@dataclass
class ExercismRun(RunTally):
    """The outcome of `bench exercism`: records alphabetically, and the exercises left out."""

    unusable: list[str] = field(default_factory=list)
    """Exercises left out, each with the reason (no tests, no stub)."""


def _same_profile(record: EpisodeRecord, config: ExercismConfig) -> bool:
    """Whether `--resume` may keep a record: made with the same profile (records without one
    come from before profiles, when every episode spoke the generic one)."""
    if config.protocol == "oracle":
        return True
    return (record.profile or GENERIC) == config.profile.name


async def run_exercism(
    plan: ExercismPlan,
    model: ChatModel | None,
    make_runner: ProjectRunner,
    *,
    progress_stream: TextIO | None = None,
) -> ExercismRun:
    """Run the plan; records are appended to `plan.out` as episodes end."""
    exercises, unusable = list_exercises(plan.practice, plan.pattern, plan.limit)
    by_slug = {e.slug: e for e in exercises}
    earlier = read_records(plan.out) if plan.resume else {}
    earlier = {k: r for k, r in earlier.items() if r.domain == DOMAIN and r.mode == plan.config.protocol and _same_profile(r, plan.config)}
    progress = Progress(len(exercises), progress_stream, passed="passed")
    for reason in unusable:
        print(f"skipped: {reason}", file=progress.stream, flush=True)
    prompts = PromptLibrary(resource_dir("prompts"), overrides=plan.config.profile.templates)

    async def play(slug: str) -> EpisodeRecord:
        return await run_exercise(by_slug[slug], model, plan.config, prompts, make_runner, progress.turn)

    def crashed(slug: str, exc: Exception, elapsed: float) -> EpisodeRecord:
        return EpisodeRecord(
            task_id=slug, domain=DOMAIN, mode=plan.config.protocol, action="code", model=plan.config.model_name,
            profile="" if plan.config.protocol == "oracle" else plan.config.profile.name,
            outcome="error", turns=0, end_reason="sandbox", error=f"sandbox: {type(exc).__name__}: {exc}", duration_s=elapsed,
        )

    records, ran = await run_episodes(
        list(by_slug), play, crashed, out=plan.out, earlier=earlier, concurrency=plan.concurrency, progress=progress,
    )
    return ExercismRun(
        records=records, ran=ran, skipped=len(records) - ran,
        errors=sum(r.outcome == "error" for r in records), unusable=unusable,
    )
