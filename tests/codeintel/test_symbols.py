"""Definitions and references extracted per language from the polyglot fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.codeintel.languages import LANGUAGES, definitions_query, language_for
from codeact_tui.codeintel.symbols import FileSymbols, extract

from .conftest import FIXTURES

ROOT = FIXTURES / "polyglot"


def symbols_of(rel: str) -> FileSymbols:
    return extract((ROOT / rel).read_bytes(), language_for(rel))


def kinds(rel: str) -> set[tuple[str, str, str]]:
    return {(d.kind, d.name, d.parent) for d in symbols_of(rel).definitions}


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (
            "py/shop/cart.py",
            {
                ("variable", "TAX_RATE", ""),
                ("class", "Cart", ""),
                ("method", "total", "Cart"),
                ("field", "sku", "LineItem"),
            },
        ),
        ("js/inventory.js", {("class", "Inventory", ""), ("method", "restock", "Inventory"), ("function", "createInventory", ""), ("function", "formatSku", "")}),
        ("ts/orders.ts", {("interface", "Order", ""), ("type", "OrderLine", ""), ("enum", "Status", ""), ("class", "OrderService", ""), ("method", "place", "OrderService")}),
        ("ts/widget.tsx", {("function", "OrderBadge", "")}),
        ("go/ledger.go", {("constant", "MaxEntries", ""), ("type", "Ledger", ""), ("function", "NewLedger", ""), ("method", "Record", "Ledger"), ("method", "Record", "Recorder")}),
        ("rust/lib.rs", {("struct", "Warehouse", ""), ("enum", "Bin", ""), ("trait", "Storage", ""), ("impl", "Warehouse", ""), ("method", "new", "Warehouse"), ("function", "make_warehouse", ""), ("macro", "shout", ""), ("constant", "LIMIT", "")}),
        ("java/com/shop/Invoice.java", {("class", "Invoice", ""), ("constructor", "Invoice", "Invoice"), ("method", "render", "Invoice"), ("interface", "Printable", "")}),
        ("c/checksum.c", {("function", "mix", ""), ("function", "checksum", ""), ("function", "checksum_hex", "")}),
        ("c/checksum.h", {("macro", "CHECKSUM_SEED", ""), ("type", "checksum_state", ""), ("prototype", "checksum", ""), ("prototype", "checksum_hex", "")}),
        ("cpp/geometry.hpp", {("namespace", "geo", ""), ("class", "Shape", "geo"), ("class", "Circle", "geo"), ("method", "area", "Circle")}),
        ("cpp/geometry.cpp", {("constructor", "Circle", "Circle"), ("method", "area", "Circle"), ("function", "total_area", "geo")}),
        ("ruby/billing.rb", {("module", "Billing", ""), ("class", "Account", "Billing"), ("method", "charge", "Account"), ("method", "open", "Account"), ("constant", "CURRENCY", "Billing")}),
    ],
)
def test_definitions_per_language(rel: str, expected: set[tuple[str, str, str]]) -> None:
    assert expected <= kinds(rel)


def test_every_language_has_a_compiling_query() -> None:
    for name in LANGUAGES:
        assert definitions_query(name).pattern_count > 0


def test_signatures_stop_before_the_body() -> None:
    by_name = {d.name: d for d in symbols_of("py/shop/cart.py").definitions}
    assert by_name["total"].signature == "def total(self, code: str | None = None) -> float"
    go = {d.name: d for d in symbols_of("go/ledger.go").definitions if d.kind == "function"}
    assert go["NewLedger"].signature == "func NewLedger() *Ledger"
    c = {d.name: d for d in symbols_of("c/checksum.c").definitions}
    assert c["checksum_hex"].signature == "char *checksum_hex(unsigned int value)"


def test_line_numbers_are_one_based_and_span_the_body() -> None:
    cart = {d.name: d for d in symbols_of("py/shop/cart.py").definitions}["Cart"]
    assert (cart.line, cart.end_line) == (17, 28)


def test_typedef_struct_is_one_definition() -> None:
    names = [d.name for d in symbols_of("c/checksum.h").definitions]
    assert names.count("checksum_state") == 1


def test_header_guard_is_not_a_definition() -> None:
    assert "CHECKSUM_H" not in {d.name for d in symbols_of("c/checksum.h").definitions}


def test_references_exclude_definition_sites() -> None:
    cart = symbols_of("py/shop/cart.py")
    assert cart.references["apply_discount"] == [5, 28]
    assert "Cart" not in cart.references  # only defined here, never used
    pricing = symbols_of("py/shop/pricing.py")
    assert "apply_discount" not in pricing.references


def test_unknown_language_has_no_symbols() -> None:
    assert language_for("docs/notes.txt") is None
    assert extract(b"anything at all", None).definitions == ()


def test_broken_source_still_yields_what_parses() -> None:
    symbols = extract(b"def ok():\n    pass\n\ndef broken(:\n", "python")
    assert "ok" in {d.name for d in symbols.definitions}


def test_round_trip_through_json() -> None:
    symbols = symbols_of("rust/lib.rs")
    assert FileSymbols.from_json(symbols.to_json()) == symbols


@pytest.mark.parametrize("name", ["Rakefile", "x.pyi", "a.mjs", "b.hpp", "c.tsx", "D.JAVA"])
def test_language_by_file_name(name: str) -> None:
    assert language_for(Path(name)) is not None
