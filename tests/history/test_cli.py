"""The `history`, `diff`, `undo`, `redo` and `restore` commands: output and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeact_tui.cli import main
from codeact_tui.history import HistoryStore

from .helpers import act

TEN = "".join(f"line {i}\n" for i in range(1, 11))


@pytest.fixture
def recorded(project: Path) -> Path:
    """A project with two agent entries."""
    with HistoryStore.open(project) as store:
        act(store, {"a.txt": TEN}, summary="write a")
        act(store, {"a.txt": TEN.replace("line 3\n", "agent three\n"), "b.txt": "b\n"}, summary="edit a, add b")
    return project


def test_history_lists_entries_newest_last(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--path", str(recorded), "--files"]) == 0
    out = capsys.readouterr().out
    assert out.index("write a") < out.index("edit a, add b")
    assert "added    b.txt" in out


def test_history_last_n(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--path", str(recorded), "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "edit a, add b" in out and "write a" not in out


def test_history_json(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--path", str(recorded), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["kind"], e["summary"]) for e in data] == [(1, "agent", "write a"), (2, "agent", "edit a, add b")]
    assert {"path": "b.txt", "change": "added"} in data[1]["files"]


def test_history_of_a_fresh_project_creates_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--path", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not HistoryStore.exists(project)


def test_diff(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "2", "--path", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert "-line 3\n+agent three\n" in out and "+++ b/b.txt" in out
    assert main(["diff", "0", "2", "--path", str(recorded)]) == 0
    assert "+agent three" in capsys.readouterr().out


def test_undo_redo_restore(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["undo", "--path", str(recorded)]) == 0
    assert "undid #2" in capsys.readouterr().out
    assert not (recorded / "b.txt").exists()
    assert main(["redo", "--path", str(recorded)]) == 0
    assert (recorded / "b.txt").exists()
    assert main(["restore", "1", "--path", str(recorded)]) == 0
    assert (recorded / "a.txt").read_text() == TEN and not (recorded / "b.txt").exists()


def test_conflicting_undo_exits_1_and_names_the_file(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (recorded / "a.txt").write_text(TEN.replace("line 3\n", "user three\n"))
    assert main(["undo", "2", "--path", str(recorded)]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "a.txt" in err and "user three" in err and "at line 3" in err
    assert (recorded / "a.txt").read_text() == TEN.replace("line 3\n", "user three\n")


def test_bad_input_exits_2(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["undo", "99", "--path", str(recorded)]) == 2
    assert "no history entry #99" in capsys.readouterr().err
    assert main(["diff", "42", "--path", str(recorded)]) == 2
    assert main(["restore", "7", "--path", str(recorded)]) == 2
    assert main(["history", "--path", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_nothing_to_redo_exits_1(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redo", "--path", str(recorded)]) == 1
    assert "nothing to redo" in capsys.readouterr().err


def test_prune_by_keep_days(recorded: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with HistoryStore.open(recorded) as store:
        log = store.store_dir / "entries.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    lines[0]["time"] = "2000-01-01T00:00:00.000Z"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["history", "--prune", "--path", str(recorded)]) == 0
    assert "keep_days is 0" in capsys.readouterr().out
    monkeypatch.setenv("CODEACT_TUI_HISTORY_KEEP_DAYS", "30")
    assert main(["history", "--prune", "--path", str(recorded)]) == 0
    assert "pruned 1" in capsys.readouterr().out
    assert main(["history", "--json", "--path", str(recorded)]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [2]
    assert main(["diff", "1", "--path", str(recorded)]) == 2
    assert main(["diff", "2", "--path", str(recorded)]) == 0
