"""Rank a project's files and definitions by relevance to the conversation.

Files form a graph: a file that uses a name points to the files that define it. PageRank
(personalised towards mentioned files, files defining mentioned names and recently edited files)
scores the files; each file's score then flows along its edges to the definitions it uses, so
a definition used from many important places ranks high. This is aider's repo-map idea,
written out here without a graph library. The graph and its global scores depend only on the
files, so callers keep them per snapshot; per conversation turn only a forward push from the
few boosted files runs (personalised PageRank is linear in the teleport vector).
"""

from __future__ import annotations

import heapq
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

PUSH_EPSILON = 1e-5
"""Forward push spreads a file's leftover score only while it exceeds this times the file's
out-degree: the total work is then bounded by about 1 / (PUSH_EPSILON * (1 - DAMPING)) edge
visits, whatever the graph."""

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
        inflows: Per target node, (source node, name, share): the edges into it, split by name.
        definers: Each defined name with the files that define it.
    """

    files: list[str]
    edges: list[list[tuple[int, float]]]
    inflows: list[list[tuple[int, str, float]]]
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
    # (target nodes, weight) per name, made when a name is first met as a reference.
    targets_of: dict[str, tuple[list[int], float] | None] = {}

    def targets_for(name: str) -> tuple[list[int], float] | None:
        if name in targets_of:
            return targets_of[name]
        where = definers.get(name)
        found = None
        if where is not None and len(where) <= MAX_DEFINERS:
            found = ([number[rel] for rel in where], name_weight(name, len(where)))
        targets_of[name] = found
        return found

    edges: list[list[tuple[int, float]]] = []
    inflows: list[list[tuple[int, str, float]]] = [[] for _ in files]
    for src, rel in enumerate(files):
        weights: dict[int, float] = defaultdict(float)
        by_name: list[tuple[int, str, float]] = []
        for name, lines in symbols[rel].references.items():
            found = targets_for(name)
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
        for dst, name, w in by_name:
            inflows[dst].append((src, name, w / total))
    return ReferenceGraph(files=files, edges=edges, inflows=inflows, definers=dict(definers))


def global_rank(graph: ReferenceGraph, initial: list[float] | None = None) -> list[float]:
    """PageRank with a uniform teleport, in the "leaky" form x = (1-d)/n + d·M·x.

    Dangling files leak their score instead of spreading it; the scores are combined with
    `personal_rank` results (same form, so the sum is a personalised PageRank) and normalised
    at the end. `initial` (the scores before a file changed) makes it converge in a few steps.
    """
    count = len(graph.files)
    if count == 0:
        return []
    base = (1.0 - DAMPING) / count
    rank = list(initial) if initial is not None and len(initial) == count else [1.0 / count] * count
    edges = graph.edges
    for _ in range(MAX_ITERATIONS):
        nxt = [base] * count
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


def personal_rank(
    graph: ReferenceGraph, teleport: Mapping[int, float], epsilon: float = PUSH_EPSILON
) -> dict[int, float]:
    """PageRank teleporting only to the given files (weights summing to at most 1), leaky form.

    Uses forward push, which touches only the files near the sources, when that is cheaper
    than power iteration over the whole graph; on small, dense graphs it iterates instead.
    """
    edges = graph.edges
    total_edges = sum(map(len, edges))
    push_bound = sum(teleport.values()) / (epsilon * (1.0 - DAMPING))
    if total_edges * MAX_ITERATIONS < push_bound:
        return _personal_by_iteration(graph, teleport)
    estimate: dict[int, float] = defaultdict(float)
    residual: dict[int, float] = dict(teleport)
    queue = list(teleport)
    while queue:
        node = queue.pop()
        mass = residual.pop(node, 0.0)
        if mass <= 0.0:
            continue
        estimate[node] += (1.0 - DAMPING) * mass
        flow = DAMPING * mass
        for dst, share in edges[node]:
            before = residual.get(dst, 0.0)
            after = residual[dst] = before + flow * share
            threshold = epsilon * max(1, len(edges[dst]))
            if before < threshold <= after:
                queue.append(dst)
    return estimate


def _personal_by_iteration(graph: ReferenceGraph, teleport: Mapping[int, float]) -> dict[int, float]:
    """`personal_rank` by power iteration: x = (1-d)·t + d·M·x."""
    count = len(graph.files)
    base = [0.0] * count
    for node, weight in teleport.items():
        base[node] = (1.0 - DAMPING) * weight
    rank = list(base)
    edges = graph.edges
    for _ in range(MAX_ITERATIONS):
        nxt = list(base)
        for src in range(count):
            mass = rank[src]
            if mass and edges[src]:
                flow = DAMPING * mass
                for dst, share in edges[src]:
                    nxt[dst] += flow * share
        delta = sum(map(abs, map(operator.sub, nxt, rank)))
        rank = nxt
        if delta < TOLERANCE:
            break
    return {node: value for node, value in enumerate(rank) if value}


def personalization(
    *,
    mentioned_files: set[str],
    name_files: set[str],
    recent: Mapping[str, float],
) -> tuple[float, dict[str, float]]:
    """The uniform share and the extra teleport weight per boosted file (shares sum to 1)."""
    groups = [
        (SHARE_MENTIONED_FILES, {f: 1.0 for f in mentioned_files}),
        (SHARE_MENTIONED_NAMES, {f: 1.0 for f in name_files}),
        (SHARE_RECENT, {f: w for f, w in recent.items() if w > 0}),
    ]
    uniform_share = 1.0 - sum(share for share, group in groups if group)
    boosted: dict[str, float] = defaultdict(float)
    for share, group in groups:
        total = sum(group.values())
        for f, value in group.items():
            boosted[f] += share * value / total
    return uniform_share, dict(boosted)


def rank_project(
    graph: ReferenceGraph,
    symbols: Mapping[str, FileSymbols],
    *,
    mentioned_files: set[str] = frozenset(),  # type: ignore[assignment]
    mentioned_names: set[str] = frozenset(),  # type: ignore[assignment]
    recent: Mapping[str, float] | None = None,
    global_scores: list[float] | None = None,
    candidates: int | None = None,
) -> Ranking:
    """Score every file, and the definitions of the best files.

    Args:
        graph: `build_graph(symbols)`.
        symbols: Each file's symbols, by project-relative path.
        mentioned_files: Paths the conversation mentions.
        mentioned_names: Identifiers the conversation mentions.
        recent: Files edited lately, with a weight (larger = more recent).
        global_scores: `global_rank(graph)`, when the caller keeps it between turns.
        candidates: Score definitions only in this many best files (plus every boosted
            file); None scores them all.
    """
    files = graph.files
    number = {rel: i for i, rel in enumerate(files)}
    name_files = {f for name in mentioned_names for f in graph.definers.get(name, ())}
    uniform_share, boosted = personalization(
        mentioned_files=mentioned_files, name_files=name_files, recent=recent or {}
    )
    base = global_scores if global_scores is not None else global_rank(graph)
    scores = [uniform_share * s for s in base]
    teleport = {number[rel]: weight for rel, weight in boosted.items() if rel in number}
    if teleport:
        for node, value in personal_rank(graph, teleport).items():
            scores[node] += value
    total = sum(scores) or 1.0
    scores = [s / total for s in scores]

    chosen: list[int]
    if candidates is None or candidates >= len(files):
        chosen = list(range(len(files)))
    else:
        best = heapq.nlargest(candidates, range(len(files)), key=scores.__getitem__)
        chosen = sorted(set(best) | {number[f] for f in boosted if f in number})

    definition_rank: dict[tuple[str, str], float] = {}
    for dst in chosen:
        rel = files[dst]
        definitions = symbols[rel].definitions
        if not definitions:
            continue
        incoming: dict[str, float] = defaultdict(float)
        for src, name, share in graph.inflows[dst]:
            incoming[name] += scores[src] * share
        # Every definition also gets a share of its own file's score, so the definitions of a
        # mentioned file show even when nothing else uses them yet.
        own = scores[dst] / math.sqrt(len(definitions))
        top_level: dict[str, bool] = {}
        for d in definitions:
            top_level[d.name] = top_level.get(d.name, False) or not d.parent
        for name, is_top in top_level.items():
            score = incoming.get(name, 0.0) + own * (0.5 if is_top else 0.3)
            if name in mentioned_names:
                score *= 10.0
            definition_rank[(rel, name)] = score
    return Ranking(files=dict(zip(files, scores)), definitions=definition_rank)
