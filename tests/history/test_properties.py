"""Property-based: random sequences of agent actions (text, binary data, symlinks, empty
folders, executable bits), user edits, undos, redos and restores.

After every step: no byte of the user's work is lost (outside edits are recorded, and
undo/redo/restore change nothing they were not asked to), an undo followed by a redo gives back
the exact tree, a refused operation leaves the disk alone, the store's head equals the disk, and
the user's own `.git` is untouched.
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
from codeact_tui.history.trees import MODE_EXEC, MODE_LINK, list_tree, read_blobs

from .test_user_git import fingerprint

FILES = ["a.txt", "b.txt", "sub/c.txt"]
Node = tuple[Any, ...]
State = dict[str, Node]

files = st.sampled_from(FILES)
lines = st.integers(min_value=0, max_value=5)
operation = st.one_of(
    st.tuples(st.just("agent"), files, lines, st.sampled_from(["x", "y", "z"])),
    st.tuples(st.just("agent_delete"), files),
    st.tuples(st.just("agent_binary"), st.binary(max_size=40)),
    st.tuples(st.just("agent_link"), st.sampled_from(["a.txt", "sub", "missing", None])),
    st.tuples(st.just("agent_dir"), st.booleans()),
    st.tuples(st.just("agent_chmod"), files, st.booleans()),
    st.tuples(st.just("user"), files, lines, st.sampled_from(["u", "v"])),
    st.tuples(st.just("undo"), st.one_of(st.none(), st.integers(min_value=1, max_value=14))),
    st.tuples(st.just("redo")),
    st.tuples(st.just("restore"), st.integers(min_value=0, max_value=14)),
)


def _edit(project: Path, name: str, line: int, word: str) -> None:
    path = project / name
    content = path.read_text().splitlines() if path.exists() else [f"{name}-{i}" for i in range(6)]
    content[line] = f"{word}{line}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(content) + "\n")


def _agent_change(project: Path, op: tuple[Any, ...]) -> None:
    """What one generated agent action does to the project."""
    kind = op[0]
    if kind == "agent":
        _edit(project, op[1], op[2], op[3])
    elif kind == "agent_delete":
        if (project / op[1]).exists():
            (project / op[1]).unlink()
    elif kind == "agent_binary":
        (project / "data.bin").write_bytes(b"\0" + op[1])
    elif kind == "agent_link":
        link = project / "ln"
        if link.is_symlink():
            link.unlink()
        if op[1] is not None:
            os.symlink(op[1], link)
    elif kind == "agent_dir":
        empty = project / "e" / "x"
        if op[1]:
            empty.mkdir(parents=True, exist_ok=True)
        elif empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()
            if not any(empty.parent.iterdir()):
                empty.parent.rmdir()
    elif kind == "agent_chmod":
        path = project / op[1]
        if path.exists():
            path.chmod(0o755 if op[2] else 0o644)


def _state_at(store: HistoryStore, commit: str) -> State:
    """A snapshot as path -> ("f", bytes, executable) | ("l", target) | ("d",) (empty folder)."""
    snap = store._load_snapshot(commit)
    assert snap is not None
    listing = list_tree(store.git, snap.state.tree)
    blobs = read_blobs(store.git, [b.sha for b in listing.values()])
    state: State = {}
    for raw, blob in listing.items():
        if blob.mode == MODE_LINK:
            state[os.fsdecode(raw)] = ("l", blobs[blob.sha])
        else:
            state[os.fsdecode(raw)] = ("f", blobs[blob.sha], blob.mode == MODE_EXEC)
    for d in snap.state.empty_dirs:
        state[d + "/"] = ("d",)
    return state


def _disk(project: Path) -> State:
    """The project on disk in the same shape (outside `.git`)."""
    state: State = {}
    root = os.fsencode(project)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != b".git"]
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir != b"." and not dirnames and not filenames:
            state[os.fsdecode(rel_dir) + "/"] = ("d",)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.fsdecode(os.path.relpath(full, root))
            if os.path.islink(full):
                state[rel] = ("l", os.readlink(full))
            else:
                with open(full, "rb") as fh:
                    state[rel] = ("f", fh.read(), bool(os.stat(full).st_mode & 0o100))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return state


def _untouched_by(name: str, touched: set[str]) -> bool:
    return name not in touched and not any(name.startswith(t) for t in touched if t.endswith("/"))


def run_sequence(ops: list[tuple[Any, ...]]) -> None:
    """Apply the operations to a fresh git project, checking the invariants after each."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        project.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        subprocess.run(["git", "init", "-q"], cwd=project, check=True, env=env)
        git_print = fingerprint(project / ".git")
        for name in FILES:
            _edit(project, name, 0, "init")
        with HistoryStore.open(project) as store:
            user_wrote: State | None = None
            last_undo: State | None = None
            for op in ops:
                before = _disk(project)
                kind = op[0]
                just_undone, last_undo = last_undo, None
                if kind == "user":
                    head = store._head()
                    assert head is not None
                    already = _state_at(store, head.commit)
                    _edit(project, op[1], op[2], op[3])
                    user_wrote = _disk(project)
                    if user_wrote == already:
                        user_wrote = None  # wrote what was there: nothing to record
                    continue
                if kind.startswith("agent"):
                    ticket = store.begin_action("agent", str(op)[:80])
                    _agent_change(project, op)
                    entry = store.finish_action(ticket)
                    if entry is not None:
                        assert _state_at(store, entry.after) == _disk(project)
                elif kind == "undo":
                    try:
                        result = store.undo(op[1])
                    except UnknownEntry:
                        result = None
                    if result is not None and result.entry is not None:
                        assert result.ok, result
                        assert result.target is not None
                        touched = {f.path for f in result.target.files}
                        after = _disk(project)
                        for name in set(before) | set(after):
                            if _untouched_by(name, touched):
                                assert before.get(name) == after.get(name), (name, op)
                        last_undo = before
                    elif result is not None and not result.ok:
                        assert _disk(project) == before
                elif kind == "redo":
                    result = store.redo()
                    if just_undone is not None:
                        assert result.ok, result
                        assert _disk(project) == just_undone
                    elif not result.ok:
                        assert _disk(project) == before
                elif kind == "restore":
                    try:
                        result = store.restore(op[1])
                    except UnknownEntry:
                        result = None
                    if result is not None:
                        assert result.ok, result
                        assert _disk(project) == _state_at(store, store._point(op[1]))
                # Every operation first records outside changes: the user's bytes are in history.
                if user_wrote is not None:
                    user_entries = [e for e in store.entries() if e.kind == "user"]
                    assert user_entries, "outside change not recorded"
                    assert _state_at(store, user_entries[-1].after) == user_wrote, op
                    user_wrote = None
                head = store._head()
                assert head is not None and _state_at(store, head.commit) == _disk(project)
                assert fingerprint(project / ".git") == git_print


_FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_LONG = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(st.lists(operation, min_size=1, max_size=8))
def test_random_histories_never_lose_work(ops: list[tuple[Any, ...]]) -> None:
    run_sequence(ops)


@pytest.mark.slow
@_LONG
@given(st.lists(operation, min_size=4, max_size=16))
def test_random_histories_never_lose_work_long(ops: list[tuple[Any, ...]]) -> None:
    run_sequence(ops)


def test_known_tricky_sequence() -> None:
    """Undo a middle entry, redo it, restore to the start, undo the restore; special files too."""
    run_sequence(
        [
            ("agent", "a.txt", 1, "x"),
            ("agent", "a.txt", 4, "y"),
            ("user", "b.txt", 2, "u"),
            ("undo", 1),
            ("redo",),
            ("agent_link", "sub"),
            ("agent_dir", True),
            ("agent_chmod", "b.txt", True),
            ("agent_binary", b"\xff\x00"),
            ("agent_delete", "sub/c.txt"),
            ("restore", 0),
            ("undo", 11),
            ("undo", None),
        ]
    )
