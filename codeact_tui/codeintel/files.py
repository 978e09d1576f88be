"""List a project's source files the way git would see them: `.gitignore` respected, `.git`
and other tool folders skipped, symlinks not followed, binary and huge files left out."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

DEFAULT_MAX_FILE_BYTES = 512 * 1024
"""Files larger than this are not parsed or searched (generated bundles, data dumps)."""

DEFAULT_MAX_FILES = 100_000
"""The walk stops after this many files, so a mistaken root (a home folder) stays bounded."""

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
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .pdf .zip .gz .tgz .bz2 .xz .zst "
    ".7z .rar .jar .war .whl .egg .so .dylib .dll .exe .o .a .lib .obj .class .pyc .pyo .wasm "
    ".cwasm .bin .dat .db .sqlite .sqlite3 .parquet .feather .npy .npz .pkl .pickle .h5 .onnx "
    ".pt .pth .safetensors .gguf .mp3 .mp4 .wav .ogg .flac .mov .avi .mkv .webm .ttf .otf "
    ".woff .woff2 .eot".split()
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


class _Spec:
    """One ignore file's patterns, with a combined regex that rules out most paths at once."""

    def __init__(self, spec: GitIgnoreSpec) -> None:
        self.spec = spec
        parts = [
            f"(?:{p.regex.pattern.replace('(?P<ps_d>', '(')})"
            for p in spec.patterns
            if getattr(p, "include", None) is not None and getattr(p, "regex", None) is not None
        ]
        self.any_match = re.compile("|".join(parts)) if parts else None

    def check(self, path: str) -> bool | None:
        """True ignored, False re-included, None when no pattern speaks about the path."""
        if self.any_match is None or self.any_match.match(path) is None:
            return None
        return self.spec.check_file(path).include


class IgnoreRules:
    """The stack of ignore specs that apply inside one folder (deepest last)."""

    def __init__(self, specs: tuple[tuple[str, _Spec], ...]) -> None:
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


def _read_ignore_file(path: Path) -> _Spec | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return _Spec(GitIgnoreSpec.from_lines(lines)) if lines else None


def root_rules(project: Path) -> IgnoreRules:
    """The rules at the project root: defaults, `.git/info/exclude`, then `.gitignore`."""
    specs: list[tuple[str, _Spec]] = [("", _Spec(GitIgnoreSpec.from_lines(DEFAULT_IGNORES)))]
    for candidate in (project / ".git" / "info" / "exclude", project / ".gitignore"):
        spec = _read_ignore_file(candidate)
        if spec is not None:
            specs.append(("", spec))
    return IgnoreRules(tuple(specs))


def walk(
    project: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> Iterator[SourceFile]:
    """Yield the project's files that are neither ignored, symlinks, binary by suffix nor huge.

    Order is depth-first with names sorted, so results are stable between runs.
    """
    count = 0
    stack: list[tuple[Path, str, IgnoreRules]] = [(project, "", root_rules(project))]
    while stack:
        folder, folder_rel, rules = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: skip rather than fail the whole map
        if folder_rel and any(e.name == ".gitignore" for e in entries):
            rules = rules.child(folder_rel, folder / ".gitignore")
        subfolders: list[tuple[Path, str, IgnoreRules]] = []
        for entry in entries:
            rel = f"{folder_rel}/{entry.name}" if folder_rel else entry.name
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if entry.name == ".git" or rules.ignored(rel, True):
                        continue
                    subfolders.append((Path(entry.path), rel, rules))
                    continue
                if not entry.is_file() or rules.ignored(rel, False):
                    continue
                if os.path.splitext(entry.name)[1].lower() in BINARY_SUFFIXES:
                    continue
                stat = entry.stat()
            except OSError:
                continue
            if stat.st_size > max_file_bytes:
                continue
            yield SourceFile(rel=rel, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
            count += 1
            if count >= max_files:
                return
        stack.extend(reversed(subfolders))
