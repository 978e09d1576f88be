"""Previewing the model's actions for real: `p` in ask mode and `--approve preview`, through the
conversation service, on the real WebAssembly sandbox and the real history store (real git).

Checked each time: the project files, the history entries, what the model is told next, the
session's variables, and the transcript a resumed conversation redraws.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings, Settings
from codeact_tui.conversation import Conversation, Services
from codeact_tui.core import events as ev
from codeact_tui.core.agent import PREVIEW_DISCARDED
from codeact_tui.core.transcript import find_transcript, read_records
from codeact_tui.executor import SandboxExecutor
from codeact_tui.history import HistoryStore
from codeact_tui.llm.scripted import ScriptedModel

pytestmark = pytest.mark.sandbox

WRITE = "<execute>\ngreeting = 'hello'\nopen('notes.txt', 'w').write(greeting + '\\n')\nprint('wrote', greeting)\n</execute>"
CHECK = "<execute>\nprint(repr(greeting))\n</execute>"
DONE = "<solution>done</solution>"

Answer = Callable[[ev.Event], ev.Approval | None]


def services(model: ScriptedModel) -> Services:
    """The scripted model, the real sandbox and the real history store."""
    return Services(
        make_model=lambda settings: model,
        make_executor=lambda project, settings: SandboxExecutor(project, settings.sandbox),
        open_history=lambda project, settings: HistoryStore.open(project, HistorySettings(lock_timeout_s=5.0)),
        sandbox_is_warm=lambda: True,
        repo_map=lambda project, settings, budget: None,
    )


def settings(approve: str) -> Settings:
    base = Settings()
    return dataclasses.replace(base, agent=dataclasses.replace(base.agent, approve=approve))  # type: ignore[arg-type]


async def turn(conversation: Conversation, text: str, answer: Answer, during_ready: Callable[[], None] | None = None) -> list[ev.Event]:
    """Run a user turn, answering every question with `answer(event)`; `during_ready` runs
    while a preview waits for its answer (to change the project underneath)."""
    events: list[ev.Event] = []
    async for event in conversation.turn(text):
        events.append(event)
        if isinstance(event, (ev.ApprovalRequested, ev.PreviewReady)):
            if isinstance(event, ev.PreviewReady) and during_ready is not None:
                during_ready()
                during_ready = None
            decision = answer(event)
            assert decision is not None, f"no answer for {event}"
            event.future.set_result(decision)
    return events


def preview_then(decision: ev.Approval) -> Answer:
    """`p` in the approval dialog, then `decision` on the preview."""
    return lambda event: ev.Approval("preview") if isinstance(event, ev.ApprovalRequested) else decision


def run_conversation(project: Path, approve: str, model: ScriptedModel, body: Callable[[Conversation], object]) -> None:
    async def go() -> None:
        conversation = Conversation(project, settings(approve), services(model))
        await asyncio.to_thread(conversation.open_history)
        await conversation.start_sandbox()
        try:
            await body(conversation)  # type: ignore[misc]
        finally:
            await conversation.close()

    asyncio.run(go())


def observations(events: list[ev.Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.ObservationAdded)]


def test_preview_then_apply_writes_the_change_set_as_one_action_and_keeps_the_variables(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    model = ScriptedModel([WRITE, CHECK, DONE])

    async def body(conversation: Conversation) -> None:
        seen_during_preview: list[bool] = []

        def answer(event: ev.Event) -> ev.Approval:
            if isinstance(event, ev.PreviewReady):
                seen_during_preview.append((project / "notes.txt").exists())
                assert event.preview.summary == "1 added"
                assert "+hello" in event.preview.diff and "b/notes.txt" in event.preview.diff
                assert "wrote hello" in event.preview.result.stdout
                return ev.Approval("run")  # apply
            if event.code.startswith("\nprint(repr") or "repr(greeting)" in event.code:
                return ev.Approval("run")
            return ev.Approval("preview")

        events = await turn(conversation, "write a note", answer)
        assert seen_during_preview == [False]  # the preview touched nothing
        assert (project / "notes.txt").read_text() == "hello\n"
        kinds = [type(e).__name__ for e in events]
        assert kinds.index("PreviewStarted") < kinds.index("PreviewReady") < kinds.index("ExecutionStarted")
        assert "wrote hello" in "".join(e.text for e in events if isinstance(e, ev.ExecutionOutput))
        (first, second) = observations(events)
        assert "wrote hello" in first  # the observation is the preview run's output
        assert "'hello'" in second  # the session kept the preview run's variables
        entries = await conversation.entries()
        assert [(e.kind, [f.path for f in e.files]) for e in entries] == [("agent", ["notes.txt"])]
        assert entries[0].turn_id == events[0].turn_id
        records = read_records(find_transcript(conversation.conversations_dir, conversation.transcript.id))  # type: ignore[union-attr]
        actions = [r for r in records if r.get("type") == "action"]
        assert actions[0]["history_entry"] == entries[0].id and "wrote hello" in actions[0]["stdout"]

    run_conversation(project, "ask", model, body)


KEEPS_STATE = callable(getattr(SandboxExecutor, "save_state", None))
"""Whether this sandbox can save and restore its variables (then a discard takes them back)."""


def test_preview_then_discard_leaves_the_project_and_tells_the_model(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "keep.txt").write_text("kept\n")
    model = ScriptedModel(["<execute>\ngreeting = 'before'\n</execute>", WRITE, CHECK, DONE])

    async def body(conversation: Conversation) -> None:
        answers = iter([ev.Approval("run"), ev.Approval("preview"), ev.Approval("skip"), ev.Approval("run")])
        events = await turn(conversation, "write a note", lambda event: next(answers))
        assert sorted(p.name for p in project.iterdir()) == ["keep.txt"]
        (skipped,) = [e for e in events if isinstance(e, ev.ActionSkipped)]
        assert skipped.reason == PREVIEW_DISCARDED
        (_, told, checked) = observations(events)
        assert PREVIEW_DISCARDED in told and "declined" in told
        assert [e.code for e in events if isinstance(e, ev.ExecutionStarted)] == ["greeting = 'before'", "print(repr(greeting))"]
        assert await conversation.entries() == []
        assert PREVIEW_DISCARDED in model.requests[2][-1].content  # what the model read next
        if KEEPS_STATE:  # the discard took the preview's variables back
            assert "as they were before the preview" in told and "'before'" in checked
        else:  # the model is told the preview's variables stay
            assert "keeps the variables the preview run set" in told and "'hello'" in checked

    run_conversation(project, "ask", model, body)


def test_apply_is_refused_when_the_project_changed_underneath_and_asked_again(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("old\n")
    model = ScriptedModel([WRITE, DONE])

    async def body(conversation: Conversation) -> None:
        answers = iter([ev.Approval("preview"), ev.Approval("run"), ev.Approval("skip", reason="no")])
        events = await turn(
            conversation,
            "write a note",
            lambda event: next(answers),
            during_ready=lambda: (project / "notes.txt").write_text("the user's edit\n"),
        )
        assert (project / "notes.txt").read_text() == "the user's edit\n"  # nothing clobbered
        (refused,) = [e for e in events if isinstance(e, ev.PreviewRefused)]
        assert "changed since the preview" in refused.message and "notes.txt" in refused.message
        kinds = [type(e).__name__ for e in events]
        # after the refusal the dialog comes back, and the user skips
        assert kinds.index("PreviewRefused") < len(kinds) - 1 - kinds[::-1].index("ApprovalRequested")
        assert [e.reason for e in events if isinstance(e, ev.ActionSkipped)] == ["no"]
        assert all(e.kind != "agent" for e in await conversation.entries())

    run_conversation(project, "ask", model, body)


def test_approve_preview_previews_every_action_before_asking(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    model = ScriptedModel([WRITE, DONE])

    async def body(conversation: Conversation) -> None:
        events = await turn(conversation, "write a note", lambda event: ev.Approval("run"))
        assert not [e for e in events if isinstance(e, ev.ApprovalRequested)]
        assert [type(e).__name__ for e in events if isinstance(e, (ev.PreviewStarted, ev.PreviewReady, ev.ExecutionStarted))] == [
            "PreviewStarted",
            "PreviewReady",
            "ExecutionStarted",
        ]
        assert (project / "notes.txt").read_text() == "hello\n"
        assert [e.kind for e in await conversation.entries()] == ["agent"]

    run_conversation(project, "preview", model, body)


def test_interrupt_while_a_preview_waits_stops_the_turn_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    model = ScriptedModel([WRITE])

    async def body(conversation: Conversation) -> None:
        events: list[ev.Event] = []
        async for event in conversation.turn("write a note"):
            events.append(event)
            if isinstance(event, ev.PreviewReady):
                conversation.interrupt()  # Esc in the dialog
        assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "interrupted"
        assert not (project / "notes.txt").exists()

    run_conversation(project, "preview", model, body)
