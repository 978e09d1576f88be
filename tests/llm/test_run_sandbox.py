"""End to end: `codeact-tui run` with the real WebAssembly sandbox and the real history store,
the real `ollama` client talking to the fake Ollama server. A self-debugging trajectory that also
uses the sandbox helpers and the code tools the system prompt describes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fakes.ollama_server import FakeOllama

from codeact_tui import cli
from codeact_tui.history import HistoryStore

pytestmark = pytest.mark.sandbox

TRAJECTORY = [
    "First a look.\n<execute>\nfrom host import tools\nprint([r['path'] for r in tools.search('4')])\nprint(view_file('nums.txt'))\n</execute>",
    "Let me read the numbers.\n<execute>\n# read and average\nnums = [int(x) for x in open('nums.txt')]\nprint(sum(nums) / len(nums)\n</execute>",
    "I missed a parenthesis.\n<execute>\n# write the mean\nnums = [int(x) for x in open('nums.txt')]\nopen('mean.txt', 'w').write(str(sum(nums) / len(nums)))\nprint(sum(nums) / len(nums))\n</execute>",
    "<solution>The mean is 4.0 (written to mean.txt).</solution>",
]


def test_self_debugging_turn_in_real_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "nums.txt").write_text("2\n4\n6\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # the user's own repo stays untouched
    with FakeOllama(replies=list(TRAJECTORY)) as server:
        status = cli.main(["run", "average nums.txt", "--path", str(project), "--host", server.url, "--model", "codeact:7b", "--json"])
        loads = server.loads
    out, err = capsys.readouterr()
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    finished = [e["result"] for e in events if e["type"] == "execution_finished"]
    assert [r["status"] for r in finished] == ["ok", "error", "ok"]
    assert "['nums.txt']" in finished[0]["stdout"] and "6" in finished[0]["stdout"]  # code tools and helpers
    assert "SyntaxError" in finished[1]["stderr"] and finished[2]["stdout"] == "4.0\n"
    assert (project / "mean.txt").read_text() == "4.0"
    assert events[-1]["type"] == "turn_finished" and events[-1]["answer"].startswith("The mean is 4.0")
    assert loads == 1
    turn_id = events[0]["turn_id"]
    with HistoryStore.open(project) as history:
        entries = history.entries()
    assert [(e.kind, e.turn_id, [f.path for f in e.files]) for e in entries] == [("agent", turn_id, ["mean.txt"])]
    assert entries[0].summary == "write the mean"
    git_status = subprocess.run(["git", "-C", str(project), "status", "--porcelain"], capture_output=True, text=True, check=True)
    assert "mean.txt" in git_status.stdout  # an ordinary untracked file for the user's git
