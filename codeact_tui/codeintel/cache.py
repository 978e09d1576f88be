"""The on-disk symbol cache: one SQLite file per project under the user cache folder.

Each row holds one file's symbols with the stat (mtime, size) and content hash they were made
from. A file whose stat is unchanged is not read at all; one whose stat changed but whose bytes
did not (a checkout, a `touch`) is read and hashed but not parsed again. A version stamp
invalidates everything when the extractor or a grammar changes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import paths
from .languages import LANGUAGES
from .symbols import FileSymbols

EXTRACTOR_VERSION = 2
"""Bump when extraction output changes (queries, signature rules): old caches are dropped."""


def _grammar_versions() -> str:
    versions = []
    for module in sorted({spec.module for spec in LANGUAGES.values()} | {"tree_sitter"}):
        dist = module.replace("_", "-")
        try:
            versions.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist}=missing")
    return ",".join(versions)


def cache_stamp() -> str:
    """What a cache must have been made with to be reused."""
    return f"v{EXTRACTOR_VERSION};{_grammar_versions()}"


def cache_file(project: Path) -> Path:
    """Where one project's symbol cache lives."""
    return paths.cache_dir() / "codeintel" / f"{paths.project_id(project)}.sqlite3"


def content_hash(data: bytes) -> str:
    """The hash that decides whether changed-looking bytes are really new."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class CachedFile:
    """One cached row: the stat and hash the symbols were made from, and the symbols."""

    mtime_ns: int
    size: int
    digest: str
    symbols: FileSymbols


class SymbolCache:
    """Per-file symbols of one project, persisted in SQLite; safe to share between threads."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._lock = threading.Lock()
        location.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(location, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime_ns INTEGER, "
            "size INTEGER, digest TEXT, symbols TEXT)"
        )
        stamp = cache_stamp()
        row = self._db.execute("SELECT value FROM meta WHERE key='stamp'").fetchone()
        if row is None or row[0] != stamp:
            self._db.execute("DELETE FROM files")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (stamp,))

    def load_all(self) -> dict[str, CachedFile]:
        """Every cached file, by project-relative path."""
        with self._lock:
            rows = self._db.execute("SELECT path, mtime_ns, size, digest, symbols FROM files").fetchall()
        loaded: dict[str, CachedFile] = {}
        for path, mtime_ns, size, digest, symbols in rows:
            try:
                loaded[path] = CachedFile(mtime_ns, size, digest, FileSymbols.from_json(json.loads(symbols)))
            except (ValueError, KeyError, TypeError):
                continue  # a damaged row is re-parsed, never trusted
        return loaded

    def store(
        self,
        entries: dict[str, CachedFile],
        removed: set[str] | frozenset[str] = frozenset(),
        encoded: dict[str, str] | None = None,
    ) -> None:
        """Write new or changed rows and drop rows of files that are gone, in one transaction.

        `encoded` holds symbols already turned into JSON (by the parse workers), by path.
        """
        if not entries and not removed:
            return
        ready = encoded or {}
        rows = [
            (
                path, e.mtime_ns, e.size, e.digest,
                ready.get(path) or json.dumps(e.symbols.to_json(), separators=(",", ":")),
            )
            for path, e in entries.items()
        ]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", rows)
                self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def open_cache(project: Path) -> SymbolCache | None:
    """The project's cache, or None when the cache folder is unusable (then nothing is cached).

    A corrupt file is replaced by an empty cache rather than failing the map.
    """
    location = cache_file(project)
    try:
        return SymbolCache(location)
    except sqlite3.DatabaseError:
        try:
            location.unlink(missing_ok=True)
            return SymbolCache(location)
        except (OSError, sqlite3.Error):
            return None
    except OSError:
        return None
