"""The Exercism harness's pieces without the sandbox: the checkout, an exercise's files, aider's
cut of the test output, the requests of both protocols, the scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codeact_tui.bench.exercism import prompts
from codeact_tui.bench.exercism.exercises import find_practice, list_exercises, load_exercise
from codeact_tui.bench.exercism.report import render_text, score
from codeact_tui.bench.exercism.verdict import aider_cut
from codeact_tui.bench.records import EpisodeRecord
from codeact_tui.bench.source import SourceError

FIXTURE = Path(__file__).parent / "fixture"
PRACTICE = FIXTURE / "exercises" / "practice"


def test_the_checkout_or_its_practice_folder(tmp_path: Path) -> None:
    assert find_practice(FIXTURE) == PRACTICE.resolve() == find_practice(PRACTICE)
    with pytest.raises(SourceError, match="git clone https://github.com/exercism/python"):
        find_practice(tmp_path)
    with pytest.raises(SourceError, match="is not a folder"):
        find_practice(tmp_path / "missing")


def test_an_exercises_files_and_instructions(tmp_path: Path) -> None:
    digits = load_exercise(PRACTICE / "digit-sum")
    assert (digits.solution_files, digits.test_files, digits.example_files) == (("digit_sum.py",), ("digit_sum_test.py",), (".meta/example.py",))
    text = digits.instructions()
    assert text.index("# Introduction") < text.index("# Instructions\n") < text.index("# Instructions append")

    # A helper module beside the tests is kept with them; an exercise without tests is left out.
    copy = tmp_path / "practice"
    shutil.copytree(PRACTICE, copy)
    (copy / "seat-map" / "test_utils.py").write_text("HELPER = 1\n")
    (copy / "vowel-count" / "vowel_count_test.py").unlink()
    config = copy / "digit-sum" / ".meta" / "config.json"
    config.write_text(json.dumps({"files": {"solution": ["gone.py"], "test": ["digit_sum_test.py"]}}))
    chosen, skipped = list_exercises(copy)
    assert [e.slug for e in chosen] == ["seat-map"]
    assert chosen[0].test_files == ("seat_map_test.py", "test_utils.py")
    assert skipped == ["digit-sum: the stub gone.py is missing", "vowel-count: no unittest file (*_test.py) listed in .meta/config.json and present"]
    assert [e.slug for e in list_exercises(PRACTICE, "seat|vowel", limit=1)[0]] == ["seat-map"]


def test_aider_cut_cleans_and_keeps_fifty_lines() -> None:
    report = (
        "F.\n" + "=" * 70 + "\nFAIL: test_x (word_test.WordTest.test_x)\n" + "-" * 70
        + '\nTraceback (most recent call last):\n  File "/project/word_test.py", line 9, in test_x\n'
        + "".join(f"line {i}\n" for i in range(80))
        + "\nRan 2 tests in 0.013s\n\nFAILED (failures=1)\n"
    )
    cut = aider_cut(report, "word")
    lines = cut.splitlines()
    assert lines[:4] == ["F.", "====", "FAIL: test_x (word_test.WordTest.test_x)", "----"]
    assert lines[5] == '  File "word/word_test.py", line 9, in test_x'
    assert len(lines) == 50 and lines[-1] == "line 43"
    assert "Ran 2 tests" not in aider_cut("Ran 2 tests in 0.013s\nOK", "word")
    assert aider_cut("Ran 1 test in 0.001s\nOK", "w") == "\nOK"


def test_the_requests_of_both_protocols(tmp_path: Path) -> None:
    (tmp_path / "word.py").write_text("def count(text):\n    pass\n")
    first = prompts.aider_first("Count words.\n", tmp_path, ("word.py",))
    assert first.startswith("Count words.\n\n####\n\nUse the above instructions to modify the supplied files: word.py\n")
    assert first.endswith("word.py\n```\ndef count(text):\n    pass\n```\n")
    retry = prompts.aider_retry("FAILED", ("word.py",))
    assert retry == "FAILED\n####\n\nSee the testing errors above.\nThe tests are correct, don't try and change them.\nFix the code in word.py to resolve the errors.\n"
    native = prompts.native_request("Count words.\n", ("word.py",), ("word_test.py", "test_utils.py"))
    assert "`word.py`" in native and "`word_test.py`" in native and "test_utils" not in native and "run_tests()" in native


def _record(
    slug: str, passed: list[bool], *, turns: int = 2, malformed: int = 0, ran: int = 0, outcome: str = "", agent_ran: int = 0
) -> EpisodeRecord:
    return EpisodeRecord(
        task_id=slug, domain="exercism", mode="aider", action="code", model="m",
        outcome=outcome or ("correct" if any(passed) else "incorrect"),  # type: ignore[arg-type]
        turns=turns, end_reason="", duration_s=10.0, attempts=[{"passed": p} for p in passed],
        malformed_replies=malformed, tests_run_by_model=ran, tests_run_by_agent=agent_ran,
    )


def test_scores_pass_at_one_and_two() -> None:
    records = [
        _record("a", [True]), _record("b", [False, True], turns=4, malformed=1), _record("c", [False, False], ran=1, agent_ran=3),
        _record("d", [], outcome="error", turns=0),
    ]
    result = score(records)
    assert (result.exercises, result.pass_1, result.pass_2, result.errors) == (3, 1, 2, 1)
    assert (result.pass_1_pct, result.pass_2_pct, result.replies_per_exercise) == (33.3, 66.7, 2.67)
    assert (result.well_formed_pct, result.ran_tests_pct, result.failed) == (87.5, 33.3, ("c",))
    text = render_text(result, {"protocol": "aider", "model": "m"})
    assert "pass@2              66.7%  (2)" in text and "1 exercise(s) ended in an error" in text
    assert result.agent_test_runs_per_exercise == 1.0
    assert "tests after edits    1.00  per exercise, run by the agent" in render_text(result, {"protocol": "native", "model": "m"})
