"""The Exercism scores: pass@1 and pass@2 (aider protocol) or the pass rate (native, oracle),
well-formed replies, replies and seconds per exercise, how often the model ran the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..records import EpisodeRecord


@dataclass(frozen=True)
class ExercismScore:
    """A run's numbers over the exercises that ran to a verdict (errors excluded)."""

    exercises: int
    pass_1: int
    """Passed after the first attempt (native and oracle: their only attempt)."""
    pass_2: int
    """Passed after the second attempt (native and oracle: the same as pass_1)."""
    pass_1_pct: float
    pass_2_pct: float
    replies: int
    """Model replies in all."""
    well_formed_pct: float
    """Replies holding a code action or a tagged answer."""
    replies_per_exercise: float
    seconds_per_exercise: float
    ran_tests_pct: float
    """Exercises in which the model ran the tests itself at least once."""
    agent_test_runs_per_exercise: float
    """Test runs the agent started after the model's changes (`auto_test`), per exercise."""
    started_over: int
    """Exercises the agent started over at least once (`fresh_attempts`)."""
    context_limits: int
    errors: int
    failed: tuple[str, ...]
    """The exercises that did not pass."""


def _passed_by(record: EpisodeRecord, attempt: int) -> bool:
    return any(a["passed"] for a in record.attempts[:attempt])


def score(records: Sequence[EpisodeRecord]) -> ExercismScore:
    """The score of a run's records."""
    counted = [r for r in records if r.counted]
    n = len(counted)
    pass_1 = sum(_passed_by(r, 1) for r in counted)
    pass_2 = sum(_passed_by(r, 2) for r in counted)
    replies = sum(r.turns for r in counted)
    malformed = sum(r.malformed_replies for r in counted)

    def pct(part: int | float, whole: int) -> float:
        return round(100 * part / whole, 1) if whole else 0.0

    return ExercismScore(
        exercises=n,
        pass_1=pass_1,
        pass_2=pass_2,
        pass_1_pct=pct(pass_1, n),
        pass_2_pct=pct(pass_2, n),
        replies=replies,
        well_formed_pct=pct(replies - malformed, replies),
        replies_per_exercise=round(replies / n, 2) if n else 0.0,
        seconds_per_exercise=round(sum(r.duration_s for r in counted) / n, 1) if n else 0.0,
        ran_tests_pct=pct(sum(r.tests_run_by_model > 0 for r in counted), n),
        agent_test_runs_per_exercise=round(sum(r.tests_run_by_agent for r in counted) / n, 2) if n else 0.0,
        started_over=sum(r.fresh_attempts > 0 for r in counted),
        context_limits=sum(r.end_reason == "context_limit" for r in counted),
        errors=len(records) - n,
        failed=tuple(r.task_id for r in counted if r.outcome != "correct"),
    )


def report_json(result: ExercismScore, header: dict[str, Any]) -> dict[str, Any]:
    """The report as one JSON object."""
    data = dict(header)
    data["score"] = asdict(result)
    data["score"]["failed"] = list(result.failed)
    return data


def render_text(result: ExercismScore, header: dict[str, Any]) -> str:
    """The report as text."""
    protocol = header["protocol"]
    profile = f" — profile {header['profile']}" if header.get("profile") else ""
    lines = [f"Exercism Python — {header['model']} — protocol {protocol}{profile}", ""]
    lines.append(f"exercises          {result.exercises}")
    if protocol == "aider":
        lines.append(f"pass@1             {result.pass_1_pct:5.1f}%  ({result.pass_1})")
        lines.append(f"pass@2             {result.pass_2_pct:5.1f}%  ({result.pass_2})")
    else:
        lines.append(f"passed             {result.pass_1_pct:5.1f}%  ({result.pass_1})")
    if protocol != "oracle":
        lines.append(f"well-formed        {result.well_formed_pct:5.1f}%  of {result.replies} replies")
        lines.append(f"replies/exercise   {result.replies_per_exercise:6.2f}")
    if protocol == "native":
        lines.append(f"ran the tests      {result.ran_tests_pct:5.1f}%  of exercises")
        lines.append(f"tests after edits  {result.agent_test_runs_per_exercise:6.2f}  per exercise, run by the agent")
        lines.append(f"started over       {result.started_over:6d}  exercises, by the agent after failing attempts")
        tokens = header.get("repo_map_tokens", 0)
        lines.append(f"repo map           {f'at most {tokens} tokens' if tokens else 'none'}; code tools on")
    lines.append(f"seconds/exercise   {result.seconds_per_exercise:6.1f}")
    if result.context_limits:
        lines.append(f"context window     {result.context_limits} exercise(s) outgrew it (counted as failures)")
    if result.failed:
        lines += ["", "not passed: " + ", ".join(result.failed)]
    if result.errors:
        lines += ["", f"{result.errors} exercise(s) ended in an error and are not counted: rerun with --resume."]
    return "\n".join(lines) + "\n"
