"""The in-memory tree editor gives the tree git's own index would build, and reports every
path that would have to be a file and a folder at once (real git)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codeact_tui.history.gitcmd import Git
from codeact_tui.history.treeedit import EMPTY_TREE, TreeEditor
from codeact_tui.history.trees import MODE_EXEC, MODE_FILE, MODE_LINK, Blob, build_tree, list_tree, write_blob

PATHS = [b"a", b"a/x", b"a/y", b"a/b/z", b"b", b"b/c/d", b"c d", b"z\nnl/f", b"\xff/q"]


@pytest.fixture(scope="module")
def git(tmp_path_factory: pytest.TempPathFactory) -> Git:
    """A bare-ish store with a work tree nobody writes."""
    root = tmp_path_factory.mktemp("treeedit")
    (root / "work").mkdir()
    subprocess.run(["git", "init", "--quiet", "--bare", str(root / "git")], check=True)
    return Git(root / "git", root / "work", root / "index", Path(os.devnull))


def _blobs(git: Git) -> list[Blob]:
    ids = [write_blob(git, data) for data in (b"one\n", b"two\n", b"a\0binary")]
    return [Blob(MODE_FILE, ids[0]), Blob(MODE_EXEC, ids[1]), Blob(MODE_LINK, ids[2]), Blob(MODE_FILE, ids[2])]


def _clashes(files: dict[bytes, Blob]) -> bool:
    """Whether some path is both a file and a folder of another."""
    return any(p.startswith(q + b"/") for p in files for q in files)


@example(start={b"a/x": 0, b"a/b/z": 1}, updates={b"a/x": None, b"a/b/z": None, b"a": 2})  # folder → file
@example(start={b"a": 0}, updates={b"a": None, b"a/b/z": 1})  # file → folder
@example(start={b"a/x": 0, b"a/y": 0}, updates={b"a/x": None, b"a": 1})  # not emptied: a clash
@example(start={b"z\nnl/f": 0, b"b": 1}, updates={b"z\nnl/f": 2})  # a name a batch line cannot carry
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dictionaries(st.sampled_from(PATHS), st.integers(0, 3), max_size=5),
    updates=st.dictionaries(st.sampled_from(PATHS), st.one_of(st.none(), st.integers(0, 3)), max_size=4),
)
def test_edits_match_an_index_build(git: Git, tmp_path: Path, start: dict[bytes, int], updates: dict[bytes, int | None]) -> None:
    blobs = _blobs(git)
    files = {p: blobs[i] for p, i in start.items()}
    if _clashes(files):
        return
    base = build_tree(git, EMPTY_TREE, dict(files), str(tmp_path / "i1")) if files else EMPTY_TREE
    wanted: dict[bytes, Blob | None] = {p: None if i is None else blobs[i] for p, i in updates.items()}
    result = dict(files)
    for path, blob in wanted.items():
        if blob is None:
            result.pop(path, None)
        else:
            result[path] = blob
    editor = TreeEditor(git, base, list(wanted))
    for path in wanted:
        assert editor.entry(path) == files.get(path)
    clash = editor.apply(wanted)
    if _clashes(result):
        assert clash is not None
        return
    assert clash is None
    tree = editor.write()
    assert list_tree(git, tree) == result
    expected = build_tree(git, EMPTY_TREE, dict(result), str(tmp_path / "i2")) if result else EMPTY_TREE
    assert tree == expected
