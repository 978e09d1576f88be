"""The live symbol index of one project: the walk, the disk cache and the parser together.

`refresh()` brings it up to date with the files on disk — only new or changed files are read,
only files whose bytes changed are parsed — and returns an immutable snapshot. One index per
project and options is kept per process (`index_for`), so the agent loop and the host tools
share the in-memory state and a warm refresh costs one walk with `stat`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import CachedFile, SymbolCache, cache_file, open_cache
from .files import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES, SourceFile, Walker
from .reader import ParallelReader, ReadResult, read_one
from .symbols import EMPTY, FileSymbols


@dataclass(frozen=True)
class IndexedFile:
    """One file of a snapshot: where it is, its stat, and its symbols."""

    rel: str
    size: int
    mtime_ns: int
    symbols: FileSymbols


@dataclass(frozen=True)
class IndexSnapshot:
    """The project's text files (binary ones left out) at one refresh, in walk order.

    Attributes:
        files: Indexed files by project-relative path.
        parsed: How many files this refresh had to parse (0 when all came from the cache).
        pending: Files left unread because the refresh ran out of time; they are listed with
            no symbols and read by a later refresh.
    """

    files: dict[str, IndexedFile]
    parsed: int = 0
    pending: frozenset[str] = frozenset()

    def fingerprint(self) -> int:
        """A value that changes whenever a file is added, removed, modified or parsed."""
        return hash((tuple((f.rel, f.size, f.mtime_ns) for f in self.files.values()), self.pending))


def read_symbols(path: Path, rel: str, previous: CachedFile | None) -> tuple[CachedFile, bool] | None:
    """Read and (if its bytes changed) parse one file; None when it cannot be read.

    Returns the new cache entry and whether the file was parsed.
    """
    result = read_one(str(path.parent), path.name, previous.digest if previous is not None else None)
    # (the name alone decides the language, so the parent folder can serve as the root)
    if result is None:
        return None
    return _entry(result, previous)


def _entry(result: ReadResult, previous: CachedFile | None) -> tuple[CachedFile, bool]:
    """The cache entry of a read file (the previous symbols when its bytes did not change)."""
    if result.symbols is None and previous is not None:
        return CachedFile(result.mtime_ns, result.size, result.digest, previous.symbols), False
    assert result.symbols is not None
    return CachedFile(result.mtime_ns, result.size, result.digest, result.symbols), True


class ProjectIndex:
    """Symbols of every file in one project, kept current by `refresh()`. Thread-safe."""

    def __init__(
        self,
        project: Path,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        disk_cache: bool = True,
        workers: int | None = None,
    ) -> None:
        """`workers`: processes for a big parse (None: one per core; 1 parses in-process)."""
        self.project = Path(os.path.realpath(project))
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self._disk_cache = disk_cache
        self._workers = workers
        self._cache: SymbolCache | None = None
        self._entries: dict[str, CachedFile] | None = None
        self._lock = threading.RLock()
        self._walker = Walker(self.project, max_file_bytes=max_file_bytes, max_files=max_files)

    def _load(self) -> dict[str, CachedFile]:
        if self._entries is None:
            self._cache = open_cache(self.project) if self._disk_cache else None
            self._entries = self._cache.load_all() if self._cache is not None else {}
        return self._entries

    def refresh(self, time_budget_s: float | None = None) -> IndexSnapshot:
        """Walk the project, update changed files, persist the changes, return a snapshot.

        Args:
            time_budget_s: Stop reading new or changed files after this many seconds (the
                first map of a huge project); those left are `pending`. None reads them all.
        """
        deadline = None if time_budget_s is None else time.monotonic() + time_budget_s
        with self._lock:
            entries = self._load()
            changed: dict[str, CachedFile] = {}
            encoded: dict[str, str] = {}
            found_files: list[SourceFile] = []
            # New or changed files are read after the walk — or, for a big batch, by worker
            # processes while the walk goes on.
            reader = ParallelReader(str(self.project), deadline, time.monotonic, self._workers)
            for found in self._walker.walk():
                found_files.append(found)
                entry = entries.get(found.rel)
                if entry is None or entry.mtime_ns != found.mtime_ns or entry.size != found.size:
                    reader.add(found.rel, entry.digest if entry is not None else None)
            parsed = 0
            unreadable: set[str] = set()
            for rel, result in reader.results():
                if result is None:
                    unreadable.add(rel)
                    continue
                entry, was_parsed = _entry(result, entries.get(rel))
                parsed += was_parsed
                changed[rel] = entries[rel] = entry
                if result.encoded is not None:
                    encoded[rel] = result.encoded
            pending = reader.unread
            files: dict[str, IndexedFile] = {}
            for found in found_files:
                entry = entries.get(found.rel)
                if found.rel in pending:
                    # Out of time: list it (with its old symbols, if any) and read it later.
                    stale = entry.symbols if entry is not None and not entry.symbols.binary else EMPTY
                    files[found.rel] = IndexedFile(found.rel, found.size, found.mtime_ns, stale)
                elif entry is not None and not entry.symbols.binary and found.rel not in unreadable:
                    files[found.rel] = IndexedFile(found.rel, found.size, found.mtime_ns, entry.symbols)
            # A walk cut short by its time limit did not see every file: forget none.
            removed = set() if self._walker.timed_out else entries.keys() - {f.rel for f in found_files}
            for rel in removed:
                del entries[rel]
            if self._cache is not None:
                try:
                    self._cache.store(changed, removed, encoded)
                except (sqlite3.Error, OSError):  # a read-only or full disk must not break the map
                    pass
            return IndexSnapshot(files=files, parsed=parsed, pending=frozenset(pending))

    @property
    def walk_timed_out(self) -> bool:
        """Whether the last walk stopped at its time limit (its listing is incomplete)."""
        return self._walker.timed_out

    def list_files(self) -> list[SourceFile]:
        """The project's files as `refresh()` sees them, without reading any."""
        with self._lock:
            return list(self._walker.walk())

    def file_symbols(self, rel: str) -> FileSymbols | None:
        """The symbols of one file, updated from disk if it changed; None if it is unreadable.

        Cheaper than `refresh()` when only one file matters (an outline).
        """
        with self._lock:
            entries = self._load()
            path = self.project / rel
            try:
                stat = os.stat(path)
            except OSError:
                return None
            entry = entries.get(rel)
            if entry is None or entry.mtime_ns != stat.st_mtime_ns or entry.size != stat.st_size:
                result = read_symbols(path, rel, entry)
                if result is None:
                    return None
                entry = entries[rel] = result[0]
                if self._cache is not None:
                    try:
                        self._cache.store({rel: entry})
                    except (sqlite3.Error, OSError):  # caching is best effort
                        pass
            return entry.symbols


_indexes: dict[tuple[str, str, int, int], ProjectIndex] = {}
_indexes_lock = threading.Lock()


def index_for(
    project: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
    disk_cache: bool = True,
) -> ProjectIndex:
    """The process-wide index of a project (one per distinct options)."""
    # The cache location is part of the key: it moves with XDG_CACHE_HOME (tests, users).
    location = str(cache_file(project)) if disk_cache else ""
    key = (os.path.realpath(project), location, max_file_bytes, max_files)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = ProjectIndex(
                project, max_file_bytes=max_file_bytes, max_files=max_files, disk_cache=disk_cache
            )
        return index
