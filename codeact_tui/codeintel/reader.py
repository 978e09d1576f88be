"""Read and parse files for the index, in this process or, for a big batch, in worker processes.

Parsing is CPU-bound (tree-sitter plus the Python that walks its captures), so threads would not
help; a cold map of a large project parses its files in a pool of processes, one per core. The
workers are started with "spawn" (never "fork": the app runs threads, and a forked child could
inherit a lock held by one of them) and send back the symbols and their cache row's JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .cache import content_hash
from .files import looks_binary, racy
from .languages import language_for
from .symbols import BINARY, FileSymbols, extract

PARALLEL_MIN_FILES = 300
"""Fewer files to parse than this are parsed here: starting workers (~0.2 s) would cost more."""

CHUNK_FILES = 48
"""Files per task sent to a worker: large enough to amortise the hand-over, small enough to
share the work evenly and to stop soon after a time budget runs out."""


@dataclass(frozen=True)
class ReadResult:
    """One file read: its stat, its content hash, and its symbols.

    Attributes:
        symbols: The parsed symbols; None when the bytes hashed to `previous_digest` (the
            caller keeps the symbols it had).
        encoded: The symbols as the cache's JSON text, when a worker made it already.
    """

    rel: str
    mtime_ns: int
    size: int
    digest: str
    symbols: FileSymbols | None
    encoded: str | None = None


def encode_symbols(symbols: FileSymbols) -> str:
    """The cache's JSON text of one file's symbols."""
    return json.dumps(symbols.to_json(), separators=(",", ":"))


def read_one(root: str, rel: str, previous_digest: str | None) -> ReadResult | None:
    """Read one file and parse it unless its bytes hash to `previous_digest`; None if unreadable."""
    try:
        with open(os.path.join(root, rel), "rb") as handle:
            data = handle.read()
            stat = os.fstat(handle.fileno())
    except OSError:
        return None
    digest = content_hash(data)
    # A file written just now may change again within the same timestamp tick: record a stat
    # that never matches, so the next refresh reads it again (and re-parses only if its hash
    # differs).
    mtime_ns = -1 if racy(stat.st_mtime_ns) else stat.st_mtime_ns
    if previous_digest == digest:
        return ReadResult(rel, mtime_ns, stat.st_size, digest, None)
    symbols = BINARY if looks_binary(data) else extract(data, language_for(rel))
    return ReadResult(rel, mtime_ns, stat.st_size, digest, symbols)


def _read_chunk(root: str, jobs: list[tuple[str, str | None]]) -> list[tuple[str, ReadResult | None]]:
    """A worker's task: read and parse a chunk of files, with their cache JSON made here too."""
    out: list[tuple[str, ReadResult | None]] = []
    for rel, previous in jobs:
        result = read_one(root, rel, previous)
        if result is not None and result.symbols is not None:
            result = ReadResult(
                result.rel, result.mtime_ns, result.size, result.digest, result.symbols,
                encode_symbols(result.symbols),
            )
        out.append((rel, result))
    return out


def worker_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class ParallelReader:
    """Reads files handed to it one by one; past `PARALLEL_MIN_FILES` it starts worker processes
    and sends them chunks while the caller is still walking the tree.

    `results()` yields every read file's path and outcome (None: unreadable); files not read in
    time are left out of it and listed in `unread`.
    """

    def __init__(self, root: str, deadline: float | None, clock: Callable[[], float], workers: int | None = None) -> None:
        self.root = root
        self.deadline = deadline
        self.clock = clock
        self.workers = worker_count() if workers is None else workers
        self.unread: set[str] = set()
        self._jobs: list[tuple[str, str | None]] = []
        self._sent = 0
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[tuple[list[tuple[str, str | None]], Future[list[tuple[str, ReadResult | None]]]]] = []

    def add(self, rel: str, previous_digest: str | None) -> None:
        """Queue one file (sent to a worker at once when a pool runs)."""
        self._jobs.append((rel, previous_digest))
        if self._pool is None and self.workers > 1 and len(self._jobs) >= PARALLEL_MIN_FILES:
            self._start()
        if self._pool is not None and len(self._jobs) - self._sent >= CHUNK_FILES:
            self._send(len(self._jobs))

    def _start(self) -> None:
        import multiprocessing

        try:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        except (OSError, ValueError, ImportError):  # no process support here: parse in-process
            self._pool = None
            self.workers = 1

    def _send(self, upto: int) -> None:
        assert self._pool is not None
        chunk = self._jobs[self._sent : upto]
        self._sent = upto
        try:
            self._futures.append((chunk, self._pool.submit(_read_chunk, self.root, chunk)))
        except (BrokenProcessPool, RuntimeError):
            self._futures.append((chunk, _failed()))

    def _out_of_time(self) -> bool:
        return self.deadline is not None and self.clock() > self.deadline

    def _serial(self, jobs: Iterable[tuple[str, str | None]]) -> Iterator[tuple[str, ReadResult | None]]:
        for rel, previous in jobs:
            if self._out_of_time():
                self.unread.add(rel)
                continue
            yield rel, read_one(self.root, rel, previous)

    def results(self) -> Iterator[tuple[str, ReadResult | None]]:
        """Every queued file's outcome, in the order they were added."""
        if self._pool is None:
            yield from self._serial(self._jobs)
            return
        if self._sent < len(self._jobs):
            self._send(len(self._jobs))
        try:
            for chunk, future in self._futures:
                remaining = None if self.deadline is None else max(0.0, self.deadline - self.clock())
                try:
                    yield from future.result(timeout=remaining)
                except FutureTimeout:
                    future.cancel()
                    self.unread.update(rel for rel, _ in chunk)
                except (BrokenProcessPool, OSError, EOFError):  # a worker died: do its share here
                    yield from self._serial(chunk)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _failed() -> Future[list[tuple[str, ReadResult | None]]]:
    future: Future[list[tuple[str, ReadResult | None]]] = Future()
    future.set_exception(BrokenProcessPool("the parse workers could not start"))
    return future
