"""`codeact-tui exec` and `doctor` as a user runs them: a real process, the real sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.sandbox


def cli(
    *args: str, cwd: Path, stdin: str | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codeact_tui", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("one\n")
    return root


def test_exit_statuses(project: Path) -> None:
    ok = cli("exec", "print('out'); import sys; print('err', file=sys.stderr)", cwd=project)
    assert (ok.returncode, ok.stdout) == (0, "out\n")
    assert "err\n" in ok.stderr
    raised = cli("exec", "raise ValueError('bad value')", cwd=project)
    assert raised.returncode == 1 and "ValueError: bad value" in raised.stderr
    stopped = cli("exec", "--timeout", "1", "while True: pass", cwd=project)
    assert stopped.returncode == 3 and "stopped by deadline" in stopped.stderr
    usage = cli("exec", "print(1)", "--path", str(project / "missing"), cwd=project)
    assert usage.returncode == 2 and "is not a folder" in usage.stderr
    bad_timeout = cli("exec", "--timeout", "0", "print(1)", cwd=project)
    assert bad_timeout.returncode == 2


def test_json_outcome_and_history_entry(project: Path) -> None:
    done = cli("exec", "--json", "-", cwd=project, stdin="with open('notes.txt', 'a') as f:\n    f.write('two\\n')\nprint('done')\n")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["stdout"] == "done\n" and outcome["status"] == "ok" and outcome["exit_code"] == 0
    assert outcome["changed_files"] == [{"path": "notes.txt", "change": "modified"}]
    assert outcome["history_entry"] == 1
    history = json.loads(cli("history", "--json", cwd=project).stdout)
    assert [(e["id"], e["kind"]) for e in history] == [(1, "manual")]
    undo = cli("undo", cwd=project)
    assert undo.returncode == 0, undo.stderr
    assert (project / "notes.txt").read_text() == "one\n"


def test_output_streams_while_running_and_ctrl_c_interrupts(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codeact_tui", "exec", "import time\nprint('started', flush=True)\nwhile True:\n    time.sleep(0.1)"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "started\n"  # arrives while the action is still running
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "interrupting" in err and "KeyboardInterrupt" in err and "stopped by interrupt" in err


def test_doctor_reports_a_warm_sandbox(project: Path) -> None:
    nobody_listens = {"CODEACT_TUI_MODEL_HOST": "http://127.0.0.1:9", "CODEACT_TUI_MODEL_CONNECT_TIMEOUT_S": "1"}
    done = cli("doctor", "--json", cwd=project, env=nobody_listens)
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert done.returncode == 0, done.stdout
    assert checks["sandbox"]["level"] == "ok"
    assert checks["git"]["level"] == "ok"
    assert checks["model server"]["level"] == "warn" and checks["model server"]["fix"]


def test_code_tools_are_offered_to_actions(project: Path) -> None:
    (project / "shop.py").write_text("class Cart:\n    def total(self):\n        return 0\n")
    done = cli("exec", "from host import tools\nprint([s['name'] for s in tools.outline('shop.py')['symbols']])", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['Cart', 'total']\n"


def test_kill_9_mid_action_is_recorded_and_undoable(project: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "codeact_tui", "exec",
            "open('notes.txt', 'w').write('rewritten\\n')\nopen('new.txt', 'w').write('new\\n')\n"
            "print('written', flush=True)\nimport time\ntime.sleep(60)",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "written\n"
    proc.kill()
    proc.wait(timeout=30)
    history = json.loads(cli("history", "--json", cwd=project).stdout)
    assert len(history) == 1 and history[0]["kind"] == "manual"
    assert "(interrupted)" in history[0]["summary"]
    assert {f["path"] for f in history[0]["files"]} == {"notes.txt", "new.txt"}
    undo = cli("undo", cwd=project)
    assert undo.returncode == 0, undo.stderr
    assert (project / "notes.txt").read_text() == "one\n" and not (project / "new.txt").exists()


def test_doctor_checks_other_backends(project: Path) -> None:
    missing_file = {"CODEACT_TUI_MODEL_BACKEND": "embedded", "CODEACT_TUI_MODEL_MODEL": str(project / "none.gguf")}
    done = cli("doctor", "--json", cwd=project, env=missing_file)
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert done.returncode == 0
    assert checks["model (embedded)"]["level"] == "warn"
    assert "no GGUF model file at" in checks["model (embedded)"]["detail"]
