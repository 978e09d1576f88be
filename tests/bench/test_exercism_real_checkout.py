"""Against a real checkout of exercism/python, when one is named by `EXERCISM_SOURCE` (skipped
otherwise: the exercises are not part of this repository)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakes.ollama_server import FakeOllama

from codeact_tui import cli
from codeact_tui.bench.exercism.exercises import find_practice, list_exercises

SOURCE = os.environ.get("EXERCISM_SOURCE")
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not SOURCE, reason="set EXERCISM_SOURCE to a checkout of exercism/python"),
]


def test_every_exercise_is_usable() -> None:
    exercises, unusable = list_exercises(find_practice(Path(str(SOURCE))))
    assert unusable == []
    assert len(exercises) >= 133
    by_slug = {e.slug: e for e in exercises}
    assert by_slug["paasio"].test_files == ("paasio_test.py", "test_utils.py")
    assert "test_utils.py" in by_slug["error-handling"].test_files


def test_oracle_on_a_few_real_exercises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.jsonl"
    pattern = "^(bowling|paasio|error-handling|wordy|zipper)$"
    assert cli.main(["bench", "exercism", "--source", str(SOURCE), "--oracle", "--exercises", pattern, "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["score"]["pass_1"] == 5


def test_native_replay_of_a_reference_solution(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    practice = find_practice(Path(str(SOURCE)))
    solution = (practice / "bowling" / ".meta" / "example.py").read_text()
    fake_ollama.replies = [f"<execute>\nwrite_file('bowling.py', {solution!r})\nrun_tests()\n</execute>", "<solution>done</solution>"]
    out = tmp_path / "n.jsonl"
    assert cli.main(["bench", "exercism", "--source", str(SOURCE), "--host", fake_ollama.url, "--model", "codeact:7b",
                     "--exercises", "^bowling$", "--out", str(out)]) == 0
    record = json.loads(out.read_text().splitlines()[-1])
    assert (record["outcome"], record["tests_run_by_model"], record["attempts"][0]["tests_run"]) == ("correct", 1, 31)
