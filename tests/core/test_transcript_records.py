"""Action records keep what a resumed card shows, and records from before still load."""

from __future__ import annotations

from pathlib import Path

from codeact_tui.core import transcript as tr
from codeact_tui.core.ports import ExecutionResult, FileChange, HistoryEntry


def test_an_action_record_round_trips_through_the_file(tmp_path: Path) -> None:
    changes = (FileChange("new.py", "added"), FileChange("b.py", "renamed", "a.py"))
    result = ExecutionResult(
        "x" * (tr.OUTPUT_KEPT_CHARS + 10) + "END", "Traceback…\n", "error", 1, None,
        state_reset=True, changed_files=changes, truncated=("stdout",), duration_s=1.23456, warnings=("w1",),
        restored_names=("x",),
    )
    entry = HistoryEntry(7, "agent", "2026-01-01T00:00:00+00:00", "write", files=changes)
    transcript = tr.Transcript.create(tmp_path)
    transcript.append(tr.action_record("t1", 2, "print(1)", result, entry))
    transcript.close()
    record = [r for r in tr.read_records(transcript.path) if r["type"] == "action"][0]
    assert record["history_entry"] == 7 and record["output_cut"] == ["stdout"]
    assert record["changed_files"] == ["new.py", "b.py"]  # still there for older readers
    again = tr.recorded_result(record)
    assert again.stdout.endswith("END") and len(again.stdout) == tr.OUTPUT_KEPT_CHARS  # the tail, where errors are
    assert (again.stderr, again.status, again.exit_code, again.state_reset) == ("Traceback…\n", "error", 1, True)
    assert again.changed_files == changes and again.truncated == ("stdout",) and again.warnings == ("w1",)
    assert again.duration_s == 1.235 and again.restored_names == ("x",)


def test_a_failed_sandbox_run_and_an_old_record_load() -> None:
    failed = tr.action_record("t1", 1, "x", None, None)
    assert failed["status"] == "failed" and "stdout" not in failed and failed["changes"] == []
    old = {"type": "action", "turn_id": "t1", "step": 1, "code": "x", "status": "ok", "exit_code": 0, "stopped_by": None,
           "changed_files": ["a.txt"], "history_entry": 3}
    result = tr.recorded_result(old)
    assert (result.status, result.exit_code, result.stdout, result.changed_files) == ("ok", 0, "", ())
    assert tr.recorded_changes({"changes": [{"path": "a", "change": "exploded"}, "junk"]}) == ()


def test_a_skipped_action_is_recorded_with_its_reason(tmp_path: Path) -> None:
    import asyncio

    from codeact_tui.core import events as ev
    from codeact_tui.core.agent import Agent, AgentOptions
    from codeact_tui.core.prompts import PromptLibrary
    from codeact_tui.llm.scripted import ScriptedModel
    from codeact_tui.resources import resource_dir

    transcript = tr.Transcript.create(tmp_path / "conversations", project=str(tmp_path), model="scripted")
    agent = Agent(
        model=ScriptedModel(["<execute>print(1)</execute>", "<solution>ok</solution>"]),
        executor=None,  # type: ignore[arg-type]  # never reached: the action is skipped
        history=None,
        prompts=PromptLibrary(resource_dir("prompts")),
        system_prompt="s",
        options=AgentOptions(approve="ask"),
        transcript=transcript,
    )

    async def go() -> None:
        async for event in agent.run_turn("do it"):
            if isinstance(event, ev.ApprovalRequested):
                event.future.set_result(ev.Approval("skip", reason="not now"))

    asyncio.run(go())
    (record,) = [r for r in tr.read_records(transcript.path) if r["type"] == "action"]
    assert record["status"] == "skipped" and record["skipped"] == "not now" and record["code"] == "print(1)"
    assert record["history_entry"] is None
