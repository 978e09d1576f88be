"""`codeact-tui conversations` lists what `--resume ID` takes, titled as the app's picker titles
them, from a real subprocess of the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codeact_tui.conversation import conversations_dir
from codeact_tui.core.context import ConversationMessage
from codeact_tui.core.transcript import Transcript


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codeact_tui", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},  # this checkout's package
    )


def test_conversations_lists_ids_and_titles_latest_first_without_empty_ones(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert _cli("conversations", cwd=project).stdout.startswith("no stored conversations in ")
    folder = conversations_dir(project.resolve())
    asked = Transcript.create(folder)
    asked.add_message(ConversationMessage("user", "fix add\nplease", "user"))
    asked.close()
    manual = Transcript.create(folder)
    manual.append({"type": "action", "turn_id": "manual-1", "step": 0, "code": "print(open('calc.py').read())", "manual": True})
    manual.close()
    Transcript.create(folder).close()  # the app opened and closed: nothing happened in it
    os.utime(asked.path, ns=(1, 1))  # the manual one is the more recently active

    done = _cli("conversations", "--path", str(project), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(manual.id + "  ") and lines[0].endswith("  manual: print(open('calc.py').read())"), lines
    assert lines[1].startswith(asked.id + "  ") and lines[1].endswith("  fix add"), lines
    missing = _cli("conversations", "--path", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
