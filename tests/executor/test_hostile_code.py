"""Hostile code in the real sandbox fails harmlessly: the host and everything outside the project
stay unchanged, and the host keeps running."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest

from codeact_tui.config import SandboxSettings

from .sandbox_helpers import run_actions, tree_digest

pytestmark = pytest.mark.sandbox


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """A git project with a neighbour folder holding a secret."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text("print('hello')\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "secret.txt").write_text("top secret\n")
    return project, tmp_path


def _probe(code: str) -> str:
    """Wrap hostile code so the action reports what happened instead of raising."""
    body = "\n".join("    " + line for line in code.splitlines())
    return f"try:\n{body}\n    print('SUCCEEDED')\nexcept BaseException as e:\n    print('refused', type(e).__name__)"


ESCAPES = {
    "read absolute host file": "open('/etc/passwd').read()",
    "read through ..": "open('../neighbour/secret.txt').read()",
    "read via project path ..": "open('/project/../neighbour/secret.txt').read()",
    "list the host root": "import os\nassert 'etc' in os.listdir('/')",
    "write absolute": "open('/etc/codeact-pwned', 'w').write('x')",
    "write through ..": "open('../neighbour/pwned.txt', 'w').write('x')",
    "write via tmp ..": "open('/tmp/../../neighbour/pwned.txt', 'w').write('x')",
    "read .git": "open('.git/config').read()",
    "read ./.git": "open('./.git/HEAD').read()",
    "read sub/../.git": "import os\nos.makedirs('sub', exist_ok=True)\nopen('sub/../.git/HEAD').read()",
    "write .git config": "open('.git/config', 'a').write('[core]\\n\\tfsmonitor = touch /tmp/pwned\\n')",
    "write .GIT hook": "open('.GIT/hooks/pre-commit', 'w').write('#!/bin/sh\\ntouch /tmp/pwned')",
    "replace .git": "import shutil\nshutil.rmtree('.git')",
    "rename into .git": "import os\nos.rename('main.py', '.git/main.py')",
    "make nested .git": "import os\nos.makedirs('sub', exist_ok=True)\nos.mkdir('sub/.git')",
    "symlink out": "import os\nos.symlink('/etc', 'etc_link')",
    "symlink to .git": "import os\nos.symlink('.git', 'g')",
    "hard link": "import os\nos.link('main.py', 'hard.py')",
    "socket connect": "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=2)",
    "socket listen": "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()",
    "http request": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:PORT/', timeout=2)",
    "subprocess": "import subprocess\nsubprocess.run(['touch', '/tmp/codeact-pwned'])",
    "os.system": "import os\nassert os.system('touch /tmp/codeact-pwned') == 0",
    "threads": "import threading\nt = threading.Thread(target=print)\nt.start()",
    "ctypes": "import ctypes\nctypes.CDLL(None)",
}


def test_escapes_are_refused_and_the_host_is_unchanged(world: tuple[Path, Path]) -> None:
    project, outside = world
    connections: list[object] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                pass

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    before_outside = tree_digest(outside)
    before_git = tree_digest(project / ".git")
    try:
        names = list(ESCAPES)
        results = run_actions(project, [_probe(ESCAPES[n].replace("PORT", str(port))) for n in names])
    finally:
        stop.set()
        listener.join()
        server.close()
    outcomes = {name: r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr for name, r in zip(names, results)}
    succeeded = {name: out for name, out in outcomes.items() if not out.startswith("refused")}
    assert succeeded == {}, f"hostile actions that were not refused: {succeeded}"
    assert connections == [], "the guest reached a host socket"
    assert tree_digest(project / ".git") == before_git
    after_outside = tree_digest(outside)
    for key in [k for k in after_outside if k.startswith("project/")]:
        del after_outside[key]
    assert after_outside == {k: v for k, v in before_outside.items() if not k.startswith("project/")}
    assert not Path("/tmp/codeact-pwned").exists() and not Path("/etc/codeact-pwned").exists()
    assert not (project / "etc_link").exists() and not (project / "g").exists() and not (project / "hard.py").exists()


def test_resource_bombs_are_contained(world: tuple[Path, Path]) -> None:
    project, _ = world
    memory, alive, output, recursion, after = run_actions(
        project,
        [
            "x = 1\nblob = bytearray(1024 ** 3)",
            "print(x)",
            "import sys\nsys.stdout.write('x' * (100 * 1024 * 1024))",
            "import sys\nsys.setrecursionlimit(10 ** 7)\ndef f(n): return f(n + 1)\nf(0)",
            "print('still here')",
        ],
        settings=SandboxSettings(memory_mib=512, output_limit_kib=256),
    )
    assert memory.status == "stopped" and memory.stopped_by == "memory" and not memory.state_reset
    assert alive.stdout == "1\n"
    assert output.truncated == ("stdout",) and len(output.stdout) <= 256 * 1024
    assert any("was cut at 256 KiB" in w for w in output.warnings)
    assert recursion.status in ("stopped", "error")
    assert after.stdout == "still here\n"


def test_disk_growth_is_reported(world: tuple[Path, Path]) -> None:
    project, _ = world
    (result,) = run_actions(
        project,
        ["with open('big.bin', 'wb') as f:\n    f.write(b'0' * (3 * 1024 * 1024))"],
        settings=SandboxSettings(disk_growth_warn_mib=2),
    )
    assert any("wrote 3 MiB into the project" in w for w in result.warnings)


def test_filling_the_disk_is_refused(world: tuple[Path, Path]) -> None:
    project, _ = world
    (result,) = run_actions(
        project,
        [_probe("with open('fill.bin', 'wb') as f:\n    f.write(b'0' * 1024)")],
        settings=SandboxSettings(min_free_disk_mib=1 << 40),
    )
    assert result.stdout.strip() == "refused OSError"
    assert any("disk is nearly full" in w for w in result.warnings)
