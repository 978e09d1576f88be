"""Many new files at once (a first snapshot) are stored in one pack, and behave as loose ones."""

from __future__ import annotations

from pathlib import Path

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryStore
from codeact_tui.history.snapshot import PACK_NEW_FILES_MIN

from .helpers import act


def _loose_objects(git_dir: Path) -> int:
    return sum(1 for folder in (git_dir / "objects").glob("[0-9a-f][0-9a-f]") for _ in folder.iterdir())


def test_first_snapshot_of_many_files_writes_one_pack(project: Path) -> None:
    count = PACK_NEW_FILES_MIN + 20
    for i in range(count):
        (project / f"f{i:03d}.py").write_text(f"value = {i}\n" * (1 + i % 5))
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as store:
        git_dir = store.store_dir / "git"
        assert list((git_dir / "objects" / "pack").glob("*.pack"))
        assert _loose_objects(git_dir) < count // 2  # trees and the commit; not the blobs
        entry = act(store, {"f001.py": "value = 'changed'\n", "f002.py": None})
        assert entry is not None
        diff = store.diff(entry.id)
        assert "-value = 1" in diff and "+value = 'changed'" in diff  # packed blobs diff as text
        assert store.undo().ok
    assert (project / "f001.py").read_text() == "value = 1\n" * 2
    assert (project / "f002.py").read_text() == "value = 2\n" * 3


def test_a_few_new_files_stay_loose_objects(project: Path) -> None:
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as store:
        act(store, {f"n{i}.txt": f"{i}\n" for i in range(5)})
        assert not list((store.store_dir / "git" / "objects" / "pack").glob("*.pack"))
