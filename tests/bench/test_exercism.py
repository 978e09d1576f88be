"""`bench exercism` end to end on the miniature checkout of `tests/bench/fixture` (three original
exercises in exercism/python's layout): the real sandbox, the real Ollama and OpenAI clients
against fake servers that replay the reference solutions, and the CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.ollama_server import FakeOllama, Fault
from fakes.openai_server import FakeOpenAI
from m3_helpers import records

from codeact_tui import cli

pytestmark = pytest.mark.sandbox

FIXTURE = Path(__file__).parent / "fixture"
PRACTICE = FIXTURE / "exercises" / "practice"
TEST_FAILURES = "See the testing errors above.\nThe tests are correct, don't try and change them."


def reference(slug: str) -> str:
    return (PRACTICE / slug / ".meta" / "example.py").read_text()


def writes(path: str, content: str) -> str:
    """A reply whose action writes a file (as a model would, with the sandbox helper)."""
    return f"I will write {path}.\n<execute>\nwrite_file({path!r}, {content!r})\nprint('saved')\n</execute>"


DONE = "<solution>Done: the solution is in place.</solution>"


def exercism(server: Any, out: Path, *extra: str, source: Path = FIXTURE, backend: str = "ollama") -> int:
    model = "codeact:7b" if backend == "ollama" else "local.gguf"
    host = server.url if backend == "ollama" else server.url + "/v1"
    return cli.main(["bench", "exercism", "--source", str(source), "--backend", backend, "--host", host, "--model", model, "--out", str(out), *extra])


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def test_oracle_scores_every_fixture_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "oracle.jsonl"
    assert cli.main(["bench", "exercism", "--source", str(FIXTURE), "--oracle", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["score"]["pass_1"] == 3 and report["score"]["pass_1_pct"] == 100.0
    found = records(out)
    assert list(found) == ["digit-sum", "seat-map", "vowel-count"]
    assert all(r["mode"] == "oracle" and r["attempts"][0]["tests_run"] == 4 - (r["task_id"] == "digit-sum") for r in found.values())


def test_aider_protocol_two_attempts_through_the_openai_server(fake_openai: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = "def count_vowels(text):\n    return sum(1 for letter in text if letter in 'aeiou')\n"  # forgets upper case
    fake_openai.replies = [
        # digit-sum: right at once
        writes("digit_sum.py", reference("digit-sum")), DONE,
        # seat-map: no answer that works in two attempts
        writes("seat_map.py", "class SeatMap:\n    pass\n"), DONE,
        "I am not sure how to do this.",
        # vowel-count: wrong first, right after seeing the failures
        writes("vowel_count.py", wrong), DONE,
        writes("vowel_count.py", reference("vowel-count")), DONE,
    ]
    out = tmp_path / "aider.jsonl"
    assert exercism(fake_openai, out, "--protocol", "aider", "--backend", "openai", backend="openai") == 0
    report = capsys.readouterr().out
    assert "pass@1              33.3%  (1)" in report and "pass@2              66.7%  (2)" in report
    assert "well-formed         88.9%  of 9 replies" in report
    digits, seats, vowels = records(out).values()
    assert [a["passed"] for a in digits["attempts"]] == [True]
    assert [a["passed"] for a in seats["attempts"]] == [False, False]
    assert [a["passed"] for a in vowels["attempts"]] == [False, True]
    assert (vowels["outcome"], vowels["turns"], vowels["malformed_replies"]) == ("correct", 4, 0)
    assert seats["malformed_replies"] == 1  # neither code nor a tagged answer (it still ends the attempt)

    first_request = [m["content"] for m in fake_openai.bodies[0]["messages"] if m["role"] == "user"][0]
    assert first_request.startswith("# Introduction\n\nChecksums")
    assert "Use the above instructions to modify the supplied files: digit_sum.py" in first_request
    assert "digit_sum.py\n```\ndef digit_sum(number):\n    pass\n```" in first_request
    assert "digit_sum_test" not in first_request and "assertEqual" not in first_request
    retry = next(m["content"] for m in vowels["messages"] if m["role"] == "user" and "See the testing errors" in m["content"])
    assert "FAIL: test_upper_case_counts_too" in retry and "vowel-count/vowel_count_test.py" in retry
    assert "/project" not in retry and not any(line.startswith("Ran ") for line in retry.splitlines())
    assert retry.rstrip().endswith("Fix the code in vowel_count.py to resolve the errors.")
    assert TEST_FAILURES in retry
    assert len(retry.split("\n####\n")[0].splitlines()) <= 50


def test_native_protocol_runs_the_tests_itself(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [
        "<execute>\nprint(run_tests())\n</execute>",
        writes("digit_sum.py", reference("digit-sum")),
        "<execute>\nprint(run_tests())\n</execute>",
        DONE,
    ]
    out = tmp_path / "native.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "digit") == 0
    record = records(out)["digit-sum"]
    assert (record["outcome"], record["mode"], record["turns"], record["tests_run_by_model"]) == ("correct", "native", 4, 2)
    observations = [m["content"] for m in record["messages"] if m["role"] == "user"][1:]
    # The product's own run_tests (as users have it) finds the `x_test.py` file with unittest.
    assert "unittest: FAILED: 0 passed, 3 failed" in observations[0]  # the stub fails, seen by the model
    assert "unittest: passed: 3 passed" in observations[2]  # run_tests imports the edited file afresh
    # The write was tested by the agent at once (counted apart from the model's own runs).
    assert "\n\nThe tests ran after your change to `digit_sum.py`:\nunittest: passed: 3 passed" in observations[1]
    assert record["tests_run_by_agent"] == 1
    request = [m["content"] for m in record["messages"] if m["role"] == "user"][0]
    assert "`digit_sum_test.py`" in request and "run_tests()" in request
    # As a user's turn has it: the stub the request names is quoted ahead of it, the tests are not.
    stub = (PRACTICE / "digit-sum" / "digit_sum.py").read_text()
    assert request.startswith(f"[The files your request names, as they are now:\n`digit_sum.py` ({stub.count(chr(10))} lines):\n```\n{stub}```]")
    assert "[Request]\n" in request and "class DigitSumTest" not in request


def test_native_protocol_gives_the_model_the_repo_map_and_code_tools(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As in a user's conversation: the system prompt maps the folder (the stub's function and its
    signature, which the instructions do not name) and describes the code tools, which work."""
    fake_ollama.replies = [
        "<execute>\nprint(outline('digit_sum.py'))\nprint(find_definitions('DigitSumTest'))\n</execute>",
        writes("digit_sum.py", reference("digit-sum")),
        DONE,
    ]
    out = tmp_path / "native.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "digit") == 0
    assert "repo map           at most " in capsys.readouterr().out
    first = next(r["messages"] for r in fake_ollama.chat_requests() if r.get("messages"))  # after the load request
    system = first[0]["content"]
    assert first[0]["role"] == "system"
    assert "## Repository map" in system and "digit_sum.py:\n  1: def digit_sum(number)" in system
    assert "digit_sum_test.py:" in system
    assert "find_definitions(name" in system  # the code tools are described ...
    record = records(out)["digit-sum"]
    assert record["outcome"] == "correct"
    observation = [m["content"] for m in record["messages"] if m["role"] == "user"][1]
    assert "'name': 'digit_sum'" in observation and "'signature': 'def digit_sum(number)'" in observation  # ... and work
    assert "digit_sum_test.py" in observation


def test_aider_protocol_keeps_to_aiders_request_without_a_repo_map(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """aider's harness shows the stub in the request and maps no repository: neither do we there."""
    fake_openai.replies = [writes("digit_sum.py", reference("digit-sum")), DONE]
    out = tmp_path / "aider.jsonl"
    assert exercism(fake_openai, out, "--protocol", "aider", "--exercises", "digit", backend="openai") == 0
    system = fake_openai.bodies[0]["messages"][0]["content"]
    assert "## Repository map" not in system and "find_definitions(" not in system


@pytest.mark.parametrize("protocol", ["native", "aider"])
def test_tampering_with_the_test_file_never_passes(fake_ollama: FakeOllama, tmp_path: Path, protocol: str) -> None:
    fake_tests = "import unittest\n\nclass VowelCountTest(unittest.TestCase):\n    def test_anything(self):\n        pass\n"
    fake_ollama.replies = [
        writes("vowel_count_test.py", fake_tests),
        "<execute>\nimport os\nwrite_file('vowel_count.py', 'def count_vowels(text):\\n    return 0\\n')\n"
        "print(run_tests() if 'run_tests' in globals() else 'no runner')\n</execute>",
        DONE,
        "<execute>\nos.remove('vowel_count_test.py')\nprint('gone')\n</execute>",
        DONE,
    ]
    out = tmp_path / "t.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "vowel", "--protocol", protocol) == 0
    record = records(out)["vowel-count"]
    assert record["outcome"] == "incorrect"
    assert not any(a["passed"] for a in record["attempts"])
    assert record["attempts"][0]["tests_run"] == 4  # the pristine four tests, not the model's one
    if protocol == "native":  # in its own folder the forged test file passed
        assert "unittest: passed: 1 passed" in [m["content"] for m in record["messages"] if m["role"] == "user"][2]


def test_bad_solutions_loop_print_and_delete(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    # Each answer comes twice: the first goes back, as the tests have not run since the change.
    fake_ollama.replies = [
        writes("digit_sum.py", "def digit_sum(number):\n    while True:\n        pass\n"), DONE, DONE,
        writes("seat_map.py", "print('x' * 10_000_000)\n" + reference("seat-map")), DONE, DONE,
        "<execute>\nimport os\nfor name in os.listdir('.'):\n    os.remove(name)\nprint(os.listdir('.'))\n</execute>", DONE, DONE,
    ]
    out = tmp_path / "bad.jsonl"
    assert exercism(fake_ollama, out, "--test-timeout", "5") == 0
    loops, prints, deletes = records(out).values()
    assert [r["malformed_replies"] for r in (loops, prints, deletes)] == [0, 0, 0]  # an answer sent back is well formed
    assert loops["outcome"] == "incorrect" and loops["attempts"][0]["timed_out"]
    assert prints["outcome"] == "correct"  # megabytes of output do not hide the result
    assert deletes["outcome"] == "incorrect"
    assert "vowel_count" in deletes["attempts"][0]["output"]  # the import of the missing solution failed
    assert (PRACTICE / "vowel-count" / "vowel_count.py").read_text() == "def count_vowels(text):\n    pass\n"


def test_source_and_exercise_problems(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exercism(fake_ollama, tmp_path / "x.jsonl", source=tmp_path) == 2
    assert "is not a checkout of https://github.com/exercism/python" in capsys.readouterr().err
    assert exercism(fake_ollama, tmp_path / "x.jsonl", "--exercises", "(") == 2
    assert fake_ollama.chat_requests() == []

    checkout = tmp_path / "checkout"
    shutil.copytree(FIXTURE / "exercises", checkout / "exercises")
    (checkout / "exercises/practice/seat-map/seat_map_test.py").unlink()
    out = tmp_path / "o.jsonl"
    assert cli.main(["bench", "exercism", "--source", str(checkout), "--oracle", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "skipped: seat-map: no unittest file" in captured.err
    assert list(records(out)) == ["digit-sum", "vowel-count"]


def test_server_failure_is_an_error_and_resume_reruns_it(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_ollama.faults = [Fault("http_500", message="out of memory")]
    fake_ollama.replies = [writes("vowel_count.py", reference("vowel-count")), DONE]
    out = tmp_path / "r.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "vowel|digit") == 1
    first = records(out)
    assert first["digit-sum"]["outcome"] == "error" and first["digit-sum"]["error"].startswith("model:")
    assert first["vowel-count"]["outcome"] == "correct"
    assert "1 exercise(s) ended in an error" in capsys.readouterr().out

    fake_ollama.replies = [writes("digit_sum.py", reference("digit-sum")), DONE]
    assert exercism(fake_ollama, out, "--exercises", "vowel|digit", "--resume") == 0
    assert "resuming: 1 episode(s) already done" in capsys.readouterr().err
    assert {r["outcome"] for r in records(out).values()} == {"correct"}


def test_context_overflow_is_judged_and_counted(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [writes("vowel_count.py", reference("vowel-count"))]
    fake_ollama.faults = [None, Fault("http_500", message="the input length exceeds the context length")]  # type: ignore[list-item]
    out = tmp_path / "c.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "vowel", "--protocol", "aider") == 0
    record = records(out)["vowel-count"]
    assert (record["outcome"], record["turns"]) == ("correct", 1)  # the file written before the refusal passes

    fake_ollama.replies = [writes("digit_sum.py", "def digit_sum(number):\n    return 0\n")]
    fake_ollama.faults = [None, Fault("http_500", message="the input length exceeds the context length")]  # type: ignore[list-item]
    assert exercism(fake_ollama, tmp_path / "d.jsonl", "--exercises", "digit", "--protocol", "aider") == 0
    record = records(tmp_path / "d.jsonl")["digit-sum"]
    assert (record["outcome"], record["end_reason"], len(record["attempts"])) == ("incorrect", "context_limit", 1)


def test_concurrent_episodes_each_in_their_own_project(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = ["<execute>\nimport os\nprint(sorted(os.listdir('.')))\n</execute>"] * 3  # any order
    out = tmp_path / "c.jsonl"
    assert exercism(fake_ollama, out, "--concurrency", "2", "--max-turns", "1") == 0
    found = records(out)
    assert len(found) == 3 and {r["end_reason"] for r in found.values()} == {"limit"}
    for slug, record in found.items():
        listing = [m["content"] for m in record["messages"] if m["role"] == "user"][1]
        stem = slug.replace("-", "_")
        assert f"['{stem}.py', '{stem}_test.py']" in listing


def test_profile_is_spoken_recorded_and_kept_apart_on_resume(fake_openai: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fenced = "```python\nwrite_file('vowel_count.py', " + repr(reference("vowel-count")) + ")\n```"
    fake_openai.replies = [fenced, DONE]
    out = tmp_path / "p.jsonl"
    assert exercism(fake_openai, out, "--exercises", "vowel", "--profile", "qwen2.5-coder", "--backend", "openai", backend="openai") == 0
    assert "protocol native — profile qwen2.5-coder" in capsys.readouterr().out
    record = records(out)["vowel-count"]
    assert (record["outcome"], record["profile"]) == ("correct", "qwen2.5-coder")
    system = fake_openai.bodies[0]["messages"][0]["content"]
    assert "as a fenced ```python block" in system  # the profile's own system prompt
    assert fake_openai.bodies[0]["stop"] == ["</execute>"]
    # The profile's sampling is sent; the benchmark's temperature 0 wins over the profile's 0.7.
    sent = fake_openai.bodies[0]
    assert {k: sent.get(k) for k in ("temperature", "top_p", "top_k", "repeat_penalty")} == {
        "temperature": 0.0, "top_p": 0.8, "top_k": 20, "repeat_penalty": 1.05,
    }

    # The same records file with another profile: the episode is run again, not resumed.
    fake_openai.replies = [writes("vowel_count.py", reference("vowel-count")), DONE]
    assert exercism(fake_openai, out, "--exercises", "vowel", "--profile", "generic", "--resume", "--backend", "openai", backend="openai") == 0
    assert records(out)["vowel-count"]["profile"] == "generic"
    assert "as a fenced ```python block" not in fake_openai.bodies[-1]["messages"][0]["content"]

    assert exercism(fake_openai, tmp_path / "x.jsonl", "--profile", "no-such-profile", "--backend", "openai", backend="openai") == 2
    assert "no-such-profile" in capsys.readouterr().err


def test_a_model_that_only_defines_the_function_has_it_saved_and_starts_over_when_it_repeats(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    """The 1.5B model's habit: define the function in the session, again and again. The first
    time the action saves it into the file the request names, and the agent runs the tests on
    the change (the real `run_tests` in the sandbox); the identical actions after it change
    nothing (the episode's history sees no content change) and run no tests: the first of them
    is told so at once, pointed at the failures, and where the third would end the request the
    agent restores the stub (the episode's real history) and asks afresh, its context the
    request alone: the fresh attempt's solution passes."""
    fake_ollama.replies = ["<execute>\ndef count_vowels(text):\n    return 0\n</execute>"] * 4 + [
        "<execute>\ndef count_vowels(text):\n    return sum(1 for c in text.lower() if c in 'aeiou')\n</execute>", DONE
    ]
    out = tmp_path / "s.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "vowel") == 0
    record = records(out)["vowel-count"]
    assert (record["outcome"], record["end_reason"], record["turns"]) == ("correct", "correct", 6)
    assert record["fresh_attempts"] == 1
    # The first attempt, as the model saw it (its six-reply request holds the replies of both).
    fourth = [body for body in fake_ollama.chat_requests() if body.get("messages")][3]
    first = [m["content"] for m in fourth["messages"] if m["role"] == "user"][1:]
    assert "vowel_count.py: replaced count_vowels" in first[0]
    assert "\n\nThe tests ran after your change to `vowel_count.py`:\nunittest: FAILED: " in first[0]
    assert "Files written with the content they already had (nothing changed):\n- modified: vowel_count.py" in first[1]
    assert "The tests ran after" not in first[1]  # nothing changed: no test run
    assert "Note: you have now run this same code 2 times with the same result, and the tests still fail (" in first[1]
    # The fresh attempt: the request with the note at its end, and what the attempt did since.
    request, *observations = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert request.endswith("\n\n[Attempt 2 of 3: an earlier attempt at this request ended with the tests failing (2 passed, 2 failed); the project is as it was before that attempt. Solve the request from the start.]")
    assert "unittest: passed" in observations[0]
    assert record["tests_run_by_model"] == 0  # the agent's runs are not the model's


def test_a_model_that_defines_and_calls_the_function_is_told_nothing_was_saved(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = ["<execute>\ndef count_vowels(text):\n    return 0\nprint(count_vowels('a'))\n</execute>", DONE, DONE]
    out = tmp_path / "s.jsonl"
    assert exercism(fake_ollama, out, "--exercises", "vowel") == 0
    record = records(out)["vowel-count"]
    observations = [m["content"] for m in record["messages"] if m["role"] == "user"][1:]
    assert "Note: no file changed. What you defined (`count_vowels`) lives only in this Python session; it is not saved in `vowel_count.py`" in observations[0]
    assert observations[1].startswith("Observation: not done yet.")  # the first answer goes back once
    assert (record["outcome"], record["turns"]) == ("incorrect", 3)
