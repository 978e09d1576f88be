"""Round trips of what plain text tests miss: binary data, non-UTF-8 names, empty folders,
permission bits, symlinks, and a file turning into a folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codeact_tui.history import HistoryStore
from codeact_tui.history.gitcmd import GitResult


def _roundtrip(store: HistoryStore, change: object) -> None:
    """Run `change` as an action, undo it, then redo it."""
    ticket = store.begin_action("agent", "change")
    change()  # type: ignore[operator]
    assert store.finish_action(ticket) is not None
    assert store.undo().ok


def test_binary_files_round_trip(store: HistoryStore, project: Path) -> None:
    blob = bytes(range(256)) * 40 + b"\0\r\n\r"
    (project / "img.bin").write_bytes(blob)
    _roundtrip(store, lambda: (project / "img.bin").write_bytes(b"\0" + blob[::-1]))
    assert (project / "img.bin").read_bytes() == blob
    assert store.redo().ok and (project / "img.bin").read_bytes() == b"\0" + blob[::-1]


def test_crlf_is_kept_byte_for_byte_even_with_gitattributes(store: HistoryStore, project: Path) -> None:
    (project / ".gitattributes").write_text("* text=auto eol=lf\n*.txt filter=lfs\n")
    (project / "win.txt").write_bytes(b"a\r\nb\r\n")
    _roundtrip(store, lambda: (project / "win.txt").write_bytes(b"c\r\n"))
    assert (project / "win.txt").read_bytes() == b"a\r\nb\r\n"


def test_non_utf8_names_round_trip(store: HistoryStore, project: Path) -> None:
    name = b"caf\xe9 \xff.txt"
    path = os.path.join(os.fsencode(project), name)
    with open(path, "wb") as fh:
        fh.write(b"latin-1 name\n")
    _roundtrip(store, lambda: os.unlink(path))
    with open(path, "rb") as fh:
        assert fh.read() == b"latin-1 name\n"
    entry = store.entries()[0]
    assert os.fsencode(entry.files[0].path) == name


def test_odd_names_round_trip(store: HistoryStore, project: Path) -> None:
    names = ["sp ace.txt", "new\nline", "*star?[x]", "-dash", "#hash", "!bang", "tab\tname", "ünï"]
    for name in names:
        (project / name).write_text(name)
    _roundtrip(store, lambda: [(project / n).unlink() for n in names])
    for name in names:
        assert (project / name).read_text() == name


def test_empty_directories_round_trip(store: HistoryStore, project: Path) -> None:
    (project / "keep" / "nested" / "empty").mkdir(parents=True)
    (project / "top-empty").mkdir()

    def remove() -> None:
        os.rmdir(project / "keep" / "nested" / "empty")
        os.rmdir(project / "keep" / "nested")
        os.rmdir(project / "keep")
        os.rmdir(project / "top-empty")

    _roundtrip(store, remove)
    assert (project / "keep" / "nested" / "empty").is_dir()
    assert (project / "top-empty").is_dir()


def test_an_action_creating_an_empty_folder_is_recorded_and_undone(store: HistoryStore, project: Path) -> None:
    _roundtrip(store, lambda: (project / "made" / "here").mkdir(parents=True))
    assert not (project / "made").exists()
    assert any(f.path == "made/here/" for f in store.entries()[0].files)


def test_permission_bits_round_trip(store: HistoryStore, project: Path) -> None:
    script = project / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o750)
    secret = project / "secret.env"
    secret.write_text("TOKEN=1\n")
    secret.chmod(0o600)

    def change() -> None:
        script.write_text("#!/bin/sh\necho changed\n")
        script.chmod(0o640)
        secret.write_text("TOKEN=2\n")

    _roundtrip(store, change)
    assert script.read_text() == "#!/bin/sh\necho hi\n"
    assert stat.S_IMODE(script.stat().st_mode) & 0o100
    assert secret.read_text() == "TOKEN=1\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_symlinks_round_trip(store: HistoryStore, project: Path) -> None:
    (project / "target.txt").write_text("t\n")
    (project / "dir").mkdir()
    (project / "dir" / "f").write_text("f\n")
    os.symlink("target.txt", project / "link")
    os.symlink("dir", project / "dirlink")
    os.symlink("missing", project / "dangling")
    os.symlink("../outside", project / "escapes")

    def change() -> None:
        for name in ("link", "dirlink", "dangling", "escapes"):
            os.unlink(project / name)
        (project / "link").write_text("now a file\n")

    _roundtrip(store, change)
    assert os.readlink(project / "link") == "target.txt"
    assert os.readlink(project / "dirlink") == "dir"
    assert os.readlink(project / "dangling") == "missing"
    assert os.readlink(project / "escapes") == "../outside"
    assert (project / "dir" / "f").read_text() == "f\n"


def test_file_becomes_folder_and_back(store: HistoryStore, project: Path) -> None:
    (project / "thing").write_text("a file\n")

    def change() -> None:
        (project / "thing").unlink()
        (project / "thing").mkdir()
        (project / "thing" / "inside.txt").write_text("in\n")

    _roundtrip(store, change)
    assert (project / "thing").read_text() == "a file\n"
    assert store.redo().ok
    assert (project / "thing" / "inside.txt").read_text() == "in\n"


def test_unreadable_file_is_reported_not_fatal(store: HistoryStore, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git's `add --ignore-errors` goes on past unreadable files; they are reported."""
    real = store.git.run

    def run(*args: str, **kwargs: object) -> GitResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        if args[0] == "add":  # as git reports a file it may not read (root reads everything)
            err = b'error: open("locked.txt"): Permission denied\nerror: unable to index file \'locked.txt\'\nfatal: adding files failed\n'
            return GitResult(1, result.stdout, err)
        return result

    ticket = store.begin_action("agent", "locked file")
    (project / "ok.txt").write_text("ok\n")
    monkeypatch.setattr(store.git, "run", run)
    entry = store.finish_action(ticket)
    assert entry is not None and "locked.txt" in entry.untracked


def test_permission_bits_of_a_deleted_file_come_back(store: HistoryStore, project: Path) -> None:
    secret = project / ".env"
    secret.write_text("TOKEN=1\n")
    secret.chmod(0o600)
    tool = project / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o700)
    _roundtrip(store, lambda: (secret.unlink(), tool.unlink()))
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(tool.stat().st_mode) == 0o700


def test_permission_bits_of_a_file_created_later_are_recorded(store: HistoryStore, project: Path) -> None:
    def create() -> None:
        (project / "key.pem").write_text("k\n")
        (project / "key.pem").chmod(0o400)

    ticket = store.begin_action("agent", "create key")
    create()
    store.finish_action(ticket)
    ticket = store.begin_action("agent", "delete key")
    (project / "key.pem").chmod(0o600)
    (project / "key.pem").unlink()
    store.finish_action(ticket)
    assert store.undo().ok
    assert stat.S_IMODE((project / "key.pem").stat().st_mode) == 0o400


def test_a_folder_of_empty_folders_can_become_a_file_again(store: HistoryStore, project: Path) -> None:
    (project / "slot").write_text("file\n")

    def change() -> None:
        (project / "slot").unlink()
        (project / "slot" / "a" / "b").mkdir(parents=True)

    _roundtrip(store, change)
    assert (project / "slot").read_text() == "file\n"
    assert store.redo().ok and (project / "slot" / "a" / "b").is_dir()
