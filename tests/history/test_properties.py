"""Property-based: random sequences of agent actions, user edits, undos, redos and restores.

After every step: no byte of the user's work is lost (it is recorded, and undo/redo/restore
change nothing they were not asked to), an undo followed by a redo gives back the exact tree, a
refused operation leaves the disk alone, the store's head equals the disk, and the user's own
`.git` is untouched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeact_tui.history import HistoryStore, UnknownEntry
from codeact_tui.history.trees import list_tree, read_blobs

from .helpers import tree_bytes
from .test_user_git import fingerprint

FILES = ["a.txt", "b.txt", "sub/c.txt"]

files = st.sampled_from(FILES)
lines = st.integers(min_value=0, max_value=5)
operation = st.one_of(
    st.tuples(st.just("agent"), files, lines, st.sampled_from(["x", "y", "z"])),
    st.tuples(st.just("agent_delete"), files),
    st.tuples(st.just("user"), files, lines, st.sampled_from(["u", "v"])),
    st.tuples(st.just("undo"), st.one_of(st.none(), st.integers(min_value=1, max_value=14))),
    st.tuples(st.just("redo")),
    st.tuples(st.just("restore"), st.integers(min_value=0, max_value=14)),
)


def _edit(project: Path, name: str, line: int, word: str) -> None:
    path = project / name
    if path.exists():
        content = path.read_text().splitlines()
    else:
        content = [f"{name}-{i}" for i in range(6)]
    content[line] = f"{word}{line}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(content) + "\n")


def _files_at(store: HistoryStore, commit: str) -> dict[str, bytes]:
    listing = list_tree(store.git, commit + "^{tree}")
    blobs = read_blobs(store.git, [b.sha for b in listing.values()])
    return {os.fsdecode(p): blobs[b.sha] for p, b in listing.items()}


def _disk(project: Path) -> dict[str, bytes]:
    return tree_bytes(project)


def run_sequence(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        project.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        subprocess.run(["git", "init", "-q"], cwd=project, check=True, env=env)
        git_print = fingerprint(project / ".git")
        for name in FILES:
            _edit(project, name, 0, "init")
        with HistoryStore.open(project) as store:
            user_wrote: dict[str, bytes] | None = None
            last_undo: tuple[dict[str, bytes], int] | None = None
            for op in ops:
                before = _disk(project)
                kind = op[0]
                just_undone, last_undo = last_undo, None
                if kind == "user":
                    head = store._head()
                    assert head is not None
                    already = _files_at(store, head.commit)
                    _edit(project, op[1], op[2], op[3])
                    user_wrote = _disk(project)
                    if user_wrote == already:
                        user_wrote = None  # wrote what was there: nothing to record
                    continue
                if kind in ("agent", "agent_delete"):
                    ticket = store.begin_action("agent", str(op))
                    if kind == "agent":
                        _edit(project, op[1], op[2], op[3])
                    elif (project / op[1]).exists():
                        (project / op[1]).unlink()
                    entry = store.finish_action(ticket)
                    if entry is not None:
                        assert _files_at(store, entry.after) == _disk(project)
                elif kind == "undo":
                    try:
                        result = store.undo(op[1])
                    except UnknownEntry:
                        result = None
                    if result is not None and result.entry is not None:
                        assert result.ok, result
                        target = result.target
                        assert target is not None
                        touched = {f.path for f in target.files}
                        after = _disk(project)
                        for name in set(before) | set(after):
                            if name not in touched:
                                assert before.get(name) == after.get(name), (name, op)
                        last_undo = (before, result.entry.id)
                    elif result is not None and not result.ok:
                        assert _disk(project) == before
                elif kind == "redo":
                    result = store.redo()
                    if just_undone is not None:
                        assert result.ok, result
                        assert _disk(project) == just_undone[0]
                    elif not result.ok:
                        assert _disk(project) == before
                elif kind == "restore":
                    point = op[1]
                    try:
                        result = store.restore(point)
                    except UnknownEntry:
                        result = None
                    if result is not None:
                        assert result.ok, result
                        assert _disk(project) == _files_at(store, store._point(point))
                # Every operation first records outside changes: the user's bytes are in history.
                if user_wrote is not None:
                    user_entries = [e for e in store.entries() if e.kind == "user"]
                    assert user_entries, "outside change not recorded"
                    assert _files_at(store, user_entries[-1].after) == user_wrote, op
                    user_wrote = None
                head = store._head()
                assert head is not None and _files_at(store, head.commit) == _disk(project)
                assert fingerprint(project / ".git") == git_print


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=8))
def test_random_histories_never_lose_work(ops: list[tuple[Any, ...]]) -> None:
    run_sequence(ops)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=4, max_size=16))
def test_random_histories_never_lose_work_long(ops: list[tuple[Any, ...]]) -> None:
    run_sequence(ops)


def test_known_tricky_sequence() -> None:
    """Undo a middle entry, redo it, restore to the start, undo the restore."""
    run_sequence(
        [
            ("agent", "a.txt", 1, "x"),
            ("agent", "a.txt", 4, "y"),
            ("user", "b.txt", 2, "u"),
            ("undo", 1),
            ("redo",),
            ("agent_delete", "sub/c.txt"),
            ("restore", 0),
            ("undo", 7),
            ("undo", None),
        ]
    )
