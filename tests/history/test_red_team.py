"""Regression tests for the red-team findings against the history (real git, hostile inputs).

Each test sets up what hostile guest code or a fault left behind and asserts what must hold.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryError, HistoryStore

from .helpers import act


def _plant_git(project: Path, marker: Path) -> None:
    """An executable named `git` in the project that leaves a marker when run."""
    fake = project / "git"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    fake.chmod(0o755)


@pytest.mark.parametrize("entry", ["", ".", "bin"])
def test_a_git_in_the_project_never_runs_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    project = tmp_path / "project"
    (project / "bin").mkdir(parents=True)
    marker = tmp_path / "ran"
    _plant_git(project, marker)
    _plant_git(project / "bin", marker)
    real = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", entry + os.pathsep + real)
    monkeypatch.chdir(project)
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as store:
        act(store, {"a.txt": "x"})
        assert store.entries()
    assert not marker.exists()


def test_git_missing_from_absolute_path_entries_is_a_clear_error(tmp_path: Path) -> None:
    from codeact_tui.history.gitcmd import find_git

    with pytest.raises(HistoryError, match="git is not installed"):
        find_git(f"{os.pathsep}.{os.pathsep}{tmp_path}")
    assert not stat.S_ISDIR(os.stat(find_git()).st_mode)
