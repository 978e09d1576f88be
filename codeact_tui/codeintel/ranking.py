"""Rank a project's files and definitions by relevance to the conversation.

Files form a graph: a file that uses a name points to the files that define it. PageRank
(personalised towards mentioned files, files defining mentioned names and recently edited files)
scores the files; each file's score then flows along its edges to the definitions it uses, so
a definition used from many important places ranks high. This is aider's repo-map idea,
written out here without a graph library. The graph depends only on the files, so callers
cache it per snapshot; only the personalised iteration runs per conversation turn.
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from .symbols import FileSymbols

DAMPING = 0.85
MAX_ITERATIONS = 40
TOLERANCE = 1e-4
"""Stop when the scores move less than this in total (L1): plenty for an ordering."""

MAX_DEFINERS = 40
"""Names defined in more files than this (`main`, `new`, `get`) link nothing: too generic."""

# How the personalisation mass is split between the reasons a file is relevant.
SHARE_MENTIONED_FILES = 0.4
SHARE_MENTIONED_NAMES = 0.2
SHARE_RECENT = 0.25


@dataclass(frozen=True)
class Ranking:
    """The outcome: a score per file and per (file, definition name)."""

    files: dict[str, float]
    definitions: dict[tuple[str, str], float]


@dataclass(frozen=True)
class ReferenceGraph:
    """Who uses whose definitions, with files numbered for speed.

    Attributes:
        files: File paths; a file's position is its node number.
        edges: Per source node, (target node, share of the source's out-weight).
        flows: Per source node, (target node, name, share): the edges split by name.
        definers: Each defined name with the files that define it.
    """

    files: list[str]
    edges: list[list[tuple[int, float]]]
    flows: list[list[tuple[int, str, float]]]
    definers: dict[str, set[str]]


def name_weight(name: str, definers: int) -> float:
    """How much one use of a name says about relevance."""
    weight = 1.0
    if len(name) >= 8 and ("_" in name.strip("_") or not name.islower() and not name.isupper()):
        weight *= 3.0  # long compound names are specific
    if name.startswith("_"):
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    if len(name) < 3:
        weight *= 0.1
    return weight


def build_graph(symbols: Mapping[str, FileSymbols]) -> ReferenceGraph:
    """The reference graph of a project: an edge per (user file, defining file), by name."""
    files = list(symbols)
    number = {rel: i for i, rel in enumerate(files)}
    definers: dict[str, set[str]] = defaultdict(set)
    for rel, syms in symbols.items():
        for d in syms.definitions:
            definers[d.name].add(rel)
    targets_of: dict[str, tuple[list[int], float]] = {}
    for name, where in definers.items():
        if len(where) <= MAX_DEFINERS:
            targets_of[name] = ([number[rel] for rel in where], name_weight(name, len(where)))

    edges: list[list[tuple[int, float]]] = []
    flows: list[list[tuple[int, str, float]]] = []
    for src, rel in enumerate(files):
        weights: dict[int, float] = defaultdict(float)
        by_name: list[tuple[int, str, float]] = []
        for name, lines in symbols[rel].references.items():
            found = targets_of.get(name)
            if found is None:
                continue
            targets, weight = found
            weight *= math.sqrt(len(lines))
            for dst in targets:
                if dst != src:
                    weights[dst] += weight
                    by_name.append((dst, name, weight))
        total = sum(weights.values())
        edges.append([(dst, w / total) for dst, w in weights.items()] if total else [])
        flows.append([(dst, name, w / total) for dst, name, w in by_name] if total else [])
    return ReferenceGraph(files=files, edges=edges, flows=flows, definers=dict(definers))


def personalization(
    files: list[str],
    *,
    mentioned_files: set[str],
    name_files: set[str],
    recent: Mapping[str, float],
) -> list[float]:
    """A probability per file: uniform, plus shares for mentioned, name-defining and recent files."""
    if not files:
        return []
    number = {rel: i for i, rel in enumerate(files)}
    groups = [
        (SHARE_MENTIONED_FILES, {f: 1.0 for f in mentioned_files if f in number}),
        (SHARE_MENTIONED_NAMES, {f: 1.0 for f in name_files if f in number}),
        (SHARE_RECENT, {f: w for f, w in recent.items() if f in number and w > 0}),
    ]
    uniform_share = 1.0 - sum(share for share, group in groups if group)
    result = [uniform_share / len(files)] * len(files)
    for share, group in groups:
        total = sum(group.values())
        for f, value in group.items():
            result[number[f]] += share * value / total
    return result


def pagerank(graph: ReferenceGraph, start: list[float], initial: list[float] | None = None) -> list[float]:
    """Personalised PageRank by power iteration; dangling nodes teleport by `start`.

    `initial` (e.g. the previous turn's scores) makes it converge in a few iterations.
    """
    count = len(graph.files)
    rank = list(initial) if initial is not None and len(initial) == count else list(start)
    edges = graph.edges
    dangling_nodes = [i for i in range(count) if not edges[i]]
    for _ in range(MAX_ITERATIONS):
        dangling = sum(rank[i] for i in dangling_nodes)
        teleport = 1.0 - DAMPING + DAMPING * dangling
        nxt = [teleport * s for s in start]
        for src in range(count):
            out = edges[src]
            if out:
                flow = DAMPING * rank[src]
                for dst, share in out:
                    nxt[dst] += flow * share
        delta = sum(map(abs, map(operator.sub, nxt, rank)))
        rank = nxt
        if delta < TOLERANCE:
            break
    return rank


def rank_project(
    graph: ReferenceGraph,
    symbols: Mapping[str, FileSymbols],
    *,
    mentioned_files: set[str] = frozenset(),  # type: ignore[assignment]
    mentioned_names: set[str] = frozenset(),  # type: ignore[assignment]
    recent: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
) -> Ranking:
    """Score every file and definition of a project.

    Args:
        graph: `build_graph(symbols)`.
        symbols: Each file's symbols, by project-relative path.
        mentioned_files: Paths the conversation mentions.
        mentioned_names: Identifiers the conversation mentions.
        recent: Files edited lately, with a weight (larger = more recent).
        initial: Earlier file scores to start the iteration from (a warm start).
    """
    name_files = {f for name in mentioned_names for f in graph.definers.get(name, ())}
    start = personalization(
        graph.files, mentioned_files=mentioned_files, name_files=name_files, recent=recent or {}
    )
    warm = None
    if initial:
        mean = 1.0 / max(len(graph.files), 1)
        warm = [initial.get(rel, mean) for rel in graph.files]
        total = sum(warm)
        warm = [w / total for w in warm]
    scores = pagerank(graph, start, warm)
    files = graph.files

    definition_rank: dict[tuple[str, str], float] = defaultdict(float)
    for src, items in enumerate(graph.flows):
        flow = scores[src]
        for dst, name, share in items:
            definition_rank[(files[dst], name)] += flow * share
    # Every definition also gets a share of its own file's score, so the definitions of a
    # mentioned file show even when nothing else uses them yet.
    for i, rel in enumerate(files):
        definitions = symbols[rel].definitions
        if not definitions:
            continue
        own = scores[i] / math.sqrt(len(definitions))
        top_level: dict[str, bool] = {}
        for d in definitions:
            top_level[d.name] = top_level.get(d.name, False) or not d.parent
        for name, is_top in top_level.items():
            key = (rel, name)
            score = definition_rank[key] + own * (0.5 if is_top else 0.3)
            if name in mentioned_names:
                score *= 10.0
            definition_rank[key] = score
    return Ranking(files=dict(zip(files, scores)), definitions=dict(definition_rank))
