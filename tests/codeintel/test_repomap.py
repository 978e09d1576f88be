"""The repo map: ranking, the budget, fallbacks, and staying current."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from codeact_tui.codeintel.repomap import build_repo_map, resolve_mentions
from codeact_tui.codeintel.tokens import estimate_tokens
from tests.support import write


def first_file(text: str) -> str:
    return text.splitlines()[0].rstrip(":")


def test_map_lists_definitions_with_line_numbers(polyglot: Path) -> None:
    repo_map = build_repo_map(polyglot, token_budget=4000)
    assert "py/shop/cart.py:" in repo_map.text
    assert "  26:   def total(self, code: str | None = None) -> float" in repo_map.text
    assert repo_map.files_shown == repo_map.files_total == 17
    assert "more file" not in repo_map.text


def test_mentioned_symbol_puts_its_file_first(polyglot: Path) -> None:
    for symbol, expected in [
        ("checksum_hex", {"c/checksum.c", "c/checksum.h"}),
        ("Warehouse", {"rust/lib.rs"}),
        ("OrderService", {"ts/orders.ts"}),
    ]:
        repo_map = build_repo_map(polyglot, token_budget=300, mentioned=[f"what does {symbol} do?"])
        assert first_file(repo_map.text) in expected, repo_map.text


def test_mentioned_file_comes_first_with_its_definitions(polyglot: Path) -> None:
    repo_map = build_repo_map(polyglot, token_budget=200, mentioned=["look at ledger.go"])
    lines = repo_map.text.splitlines()
    assert lines[0] == "go/ledger.go:"
    assert any("func NewLedger() *Ledger" in line for line in lines[:9])


def test_referenced_file_outranks_unreferenced(polyglot: Path) -> None:
    # pricing.py is used by cart.py; nothing uses ruby/billing.rb from another file.
    text = build_repo_map(polyglot, token_budget=4000).text
    assert text.index("py/shop/pricing.py") < text.index("ruby/billing.rb")


@pytest.mark.parametrize("budget", [40, 100, 250, 600])
def test_map_fits_the_budget(polyglot: Path, budget: int) -> None:
    repo_map = build_repo_map(polyglot, token_budget=budget)
    assert 0 < repo_map.tokens <= budget
    assert repo_map.tokens == estimate_tokens(repo_map.text)


def test_bigger_budget_shows_more(polyglot: Path) -> None:
    small = build_repo_map(polyglot, token_budget=100)
    large = build_repo_map(polyglot, token_budget=1000)
    assert large.definitions_shown > small.definitions_shown
    assert "more files not shown" in small.text


def test_custom_token_counter_is_used(polyglot: Path) -> None:
    repo_map = build_repo_map(polyglot, token_budget=50, count_tokens=lambda text: len(text.split()))
    assert len(repo_map.text.split()) <= 50
    assert repo_map.tokens == len(repo_map.text.split())


def test_tiny_budget_gives_an_empty_map(polyglot: Path) -> None:
    assert build_repo_map(polyglot, token_budget=1).text == ""


def test_unknown_languages_are_listed_without_symbols(polyglot: Path) -> None:
    lines = build_repo_map(polyglot, token_budget=4000).text.splitlines()
    assert "docs/notes.txt" in lines


def test_ignored_and_binary_files_stay_out(polyglot: Path) -> None:
    write(polyglot, "build/generated.py", "def generated(): pass\n")
    write(polyglot, "app.log", "log\n")
    write(polyglot, "data.py", b"\x00\x00")
    text = build_repo_map(polyglot, token_budget=4000).text
    assert "generated" not in text and "app.log" not in text and "data.py" not in text


def test_map_follows_edits(polyglot: Path) -> None:
    assert "refund" not in build_repo_map(polyglot, token_budget=4000).text
    write(polyglot, "py/shop/refunds.py", "def refund(order_id: int) -> bool:\n    return True\n")
    assert "def refund(order_id: int) -> bool" in build_repo_map(polyglot, token_budget=4000).text


def position(text: str, rel: str) -> int:
    """Where a file's entry starts in the map (smaller is more relevant)."""
    return text.index(rel)


def test_recently_edited_file_ranks_up(polyglot: Path) -> None:
    old = time.time() - 3600
    for path in polyglot.rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    before = build_repo_map(polyglot, token_budget=4000).text
    (polyglot / "ruby/billing.rb").touch()
    after = build_repo_map(polyglot, token_budget=4000).text
    assert position(after, "ruby/billing.rb") < position(before, "ruby/billing.rb")


def test_fresh_checkout_has_no_recent_edits(polyglot: Path) -> None:
    from codeact_tui.codeintel.index import ProjectIndex
    from codeact_tui.codeintel.repomap import recently_edited

    assert recently_edited(ProjectIndex(polyglot).refresh().files) == {}


def test_explicit_recent_files_rank_up(polyglot: Path) -> None:
    rel = "java/com/shop/Invoice.java"
    before = build_repo_map(polyglot, token_budget=4000).text
    after = build_repo_map(polyglot, token_budget=4000, recent=[rel]).text
    assert position(after, rel) < position(before, rel)


def test_empty_project(tmp_path: Path) -> None:
    repo_map = build_repo_map(tmp_path, token_budget=500)
    assert (repo_map.text, repo_map.tokens, repo_map.files_total) == ("", 0, 0)


def test_map_without_disk_cache(polyglot: Path, isolated_dirs: Path) -> None:
    repo_map = build_repo_map(polyglot, token_budget=500, disk_cache=False)
    assert repo_map.text
    assert not list((isolated_dirs / "xdg_cache_home").rglob("*.sqlite3"))


def test_resolve_mentions_understands_paths_and_names(polyglot: Path) -> None:
    from codeact_tui.codeintel.index import ProjectIndex

    files = ProjectIndex(polyglot).refresh().files
    mentioned_files, names = resolve_mentions(
        ["please fix ./py/shop/cart.py and `Invoice.render`, also shop/pricing.py"],
        files,
        {"Invoice", "render", "Cart"},
    )
    assert mentioned_files == {"py/shop/cart.py", "py/shop/pricing.py"}
    assert names == {"Invoice", "render"}


def test_repo_map_from_settings(polyglot: Path) -> None:
    from codeact_tui.codeintel.repomap import repo_map_from_settings
    from codeact_tui.config import CodeIntelSettings

    assert repo_map_from_settings(polyglot, CodeIntelSettings(map_tokens=0)).text == ""
    small = repo_map_from_settings(polyglot, CodeIntelSettings(map_tokens=60))
    assert 0 < small.tokens <= 60
    tiny_files = repo_map_from_settings(polyglot, CodeIntelSettings(max_file_kib=0, disk_cache=False))
    assert tiny_files.files_total == 0


def test_parse_budget_lists_unparsed_files_and_catches_up(polyglot: Path) -> None:
    first = build_repo_map(polyglot, token_budget=4000, parse_budget_s=0.0)
    assert first.files_pending == first.files_total == 17
    assert "def apply_discount" not in first.text  # listed, not yet parsed
    assert "py/shop/pricing.py" in first.text
    second = build_repo_map(polyglot, token_budget=4000, parse_budget_s=60.0)
    assert second.files_pending == 0
    assert "def apply_discount" in second.text


def test_parse_budget_keeps_old_symbols_of_changed_files(polyglot: Path) -> None:
    build_repo_map(polyglot, token_budget=4000)
    write(polyglot, "py/shop/pricing.py", "def apply_discount(amount: float) -> float:\n    return amount\n")
    stale = build_repo_map(polyglot, token_budget=4000, parse_budget_s=0.0)
    assert stale.files_pending == 1
    assert "def apply_discount(amount: float, code: str | None) -> float" in stale.text
    fresh = build_repo_map(polyglot, token_budget=4000)
    assert "def apply_discount(amount: float) -> float" in fresh.text
