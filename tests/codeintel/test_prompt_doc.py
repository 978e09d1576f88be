"""`prompts/code_tools.md` describes the tools as they really are."""

from __future__ import annotations

import inspect
from pathlib import Path

from codeact_tui.codeintel.host_tools import make_host_tools
from codeact_tui.resources import resource_file


def call_form(fn: object) -> str:
    """`search(pattern, glob=None, regex=False, ...)` as the doc writes it (the tools are
    globals of every action, and also `tools.NAME`)."""
    parts = []
    for p in inspect.signature(fn).parameters.values():  # type: ignore[arg-type]
        parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return f"{fn.__name__}({', '.join(parts)})"  # type: ignore[attr-defined]


def test_doc_shows_every_tool_with_its_real_signature(tmp_path: Path) -> None:
    doc = resource_file("prompts", "code_tools.md").read_text(encoding="utf-8")
    for fn in make_host_tools(tmp_path):
        assert call_form(fn) in doc, call_form(fn)


def test_doc_has_no_template_placeholders() -> None:
    doc = resource_file("prompts", "code_tools.md").read_text(encoding="utf-8")
    assert "$" not in doc  # prompts are rendered with string.Template
