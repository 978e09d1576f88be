"""`doctor` finds git the way the history does: never a program in the current folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from codeact_tui.commands.doctor import check_git


@pytest.mark.skipif(os.name != "posix", reason="executable bits and PATH lookups as on POSIX")
def test_doctor_never_runs_a_git_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proof = tmp_path / "ran"
    fake = tmp_path / "git"
    fake.write_text(f"#!/bin/sh\ntouch {proof}\necho 'git version 0.0-fake'\n")
    fake.chmod(0o755)
    real_dir = str(Path(shutil.which("git") or "/usr/bin/git").parent)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join(["", ".", real_dir]))

    check = check_git()

    assert check.level == "ok"
    assert "fake" not in check.detail
    assert not proof.exists()
