"""Pattern matching that cannot backtrack: RE2 for search regexes, globs and ignore files.

Python's `re` backtracks: one crafted pattern (`(a+)+$`, a gitignore line with many `*`)
against one long line or file name takes minutes while holding the interpreter lock, which
froze the host's event loop. RE2 matches in time linear in the text, so guest-chosen patterns
and project ignore files cost at most a scan. It lacks lookarounds and backreferences; such
patterns are refused with a message that says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import re2
from pathspec import GitIgnoreSpec

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors come back as exceptions, not as lines on stderr


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


def compile_linear(pattern: str, *, ignore_case: bool = False, multiline: bool = False) -> Any:
    """A compiled RE2 regex (`search`, `finditer`, `match` on str, like `re`).

    Raises:
        PatternError: not valid RE2 syntax (lookarounds and backreferences are not).
    """
    flags = ("i" if ignore_case else "") + ("m" if multiline else "")
    try:
        return re2.compile((f"(?{flags})" if flags else "") + pattern, options=_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(str(detail)) from None


class LinearSpec:
    """gitignore-style patterns (pathspec's translation to regexes) matched with RE2; the
    last pattern that matches a path decides, as in git."""

    def __init__(self, lines: Iterable[str]) -> None:
        """Compile the patterns; ones RE2 cannot take are skipped (they match nothing)."""
        self._patterns: list[tuple[Any, bool]] = []
        parts: list[str] = []
        for pattern in GitIgnoreSpec.from_lines(list(lines)).patterns:
            regex = getattr(pattern, "regex", None)
            include = getattr(pattern, "include", None)
            if regex is None or include is None:
                continue
            try:
                self._patterns.append((compile_linear(regex.pattern), bool(include)))
            except PatternError:
                continue
            parts.append(f"(?:{regex.pattern.replace('(?P<ps_d>', '(')})")
        self._any = compile_linear("|".join(parts)) if parts else None

    def check(self, path: str) -> bool | None:
        """True ignored (included), False re-included, None when no pattern speaks of it."""
        if self._any is None or self._any.match(path) is None:
            return None
        for compiled, include in reversed(self._patterns):
            if compiled.match(path) is not None:
                return include
        return None

    def match_file(self, path: str) -> bool:
        """Whether the patterns select `path` (for globs)."""
        return self.check(path) is True
