"""`bench m3tooleval` end to end: the miniature benchmark in the real sandbox, a scripted model
behind the fake Ollama server, driven through the real Ollama client and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes.ollama_server import FakeOllama, Fault
from m3_helpers import FIXTURE, bench, records, user_messages

pytestmark = pytest.mark.sandbox

INCORRECT = "Your answer is incorrect. Please try again."
NO_OUTPUT = "[Executed Successfully with No Output, Did you forget to print?]"


def _generating(server: FakeOllama) -> list[int]:
    return [i for i, body in enumerate(server.chat_requests()) if body.get("messages")]


def test_faithful_code_mode_whole_benchmark(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_ollama.replies = [
        # counter/three_clicks: stateful tool, display of the last expression, the 2,000-char cut,
        # the no-output line, a wrong answer, then the right one
        "Thought: let me click.\nAction:\nclick()\nclick()\nEnd Action",
        "Action:\nprint(shout('hey'))\nEnd Action",
        "Action:\nx = click()\nEnd Action\nAnswer: 3",  # a second marker is cut by postprocess_fn
        "Answer: 4",
        "Answer: 3",
        # counter/ten_tenths: expected 0.9999999999999999 (the paper's float sum); "1.0" fails the
        # original checker, "0" passes it (numbers are compared after int() truncation)
        "Action:\nprint(sum([0.1] * 10))\nEnd Action",
        "Answer: 1.0",
        "Answer: 0",
        # shop/basket_total: expected 0.30000000000000004; "0.30" is wrong, then no valid reply
        # until the turn limit
        "Answer: 0.30",
        *["I am not sure."] * 9,
        # shop/cheap_items: lists need the exact str() form (not a tuple, not other spacing)
        "Answer: ('apple', 'pear')",
        "Answer: ['apple','pear']",
        "Answer: ['apple', 'pear']",
    ]
    out = tmp_path / "runs.jsonl"
    assert bench(fake_ollama, out) == 0
    stdout, stderr = capsys.readouterr()
    found = records(out)
    assert list(found) == ["counter/three_clicks", "counter/ten_tenths", "shop/basket_total", "shop/cheap_items"]
    clicks, tenths, basket, cheap = found.values()
    assert (clicks["outcome"], clicks["turns"], clicks["end_reason"]) == ("correct", 5, "correct")
    assert [a["faithful"] for a in clicks["answers"]] == [False, True]
    assert (tenths["outcome"], tenths["turns"], tenths["expected"]) == ("correct", 3, "0.9999999999999999")
    assert [(a["text"], a["faithful"], a["lenient"]) for a in tenths["answers"]] == [("1.0", False, True), ("0", True, True)]
    assert (basket["outcome"], basket["turns"], basket["end_reason"]) == ("incorrect", 10, "limit")
    assert (basket["lenient_correct"], basket["lenient_turns"]) == (True, 1)
    assert (cheap["outcome"], cheap["turns"], cheap["lenient_turns"]) == ("correct", 3, 1)
    assert [(a["faithful"], a["lenient"]) for a in cheap["answers"]] == [(False, True), (False, True), (True, True)]

    # What the model saw: the benchmark's prompt, then the harness's observations.
    chats = fake_ollama.chat_requests()
    generating = _generating(fake_ollama)
    assert len(generating) == 21
    first = chats[generating[0]]
    assert first["options"]["temperature"] == 0 and first["options"]["num_predict"] == 512
    assert "stop" not in first["options"]
    assert [m["role"] for m in first["messages"]] == ["user"]
    assert "Action format: code_as_action" in first["messages"][0]["content"]
    users = user_messages(fake_ollama, generating[4])
    assert users[1] == "2"  # "Out[1]: 2" displayed, the marker removed, literal_eval'd
    assert users[2].startswith("HEY" * 10) and users[2].endswith("...\n[Output Truncated]")
    assert len(users[2]) == 2000 + len("...\n[Output Truncated]")
    assert users[3] == NO_OUTPUT
    assert users[4].startswith(INCORRECT)
    assistant = [m["content"] for m in chats[generating[4]]["messages"] if m["role"] == "assistant"]
    assert assistant[2] == "Action:\nx = click()\nEnd Action"
    tenths_users = user_messages(fake_ollama, generating[6])
    assert tenths_users[1] == "0.9999999999999999"
    assert "Invalid generation" in user_messages(fake_ollama, generating[14])[-1]

    assert "counter" in stdout and "shop" in stdout and "overall" in stdout
    assert "lenient" in stdout
    assert "4/4" in stderr  # progress


def test_json_and_text_actions_call_tools_through_the_harness(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [
        'Action: {"tool": "click", "args": []} End Action',
        "Action: click( End Action",
        'Action: {"tool": "click", "args": []} End Action',
        'Action: {"tool": "click", "args": []} End Action',
        "Answer: 3",
    ]
    assert bench(fake_ollama, tmp_path / "j.jsonl", "--action", "json", "--tasks", "three_clicks") == 0
    record = records(tmp_path / "j.jsonl")["counter/three_clicks"]
    assert (record["outcome"], record["turns"], record["action"]) == ("correct", 5, "json")
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert users[1] == "1" and users[2].startswith("Invalid action") and users[4] == "3"
    assert "Action format: json_as_action" in users[0]

    fake_ollama.replies = [
        "Action: click End Action",
        "Action: shout, hey End Action",
        "Action: click End Action",
        "Action: click End Action",
        "Answer: 3",
    ]
    assert bench(fake_ollama, tmp_path / "t.jsonl", "--action", "text", "--tasks", "three_clicks") == 0
    record = records(tmp_path / "t.jsonl")["counter/three_clicks"]
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert users[1] == "1" and users[2].endswith("...\n[Output Truncated]")
    assert record["outcome"] == "correct"


def test_action_past_the_deadline_reloads_the_task(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [
        "Action:\nprint(click())\nEnd Action",
        "Action:\nwhile True:\n    pass\nEnd Action",
        "Action:\nprint(click())\nEnd Action",
        "Answer: 3",
    ]
    out = tmp_path / "d.jsonl"
    assert bench(fake_ollama, out, "--tasks", "three_clicks", "--action-timeout", "1", "--max-turns", "4") == 0
    record = records(out)["counter/three_clicks"]
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert "TimeoutError: Timed out after 1 seconds." in users[2]
    assert users[3] == "1"  # a fresh session: the tool's state started again
    assert (record["session_resets"], record["outcome"], record["turns"]) == (1, "correct", 4)


def test_native_mode_uses_our_loop_with_the_same_tools(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [
        "<execute>\nfor _ in range(3):\n    last = click()\nprint(last)\n</execute>",
        "<solution>3</solution>",
        "<solution>apple, pear</solution>",
        "<solution>['apple', 'pear']</solution>",
    ]
    out = tmp_path / "n.jsonl"
    assert bench(fake_ollama, out, "--mode", "native", "--tasks", "three_clicks|cheap") == 0
    clicks, cheap = records(out).values()
    assert (clicks["outcome"], clicks["turns"], clicks["mode"]) == ("correct", 2, "native")
    assert any(m["role"] == "user" and "3" in m["content"] and "stdout" in m["content"] for m in clicks["messages"])
    assert clicks["messages"][0]["role"] == "system"
    assert (cheap["outcome"], cheap["turns"]) == ("correct", 2)
    assert [a["faithful"] for a in cheap["answers"]] == [False, True]
    assert any(m["content"].startswith(INCORRECT) for m in cheap["messages"] if m["role"] == "user")


def test_native_task_prompt_shows_no_example_answer_and_no_project_tools(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    """The answer format is described, never shown with a value a small model could copy as its
    answer; the episode's folder is empty (the tools are session globals, listed with their
    signatures in the request), so there is no repo map and no code tools to describe."""
    fake_ollama.replies = ["<solution>3</solution>"]
    out = tmp_path / "n.jsonl"
    assert bench(fake_ollama, out, "--mode", "native", "--tasks", "three_clicks") == 0
    system, request = records(out)["counter/three_clicks"]["messages"][:2]
    assert request["content"].endswith(
        "When you have found the answer by calling these functions, reply with it alone between "
        "<solution> and </solution>: only the value the task asks for, in full (a number, a "
        "text or a list), with no other text inside the tags."
    )
    tags_named = r"[`\s]*and[`\s]*</solution>"  # "between <solution> and </solution>"
    assert re.findall(rf"<solution>(?!{tags_named})[^<]*</solution>", request["content"] + system["content"]) == []
    assert "Signature: click()" in request["content"]
    assert "## Repository map" not in system["content"] and "find_definitions(" not in system["content"]


def test_server_failure_is_an_error_and_resume_reruns_it(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_ollama.faults = [Fault("http_500", message="out of memory")]
    fake_ollama.replies = ["Answer: ['apple', 'pear']"]
    out = tmp_path / "r.jsonl"
    assert bench(fake_ollama, out, "--tasks", "shop") == 1
    stdout = capsys.readouterr().out
    first = records(out)
    assert first["shop/basket_total"]["outcome"] == "error"
    assert first["shop/cheap_items"]["outcome"] == "correct"
    assert "1 episode(s) ended in an error" in stdout

    assert bench(fake_ollama, out, "--tasks", "shop") == 2  # records exist: --resume is required
    fake_ollama.replies = ["Answer: 0.30000000000000004"]
    assert bench(fake_ollama, out, "--tasks", "shop", "--resume", "--json") == 0
    captured = capsys.readouterr()
    assert "resuming: 1 episode(s) already done" in captured.err
    assert len(out.read_text().splitlines()) == 3
    assert {r["outcome"] for r in records(out).values()} == {"correct"}
    assert '"success_pct": 100.0' in captured.out


def test_source_that_is_not_the_benchmark(fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench(fake_ollama, tmp_path / "x.jsonl", source=tmp_path) == 2
    assert "is not a checkout of https://github.com/xingyaoww/code-act" in capsys.readouterr().err
    assert bench(fake_ollama, tmp_path / "x.jsonl", "--tasks", "(") == 2
    assert bench(fake_ollama, tmp_path / "x.jsonl", "--mode", "native", "--action", "json") == 2
    assert fake_ollama.chat_requests() == []
    assert FIXTURE.is_dir()


def test_episodes_run_concurrently_each_in_its_own_session(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = ["Action:\nprint(click())\nEnd Action"] * 4
    out = tmp_path / "c.jsonl"
    assert bench(fake_ollama, out, "--tasks", "counter", "--concurrency", "2", "--max-turns", "2") == 0
    found = records(out)
    assert len(found) == 2 and {r["outcome"] for r in found.values()} == {"incorrect"}
    assert {r["turns"] for r in found.values()} == {2}
    for record in found.values():
        observations = [m["content"] for m in record["messages"] if m["role"] == "user"][1:]
        assert observations == ["1", "2"]  # a fresh tool state per task, kept between its actions


def test_native_episode_with_a_failing_server_is_an_error(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.faults = [Fault("cut_mid_stream", after_chunks=1)]
    fake_ollama.replies = ["<solution>3</solution>"]
    out = tmp_path / "e.jsonl"
    assert bench(fake_ollama, out, "--mode", "native", "--tasks", "three_clicks") == 1
    record = records(out)["counter/three_clicks"]
    assert record["outcome"] == "error" and record["error"].startswith("model:")


def test_an_episode_whose_sandbox_fails_is_an_error_record(tmp_path: Path) -> None:
    import asyncio

    from codeact_tui.bench.episodes import EpisodeConfig
    from codeact_tui.bench.runner import (
        BenchPlan,
        default_runner_factory,
        run_benchmark,
    )
    from codeact_tui.bench.source import find_benchmark
    from codeact_tui.config import SandboxSettings
    from codeact_tui.llm.scripted import ScriptedModel

    real = default_runner_factory(SandboxSettings())
    calls: list[Path] = []

    def flaky(project: Path, benchmark: Path) -> object:
        calls.append(project)
        if len(calls) == 2:  # the first episode (after the catalog)
            raise RuntimeError("no sandbox today")
        return real(project, benchmark)

    plan = BenchPlan(
        benchmark=find_benchmark(FIXTURE),
        config=EpisodeConfig(mode="faithful", action="code", model_name="scripted"),
        out=tmp_path / "f.jsonl",
        pattern="counter",
    )
    run = asyncio.run(run_benchmark(plan, ScriptedModel(["Answer: 0"]), flaky))  # type: ignore[arg-type]
    assert [r.outcome for r in run.records] == ["error", "correct"]  # "0" passes for 0.999… (int truncation)
    assert run.records[0].error == "sandbox: RuntimeError: no sandbox today"
    assert run.errors == 1


OVERFLOW = "the input length exceeds the context length"
"""Ollama's refusal of a prompt longer than the model's window (with truncation off)."""


@pytest.mark.parametrize("mode", ["faithful", "native"])
def test_context_overflow_is_a_counted_failure_not_an_error(
    fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    first = "Action:\nprint(click())\nEnd Action" if mode == "faithful" else "<execute>\nprint(click())\n</execute>"
    fake_ollama.replies = [first]
    fake_ollama.faults = [None, Fault("http_500", message=OVERFLOW)]  # type: ignore[list-item]
    out = tmp_path / "o.jsonl"
    assert bench(fake_ollama, out, "--mode", mode, "--tasks", "three_clicks") == 0
    record = records(out)["counter/three_clicks"]
    assert (record["outcome"], record["end_reason"], record["turns"]) == ("incorrect", "context_limit", 1)
    assert record["error"] == ""
    assert "0.0%" in capsys.readouterr().out  # counted in the score, as a failure

    # --resume keeps it: nothing is sent to the server again.
    asked = len(fake_ollama.chat_requests())
    assert bench(fake_ollama, out, "--mode", mode, "--tasks", "three_clicks", "--resume") == 0
    assert len(fake_ollama.chat_requests()) == asked
    assert len(out.read_text().splitlines()) == 1


def test_other_server_errors_stay_errors_to_retry() -> None:
    from codeact_tui.bench.overflow import is_context_overflow

    refusals = [
        f"Ollama reported an error while streaming a reply (HTTP 500): {OVERFLOW}",
        "OpenAI-compatible server at http://127.0.0.1:8080 answered 400 while streaming a reply: "
        '{"error": {"message": "the request exceeds the available context size, try increasing it", "type": "exceed_context_size_error"}}',
        "answered 400: This model's maximum context length is 2048 tokens. However, you requested 2300 tokens",
        "llama.cpp failed while generating: ValueError: Requested tokens (3000) exceed context window of 2048",
    ]
    assert all(is_context_overflow(m) for m in refusals)
    others = ["Ollama reported an error while streaming a reply (HTTP 500): out of memory",
              "the connection to Ollama at http://127.0.0.1:11434 broke while streaming a reply", "model 'x' not found"]
    assert not any(is_context_overflow(m) for m in others)


def test_native_mode_records_and_speaks_the_profile(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = ["<execute>\nfor _ in range(3):\n    last = click()\nprint(last)\n</execute>", "<solution>3</solution>"]
    out = tmp_path / "p.jsonl"
    assert bench(fake_ollama, out, "--mode", "native", "--tasks", "three_clicks", "--profile", "codeactagent") == 0
    (clicks,) = records(out).values()
    assert (clicks["outcome"], clicks["profile"]) == ("correct", "codeactagent")
    assert clicks["messages"][0]["content"].startswith("A chat between a curious user and an artificial intelligence assistant.")
    assert clicks["messages"][3]["content"].startswith("Execution Output:\nstdout:\n3")
    stops = [body["options"].get("stop") for body in fake_ollama.chat_requests() if body.get("messages")]
    assert stops == [["<|im_end|>", "</execute>"]] * 2


def test_native_mode_keeps_temperature_zero_over_the_profiles(
    fake_ollama: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The benchmark decodes greedily whatever the profile says; the profile's other sampling
    values are sent, and the report names them."""
    fake_ollama.replies = ["<execute>\nfor _ in range(3):\n    last = click()\nprint(last)\n</execute>", "<solution>3</solution>"]
    assert bench(fake_ollama, tmp_path / "q.jsonl", "--mode", "native", "--tasks", "three_clicks", "--profile", "qwen2.5-coder") == 0
    options = [body["options"] for body in fake_ollama.chat_requests() if body.get("messages")]
    assert len(options) == 2
    for sent in options:
        assert {k: sent[k] for k in ("temperature", "top_p", "top_k", "min_p", "repeat_penalty")} == {
            "temperature": 0.0, "top_p": 0.8, "top_k": 20, "min_p": 0.0, "repeat_penalty": 1.05,
        }
    assert "profile qwen2.5-coder (sampling: temperature 0 (settings), top_p 0.8, top_k 20, min_p 0, repeat_penalty 1.05)" in capsys.readouterr().out
