"""Crash safety (kill -9 mid action, mid undo, leftovers of a killed git) and the store lock."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryBusy, HistoryStore

from .helpers import act, tree_bytes


def _run(code: str, project: Path, check_killed: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a child process (same XDG dirs) with `project` as argv[1]."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(project)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check_killed:
        assert proc.returncode == -9, proc.stderr
    return proc


def test_kill_mid_action_is_recorded_on_next_open(project: Path) -> None:
    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n"})
    _run(
        """
        import os, signal, sys
        from pathlib import Path
        from codeact_tui.history import HistoryStore
        store = HistoryStore.open(Path(sys.argv[1]))
        ticket = store.begin_action("agent", "doomed action", turn_id="t9")
        Path(sys.argv[1], "half.txt").write_text("partial")
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        project,
    )
    with HistoryStore.open(project) as store:
        last = store.entries()[-1]
        # Written by hand, not through the sandbox: nothing says which paths were the action's.
        assert (last.kind, last.turn_id) == ("agent", "t9")
        assert last.summary == "doomed action (interrupted; may include changes made after the crash)"
        assert [f.path for f in last.files] == ["half.txt"]
        assert store.undo().ok
        assert tree_bytes(project) == {"a.txt": b"1\n"}


def test_kill_mid_undo_leaves_an_undoable_entry(project: Path) -> None:
    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n", "b.txt": "1\n", "c.txt": "1\n"})
        act(store, {"a.txt": "2\n", "b.txt": "2\n", "c.txt": "2\n"})
    after_two = tree_bytes(project)
    _run(
        """
        import os, signal, sys
        from pathlib import Path
        from codeact_tui.history import HistoryStore, apply
        real = apply._write_file
        calls = []
        def dying(path, data, *rest):
            calls.append(1)
            if len(calls) == 2:  # die with the second file half-written to its temp name
                with open(apply.temp_path(b"", path, os.getpid()), "wb") as fh:
                    fh.write(data[:1])
                os.kill(os.getpid(), signal.SIGKILL)
            return real(path, data, *rest)
        apply._write_file = dying
        store = HistoryStore.open(Path(sys.argv[1]))
        store.undo()
        """,
        project,
    )
    with HistoryStore.open(project) as store:
        last = store.entries()[-1]
        assert last.kind == "undo" and last.target == 2 and last.summary.endswith("(interrupted)")
        assert len(last.files) == 1  # one file was written before the kill
        assert store.undo(last.id).ok
        assert tree_bytes(project) == after_two
        assert not (store.store_dir / "pending.json").exists()
        assert not [p for p in project.iterdir() if p.name.startswith(".codeact-tmp-")]


def test_leftover_git_locks_and_a_torn_log_line_are_repaired(project: Path) -> None:
    with HistoryStore.open(project) as store:
        act(store, {"a.txt": "1\n"})
        store_dir = store.store_dir
    (store_dir / "index.lock").write_text("")
    (store_dir / "git" / "refs" / "codeact" / "head.lock").write_text("")
    with open(store_dir / "entries.jsonl", "ab") as fh:
        fh.write(b'{"id": 2, "kind": "ag')
    with HistoryStore.open(project) as store:
        assert [e.id for e in store.entries()] == [1]
        entry = act(store, {"a.txt": "2\n"})
        assert entry is not None and entry.id == 2
        lines = (store_dir / "entries.jsonl").read_bytes().splitlines()
        assert [json.loads(line)["id"] for line in lines] == [1, 2]


def test_refs_lost_after_the_log_was_written_are_restored(project: Path) -> None:
    with HistoryStore.open(project) as store:
        first = act(store, {"a.txt": "1\n"})
        second = act(store, {"a.txt": "2\n"})
        assert first is not None and second is not None
        # As if killed between appending entry 2 and moving the refs.
        store.git.run("update-ref", "-d", "refs/codeact/entries/2/after")
        store.git.run("update-ref", "refs/codeact/head", first.after)
    with HistoryStore.open(project) as store:
        assert store._read_ref("refs/codeact/head") == second.after
        assert act(store, {}) is None  # no phantom outside change
        assert [e.kind for e in store.entries()] == ["agent", "agent"]


def test_a_second_store_waits_then_reports_busy(project: Path) -> None:
    with HistoryStore.open(project) as first:
        ticket = first.begin_action("agent", "long action")
        # Opening and reading need no lock; writing waits, then says who is busy.
        with HistoryStore.open(project, HistorySettings(lock_timeout_s=0.2)) as second:
            assert second.entries() == []
            with pytest.raises(HistoryBusy, match="another codeact-tui process"):
                second.undo()
            with pytest.raises(HistoryBusy):
                second.begin_action("manual", "also")
        (project / "a.txt").write_text("from the action\n")
        assert first.finish_action(ticket) is not None
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=0.2)) as other:
        assert [e.summary for e in other.entries()] == ["long action"]
        assert other.undo().ok


def test_another_thread_waits_for_the_running_action(store: HistoryStore, project: Path) -> None:
    act(store, {"a.txt": "1\n"})
    ticket = store.begin_action("agent", "slow")
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(store.undo()))
    worker.start()
    time.sleep(0.3)
    assert results == []  # still waiting for the action
    (project / "b.txt").write_text("written by the action\n")
    store.finish_action(ticket)
    worker.join(10)
    assert len(results) == 1
    undo = results[0]
    assert undo.ok and undo.target.summary == "slow"  # type: ignore[attr-defined]
    assert not (project / "b.txt").exists()


def test_finish_from_another_thread(store: HistoryStore, project: Path) -> None:
    ticket = store.begin_action("agent", "threaded")
    (project / "t.txt").write_text("t\n")
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(store.finish_action(ticket)))
    worker.start()
    worker.join(10)
    assert out and out[0] is not None
    assert act(store, {"u.txt": "u\n"}) is not None


def test_reads_need_no_lock(project: Path) -> None:
    with HistoryStore.open(project) as first:
        act(first, {"a.txt": "1\n"})
        with HistoryStore.open(project) as second:
            ticket = second.begin_action("agent", "holds the lock")
            assert [e.id for e in first.entries()] == [1]
            assert "+1" in first.diff(1)
            second.finish_action(ticket)


def test_two_processes_acting_at_once_do_not_corrupt_the_store(project: Path) -> None:
    code = """
        import sys
        from pathlib import Path
        from codeact_tui.history import HistoryStore
        root = Path(sys.argv[1])
        name = sys.argv[2]
        with HistoryStore.open(root) as store:
            for n in range(8):
                t = store.begin_action("agent", f"{name} {n}")
                (root / f"{name}.txt").write_text(f"{n}\\n")
                store.finish_action(t)
    """
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(project), name])
        for name in ("left", "right")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with HistoryStore.open(project) as store:
        entries = store.entries()
        assert [e.id for e in entries] == list(range(1, len(entries) + 1))
        assert len([e for e in entries if e.kind == "agent"]) == 16
        for earlier, later in zip(entries, entries[1:]):
            assert earlier.after == later.before
        assert act(store, {}) is None


def test_packed_refs_still_resolve(store: HistoryStore, project: Path) -> None:
    first = act(store, {"a.txt": "1\n"})
    store.git.run("pack-refs", "--all", "--prune")
    assert first is not None and "+1" in store.diff(first.id)
    assert act(store, {}) is None  # the packed head is still the last state
    assert store.undo().ok


def test_the_lock_names_its_holder_and_is_freed_when_the_holder_is_killed(project: Path) -> None:
    import signal

    HistoryStore.open(project).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys, time
            from pathlib import Path
            from codeact_tui.history import HistoryStore
            store = HistoryStore.open(Path(sys.argv[1]))
            store.begin_action("agent", "holds the lock")
            print("holding", flush=True)
            time.sleep(60)
            """
        ), str(project)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with HistoryStore.open(project, HistorySettings(lock_timeout_s=0.3)) as store:
            with pytest.raises(HistoryBusy, match=f"pid {holder.pid}"):
                store.sync()
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
            store.sync()  # the OS released the dead holder's lock
    finally:
        if holder.poll() is None:
            holder.kill()
