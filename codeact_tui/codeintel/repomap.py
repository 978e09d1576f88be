"""The repo map: the project's most relevant files and definitions, cut to a token budget.

It fills the repo-map slot of the system prompt. Each call refreshes the project's index (a
walk with `stat`; only changed files are parsed again), ranks files and definitions
(`ranking.py`), then keeps as many of the best definitions as fit the budget, grouped by file:

    py/shop/cart.py:
      17: class Cart
      26:   def total(self, code: str | None = None) -> float
    docs/notes.txt
    … 12 more files not shown
"""

from __future__ import annotations

import dataclasses
import heapq
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..config import CodeIntelSettings
from .files import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES
from .index import IndexedFile, IndexSnapshot, index_for
from .ranking import ReferenceGraph, build_graph, global_rank, rank_project
from .symbols import Definition
from .tokens import estimate_tokens

DEFAULT_MAP_TOKENS = 1024
"""The map's default size: about a page, as aider's default."""

RECENT_FILES = 10
"""At most this many files count as recently edited (by modification time)."""

RECENT_GAP_NS = 60 * 1_000_000_000
"""A file counts as recently edited only if it changed this long after most of the tree."""

CANDIDATE_FILES_MIN = 64
TOKENS_PER_FILE = 12
"""Definitions are scored only in the best `budget / TOKENS_PER_FILE` files (at least
`CANDIDATE_FILES_MIN`): a file shown in the map costs at least that many tokens."""

_WORDS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./\\-]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class RepoMap:
    """A rendered repo map.

    Attributes:
        text: The map, ready for the prompt ("" when nothing fits or the project is empty).
        tokens: Its size as counted by the token counter used to build it.
        files_shown: Files named in the map.
        files_total: Text files in the project (after ignores).
        definitions_shown: Definition lines in the map.
        files_pending: Files not parsed yet because the parse budget ran out (listed without
            symbols this time; a later call parses them).
    """

    text: str
    tokens: int
    files_shown: int
    files_total: int
    definitions_shown: int
    files_pending: int = 0


class _Item(NamedTuple):
    score: float
    rel: str
    name: str | None  # None: the file itself, listed without definitions


def resolve_mentions(
    mentioned: Iterable[str], files: dict[str, IndexedFile], defined: set[str]
) -> tuple[set[str], set[str]]:
    """Split mentions (paths, names, or whole sentences) into known files and defined names."""
    by_basename: dict[str, list[str]] = {}
    for rel in files:
        by_basename.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    mentioned_files: set[str] = set()
    names: set[str] = set()
    for text in mentioned:
        for word in _WORDS.findall(text):
            word = word.replace("\\", "/").rstrip("./").removeprefix("./")
            if word in files:
                mentioned_files.add(word)
            elif word in by_basename:
                mentioned_files.update(by_basename[word])
            elif "/" in word:
                mentioned_files.update(rel for rel in files if rel.endswith("/" + word))
            names.update(part for part in _IDENTIFIER.findall(word) if part in defined)
    return mentioned_files, names


def recently_edited(files: dict[str, IndexedFile], explicit: Iterable[str] = ()) -> dict[str, float]:
    """Weights for recently edited files: those named explicitly, then the newest by mtime.

    A file counts by mtime only when it changed clearly after most of the tree (a fresh
    checkout, where every file is new, has no recent edits).
    """
    weights = {rel: 2.0 * RECENT_FILES for rel in explicit if rel in files}
    if len(files) >= 2:
        mtimes = sorted(f.mtime_ns for f in files.values())
        threshold = mtimes[int(0.9 * (len(mtimes) - 1))] + RECENT_GAP_NS
        newest = sorted((f for f in files.values() if f.mtime_ns > threshold), key=lambda f: -f.mtime_ns)
        for position, f in enumerate(newest[:RECENT_FILES]):
            weights.setdefault(f.rel, float(RECENT_FILES - position))
    return weights


def _parents(definitions: tuple[Definition, ...]) -> list[int]:
    """For each definition, the index of its enclosing definition, or -1."""
    parents: list[int] = []
    stack: list[int] = []
    for i, d in enumerate(definitions):
        while stack and definitions[stack[-1]].end_line < d.line:
            stack.pop()
        parent = -1
        if d.parent:
            for j in reversed(stack):
                if definitions[j].name == d.parent:
                    parent = j
                    break
        parents.append(parent)
        stack.append(i)
    return parents


def render(
    items: list[_Item],
    snapshot: IndexSnapshot,
    files_total: int,
    parents_cache: dict[str, list[int]] | None = None,
) -> tuple[str, int, int]:
    """The map text for the chosen items; returns (text, files shown, definition lines)."""
    parents_cache = {} if parents_cache is None else parents_cache
    chosen: dict[str, set[str]] = {}
    for item in items:
        names = chosen.setdefault(item.rel, set())
        if item.name is not None:
            names.add(item.name)
    lines: list[str] = []
    definition_lines = 0
    for rel, names in chosen.items():
        definitions = snapshot.files[rel].symbols.definitions
        if not names:
            lines.append(rel)
            continue
        lines.append(f"{rel}:")
        parents = parents_cache.get(rel)
        if parents is None:
            parents = parents_cache[rel] = _parents(definitions)
        keep: set[int] = set()
        for i, d in enumerate(definitions):
            if d.name in names:
                j = i
                while j != -1 and j not in keep:  # a method brings its class along
                    keep.add(j)
                    j = parents[j]
        for i in sorted(keep):
            depth = 0
            j = parents[i]
            while j != -1:
                depth += 1
                j = parents[j]
            d = definitions[i]
            lines.append(f"  {d.line}: {'  ' * depth}{d.signature}")
            definition_lines += 1
    hidden = files_total - len(chosen)
    if hidden > 0:
        lines.append(f"… {hidden} more file{'s' if hidden != 1 else ''} not shown")
    return ("\n".join(lines) + "\n" if lines else ""), len(chosen), definition_lines


@dataclass(frozen=True)
class _GraphState:
    fingerprint: int
    graph: ReferenceGraph
    global_scores: list[float]


_graph_lock = threading.Lock()
_graphs: dict[Path, _GraphState] = {}


def _graph_for(project: Path, snapshot: IndexSnapshot) -> _GraphState:
    """The project's reference graph and global scores, rebuilt only when a file changed."""
    fingerprint = snapshot.fingerprint()
    with _graph_lock:
        cached = _graphs.get(project)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    graph = build_graph({rel: f.symbols for rel, f in snapshot.files.items()})
    initial = None
    if cached is not None:  # warm start: one changed file moves the scores only a little
        previous = dict(zip(cached.graph.files, cached.global_scores))
        fallback = 1.0 / max(len(graph.files), 1)
        initial = [previous.get(rel, fallback) for rel in graph.files]
    state = _GraphState(fingerprint, graph, global_rank(graph, initial))
    with _graph_lock:
        _graphs[project] = state
    return state


def _ranked_items(
    project: Path, snapshot: IndexSnapshot, mentioned: Iterable[str], recent: Iterable[str], limit: int
) -> list[_Item]:
    """The best `limit` items (definitions, and files without any), best first."""
    files = snapshot.files
    symbols = {rel: f.symbols for rel, f in files.items()}
    state = _graph_for(project, snapshot)
    mentioned_files, mentioned_names = resolve_mentions(mentioned, files, set(state.graph.definers))
    ranking = rank_project(
        state.graph,
        symbols,
        mentioned_files=mentioned_files,
        mentioned_names=mentioned_names,
        recent=recently_edited(files, recent),
        global_scores=state.global_scores,
        candidates=max(CANDIDATE_FILES_MIN, limit // TOKENS_PER_FILE),
    )
    boost = 1.0 + max(ranking.definitions.values(), default=0.0) + max(ranking.files.values(), default=0.0)
    items = [
        _Item(score + boost if rel in mentioned_files else score, rel, name)
        for (rel, name), score in ranking.definitions.items()
    ]
    items.extend(
        _Item(ranking.files[rel] * 0.5 + (boost if rel in mentioned_files else 0.0), rel, None)
        for rel, s in symbols.items()
        if not s.definitions
    )
    # Mentioned files come first (the user named them); only the best `limit` items can fit.
    return heapq.nlargest(limit, items, key=lambda i: (i.score, i.rel, i.name or ""))


def fit_to_budget(
    items: list[_Item],
    snapshot: IndexSnapshot,
    token_budget: int,
    count_tokens: Callable[[str], int],
) -> RepoMap:
    """The largest prefix of the ranked items whose rendering fits the budget (binary search)."""
    total = len(snapshot.files)
    best = RepoMap("", 0, 0, total, 0)
    low, high = 1, min(len(items), max(token_budget, 0))
    parents: dict[str, list[int]] = {}
    while low <= high:
        middle = (low + high) // 2
        text, shown, definitions = render(items[:middle], snapshot, total, parents)
        tokens = count_tokens(text)
        if tokens <= token_budget:
            best = RepoMap(text, tokens, shown, total, definitions)
            low = middle + 1
        else:
            high = middle - 1
    return best


_memo_lock = threading.Lock()
_memo: dict[tuple[object, ...], RepoMap] = {}


def build_repo_map(
    project: Path,
    *,
    token_budget: int = DEFAULT_MAP_TOKENS,
    mentioned: Iterable[str] = (),
    recent: Iterable[str] = (),
    count_tokens: Callable[[str], int] = estimate_tokens,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
    disk_cache: bool = True,
    parse_budget_s: float | None = None,
) -> RepoMap:
    """Build the repo map of a project, ranked for the current conversation.

    Args:
        project: The project folder.
        token_budget: The most tokens the map may take (by `count_tokens`).
        mentioned: File paths, identifiers, or whole messages of the conversation; words that
            name a project file or a defined symbol pull it (and its neighbours) up.
        recent: Project-relative paths of files edited lately (by the agent's actions);
            the newest files by modification time count too.
        count_tokens: The model's token counter; default a characters-per-token estimate.
        max_file_bytes: Larger files are skipped.
        max_files: The walk stops after this many files.
        disk_cache: Keep parsed symbols in the user cache folder between runs.
        parse_budget_s: The most seconds to spend reading new or changed files; files left
            over are listed without symbols and parsed by the next call (so the first map of
            a huge project comes quickly and improves turn by turn). None parses everything.

    Returns:
        The map; an empty text when the budget is too small or the project has no files.
    """
    index = index_for(project, max_file_bytes=max_file_bytes, max_files=max_files, disk_cache=disk_cache)
    snapshot = index.refresh(parse_budget_s)
    mentioned = tuple(mentioned)
    recent = tuple(recent)
    key = (index.project, snapshot.fingerprint(), mentioned, recent, token_budget, count_tokens)
    with _memo_lock:
        cached = _memo.get(key)
    if cached is not None:
        return cached
    items = _ranked_items(index.project, snapshot, mentioned, recent, max(token_budget, 0))
    result = fit_to_budget(items, snapshot, token_budget, count_tokens)
    if snapshot.pending:
        result = dataclasses.replace(result, files_pending=len(snapshot.pending))
    with _memo_lock:
        _memo.clear()  # one entry per process is enough: the loop asks again each turn
        _memo[key] = result
    return result


def repo_map_from_settings(
    project: Path,
    settings: CodeIntelSettings,
    *,
    mentioned: Iterable[str] = (),
    recent: Iterable[str] = (),
    count_tokens: Callable[[str], int] = estimate_tokens,
    token_budget: int | None = None,
) -> RepoMap:
    """`build_repo_map` with the limits of the `[codeintel]` settings (what the agent loop and
    `codeact-tui map` call). A budget of 0 (`map_tokens = 0`) gives an empty map."""
    budget = settings.map_tokens if token_budget is None else token_budget
    if budget <= 0:
        return RepoMap("", 0, 0, 0, 0)
    return build_repo_map(
        project,
        token_budget=budget,
        mentioned=mentioned,
        recent=recent,
        count_tokens=count_tokens,
        max_file_bytes=settings.max_file_kib * 1024,
        max_files=settings.max_files,
        disk_cache=settings.disk_cache,
        parse_budget_s=settings.map_parse_budget_s if settings.map_parse_budget_s > 0 else None,
    )
