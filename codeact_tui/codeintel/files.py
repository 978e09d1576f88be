"""List a project's source files the way git would see them: `.gitignore` respected, `.git`
and other tool folders skipped, symlinks not followed, binary and huge files left out."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .linear import LinearSpec

DEFAULT_MAX_FILE_BYTES = 512 * 1024
"""Files larger than this are not parsed or searched (generated bundles, data dumps)."""

DEFAULT_MAX_FILES = 100_000
"""The walk stops after this many files, so a mistaken root (a home folder) stays bounded."""

DEFAULT_WALK_LIMIT_S = 60.0
"""The walk stops after this many seconds (a slow disk, a huge tree) and says it did."""

# Folders never worth reading, ignored even without a .gitignore (VCS metadata, caches,
# dependency trees). A project's own .gitignore can re-include them with `!name/`.
DEFAULT_IGNORES = (
    ".git/",
    ".hg/",
    ".svn/",
    ".jj/",
    "node_modules/",
    "__pycache__/",
    ".venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".idea/",
    ".DS_Store",
    "*.pyc",
)

# Suffixes that are binary by nature: skipped without opening them.
BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd", ".pdf",
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar", ".war", ".whl", ".egg",
        ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".lib", ".obj", ".class", ".pyc", ".pyo",
        ".wasm", ".cwasm", ".bin", ".dat", ".db", ".sqlite", ".sqlite3", ".parquet", ".feather",
        ".npy", ".npz", ".pkl", ".pickle", ".h5", ".onnx", ".pt", ".pth", ".safetensors", ".gguf",
        ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".mov", ".avi", ".mkv", ".webm", ".ttf", ".otf",
        ".woff", ".woff2", ".eot",
    }
)

_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class SourceFile:
    """One file of the project as the walk found it.

    Attributes:
        rel: The path relative to the project, with forward slashes.
        size: Size in bytes.
        mtime_ns: Modification time in nanoseconds.
    """

    rel: str
    size: int
    mtime_ns: int


def looks_binary(data: bytes) -> bool:
    """Whether file content is binary (a NUL byte in its first 8 KiB, as git decides)."""
    return b"\0" in data[:_SNIFF_BYTES]


class IgnoreRules:
    """The stack of ignore specs that apply inside one folder (deepest last)."""

    def __init__(self, specs: tuple[tuple[str, LinearSpec], ...]) -> None:
        self._specs = specs

    def child(self, folder_rel: str, ignore_file: Path) -> IgnoreRules:
        """The rules for a sub-folder: these plus its own `.gitignore` (given), if readable."""
        spec = _read_ignore_file(ignore_file)
        if spec is None:
            return self
        return IgnoreRules((*self._specs, (folder_rel, spec)))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether a path is ignored; the deepest file with a matching pattern decides."""
        for base, spec in reversed(self._specs):
            if base:
                if not rel.startswith(base + "/"):
                    continue
                local = rel[len(base) + 1 :]
            else:
                local = rel
            result = spec.check(local + "/" if is_dir else local)
            if result is not None:
                return result
        return False


def _read_ignore_file(path: Path) -> LinearSpec | None:
    """The patterns of one ignore file (matched with RE2: a crafted line cannot hang the walk)."""
    try:
        if not path.is_file():
            return None  # a FIFO named .gitignore would block the read
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return LinearSpec(lines) if lines else None


def root_rules(project: Path) -> IgnoreRules:
    """The rules at the project root: defaults, `.git/info/exclude`, then `.gitignore`."""
    specs: list[tuple[str, LinearSpec]] = [("", LinearSpec(DEFAULT_IGNORES))]
    for candidate in (project / ".git" / "info" / "exclude", project / ".gitignore"):
        spec = _read_ignore_file(candidate)
        if spec is not None:
            specs.append(("", spec))
    return IgnoreRules(tuple(specs))


RACY_WINDOW_NS = 2_000_000_000
"""A folder or file changed this recently may change again within the same timestamp tick:
its stat is not trusted to mean "unchanged" next time (git's "racy" rule)."""


def _stat_key(path: str) -> tuple[int, int] | None:
    """(mtime, size) of a file, or None when it does not exist."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def racy(mtime_ns: int) -> bool:
    """Whether something changed so recently that its timestamp cannot vouch for it yet."""
    return time.time_ns() - mtime_ns < RACY_WINDOW_NS


def _ignore_file_stat(folder: str) -> tuple[int, int] | None:
    return _stat_key(folder + "/.gitignore")


@dataclass
class _Listing:
    """What one folder held when it was last listed, already filtered."""

    mtime_ns: int
    parent_rules: IgnoreRules
    ignore_file: tuple[int, int] | None
    rules: IgnoreRules
    files: list[str]
    folders: list[str]


class Walker:
    """Walks a project again and again, listing only the folders that changed since last time.

    A folder's listing (names after ignores) is reused while the folder's mtime, its own
    `.gitignore` and the rules it inherits are unchanged; every file is still `stat`ed, so
    edits are always seen.
    """

    def __init__(
        self,
        project: Path,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        time_limit_s: float | None = DEFAULT_WALK_LIMIT_S,
    ) -> None:
        self.project = project
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.time_limit_s = time_limit_s
        self.timed_out = False
        """Whether the last walk stopped at `time_limit_s` (its listing is incomplete)."""
        self._listings: dict[str, _Listing] = {}
        self._root_key: tuple[tuple[int, int] | None, tuple[int, int] | None] | None = None
        self._root_rules: IgnoreRules | None = None

    def _rules_at_root(self) -> IgnoreRules:
        """The root rules; when the root .gitignore or info/exclude changed, every listing goes."""
        root = str(self.project)
        key = (_ignore_file_stat(root), _stat_key(root + "/.git/info/exclude"))
        if key != self._root_key or self._root_rules is None:
            self._root_key = key
            self._root_rules = root_rules(self.project)
            self._listings.clear()
        if any(stat is not None and racy(stat[0]) for stat in key):
            self._root_key = None  # edited just now: read the rules again next time
        return self._root_rules

    def _list(self, folder: str, folder_rel: str, parent_rules: IgnoreRules, mtime_ns: int,
              ignore_file: tuple[int, int] | None, old: _Listing | None) -> _Listing:
        """List one folder afresh, applying ignores (its own .gitignore included)."""
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        rules = parent_rules
        if folder_rel and ignore_file is not None:
            if old is not None and old.parent_rules is parent_rules and old.ignore_file == ignore_file:
                rules = old.rules  # same rules object: the sub-folders' listings stay valid
            else:
                rules = parent_rules.child(folder_rel, Path(folder) / ".gitignore")
        files: list[str] = []
        folders: list[str] = []
        for entry in entries:
            rel = f"{folder_rel}/{entry.name}" if folder_rel else entry.name
            try:
                if entry.is_symlink() or entry.name.casefold() == ".git":
                    continue  # a `.git` folder, or the `.git` file of a worktree or submodule
                if entry.is_dir():
                    if not rules.ignored(rel, True):
                        folders.append(entry.name)
                elif (
                    entry.is_file()
                    and os.path.splitext(entry.name)[1].lower() not in BINARY_SUFFIXES
                    and not rules.ignored(rel, False)
                ):
                    files.append(entry.name)
            except OSError:
                continue
        # Changed just now: it may change again within the same timestamp tick, so list it
        # (and read its .gitignore) again next time.
        if racy(mtime_ns):
            mtime_ns = -1
        if ignore_file is not None and racy(ignore_file[0]):
            ignore_file = (-1, -1)
        return _Listing(mtime_ns, parent_rules, ignore_file, rules, files, folders)

    def walk(self) -> Iterator[SourceFile]:
        """Yield the project's files that are neither ignored, symlinks, binary by suffix nor
        huge, depth-first with names sorted (stable between runs)."""
        count = 0
        root = str(self.project)
        stack: list[tuple[str, IgnoreRules]] = [("", self._rules_at_root())]
        seen: set[str] = set()
        self.timed_out = False
        stop_at = None if self.time_limit_s is None else time.monotonic() + self.time_limit_s
        while stack:
            if stop_at is not None and time.monotonic() > stop_at:
                self.timed_out = True
                return
            folder_rel, parent_rules = stack.pop()
            folder = f"{root}/{folder_rel}" if folder_rel else root
            try:
                mtime_ns = os.stat(folder).st_mtime_ns
                ignore_file = _ignore_file_stat(folder) if folder_rel else None
                old = self._listings.get(folder_rel)
                listing = old
                if (
                    listing is None
                    or listing.mtime_ns != mtime_ns
                    or listing.ignore_file != ignore_file
                    or listing.parent_rules is not parent_rules
                ):
                    listing = self._listings[folder_rel] = self._list(
                        folder, folder_rel, parent_rules, mtime_ns, ignore_file, old
                    )
            except OSError:
                continue  # unreadable or vanished folder: skip rather than fail the whole map
            seen.add(folder_rel)
            prefix = f"{folder}/"
            rel_prefix = f"{folder_rel}/" if folder_rel else ""
            for name in listing.files:
                try:
                    stat = os.stat(prefix + name)
                except OSError:
                    continue
                if stat.st_size > self.max_file_bytes:
                    continue
                yield SourceFile(rel=rel_prefix + name, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
                count += 1
                if count >= self.max_files:
                    return
            stack.extend((rel_prefix + name, listing.rules) for name in reversed(listing.folders))
        for gone in self._listings.keys() - seen:
            del self._listings[gone]


def walk(
    project: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> Iterator[SourceFile]:
    """Yield the project's files that are neither ignored, symlinks, binary by suffix nor huge.

    Order is depth-first with names sorted, so results are stable between runs.
    """
    return Walker(project, max_file_bytes=max_file_bytes, max_files=max_files).walk()
