"""`codeact-tui run` headless end to end: the real Ollama client against the fake server, with an
in-process executor and history double; exit statuses, JSON lines, transcript, resume."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor
from fakes.history import FakeHistory
from fakes.ollama_server import FakeOllama, Fault, free_port

from codeact_tui import cli, paths
from codeact_tui.commands import run as run_cmd
from codeact_tui.config import Settings
from codeact_tui.conversation import Services
from codeact_tui.llm.scripted import ScriptedModel

SELF_DEBUG = [
    "Let me read the numbers.\n<execute>\nnums = [int(x) for x in open('nums.txt')]\nprint(sum(nums) / len(nums)\n</execute>",
    "I missed a parenthesis.\n<execute>\nnums = [int(x) for x in open('nums.txt')]\nopen('mean.txt', 'w').write(str(sum(nums) / len(nums)))\nprint(sum(nums) / len(nums))\n</execute>",
    "<solution>The mean is 4.0 (written to mean.txt).</solution>",
]


class Workspace:
    """Fake sandbox and history for the conversation's services; keeps what it made."""

    def __init__(self) -> None:
        self.executor: InProcessExecutor | None = None
        self.history: FakeHistory | None = None

    def make_executor(self, project: Path, settings: Settings) -> InProcessExecutor:
        self.executor = InProcessExecutor(project)
        return self.executor

    def open_history(self, project: Path, settings: Settings) -> FakeHistory:
        self.history = FakeHistory(project)
        return self.history

    def services(self, **changes: object) -> Services:
        base = Services(make_executor=self.make_executor, open_history=self.open_history, sandbox_is_warm=lambda: True)
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "nums.txt").write_text("2\n4\n6\n")
    return root


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Workspace:
    opener = Workspace()
    monkeypatch.setattr(run_cmd, "SERVICES", opener.services(repo_map=lambda p, s, b: "proj/\n  nums.txt"))
    return opener


def run(*argv: str) -> int:
    return cli.main(["run", *argv])


def test_self_debugging_run_against_fake_ollama(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama(replies=list(SELF_DEBUG)) as server:
        status = run("compute the mean of nums.txt", "--path", str(project), "--host", server.url, "--model", "codeact:7b")
        requests = server.chat_requests()
        loads = server.loads
    out, err = capsys.readouterr()
    assert status == 0, err
    assert (project / "mean.txt").read_text() == "4.0"
    assert "SyntaxError" in out + err and "Answer: The mean is 4.0" in out
    assert "loading model codeact:7b" in err and "history entry 1" in err
    # One warm-up and three replies, all with the same num_ctx: the model loaded once.
    assert len(requests) == 4 and len({r["options"]["num_ctx"] for r in requests}) == 1 and loads == 1
    system = requests[1]["messages"][0]["content"]
    assert "<execute>" in system and "nums.txt" in system  # action format and repo map
    assert workspace.history is not None and [t.kind for t in workspace.history.begun] == ["agent", "agent"]


def test_json_lines(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama(replies=list(SELF_DEBUG)) as server:
        status = run("mean", "--path", str(project), "--host", server.url, "--model", "codeact:7b", "--json")
    out, _ = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    types = [line["type"] for line in lines]
    assert types[0] == "turn_started" and types[-1] == "turn_finished"
    assert {"model_loading", "text_delta", "code_proposed", "execution_finished", "snapshot_taken", "context_usage"} <= set(types)
    finished = [line for line in lines if line["type"] == "execution_finished"]
    assert [f["result"]["status"] for f in finished] == ["error", "ok"]


def test_server_down_exit_2(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    status = run("x", "--path", str(project), "--host", f"127.0.0.1:{free_port()}", "--model", "m")
    _, err = capsys.readouterr()
    assert status == 2 and "cannot reach Ollama" in err and "ollama serve" in err
    assert workspace.executor is None  # failed before the sandbox was opened


def test_model_missing_exit_2_with_pull_hint(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama() as server:
        status = run("x", "--path", str(project), "--host", server.url, "--model", "qwen2.5-coder:7b", "--json")
    out, _ = capsys.readouterr()
    assert status == 2
    last = json.loads(out.splitlines()[-1])
    assert last["type"] == "turn_failed" and last["kind"] == "setup" and "ollama pull qwen2.5-coder:7b" in last["message"]


def test_fault_mid_stream_exit_1_transcript_intact(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama(replies=list(SELF_DEBUG)) as server:
        server.faults.extend([Fault("slow_first_token", delay_s=0.05), Fault("cut_mid_stream", after_chunks=3)])
        status = run("mean", "--path", str(project), "--host", server.url, "--model", "codeact:7b")
    _, err = capsys.readouterr()
    assert status == 1 and "broke while streaming" in err
    conversations = paths.project_data_dir(project) / "conversations"
    (transcript,) = conversations.glob("*.jsonl")
    records = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert records[0]["type"] == "meta"
    assert any(r["type"] == "action" for r in records)  # the first action was recorded
    assert records[-1]["type"] == "turn" and records[-1]["outcome"] == "failed" and records[-1]["reason"] == "model"


def test_turn_limit_exit_1(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama(replies=["<execute>print(1)</execute>"] * 2) as server:
        status = run("loop", "--path", str(project), "--host", server.url, "--model", "codeact:7b", "--max-turns", "2")
    _, err = capsys.readouterr()
    assert status == 1 and "stopped after 2 model replies" in err


def test_plan_mode_runs_actions_in_the_sandbox(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    # The real sandbox is read-only in plan mode: tests/executor/test_plan_mode.py runs it.
    with FakeOllama(replies=["<execute>print(open('nums.txt').read().split())</execute>", "<solution>Plan: sum them.</solution>"]) as server:
        status = run("plan it", "--path", str(project), "--host", server.url, "--model", "codeact:7b", "--approve", "plan")
    out, _ = capsys.readouterr()
    assert status == 0 and "['2', '4', '6']" in out and "Plan: sum them." in out
    assert workspace.executor is not None and workspace.executor.codes


def test_resume_continues_latest_conversation(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    models = [ScriptedModel(["<solution>first</solution>"]), ScriptedModel(["<solution>second</solution>"])]
    monkeypatch.setattr(
        run_cmd, "SERVICES", Workspace().services(make_model=lambda s: models.pop(0), repo_map=lambda p, s, b: None)
    )
    assert run("remember 7", "--path", str(project)) == 0
    second = models[0]
    assert run("what number?", "--path", str(project), "--resume") == 0
    sent = [m.content for m in second.requests[0]]
    assert "remember 7" in sent and "<solution>first</solution>" in sent and sent[-1] == "what number?"
    conversations = list((paths.project_data_dir(project) / "conversations").glob("*.jsonl"))
    assert len(conversations) == 1


def test_resume_without_conversations_exit_2(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("x", "--path", str(project), "--resume") == 2
    assert "no stored conversations" in capsys.readouterr().err


def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("x", "--path", str(tmp_path / "missing")) == 2
    assert run("x", "--path", str(tmp_path), "--max-turns", "0") == 2
    assert run("  ", "--path", str(tmp_path)) == 2


@pytest.mark.parametrize("mode", ["ask", "preview"])
def test_ask_and_preview_modes_need_a_terminal(project: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    assert run("x", "--path", str(project), "--approve", mode) == 2  # pytest's stdin is no terminal
    err = capsys.readouterr().err
    assert f"approve = {mode} needs answers typed on a terminal" in err
    assert "use --approve auto" in err and "--approve plan" in err  # which to use instead
    assert workspace.executor is None  # refused before anything started


@pytest.mark.parametrize(
    ("typed", "decision"), [("\n", "run"), ("y\n", "run"), ("maybe\nno\n", "skip"), ("s\n", "stop"), ("", "stop")]
)
def test_terminal_approval_answers(typed: str, decision: str) -> None:
    import asyncio
    import io
    import os

    from codeact_tui.core import events as ev

    read_fd, write_fd = os.pipe()
    os.write(write_fd, typed.encode())
    os.close(write_fd)

    async def go() -> ev.Approval:
        future: asyncio.Future[ev.Approval] = asyncio.get_running_loop().create_future()
        with os.fdopen(read_fd) as stream_in:
            await asyncio.wait_for(run_cmd.ask_on_terminal(future, stream_in, io.StringIO()), 5)
        return future.result()

    assert asyncio.run(go()).decision == decision


@pytest.mark.parametrize(
    ("typed", "decision"), [("\n", "skip"), ("y\n", "run"), ("apply\n", "run"), ("maybe\nd\n", "skip"), ("s\n", "stop")]
)
def test_terminal_preview_answers_default_to_discard(typed: str, decision: str) -> None:
    import asyncio
    import io
    import os

    from codeact_tui.core import events as ev
    from codeact_tui.core.agent import PREVIEW_DISCARDED

    read_fd, write_fd = os.pipe()
    os.write(write_fd, typed.encode())
    os.close(write_fd)
    prompts = io.StringIO()

    async def go() -> ev.Approval:
        future: asyncio.Future[ev.Approval] = asyncio.get_running_loop().create_future()
        with os.fdopen(read_fd) as stream_in:
            await asyncio.wait_for(
                run_cmd.ask_on_terminal(future, stream_in, prompts, prompt=run_cmd.PREVIEW_PROMPT, parse=run_cmd.parse_preview_answer), 5
            )
        return future.result()

    approval = asyncio.run(go())
    assert approval.decision == decision
    assert "Apply these changes" in prompts.getvalue()
    if decision == "skip":
        assert approval.reason == PREVIEW_DISCARDED


def test_resume_a_chosen_conversation(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    models = [ScriptedModel([f"<solution>{answer}</solution>"]) for answer in ("a", "b", "c")]
    monkeypatch.setattr(
        run_cmd, "SERVICES", Workspace().services(make_model=lambda s: models.pop(0), repo_map=lambda p, s, b: None)
    )
    assert run("first conversation", "--path", str(project)) == 0
    conversations = paths.project_data_dir(project) / "conversations"
    (first,) = conversations.glob("*.jsonl")
    assert run("second conversation", "--path", str(project)) == 0
    third = models[0]
    assert run("back to the first", "--path", str(project), "--resume", first.stem) == 0
    sent = [m.content for m in third.requests[0]]
    assert "first conversation" in sent and "second conversation" not in sent


def test_the_transcript_shows_a_preview_then_says_it_applies_it() -> None:
    import asyncio
    import io

    from codeact_tui.commands.run_output import TranscriptRenderer
    from codeact_tui.core import events as ev
    from codeact_tui.core.ports import ExecutionResult, PreviewRun

    out, err = io.StringIO(), io.StringIO()
    render = TranscriptRenderer(out, err)

    async def go() -> None:
        future: asyncio.Future[ev.Approval] = asyncio.get_running_loop().create_future()
        preview = PreviewRun(ExecutionResult("wrote\n", "", "ok"), "--- a/x\n+++ b/x\n-1\n+2\n", "1 modified")
        for event in (
            ev.PreviewStarted("t", 1, "code"),
            ev.ExecutionOutput("t", 1, "stdout", "wrote\n"),
            ev.PreviewReady("t", 1, "code", preview, future),
            ev.ExecutionStarted("t", 1, "code"),
            ev.PreviewRefused("t", 2, "the project changed since the preview (x)"),
        ):
            render(event)

    asyncio.run(go())
    assert out.getvalue() == "wrote\n--- a/x\n+++ b/x\n-1\n+2\n"  # output, then the diff
    status = err.getvalue()
    assert "previewing action 1 on a copy of the project (nothing is written)" in status
    assert "preview of action 1: 1 modified (the project is unchanged)" in status
    assert "applying the previewed changes of action 1" in status and "running action 1" not in status
    assert "not applied: the project changed since the preview (x)" in status


def test_the_transcript_says_when_an_answer_went_back_for_unsaved_code() -> None:
    import io

    from codeact_tui.commands.run_output import TranscriptRenderer
    from codeact_tui.core import events as ev

    out, err = io.StringIO(), io.StringIO()
    TranscriptRenderer(out, err)(ev.AnswerHeld("t", 2, "Observation: not done yet. …"))
    assert out.getvalue() == ""
    assert "· The model answered, but the code it defined is only in the Python session: no file changed." in err.getvalue()


def test_the_transcript_and_json_lines_say_when_a_turn_starts_over_and_which_attempt_is_kept() -> None:
    import io

    from codeact_tui.commands.run_output import JsonLinesRenderer, TranscriptRenderer
    from codeact_tui.core import events as ev
    from codeact_tui.core.ports import HistoryEntry

    restore = HistoryEntry(4, "agent", "2026-11-25T09:00:00Z", "restore")
    events: list[ev.Event] = [ev.StartedOver("t", 5, 2, 3, "3 passed, 6 failed", restore), ev.AttemptKept("t", 9, 1, 3, restore)]
    out, err, lines = io.StringIO(), io.StringIO(), io.StringIO()
    for event in events:
        TranscriptRenderer(out, err)(event)
        JsonLinesRenderer(lines)(event)
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "· Attempt 1 ended with the tests failing (3 passed, 6 failed); history entry 4 took its changes back. "
        "Starting over from the turn's beginning: attempt 2 of 3.",
        "· Kept the files of attempt 1, the one with the most tests passing (3) (history entry 4; undo it for the last attempt's).",
    ]
    started, kept = (json.loads(line) for line in lines.getvalue().splitlines())
    assert (started["type"], started["attempt"], started["counts"], started["entry"]["id"]) == ("started_over", 2, "3 passed, 6 failed", 4)
    assert (kept["type"], kept["attempt"], kept["passed"]) == ("attempt_kept", 1, 3)
