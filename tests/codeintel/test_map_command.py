"""`codeact-tui map` end to end through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.cli import main


def test_map_prints_the_map(polyglot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--path", str(polyglot), "--tokens", "200", "--stats"]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("more files not shown\n")
    assert "tokens," in err and "/17 files" in err


def test_map_mention_ranks_up(polyglot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--path", str(polyglot), "--tokens", "100", "--mention", "Invoice"]) == 0
    assert capsys.readouterr().out.startswith("java/com/shop/Invoice.java:")


def test_map_budget_from_settings(polyglot: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEACT_TUI_CODEINTEL_MAP_TOKENS", "30")
    assert main(["map", "--path", str(polyglot)]) == 0
    assert len(capsys.readouterr().out) <= 30 * 3.5


def test_map_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--path", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["map", "--path", str(tmp_path), "--tokens", "0"]) == 2


def test_map_of_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--path", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no files" in err
