"""Rank a project's files and definitions by relevance to the conversation.

Files form a graph: a file that uses a name points to the files that define it. PageRank
(personalised towards mentioned files, files defining mentioned names and recently edited files)
scores the files; each file's score then flows along its edges to the definitions it uses, so
a definition used from many important places ranks high. This is aider's repo-map idea,
written out here without a graph library.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .symbols import FileSymbols

DAMPING = 0.85
MAX_ITERATIONS = 50
TOLERANCE = 1e-6
MAX_DEFINERS = 40
"""Names defined in more files than this (`main`, `new`, `get`) link nothing: too generic."""

# How the personalisation mass is split between the reasons a file is relevant.
SHARE_MENTIONED_FILES = 0.45
SHARE_MENTIONED_NAMES = 0.25
SHARE_RECENT = 0.15


@dataclass(frozen=True)
class Ranking:
    """The outcome: a score per file and per (file, definition name)."""

    files: dict[str, float]
    definitions: dict[tuple[str, str], float]


def name_weight(name: str, definers: int, mentioned: bool) -> float:
    """How much one use of a name says about relevance."""
    weight = 1.0
    if mentioned:
        weight *= 10.0
    if len(name) >= 8 and ("_" in name.strip("_") or any(c.isupper() for c in name[1:])):
        weight *= 3.0  # long compound names are specific
    if name.startswith("_"):
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    if len(name) < 3:
        weight *= 0.1
    return weight


def personalization(
    files: Iterable[str],
    *,
    mentioned_files: set[str],
    name_files: set[str],
    recent: Mapping[str, float],
) -> dict[str, float]:
    """A probability per file: uniform, plus shares for mentioned, name-defining and recent files."""
    names = list(files)
    if not names:
        return {}
    groups = [(SHARE_MENTIONED_FILES, {f: 1.0 for f in mentioned_files}),
              (SHARE_MENTIONED_NAMES, {f: 1.0 for f in name_files}),
              (SHARE_RECENT, dict(recent))]
    uniform_share = 1.0 - sum(share for share, group in groups if group)
    result = {f: uniform_share / len(names) for f in names}
    for share, group in groups:
        total = sum(group.values())
        if total <= 0:
            continue
        for f, value in group.items():
            if f in result:
                result[f] += share * value / total
    total = sum(result.values())
    return {f: v / total for f, v in result.items()}


def pagerank(
    nodes: list[str], edges: Mapping[str, Mapping[str, float]], start: Mapping[str, float]
) -> dict[str, float]:
    """Personalised PageRank by power iteration; dangling nodes teleport by `start`."""
    out_total = {src: sum(targets.values()) for src, targets in edges.items()}
    rank = dict(start)
    for _ in range(MAX_ITERATIONS):
        dangling = sum(rank[n] for n in nodes if not out_total.get(n))
        nxt = {n: (1.0 - DAMPING + DAMPING * dangling) * start[n] for n in nodes}
        for src, targets in edges.items():
            total = out_total[src]
            if not total:
                continue
            flow = DAMPING * rank[src] / total
            for dst, weight in targets.items():
                nxt[dst] += flow * weight
        delta = sum(abs(nxt[n] - rank[n]) for n in nodes)
        rank = nxt
        if delta < TOLERANCE:
            break
    return rank


def rank_project(
    symbols: Mapping[str, FileSymbols],
    *,
    mentioned_files: set[str] = frozenset(),  # type: ignore[assignment]
    mentioned_names: set[str] = frozenset(),  # type: ignore[assignment]
    recent: Mapping[str, float] | None = None,
) -> Ranking:
    """Score every file and definition of a project.

    Args:
        symbols: Each file's symbols, by project-relative path.
        mentioned_files: Paths the conversation mentions.
        mentioned_names: Identifiers the conversation mentions.
        recent: Files edited lately, with a weight (larger = more recent).
    """
    definers: dict[str, set[str]] = defaultdict(set)
    for rel, syms in symbols.items():
        for d in syms.definitions:
            definers[d.name].add(rel)

    edges: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    flows: dict[str, list[tuple[str, str, float]]] = defaultdict(list)  # src -> (dst, name, w)
    for src, syms in symbols.items():
        for name, lines in syms.references.items():
            targets = definers.get(name)
            if not targets or len(targets) > MAX_DEFINERS:
                continue
            weight = name_weight(name, len(targets), name in mentioned_names) * math.sqrt(len(lines))
            for dst in targets:
                if dst == src:
                    continue
                edges[src][dst] += weight
                flows[src].append((dst, name, weight))

    name_files = {f for name in mentioned_names for f in definers.get(name, ())}
    start = personalization(
        symbols, mentioned_files=mentioned_files, name_files=name_files, recent=recent or {}
    )
    file_rank = pagerank(list(symbols), edges, start)

    definition_rank: dict[tuple[str, str], float] = defaultdict(float)
    for src, items in flows.items():
        total = sum(edges[src].values())
        for dst, name, weight in items:
            definition_rank[(dst, name)] += file_rank[src] * weight / total
    # Every definition also gets a share of its own file's score, so the definitions of a
    # mentioned file show even when nothing else uses them yet.
    for rel, syms in symbols.items():
        if not syms.definitions:
            continue
        own = file_rank[rel] / math.sqrt(len(syms.definitions))
        top_level: dict[str, bool] = {}
        for d in syms.definitions:
            top_level[d.name] = top_level.get(d.name, False) or not d.parent
        for name, is_top in top_level.items():
            key = (rel, name)
            score = definition_rank[key] + own * (0.5 if is_top else 0.3)
            if name in mentioned_names:
                score *= 10.0
            definition_rank[key] = score
    return Ranking(files=file_rank, definitions=dict(definition_rank))
