"""The long-lived `git cat-file --batch` reader on a real store: contents, bad ids, time limit."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryError, HistoryStore


def _store(tmp_path: Path) -> tuple[HistoryStore, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.txt").write_text("alpha\n")
    (project / "empty.txt").write_text("")
    (project / "bin.dat").write_bytes(bytes(range(256)) * 10 + b"\n\n")
    history = HistoryStore.open(project, HistorySettings())
    with history.action("manual", "touch"):
        (project / "a.txt").write_text("alpha 2\n")
    commit = history.entries()[-1].after
    listing = history.git.out("ls-tree", "-r", commit).decode()
    blobs = {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}
    return history, blobs


def test_reads_blobs_in_one_process_and_survives_bad_ids(tmp_path: Path) -> None:
    history, blobs = _store(tmp_path)
    with history, history.git.blob_reader() as reader:
        assert reader.read(blobs["a.txt"]) == b"alpha 2\n"
        assert reader.read(blobs["empty.txt"]) == b""
        assert reader.read(blobs["bin.dat"]) == bytes(range(256)) * 10 + b"\n\n"
        pid = reader._proc.pid  # type: ignore[union-attr]
        with pytest.raises(HistoryError, match="missing"):
            reader.read("0" * 40)
        assert reader._proc.pid == pid  # a missing object does not cost the process
        tree = history.git.line("rev-parse", f"{history.entries()[-1].after}^{{tree}}")
        with pytest.raises(HistoryError, match="not a file"):
            reader.read(tree)
        assert reader.read(blobs["a.txt"]) == b"alpha 2\n"  # a fresh process after the tree
    with pytest.raises(HistoryError, match="closed"):
        reader.read(blobs["a.txt"])


def test_a_read_past_the_time_limit_is_stopped_and_the_next_one_works(tmp_path: Path) -> None:
    history, blobs = _store(tmp_path)
    with history:
        reader = history.git.blob_reader()
        git_argv = reader._argv
        reader._argv = [sys.executable, "-c", "import time; time.sleep(60)"]  # a git that never answers
        reader.timeout_s = 0.5
        started = time.monotonic()
        with pytest.raises(HistoryError, match="took longer than"):
            reader.read(blobs["a.txt"])
        assert time.monotonic() - started < 10  # stopped at the limit, not after the minute
        reader._argv, reader.timeout_s = git_argv, HistorySettings().git_timeout_s
        assert reader.read(blobs["a.txt"]) == b"alpha 2\n"  # a fresh process
        reader.close()
