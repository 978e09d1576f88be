"""Read-only (plan) and overlay (preview) mounts in the real sandbox, applied through real git."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.executor import PreviewStale, SandboxExecutor, SnapshotUnavailable, render_diff
from codeact_tui.history import HistoryStore

from .sandbox_helpers import tree_digest
from .test_cli_exec import cli

pytestmark = pytest.mark.sandbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "table.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "main.py").write_text("print('hello')\n")
    (root / "notes.txt").write_text("one\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


WRITES = {
    "open w": "open('new.txt', 'w')",
    "open a": "with open('notes.txt', 'a') as f:\n    f.write('two')",
    "open x": "open('fresh.py', 'x')",
    "rename": "import os\nos.rename('main.py', 'moved.py')",
    "remove": "import os\nos.remove('main.py')",
    "rmtree": "import shutil\nshutil.rmtree('data')",
    "mkdir": "import os\nos.mkdir('made')",
    "makedirs": "import os\nos.makedirs('a/b/c')",
    "pathlib": "import pathlib\npathlib.Path('p.txt').write_text('x')",
    "shutil copy": "import shutil\nshutil.copy('main.py', 'copy.py')",
    "to_csv": "import pandas as pd\npd.DataFrame({'a': [1]}).to_csv('out.csv')",
    "savefig": "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('plot.png')",
}


def test_plan_mode_refuses_every_write_and_stays_usable(project: Path) -> None:
    before = tree_digest(project)

    async def go() -> list[tuple[str, str, tuple[str, ...]]]:
        outcomes = []
        async with SandboxExecutor(project, mount_mode="read-only") as executor:
            await executor.run("kept = open('data/table.csv').read()")
            for name, code in WRITES.items():
                result = await executor.run(code)
                outcomes.append((name, result.stderr, result.warnings))
                assert result.status == "error", name
            after = await executor.run("print(len(kept), open('main.py').read().strip())")
            assert after.status == "ok" and after.stdout == "12 print('hello')\n"
            assert executor.sessions_opened == 1
        return outcomes

    for name, stderr, warnings in asyncio.run(go()):
        assert "Read-only file system" in stderr or "[Errno 69]" in stderr, (name, stderr[-500:])
        assert "the project is read-only (plan mode)" in stderr, (name, stderr[-500:])
        assert any("read-only (plan mode)" in w for w in warnings), (name, warnings)
    assert tree_digest(project) == before


def test_mode_switch_keeps_variables(project: Path) -> None:
    async def go() -> None:
        async with SandboxExecutor(project) as executor:
            await executor.run("x = 41")
            executor.set_mount_mode("read-only")
            refused = await executor.run("open('n.txt', 'w')")
            assert refused.status == "error" and not (project / "n.txt").exists()
            executor.set_mount_mode("live")
            done = await executor.run("open('n.txt', 'w').write(str(x + 1))")
            assert done.status == "ok" and (project / "n.txt").read_text() == "42"

    asyncio.run(go())


def test_preview_of_deleting_everything_leaves_project_untouched(project: Path) -> None:
    before = tree_digest(project)
    code = "import os, shutil\nfor name in os.listdir('.'):\n    shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)\nprint(os.listdir('.'))"

    async def go() -> None:
        async with SandboxExecutor(project) as executor:
            result, changes = await executor.preview(code)
            assert result.status == "ok" and result.stdout == "[]\n"
            assert {(c.path, c.change) for c in changes.changes} == {
                ("data", "deleted"), ("data/table.csv", "deleted"), ("main.py", "deleted"), ("notes.txt", "deleted")
            }
            diff = render_diff(project, changes)
            assert "-print('hello')" in diff and "+++ /dev/null" in diff
            again = await executor.run("import os\nprint(sorted(os.listdir('.')))")
            assert again.stdout == "['.git', 'data', 'main.py', 'notes.txt']\n" or "main.py" in again.stdout

    asyncio.run(go())
    assert tree_digest(project) == before


def test_preview_of_a_large_write_is_bounded(project: Path) -> None:
    before = tree_digest(project)

    async def go() -> None:
        async with SandboxExecutor(project) as executor:
            code = "try:\n    with open('big.bin', 'wb') as f:\n        f.write(bytes(8 << 20))\nexcept OSError as e:\n    print('refused', e.errno)"
            result, changes = await executor.preview(code, max_overlay_bytes=4 << 20)
            assert "refused" in result.stdout
            assert any("overlay is full (4 MiB)" in w for w in result.warnings)
            assert changes.overlay_bytes <= 4 << 20

    asyncio.run(go())
    assert tree_digest(project) == before


def test_preview_apply_is_one_history_entry_and_refuses_when_stale(project: Path) -> None:
    code = "import os\nopen('notes.txt', 'a').write('two\\n')\nos.remove('main.py')\nos.makedirs('out')\nopen('out/r.txt', 'w').write('r')"

    async def go() -> None:
        async with SandboxExecutor(project) as executor:
            _, changes = await executor.preview(code)
            _, stale = await executor.preview(code)
            with HistoryStore.open(project, HistorySettings()) as history:
                applied = executor.apply_changes(changes, history, "apply preview")
                assert applied.entry is not None
                assert {(f.path, f.change) for f in applied.entry.files} == {
                    ("notes.txt", "modified"), ("main.py", "deleted"), ("out/r.txt", "added")
                }
                count = len(history.entries())
                with pytest.raises(PreviewStale, match="notes.txt"):
                    executor.apply_changes(stale, history, "apply stale preview")
                assert len(history.entries()) == count
                history.undo(applied.entry.id)

    asyncio.run(go())
    assert (project / "notes.txt").read_text() == "one\n" and (project / "main.py").exists()


def test_cli_preview_then_apply(project: Path) -> None:
    code = "open('notes.txt', 'w').write('changed\\n'); print('ran')"
    shown = cli("exec", "--preview", code, cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("ran\n") and "-one\n+changed\n" in shown.stdout
    assert "1 modified (the project is unchanged)" in shown.stderr
    assert (project / "notes.txt").read_text() == "one\n"
    assert cli("history", cwd=project).stdout.count("apply preview") == 0
    applied = cli("exec", "--preview", "--apply", "--json", code, cwd=project)
    outcome = json.loads(applied.stdout)
    assert applied.returncode == 0 and outcome["applied_entry"] == 1 and outcome["refused"] is None
    assert outcome["changes"] == [{"path": "notes.txt", "change": "modified", "folder": False, "bytes": 8}]
    assert (project / "notes.txt").read_text() == "changed\n"
    failing = cli("exec", "--preview", "--apply", "open('x.txt', 'w').write('x'); raise SystemExit(3)", cwd=project)
    assert failing.returncode == 4 and "did not finish" in failing.stderr and not (project / "x.txt").exists()
    assert cli("exec", "--apply", "print(1)", cwd=project).returncode == 2


def test_snapshot_mode_serves_a_history_state(project: Path) -> None:
    async def go() -> None:
        with HistoryStore.open(project, HistorySettings()) as history:
            async with SandboxExecutor(project) as executor:
                ticket = history.begin_action("manual", "edit")
                await executor.run("open('notes.txt', 'w').write('two\\n')\nimport os\nos.remove('main.py')")
                entry = history.finish_action(ticket)
                assert entry is not None
                executor.show_snapshot(history, 0)
                old = await executor.run("import os\nprint(open('notes.txt').read(), sorted(os.listdir('.')), sorted(os.listdir('data')))")
                assert old.stdout == "one\n ['data', 'main.py', 'notes.txt'] ['table.csv']\n", old.stderr
                refused = await executor.run("open('notes.txt', 'w')")
                assert "read-only (snapshot of history entry 0)" in refused.stderr
                executor.show_snapshot(history, entry.id)
                new = await executor.run("import os\nprint(open('notes.txt').read(), os.path.exists('main.py'))")
                assert new.stdout == "two\n False\n"
                with pytest.raises(SnapshotUnavailable, match="no history entry #99"):
                    executor.show_snapshot(history, 99)
                executor.set_mount_mode("live")
                live = await executor.run("print(open('notes.txt').read())")
                assert live.stdout == "two\n\n"

    asyncio.run(go())
    assert (project / "notes.txt").read_text() == "two\n" and not (project / "main.py").exists()


def test_cli_preview_asks_on_a_terminal(project: Path) -> None:
    import os
    import pty
    import sys

    def ask(answer: bytes) -> bytes:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the CLI on a terminal
            os.chdir(project)
            os.execv(sys.executable, [sys.executable, "-m", "codeact_tui", "exec", "--preview", "open('notes.txt', 'w').write('asked\\n')"])
        seen = b""
        while b"[y/N]" not in seen:
            chunk = os.read(fd, 4096)
            assert chunk, seen
            seen += chunk
        os.write(fd, answer)
        try:
            while chunk := os.read(fd, 4096):
                seen += chunk
        except OSError:
            pass  # the terminal closed with the child
        os.waitpid(pid, 0)
        return seen

    assert b"+asked" in ask(b"n\n") and (project / "notes.txt").read_text() == "one\n"
    assert b"applied as history entry 1" in ask(b"y\n") and (project / "notes.txt").read_text() == "asked\n"
