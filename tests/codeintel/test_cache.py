"""The symbol cache: reuse when unchanged, invalidation on edit, survival across processes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from codeact_tui.codeintel import cache as cache_module
from codeact_tui.codeintel.cache import cache_file
from codeact_tui.codeintel.index import ProjectIndex
from tests.support import write


def names(index: ProjectIndex, rel: str) -> set[str]:
    return {d.name for d in index.refresh().files[rel].symbols.definitions}


def test_warm_refresh_parses_nothing(polyglot: Path) -> None:
    index = ProjectIndex(polyglot)
    assert index.refresh().parsed > 10
    assert index.refresh().parsed == 0


def test_edit_invalidates_only_that_file(polyglot: Path) -> None:
    index = ProjectIndex(polyglot)
    index.refresh()
    write(polyglot, "py/shop/pricing.py", "def surcharge(amount: float) -> float:\n    return amount\n")
    snapshot = index.refresh()
    assert snapshot.parsed == 1
    assert {d.name for d in snapshot.files["py/shop/pricing.py"].symbols.definitions} == {"surcharge"}


def test_touch_without_change_is_not_parsed_again(polyglot: Path) -> None:
    index = ProjectIndex(polyglot)
    index.refresh()
    path = polyglot / "rust/lib.rs"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert index.refresh().parsed == 0


def test_same_size_edit_is_seen(polyglot: Path) -> None:
    index = ProjectIndex(polyglot)
    index.refresh()
    path = polyglot / "py/main.py"
    text = path.read_text()
    stat = path.stat()
    path.write_text(text.replace("def main()", "def mian()"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # even a tiny mtime step counts
    assert "mian" in names(index, "py/main.py")


def test_cache_survives_a_new_process(polyglot: Path) -> None:
    ProjectIndex(polyglot).refresh()
    assert cache_file(polyglot).is_file()
    fresh = ProjectIndex(polyglot)  # as a new process would: nothing in memory
    assert fresh.refresh().parsed == 0


def test_deleted_files_leave_the_cache(polyglot: Path) -> None:
    index = ProjectIndex(polyglot)
    index.refresh()
    (polyglot / "ruby/billing.rb").unlink()
    assert "ruby/billing.rb" not in index.refresh().files
    rows = sqlite3.connect(cache_file(polyglot)).execute("SELECT path FROM files").fetchall()
    assert ("ruby/billing.rb",) not in rows


def test_version_change_drops_the_cache(polyglot: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ProjectIndex(polyglot).refresh()
    monkeypatch.setattr(cache_module, "EXTRACTOR_VERSION", cache_module.EXTRACTOR_VERSION + 1)
    assert ProjectIndex(polyglot).refresh().parsed > 10


def test_corrupt_cache_is_replaced(polyglot: Path) -> None:
    location = cache_file(polyglot)
    location.parent.mkdir(parents=True, exist_ok=True)
    location.write_bytes(b"this is not a database" * 100)
    assert ProjectIndex(polyglot).refresh().parsed > 10


def test_binary_content_is_left_out(polyglot: Path) -> None:
    write(polyglot, "data/blob.py", b"\x00\x01binary")
    assert "data/blob.py" not in ProjectIndex(polyglot).refresh().files


def test_cache_lives_under_the_user_cache_dir(polyglot: Path, isolated_dirs: Path) -> None:
    assert str(cache_file(polyglot)).startswith(str(isolated_dirs))
