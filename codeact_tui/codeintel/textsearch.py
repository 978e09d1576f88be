"""Fast text search over the project's files (the host side of the `search` tool)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CodeToolError
from .files import SourceFile, looks_binary
from .linear import LinearSpec, PatternError, compile_linear

LINE_MAX_CHARS = 300
"""Matched lines longer than this are cut (minified code would flood the output)."""

PATTERN_MAX_CHARS = 1000


@dataclass(frozen=True)
class TextMatch:
    """One matching line."""

    path: str
    line: int
    text: str

    def to_json(self) -> dict[str, str | int]:
        """The match as a JSON-ready dict."""
        return {"path": self.path, "line": self.line, "text": self.text}


def compile_pattern(pattern: str, *, regex: bool, ignore_case: bool) -> Any:
    """The compiled search pattern: a regex runs on RE2 (linear time, so a crafted pattern
    cannot stall the host); literal text on `re` (a literal cannot backtrack).

    Raises:
        CodeToolError: The pattern is empty, too long, or not a valid regular expression.
    """
    if not isinstance(pattern, str) or not pattern:
        raise CodeToolError("pattern must be a non-empty string")
    if len(pattern) > PATTERN_MAX_CHARS:
        raise CodeToolError(f"pattern is longer than {PATTERN_MAX_CHARS} characters")
    if regex:
        try:
            return compile_linear(pattern, ignore_case=ignore_case, multiline=True)
        except PatternError as exc:
            raise CodeToolError(
                f"invalid regular expression {pattern!r}: {exc}; lookarounds and backreferences "
                "are not supported (the search engine is RE2); pass regex=False to search for "
                "the text literally"
            ) from None
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0)
    try:
        return re.compile(re.escape(pattern), flags)
    except re.error as exc:
        raise CodeToolError(
            f"invalid regular expression {pattern!r}: {exc}; pass regex=False to search for the "
            "text literally"
        ) from None


def compile_glob(glob: str | None) -> LinearSpec | None:
    """A matcher for a gitignore-style glob ('*.py', 'src/**/*.ts'), or None for all files."""
    if glob is None or glob == "":
        return None
    if not isinstance(glob, str):
        raise CodeToolError("glob must be a string such as '*.py' or 'src/**/*.ts'")
    patterns = [g.strip() for g in glob.split(",") if g.strip()]
    try:
        return LinearSpec(patterns)
    except Exception as exc:  # noqa: BLE001 - pathspec raises several types for bad globs
        raise CodeToolError(f"invalid glob {glob!r}: {exc}") from None


def _shorten(line: str) -> str:
    line = line.strip()
    return line if len(line) <= LINE_MAX_CHARS else line[: LINE_MAX_CHARS - 1] + "…"


def search_text(
    project: Path,
    compiled: Any,
    files: Iterable[SourceFile],
    *,
    glob: LinearSpec | None = None,
    max_results: int = 100,
    literal: bytes | None = None,
) -> tuple[list[TextMatch], bool]:
    """Search the given project files line by line (binary files skipped).

    `literal`, the exact bytes every match contains, lets files without it be skipped before
    they are decoded.

    Returns the matches (at most `max_results`, in path order) and whether more were left out.
    """
    matches: list[TextMatch] = []
    for found in files:
        if glob is not None and not glob.match_file(found.rel):
            continue
        try:
            data = (project / found.rel).read_bytes()
        except OSError:
            continue
        if literal is not None and literal not in data:
            continue
        if looks_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        first = compiled.search(text)
        if first is None:
            continue
        line, counted_to = 1, 0
        for match in compiled.finditer(text, first.start()):
            line += text.count("\n", counted_to, match.start())
            counted_to = match.start()
            if matches and matches[-1].path == found.rel and matches[-1].line == line:
                continue  # one row per line
            if len(matches) >= max_results:
                return matches, True
            begin = text.rfind("\n", 0, match.start()) + 1
            stop = text.find("\n", match.start())
            matches.append(TextMatch(found.rel, line, _shorten(text[begin : stop if stop != -1 else None])))
    return matches, False

