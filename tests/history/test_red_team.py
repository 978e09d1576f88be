"""Regression tests for the red-team findings against the history (real git, hostile inputs).

Each test sets up what hostile guest code or a fault left behind and asserts what must hold.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryError, HistoryStore
from tests.support import finishes_within

from .helpers import act


def _plant_git(project: Path, marker: Path) -> None:
    """An executable named `git` in the project that leaves a marker when run."""
    fake = project / "git"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    fake.chmod(0o755)


@pytest.mark.skipif(os.name == "nt", reason="a shell script named git runs on POSIX only")
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


SLOW_PATTERN = "a/**/" * 16 + "b\n"
"""A gitignore line git takes minutes to match against a deep path."""


def test_a_slow_ignore_pattern_written_by_an_action_cannot_hang_the_history(project: Path) -> None:
    deep = project.joinpath(*["a"] * 40)
    deep.mkdir(parents=True)
    (deep / "f.txt").write_text("x")
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as store:
        planted = act(store, {".gitignore": SLOW_PATTERN})
        assert planted is not None

        def later_work() -> object:
            act(store, {"later.txt": "y"})
            (deep / "g.txt").write_text("user file")
            return store.undo(planted.id)

        result = finishes_within(30, later_work)
    assert result.ok, result
    assert not (project / ".gitignore").exists()


def test_a_git_call_that_takes_too_long_is_stopped_with_a_clear_message(project: Path) -> None:
    (project / "a.txt").write_text("x")
    with pytest.raises(HistoryError, match="took longer than"):
        HistoryStore.open(project, HistorySettings(git_timeout_s=0.0001))


def test_an_action_cannot_hide_its_own_files_with_an_ignore_file(store: HistoryStore, project: Path) -> None:
    entry = act(store, {".gitignore": "gen/\n*.secret\n", "gen/made.txt": "x", "notes.secret": "y"})
    assert entry is not None
    assert {f.path for f in entry.files} == {".gitignore", "gen/made.txt", "notes.secret"}
    assert "changes what the history leaves out: .gitignore" in entry.summary
    assert b"made.txt" in store.diff(entry.id).encode()
    assert store.undo(entry.id).ok
    assert sorted(p.name for p in project.iterdir()) == []


def test_a_pyvenv_cfg_written_by_an_action_does_not_hide_later_user_files(store: HistoryStore, project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "old.py").write_text("old\n")
    planted = act(store, {"lib/pyvenv.cfg": "home = /usr\n"})
    assert planted is not None, "an action that only writes pyvenv.cfg leaves an entry"
    (project / "lib" / "important.py").write_text("user work\n")
    wiped = act(store, {"lib/important.py": None})
    assert wiped is not None and any(f.path == "lib/important.py" for f in wiped.files)
    assert store.undo(wiped.id).ok
    assert (project / "lib" / "important.py").read_text() == "user work\n"


def test_changes_to_ignored_files_are_reported_as_not_snapshotted(store: HistoryStore, project: Path) -> None:
    (project / ".gitignore").write_text("*.log\n")
    store.sync()  # the rule is recorded; from now on it decides
    (project / "debug.log").write_text("old\n")
    store.sync()
    entry = act(store, {"debug.log": "rewritten by the action\n"})
    assert entry is not None, "a change to an ignored file alone still makes an entry"
    assert entry.untracked == ("debug.log",)


def test_gitattributes_cannot_hide_changes_from_review(store: HistoryStore, project: Path) -> None:
    entry = act(store, {".gitattributes": "* -diff\n*.py diff=evil binary\n", "app.py": "print('hidden change')\n"})
    assert entry is not None
    text = store.diff(entry.id)
    assert "Binary files" not in text
    assert "+print('hidden change')" in text
    assert "+* -diff" in text
    real_binary = act(store, {"blob.bin": b"\0\1\2binary"})
    assert real_binary is not None and "Binary files" in store.diff(real_binary.id)


@pytest.mark.sandbox
@pytest.mark.skipif(os.name == "nt", reason="kill -9 (SIGKILL) is POSIX-only")
def test_after_a_kill_only_what_the_action_touched_is_booked_to_it(project: Path) -> None:
    import subprocess
    import sys
    import textwrap

    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n", "b.txt": "1\n"})
    child = textwrap.dedent(
        """
        import asyncio, os, signal, sys
        from pathlib import Path
        from codeact_tui.executor import SandboxExecutor
        from codeact_tui.history import HistoryStore
        project = Path(sys.argv[1])
        store = HistoryStore.open(project)
        store.begin_action("agent", "doomed action")

        async def run():
            async with SandboxExecutor(project) as executor:
                await executor.run("open('half.txt', 'w').write('partial')\\nopen('a.txt', 'w').write('agent\\\\n')")
        asyncio.run(run())
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", child, str(project)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    # Between the crash and the next start, the user goes on working.
    (project / "b.txt").write_text("user edit\n")
    (project / "mine.txt").write_text("user file\n")
    with HistoryStore.open(project) as store:
        store.sync()
        agent, user = store.entries()[-2:]
        assert agent.summary == "doomed action (interrupted)"
        assert sorted(f.path for f in agent.files) == ["a.txt", "half.txt"]
        assert user.kind == "user" and sorted(f.path for f in user.files) == ["b.txt", "mine.txt"]
        assert store.undo(agent.id).ok
    assert (project / "b.txt").read_text() == "user edit\n" and (project / "mine.txt").exists()
    assert (project / "a.txt").read_text() == "1\n" and not (project / "half.txt").exists()


def test_undo_never_overwrites_a_file_saved_while_it_runs(store: HistoryStore, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codeact_tui.history import apply

    act(store, {"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"})
    entry = act(store, {"a.txt": "agent a\n", "b.txt": "agent b\n", "c.txt": "agent c\n"})
    assert entry is not None
    real = apply._write_file
    calls: list[bytes] = []

    def slow_write(path: bytes, *rest: object) -> None:
        calls.append(path)
        if len(calls) == 1:  # the user saves c.txt while the undo is busy with a.txt
            (project / "c.txt").write_text("user saved this\n")
        real(path, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(apply, "_write_file", slow_write)
    result = store.undo(entry.id)
    assert not result.ok
    assert (project / "c.txt").read_text() == "user saved this\n"
    monkeypatch.setattr(apply, "_write_file", real)
    store.sync()
    last = store.entries()[-1]
    assert last.kind == "user" and [f.path for f in last.files] == ["c.txt"], "the save is the user's entry"
    undo = store.entries()[-2]
    assert undo.kind == "undo" and "c.txt" not in [f.path for f in undo.files]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finding a live git needs Linux's /proc")
def test_the_next_start_leaves_the_lock_of_a_live_git_alone(project: Path) -> None:
    import subprocess

    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n"})
        git = store.git
        blob = git.line("hash-object", "-w", "--stdin", input=b"late\n")
    # A git started by a process that was then killed: it holds the index lock, still working.
    survivor = subprocess.Popen(
        [*git._prefix, "update-index", "--index-info"], env=git._env, cwd=project,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    lock = store.store_dir / "index.lock"
    for _ in range(200):
        if lock.exists():
            break
        threading.Event().wait(0.01)
    assert lock.exists()

    def finish_later() -> None:
        threading.Event().wait(1.0)
        assert survivor.stdin is not None
        survivor.stdin.write(f"100644 {blob}\tlate.txt\n".encode())
        survivor.stdin.close()

    finisher = threading.Thread(target=finish_later, daemon=True)
    finisher.start()
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as store:
        act(store, {"b.txt": "2\n"})
        finisher.join()
        survivor.wait(timeout=30)
        assert survivor.stderr is not None
        assert survivor.returncode == 0, survivor.stderr.read()


def test_undo_says_what_it_could_not_undo_and_fails(project: Path) -> None:
    with HistoryStore.open(project, HistorySettings(max_file_size_mib=1)) as store:
        entry = act(store, {"huge.bin": b"\1" * (1024 * 1024 + 1)})
        assert entry is not None and entry.untracked == ("huge.bin",)
        result = store.undo(entry.id)
    assert not result.ok
    assert "huge.bin" in result.message + " ".join(result.warnings)
    assert (project / "huge.bin").exists()


def _age_entries(store: HistoryStore, days: int) -> None:
    """Make every entry look `days` old (as if recorded back then)."""
    import dataclasses
    from datetime import datetime, timedelta, timezone

    then = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    store.journal.rewrite([dataclasses.replace(e, time=then) for e in store.entries()])


def test_pruning_reclaims_space_and_the_store_size_is_reported(store: HistoryStore, project: Path) -> None:
    for round_ in range(4):
        act(store, {"data.bin": os.urandom(3 << 20) + bytes([round_])})
    before = store.store_size()
    assert before > 9 << 20
    _age_entries(store, 30)
    assert store.prune(keep_days=7) == 3
    after = store.store_size()
    assert after < before - (6 << 20), (before, after)
    size, warning = HistoryStore.size_report(project, HistorySettings(store_warn_mib=1)) or (0, None)
    assert size == after and warning is not None and "history --prune" in warning
    assert HistoryStore.size_report(project, HistorySettings())[1] is None  # type: ignore[index]
