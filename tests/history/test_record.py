"""Recording entries: around actions, outside changes, nothing-changed actions, ids, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.core.ports import FileChange
from codeact_tui.history import HistoryError, HistoryStore
from codeact_tui.paths import project_data_dir

from .helpers import act


def test_action_that_changes_files_is_recorded(store: HistoryStore) -> None:
    entry = act(store, {"a.txt": "hello\n"}, summary="write a")
    assert entry is not None
    assert (entry.id, entry.kind, entry.summary) == (1, "agent", "write a")
    assert entry.files == (FileChange("a.txt", "added"),)
    assert entry.before and entry.after and entry.before != entry.after
    assert store.entries() == [entry]


def test_action_that_changes_nothing_records_nothing(store: HistoryStore) -> None:
    assert act(store, {}) is None
    assert store.entries() == []


def test_outside_changes_become_a_user_entry_before_the_action(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    (project / "a.txt").write_text("edited by the user\n")
    entry = act(store, {"b.txt": "2\n"}, kind="manual", summary="ran code")
    kinds = [(e.id, e.kind) for e in store.entries()]
    assert kinds == [(1, "agent"), (2, "user"), (3, "manual")]
    user = store.entries()[1]
    assert user.files == (FileChange("a.txt", "modified"),)
    assert entry is not None and entry.files == (FileChange("b.txt", "added"),)
    assert user.after == entry.before


def test_turn_id_and_kinds_are_kept(store: HistoryStore) -> None:
    ticket = store.begin_action("agent", "first line\nsecond line", turn_id="turn-7")
    (store.project / "x").write_text("x")
    entry = store.finish_action(ticket)
    assert entry is not None and entry.turn_id == "turn-7" and entry.summary == "first line"


def test_deletes_and_renames_are_named(store: HistoryStore, project: Path) -> None:
    act(store, {"old.txt": "some content that is long enough to be a rename\n" * 5, "gone.txt": "x"})
    ticket = store.begin_action("agent", "move")
    (project / "old.txt").rename(project / "new.txt")
    (project / "gone.txt").unlink()
    entry = store.finish_action(ticket)
    assert entry is not None
    assert set(entry.files) == {FileChange("new.txt", "renamed", "old.txt"), FileChange("gone.txt", "deleted")}


def test_entries_persist_across_opens(project: Path) -> None:
    with HistoryStore.open(project) as first:
        act(first, {"a": "1"})
        act(first, {"a": "2"})
    with HistoryStore.open(project) as second:
        assert [e.id for e in second.entries()] == [1, 2]
        assert act(second, {"a": "3"}).id == 3  # type: ignore[union-attr]


def test_store_lives_outside_the_project(store: HistoryStore, project: Path) -> None:
    act(store, {"a": "1"})
    assert sorted(p.name for p in project.iterdir()) == ["a"]
    assert (project_data_dir(project) / "history" / "git").is_dir()


def test_builtin_excludes_and_gitignore_are_respected(store: HistoryStore, project: Path) -> None:
    (project / ".gitignore").write_text("*.log\nbuild/\n")
    (project / "env" / "bin").mkdir(parents=True)
    (project / "env" / "bin" / "python").symlink_to("/usr/bin/python3")  # a real virtualenv has one
    entry = act(
        store,
        {
            "keep.py": "x",
            "debug.log": "x",
            "build/out.o": "x",
            "node_modules/pkg/index.js": "x",
            "__pycache__/m.cpython-311.pyc": "x",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/site.py": "x",
        },
    )
    assert entry is not None
    assert sorted(f.path for f in entry.files) == ["keep.py"]


def test_large_untracked_files_are_left_out_and_reported(project: Path) -> None:
    with HistoryStore.open(project, HistorySettings(max_file_size_mib=1)) as store:
        entry = act(store, {"big.bin": b"\0" * (1024 * 1024 + 1), "small.txt": "x"})
        assert entry is not None
        assert entry.untracked == ("big.bin",)
        assert FileChange("small.txt", "added") in entry.files
        out = store.git.out("ls-tree", "-r", "--name-only", entry.after)
        assert b"big.bin" not in out


def test_only_large_file_change_is_still_an_entry(project: Path) -> None:
    with HistoryStore.open(project, HistorySettings(max_file_size_mib=1)) as store:
        entry = act(store, {"big.bin": b"\1" * (1024 * 1024 + 1)})
        assert entry is not None and entry.untracked == ("big.bin",)


def test_begin_twice_is_refused(store: HistoryStore) -> None:
    ticket = store.begin_action("agent", "one")
    with pytest.raises(HistoryError):
        store.begin_action("agent", "two")
    store.finish_action(ticket)


def test_action_context_manager_records_even_when_the_block_raises(store: HistoryStore, project: Path) -> None:
    with pytest.raises(RuntimeError):
        with store.action("agent", "boom"):
            (project / "half.txt").write_text("written before the error")
            raise RuntimeError("guest failed")
    assert [e.summary for e in store.entries()] == ["boom"]


def test_open_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(HistoryError):
        HistoryStore.open(tmp_path / "f")


def test_undo_refuses_to_overwrite_a_large_untracked_file(project: Path) -> None:
    with HistoryStore.open(project, HistorySettings(max_file_size_mib=1)) as store:
        act(store, {"model.bin": b"small\n"})
        act(store, {"model.bin": None})
        big = b"\2" * (1024 * 1024 + 1)
        (project / "model.bin").write_bytes(big)  # now too large to snapshot
        result = store.undo()  # would re-create the small file over the large one
        assert not result.ok and result.conflicts[0].path == "model.bin"
        assert "large untracked file" in result.conflicts[0].reason
        assert (project / "model.bin").read_bytes() == big


def test_temp_files_of_an_interrupted_write_are_never_snapshotted(store: HistoryStore, project: Path) -> None:
    entry = act(store, {".codeact-tmp-a.txt-123": "half", "a.txt": "whole"})
    assert entry is not None and [f.path for f in entry.files] == ["a.txt"]


def test_outside_changes_while_closed_are_recorded_on_next_use(project: Path) -> None:
    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n"})
    (project / "a.txt").write_text("edited in an editor while codeact-tui was not running\n")
    with HistoryStore.open(project) as store:
        act(store, {"b.txt": "b\n"})
        assert [e.kind for e in store.entries()] == ["agent", "user", "agent"]
