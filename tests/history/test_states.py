"""Interpreter states beside the history (real git): stored as blobs, pruned with their entries;
the rewind check that names unrecorded changes a restore would overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeact_tui.conversation.interpreter import describe, user_turns
from codeact_tui.conversation.rewind import state_plan
from codeact_tui.core.ports import StateRestore
from codeact_tui.history import HistoryStore
from codeact_tui.history.rewind import check_restore
from codeact_tui.history.states import StateArchive, StateMissing


def record(store: HistoryStore, project: Path, name: str, text: str) -> int:
    ticket = store.begin_action("agent", f"write {name}")
    (project / name).write_text(text)
    entry = store.finish_action(ticket)
    assert entry is not None
    return entry.id


def test_states_are_blobs_beside_the_history_and_go_with_pruned_entries(store: HistoryStore, project: Path) -> None:
    first = record(store, project, "a.txt", "1")
    second = record(store, project, "a.txt", "2")
    archive = StateArchive(store.git)
    old = archive.put("20261201-000000-abc", first, b"state one")
    new = archive.put("20261201-000000-abc", second, b"state two" * 1000)
    assert archive.get(old) == b"state one" and archive.size(new) == 9000
    assert new.endswith("/" + store.git.line("hash-object", "--stdin", input=b"state two" * 1000))  # git's own id
    assert archive.put("20261201-000000-abc", second, b"state two" * 1000) == new  # unchanged: nothing new written
    assert not any(project.rglob("*state*")) and sorted(p.name for p in project.iterdir()) == ["a.txt"]  # never in the project

    log = store.store_dir / "entries.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    lines[0]["time"] = "2000-01-01T00:00:00.000Z"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert store.prune(keep_days=30) == 1
    with pytest.raises(StateMissing, match="no longer stored"):
        archive.get(old)
    assert archive.get(new).startswith(b"state two")
    with pytest.raises(StateMissing, match="not a kept interpreter state"):
        archive.get("refs/codeact/entries/2/after")


def test_the_rewind_check_names_unrecorded_files_it_would_overwrite(store: HistoryStore, project: Path) -> None:
    record(store, project, "a.txt", "1")
    record(store, project, "b.txt", "b")
    (project / "b.txt").write_text("mine")  # not recorded yet
    (project / "c.txt").write_text("untouched by the rewind")  # new, but the target lacks it too
    check = check_restore(store, 1)
    assert check.changes == ("b.txt", "c.txt") and check.unrecorded == ("b.txt", "c.txt")
    (project / "c.txt").unlink()
    check = check_restore(store, 2)
    assert check.changes == ("b.txt",) and check.unrecorded == ("b.txt",)
    assert len(store.entries()) == 2  # checking recorded nothing


def test_user_turns_state_plans_and_what_the_model_is_told() -> None:
    records = [
        {"type": "meta"},
        {"type": "checkpoint", "point": 0},
        {"type": "message", "kind": "user", "turn_id": "c/1", "content": "changes\n\n[Request]\nfirst"},
        {"type": "action", "turn_id": "c/1", "step": 1, "code": "x = 1", "history_entry": 1},
        {"type": "state", "turn_id": "c/1", "step": 1, "ref": "refs/codeact/states/1/c/1", "kept": [["x", "int"]], "skipped": [["f", "cannot be pickled (an open file)"]]},
        {"type": "message", "kind": "observation", "turn_id": "c/1", "content": "ok"},
        {"type": "message", "kind": "user", "turn_id": "c/2", "content": "second"},
    ]
    turns = user_turns(records)
    assert [(t.number, t.index, t.request, t.point) for t in turns] == [(1, 1, "first", 0), (2, 6, "second", None)]
    assert state_plan(records[:1], None) == "starts empty (no action ran before that turn)"

    class Archive:
        def __init__(self, pruned: bool) -> None:
            self.pruned = pruned

        def size(self, ref: str) -> int:
            if self.pruned:
                raise StateMissing(ref)
            return 10

    assert state_plan(records[:6], Archive(False)) == "variables kept: x; not kept: f (cannot be pickled (an open file))"
    assert state_plan(records[:6], Archive(True)).startswith("rebuilt by running the 1 earlier")
    told = describe(StateRestore(restored=("x",), skipped=(("f", "cannot be pickled"),)), "to before turn 2")
    assert told == "The Python session was restored to before turn 2. Defined again: x. Not restored (define them again if you need them): f: cannot be pickled."
    assert describe(None, "to before turn 1") == "The Python session starts fresh (nothing to restore to before turn 1): no earlier variables are defined."
