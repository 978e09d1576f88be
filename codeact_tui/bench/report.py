"""Scores of a run: success rate and average turns per domain and overall, with the benchmark's
own checker (faithful) and, labelled separately, the lenient one; and the paper's table beside."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .records import EpisodeRecord
from .source import PaperResults, paper_rows


@dataclass(frozen=True)
class Score:
    """One row of the report."""

    name: str
    """A domain, or `overall`."""
    tasks: int
    """Episodes counted (errors excluded)."""
    correct: int
    success_pct: float
    avg_turns: float
    lenient_correct: int
    lenient_success_pct: float
    lenient_avg_turns: float
    errors: int
    """Episodes that ended in an error (not counted; rerun them with --resume)."""


def _score(name: str, records: list[EpisodeRecord]) -> Score:
    counted = [r for r in records if r.counted]
    n = len(counted)
    correct = sum(r.outcome == "correct" for r in counted)
    lenient = sum(r.lenient_correct for r in counted)
    return Score(
        name=name,
        tasks=n,
        correct=correct,
        success_pct=round(100 * correct / n, 1) if n else 0.0,
        avg_turns=round(sum(r.turns for r in counted) / n, 2) if n else 0.0,
        lenient_correct=lenient,
        lenient_success_pct=round(100 * lenient / n, 1) if n else 0.0,
        lenient_avg_turns=round(sum(r.lenient_turns for r in counted) / n, 2) if n else 0.0,
        errors=len(records) - n,
    )


def score(records: Iterable[EpisodeRecord]) -> list[Score]:
    """One score per domain (in first-seen order), then `overall`."""
    by_domain: dict[str, list[EpisodeRecord]] = {}
    everything: list[EpisodeRecord] = []
    for record in records:
        by_domain.setdefault(record.domain, []).append(record)
        everything.append(record)
    return [*(_score(name, rs) for name, rs in by_domain.items()), _score("overall", everything)]


def report_json(scores: list[Score], header: dict[str, Any], paper: PaperResults | None, action: str) -> dict[str, Any]:
    """The report as one JSON object."""
    data: dict[str, Any] = dict(header)
    data["scores"] = [asdict(s) for s in scores]
    if paper is not None:
        data["paper"] = {
            "source": paper.source,
            "action": action,
            "models": [{"model": m, "success_pct": s, "avg_turns": t} for m, s, t in paper_rows(paper, action)],
        }
    return data


def render_text(scores: list[Score], header: dict[str, Any], paper: PaperResults | None, action: str) -> str:
    """The report as text tables."""
    lines = [
        f"M3ToolEval — {header['model']} — mode {header['mode']}, action {header['action']}"
        + (f", profile {header['profile']} (sampling: {header['sampling']})" if header.get("profile") else ""),
        "",
        f"{'domain':<36} {'tasks':>5} {'success':>8} {'turns':>6}  {'lenient':>8} {'turns':>6}  {'errors':>6}",
    ]
    for s in scores:
        if s.name == "overall":
            lines.append("-" * 86)
        lines.append(
            f"{s.name:<36} {s.tasks:>5} {s.success_pct:>7.1f}% {s.avg_turns:>6.2f}  "
            f"{s.lenient_success_pct:>7.1f}% {s.lenient_avg_turns:>6.2f}  {s.errors:>6}"
        )
    lines += [
        "",
        "success: the benchmark's own answer checker (comparable with the paper).",
        "lenient: forgives answer formatting (quotes, case, list spacing, prices to the cent); not comparable.",
        "turns: model replies per task, failures counted up to the turn limit.",
    ]
    overall = scores[-1]
    if any(s.errors for s in scores):
        lines.append(f"{overall.errors} episode(s) ended in an error and are not counted: rerun with --resume.")
    if paper is not None:
        lines += ["", f"Published results, {action} actions (from {paper.source}):", f"{'model':<36} {'success':>8} {'turns':>6}"]
        ours = (f"» {header['model']} ({header['mode']})", overall.success_pct, overall.avg_turns)
        rows = paper_rows(paper, action)
        placed = False
        for model, success, turns in rows:
            if not placed and overall.success_pct >= success:
                lines.append(f"{ours[0]:<36} {ours[1]:>7.1f}% {ours[2]:>6.2f}")
                placed = True
            shown = "—" if turns is None else f"{turns:.2f}"
            lines.append(f"{model:<36} {success:>7.1f}% {shown:>6}")
        if not placed:
            lines.append(f"{ours[0]:<36} {ours[1]:>7.1f}% {ours[2]:>6.2f}")
        if overall.tasks != 82:
            lines.append(f"(the paper's numbers are over all 82 tasks; this run counted {overall.tasks})")
    else:
        lines += ["", "No published results found (pass --paper FILE with paper_results.json to compare)."]
    return "\n".join(lines) + "\n"
