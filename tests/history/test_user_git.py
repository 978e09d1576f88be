"""Projects that are git repositories: the user's `.git` is never read-written by the store."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from codeact_tui.history import HistoryStore

from .helpers import act, tree_bytes


def _git(project: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="u", GIT_AUTHOR_EMAIL="u@x", GIT_COMMITTER_NAME="u", GIT_COMMITTER_EMAIL="u@x")
    return subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True, text=True).stdout


def fingerprint(git_dir: Path) -> dict[str, tuple[int, str]]:
    """Every path under `.git` with its mode and content hash (byte-identical means equal)."""
    result: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(git_dir):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            result[os.path.relpath(path, git_dir)] = (st.st_mode, digest)
    return result


def make_repo(project: Path) -> None:
    _git(project, "init", "-q")
    (project / "tracked.txt").write_text("v1\n")
    (project / ".gitignore").write_text("*.log\n")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "first")
    (project / "tracked.txt").write_text("staged\n")
    _git(project, "add", "tracked.txt")
    (project / "tracked.txt").write_text("unstaged on top of staged\n")


def test_user_git_dir_is_byte_identical_after_a_long_session(store: HistoryStore, project: Path) -> None:
    make_repo(project)
    before = fingerprint(project / ".git")
    status_before = _git(project, "status", "--porcelain")
    before = fingerprint(project / ".git")  # `git status` may refresh the index: take it after
    for n in range(6):
        act(store, {f"f{n}.txt": f"{n}\n", "tracked.txt": f"agent {n}\n", "debug.log": "ignored"})
        (project / "user.txt").write_text(f"user {n}\n")
    agent_ids = [e.id for e in store.entries() if e.kind == "agent"]
    assert not store.undo(agent_ids[1]).ok  # tracked.txt changed later: refused
    assert store.undo().ok
    assert store.redo().ok
    restored = store.restore(1)
    assert restored.ok and restored.entry is not None
    assert store.undo(restored.entry.id).ok
    store.diff(2)
    store.diff_between(1, 4)
    HistoryStore.open(project).close()
    assert fingerprint(project / ".git") == before
    assert "tracked.txt" in status_before


def test_snapshots_leave_the_users_git_dir_out(store: HistoryStore, project: Path) -> None:
    make_repo(project)
    entry = act(store, {"a.txt": "a\n"})
    assert entry is not None
    names = store.git.out("ls-tree", "-r", "--name-only", entry.after).decode().split()
    assert not any(n == ".git" or n.startswith(".git/") for n in names)
    assert "debug.log" not in names and "tracked.txt" in names


def test_undo_keeps_the_users_staged_changes(store: HistoryStore, project: Path) -> None:
    make_repo(project)
    staged = _git(project, "diff", "--cached")
    act(store, {"agent.txt": "a\n"})
    assert store.undo().ok
    assert _git(project, "diff", "--cached") == staged
    assert (project / "tracked.txt").read_text() == "unstaged on top of staged\n"


def test_a_guest_poisoned_git_config_is_not_obeyed(store: HistoryStore, project: Path, tmp_path: Path) -> None:
    """Hooks or fsmonitor set in the project's own repo must never run from our git calls."""
    make_repo(project)
    marker = tmp_path / "ran"
    with open(project / ".git" / "config", "a") as fh:
        fh.write(f"[core]\n\tfsmonitor = touch {marker}\n\thooksPath = /nonexistent\n")
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    act(store, {"a.txt": "a\n"})
    store.undo()
    assert not marker.exists()


def test_nested_repositories_are_not_entered(store: HistoryStore, project: Path) -> None:
    sub = project / "vendor" / "lib"
    sub.mkdir(parents=True)
    _git(sub, "init", "-q")
    (sub / "code.py").write_text("x = 1\n")
    _git(sub, "add", ".")
    _git(sub, "commit", "-q", "-m", "lib")
    before = fingerprint(sub / ".git")
    act(store, {"top.txt": "t\n"})
    assert fingerprint(sub / ".git") == before
    assert tree_bytes(project)["top.txt"] == b"t\n"


def test_undo_around_a_nested_repository_leaves_it_alone(store: HistoryStore, project: Path) -> None:
    ticket = store.begin_action("agent", "clone a library")
    sub = project / "lib"
    sub.mkdir()
    _git(sub, "init", "-q")
    (sub / "code.py").write_text("x = 1\n")
    _git(sub, "add", ".")
    _git(sub, "commit", "-q", "-m", "lib")
    (project / "main.py").write_text("import lib\n")
    entry = store.finish_action(ticket)
    assert entry is not None and entry.untracked == ("lib/",)
    assert "lib/code.py" not in store.git.out("ls-tree", "-r", "--name-only", entry.after).decode()
    result = store.undo()
    assert result.ok, result
    assert not (project / "main.py").exists()
    assert (sub / "code.py").read_text() == "x = 1\n"  # never ours to delete
