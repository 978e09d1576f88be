"""Undo of any entry (three-way, keeping later work), redo, restore, and refusals."""

from __future__ import annotations

from pathlib import Path

from codeact_tui.history import HistoryStore

from .helpers import act, tree_bytes

TEN = "".join(f"line {i}\n" for i in range(1, 11))


def test_undo_the_last_action(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "one\n"})
    act(store, {"a.txt": "two\n", "b.txt": "new\n"}, summary="second")
    result = store.undo()
    assert result.ok and result.entry is not None
    assert result.entry.kind == "undo" and result.entry.target == 2
    assert tree_bytes(project) == {"a.txt": b"one\n"}


def test_undo_a_middle_entry_keeps_later_work_in_the_same_file(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": TEN})
    act(store, {"a.txt": TEN.replace("line 2\n", "LINE TWO\n")}, summary="edit top")
    act(store, {"a.txt": TEN.replace("line 2\n", "LINE TWO\n").replace("line 9\n", "LINE NINE\n")}, summary="edit bottom")
    (project / "later.txt").write_text("user work\n")
    result = store.undo(2)
    assert result.ok, result
    assert (project / "a.txt").read_text() == TEN.replace("line 9\n", "LINE NINE\n")
    assert (project / "later.txt").read_text() == "user work\n"
    assert [e.kind for e in store.entries()] == ["agent", "agent", "agent", "user", "undo"]


def test_conflicting_undo_changes_nothing_and_names_the_lines(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": TEN, "other.txt": "x\n"})
    act(store, {"a.txt": TEN.replace("line 5\n", "agent five\n"), "other.txt": "y\n"}, summary="agent edit")
    (project / "a.txt").write_text(TEN.replace("line 5\n", "user five\n"))
    before = tree_bytes(project)
    result = store.undo(2)
    assert not result.ok and result.entry is None
    assert tree_bytes(project) == before
    assert [c.path for c in result.conflicts] == ["a.txt"]
    hunk = result.conflicts[0].hunks[0]
    assert hunk.line == 5 and "user five" in hunk.current and "line 5" in hunk.wanted
    assert "nothing was changed" in result.message
    # The outside edit was recorded, not lost, and nothing else was.
    assert [e.kind for e in store.entries()] == ["agent", "agent", "user"]


def test_undo_of_a_file_deleted_later_is_refused(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    act(store, {"a.txt": "2\n"})
    (project / "a.txt").unlink()
    result = store.undo(2)
    assert not result.ok and result.conflicts[0].path == "a.txt"
    assert not (project / "a.txt").exists()


def test_undo_is_an_entry_and_can_be_undone(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    act(store, {"a.txt": "2\n"})
    undo = store.undo(2)
    assert undo.entry is not None
    again = store.undo(undo.entry.id)
    assert again.ok and (project / "a.txt").read_text() == "2\n"


def test_redo_restores_exact_content(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n", "data.bin": bytes(range(256))})
    act(store, {"a.txt": "2\n", "data.bin": bytes(reversed(range(256))), "new/deep/f.txt": "n"})
    after = tree_bytes(project)
    assert store.undo().ok
    assert not (project / "new").exists()
    result = store.redo()
    assert result.ok and result.entry is not None and result.entry.kind == "redo"
    assert tree_bytes(project) == after


def test_redo_with_nothing_undone_is_refused(store: HistoryStore) -> None:
    act(store, {"a.txt": "1\n"})
    result = store.redo()
    assert not result.ok and "nothing to redo" in result.message


def test_repeated_default_undo_walks_back_and_redo_walks_forward(store: HistoryStore, project: Path) -> None:
    for n in range(1, 4):
        act(store, {"a.txt": f"{n}\n"})
    assert store.undo().target.id == 3  # type: ignore[union-attr]
    assert store.undo().target.id == 2  # type: ignore[union-attr]
    assert (project / "a.txt").read_text() == "1\n"
    assert store.redo().ok and (project / "a.txt").read_text() == "2\n"
    assert store.redo().ok and (project / "a.txt").read_text() == "3\n"
    assert not store.redo().ok


def test_nothing_to_undo(store: HistoryStore) -> None:
    result = store.undo()
    assert not result.ok and "nothing to undo" in result.message


def test_undo_of_an_already_undone_entry_says_so(store: HistoryStore) -> None:
    act(store, {"a.txt": "1\n"})
    assert store.undo(1).ok
    result = store.undo(1)
    assert result.ok and result.entry is None and "already undone" in result.message


def test_restore_to_a_point_and_undo_the_restore(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    snap1 = tree_bytes(project)
    act(store, {"a.txt": "2\n", "b.txt": "b\n"})
    (project / "c.txt").write_text("user\n")
    latest = tree_bytes(project)
    result = store.restore(1)
    assert result.ok and result.entry is not None and result.entry.kind == "restore"
    assert tree_bytes(project) == snap1
    assert store.undo(result.entry.id).ok
    assert tree_bytes(project) == latest


def test_restore_to_the_start(project: Path) -> None:
    (project / "seed.txt").write_text("there before\n")
    with HistoryStore.open(project) as store:  # the first open is the baseline
        act(store, {"a.txt": "1\n", "seed.txt": "changed\n"})
        assert store.restore(0).ok
        assert tree_bytes(project) == {"seed.txt": b"there before\n"}


def test_restore_refuses_to_overwrite_an_ignored_file(store: HistoryStore, project: Path) -> None:
    act(store, {"out.log": "agent log\n"})
    act(store, {"out.log": None, ".gitignore": "*.log\n"})
    (project / "out.log").write_text("ignored user data\n")
    result = store.restore(1)
    assert not result.ok and result.conflicts[0].path == "out.log"
    assert (project / "out.log").read_text() == "ignored user data\n"
    assert (project / ".gitignore").exists()


def test_diff_of_an_entry_and_between_points(store: HistoryStore) -> None:
    act(store, {"a.txt": "one\n"})
    act(store, {"a.txt": "two\n"})
    act(store, {"b.txt": "bee\n"})
    assert "-one\n+two\n" in store.diff(2)
    between = store.diff_between(1, 3)
    assert "-one\n+two\n" in between and "+bee" in between
    assert "+one" in store.diff_between(0, 1)


def test_undo_of_a_user_entry_by_id(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    (project / "a.txt").write_text("formatter output\n")
    act(store, {"b.txt": "b\n"})
    user = [e for e in store.entries() if e.kind == "user"][0]
    assert store.undo(user.id).ok
    assert (project / "a.txt").read_text() == "1\n" and (project / "b.txt").exists()


def test_new_work_drops_the_redo_stack_and_an_older_undo_is_redone_by_name(store: HistoryStore, project: Path) -> None:
    first = act(store, {"a.txt": "a\n"})
    assert first is not None and store.undo().ok
    assert store.redo_target() == store.entry(first.id)
    act(store, {"b.txt": "b\n"})
    assert store.redo_target() is None
    plain = store.redo()
    assert not plain.ok and f"redo {first.id}" in plain.message
    assert not (project / "a.txt").exists()
    named = store.redo(first.id)
    assert named.ok, named
    assert f"brought back #{first.id}" in named.message
    assert (project / "a.txt").read_text() == "a\n" and (project / "b.txt").exists()
    assert not store.redo(first.id).ok  # no longer undone


def test_a_user_edit_after_an_undo_also_drops_the_redo_stack(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "a\n"})
    assert store.undo().ok
    (project / "mine.txt").write_text("user\n")
    assert not store.redo().ok
    assert not (project / "a.txt").exists()
