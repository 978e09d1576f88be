"""Interpreter state that follows the history, and rewind, through the conversation service —
the real sandbox, the real history store (real git), a scripted model."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings, Settings
from codeact_tui.conversation import Conversation, Services
from codeact_tui.conversation.rewind import RewindError
from codeact_tui.core import events as ev
from codeact_tui.core.transcript import list_transcripts, read_records
from codeact_tui.history import HistoryStore
from codeact_tui.history.states import StateArchive
from codeact_tui.llm.scripted import ScriptedModel

pytestmark = pytest.mark.sandbox

TURN1 = "<execute>\nx = 41\nopen('a.txt', 'w').write('one')\n</execute>"
TURN2 = "<execute>\nx = 100\ny = [1, 2]\nh = open('a.txt')\nopen('a.txt', 'w').write('two')\nopen('b.txt', 'w').write('b')\n</execute>"
DONE = "<solution>done</solution>"
ASK_X = "<execute>\nprint('x is', x + 1, 'y' in globals())\n</execute>"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.txt").write_text("zero")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def services(*models: ScriptedModel) -> Services:
    queue = list(models)
    return Services(
        make_model=lambda settings: queue.pop(0),
        open_history=lambda project, settings: HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)),
        sandbox_is_warm=lambda: True,
        repo_map=lambda project, settings, budget: None,
    )


SETTINGS = Settings()


async def started(conversation: Conversation) -> Conversation:
    await asyncio.to_thread(conversation.open_history)
    await conversation.start_sandbox()
    return conversation


async def drain(events) -> list[ev.TurnEvent]:  # type: ignore[no-untyped-def]
    return [event async for event in events]


def outputs(events: list[ev.TurnEvent]) -> str:
    return "".join(e.result.stdout for e in events if isinstance(e, ev.ExecutionFinished))


async def two_turns(project: Path, *later: str) -> tuple[Conversation, ScriptedModel]:
    model = ScriptedModel([TURN1, DONE, TURN2, DONE, *later])
    conversation = await started(Conversation(project, SETTINGS, services(model)))
    await drain(conversation.turn("first: set x"))
    await drain(conversation.turn("second: change x"))
    return conversation, model


def test_state_is_kept_per_action_and_rewind_restores_files_conversation_and_variables(project: Path) -> None:
    async def go() -> None:
        conversation, model = await two_turns(project, ASK_X, DONE)
        old_id = conversation.transcript.id  # type: ignore[union-attr]
        states = [r for r in read_records(conversation.transcript.path) if r["type"] == "state"]  # type: ignore[union-attr]
        assert [dict(s["kept"]).get("x") for s in states] == ["int", "int"]
        assert "h" in dict(states[1]["skipped"]) and "open file" in dict(states[1]["skipped"])["h"]
        assert (project / "b.txt").exists()

        outcome = await conversation.rewind(2)
        assert outcome.ok, outcome.message
        # Files: as before turn 2, as one undoable restore entry.
        assert (project / "a.txt").read_text() == "one" and not (project / "b.txt").exists()
        assert outcome.files is not None and outcome.files.entry is not None and outcome.files.entry.kind == "restore"
        # Conversation: a new branch with turn 1 only; the old transcript is as it was.
        assert conversation.transcript is not None and conversation.transcript.id == outcome.branch_id != old_id
        assert [t.request for t in conversation.user_turns()] == ["first: set x"]
        assert len([r for r in read_records(conversation.conversations_dir / f"{old_id}.jsonl") if r.get("kind") == "user"]) == 2
        # The resume picker tells the branch from the conversation it came from.
        titles = {info.id: info.title for info in list_transcripts(conversation.conversations_dir)}
        assert titles == {old_id: "first: set x", outcome.branch_id: "first: set x (rewound to before turn 2)"}
        # Variables: x from turn 1, nothing from turn 2.
        assert outcome.state is not None and "x" in outcome.state.restored and "y" not in outcome.state.restored
        events = await drain(conversation.turn("what is x?"))
        assert "x is 42 False" in outputs(events)
        told = model.requests[-2][-1].content
        assert "The Python session was restored to before turn 2" in told and "Defined again: x" in told
        assert "The conversation was rewound to before turn 2" in told
        assert "Another conversation" not in told and "restored the project" not in told  # only the net change

        # The rewind is undoable.
        undone = await conversation.undo(outcome.files.entry.id)
        assert undone.ok, undone.message
        assert (project / "a.txt").read_text() == "two" and (project / "b.txt").read_text() == "b"
        await conversation.close()

    asyncio.run(go())


def test_resume_restores_the_variables_of_the_conversation_end(project: Path) -> None:
    async def go() -> None:
        conversation, _ = await two_turns(project)
        await conversation.close()
        model = ScriptedModel([ASK_X, DONE])
        again = Conversation(project, SETTINGS, services(model), resume="latest")
        again.load_resume()
        await started(again)
        events = await drain(again.turn("continue: what is x?"))
        assert "x is 101 True" in outputs(events)
        told = model.requests[0][-1].content
        assert "to where the resumed conversation ended" in told and "Not restored" in told and "h: cannot be pickled" in told
        await again.close()

    asyncio.run(go())


def test_a_pruned_state_is_rebuilt_by_replay_over_snapshots_never_touching_the_project(project: Path) -> None:
    async def go() -> None:
        conversation, _ = await two_turns(project)
        store = conversation.history
        assert isinstance(store, HistoryStore)
        archive = StateArchive(store.git)
        for ref in archive.refs():
            store.git.run("update-ref", "-d", ref)
        entries_before = len(store.entries())
        await conversation.close()

        model = ScriptedModel([ASK_X, DONE])
        again = Conversation(project, SETTINGS, services(model), resume="latest")
        again.load_resume()
        await started(again)
        restored = await again.restore_session()
        assert restored is not None and len(restored.replayed) == 2
        assert restored.replayed[0].endswith("over the files before the first history entry")
        assert "error (OSError: [Errno 69] Read-only file system" in restored.replayed[0]  # x came before the refused write
        assert restored.replayed[1].endswith("over the files after history entry #1")
        assert "x" in restored.restored and "y" in restored.restored
        kept = again.transcript.records()[-1]  # type: ignore[union-attr]
        assert kept["type"] == "state" and kept["ref"] and dict(kept["kept"])["x"] == "int"  # the next resume loads it
        # The replay wrote nothing: the project and its history are as they were.
        assert (project / "a.txt").read_text() == "two"
        assert len(again.history.entries()) == entries_before  # type: ignore[union-attr]
        events = await drain(again.turn("what is x?"))
        assert "x is 101 True" in outputs(events)
        assert "rebuilt by running 2 earlier action(s) again" in model.requests[0][-1].content
        await again.close()

    asyncio.run(go())


def test_rewind_refuses_over_unrecorded_changes_and_bad_turns(project: Path) -> None:
    async def go() -> None:
        conversation, _ = await two_turns(project)
        with pytest.raises(RewindError, match="there is no turn 5 .* 2 user turn"):
            await conversation.rewind(5)
        (project / "a.txt").write_text("my own edit")  # not in the history yet
        outcome = await conversation.rewind(1)
        assert not outcome.ok and outcome.unrecorded == ("a.txt",)
        assert "would overwrite changes not in the history: a.txt" in outcome.message
        assert (project / "a.txt").read_text() == "my own edit" and (project / "b.txt").exists()
        # Forced: the edit is recorded first, so it can be brought back.
        outcome = await conversation.rewind(1, force=True)
        assert outcome.ok, outcome.message
        assert (project / "a.txt").read_text() == "zero" and not (project / "b.txt").exists()
        assert outcome.state is None  # before turn 1 no action ran: the session starts empty
        await conversation.undo(outcome.files.entry.id)  # type: ignore[union-attr]
        assert (project / "a.txt").read_text() == "my own edit"
        await conversation.close()

    asyncio.run(go())


def test_cli_rewind_list_refusals_and_run_continue(project: Path) -> None:
    import os
    import sys

    from fakes.openai_server import FakeOpenAI

    def cli(*args: str, host: str = "") -> subprocess.CompletedProcess[str]:
        model = ["--backend", "openai", "--host", host + "/v1", "--model", "local.gguf"] if host else []
        return subprocess.run(
            [sys.executable, "-m", "codeact_tui", *args[:1], *model, *args[1:]],
            cwd=project, capture_output=True, text=True, timeout=180,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},  # this checkout's package
        )

    with FakeOpenAI(replies=[TURN1, DONE, TURN2, DONE, ASK_X, DONE]) as server:
        assert cli("run", "first: set x", host=server.url).returncode == 0
        assert cli("run", "--continue", "second: change x", host=server.url).returncode == 0
        listed = cli("rewind", "--list")
        assert listed.returncode == 0 and "   1  first: set x" in listed.stdout and "   2  second: change x" in listed.stdout

        missing = cli("rewind", "7")
        assert missing.returncode == 2 and "there is no turn 7" in missing.stderr

        (project / "b.txt").write_text("edited by hand")
        refused = cli("rewind", "2")
        assert refused.returncode == 1 and "would overwrite changes not in the history" in refused.stderr and "b.txt" in refused.stderr
        assert (project / "b.txt").read_text() == "edited by hand"
        (project / "b.txt").write_text("b")  # back as the history has it

        done = cli("rewind", "2")
        assert done.returncode == 0, done.stderr
        assert "rewound to before turn 2" in done.stdout
        # The service's words for the session (as the app shows them), and where it comes back.
        assert "Python session: variables kept: x. The session starts from there when the conversation continues" in done.stdout
        assert (project / "a.txt").read_text() == "one" and not (project / "b.txt").exists()

        resumed = cli("run", "--continue", "what is x?", host=server.url)
        assert resumed.returncode == 0, resumed.stderr
        assert "x is 42 False" in resumed.stdout, resumed.stdout + resumed.stderr


def test_rewind_refuses_while_another_process_writes_and_over_a_pruned_snapshot(project: Path) -> None:
    async def go() -> None:
        conversation, _ = await two_turns(project)
        other = HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0))  # as another codeact-tui would
        ticket = await asyncio.to_thread(other.begin_action, "manual", "another writer")
        try:
            outcome = await conversation.rewind(2)
        finally:
            await asyncio.to_thread(other.finish_action, ticket)
            other.close()
        assert not outcome.ok and "another codeact-tui process is changing" in outcome.message and "Nothing was changed" in outcome.message
        assert (project / "b.txt").exists() and outcome.branch_id is None

        store = conversation.history
        assert isinstance(store, HistoryStore)
        for ref in ("refs/codeact/entries/1/before", "refs/codeact/entries/1/after", "refs/codeact/entries/2/before"):
            store.git.run("update-ref", "-d", ref)
        store.git.run("reflog", "expire", "--expire=now", "--all")
        store.git.run("gc", "--prune=now", "--quiet")
        store._snapshots.clear()  # noqa: SLF001 - forget what this process read before the prune
        outcome = await conversation.rewind(2)
        assert not outcome.ok and "no longer stored (pruned)" in outcome.message and "Nothing was changed" in outcome.message
        assert (project / "b.txt").exists() and outcome.branch_id is None
        # The session is usable after both refusals, and the conversation is the same one.
        events = await drain(conversation.manual("print(x)"))
        assert outputs(events) == "100\n"
        await conversation.close()

    asyncio.run(go())


def test_resuming_another_conversation_brings_its_variables_not_these(project: Path) -> None:
    async def go() -> None:
        talk = await started(Conversation(project, SETTINGS, services(ScriptedModel([DONE]))))
        await drain(talk.turn("just talk"))
        talk_id = talk.transcript.id  # type: ignore[union-attr]
        await talk.close()

        conversation, _ = await two_turns(project)
        conversation.resume(talk_id)
        restored = await conversation.restore_session()
        assert restored is None and "starts fresh" in conversation._changes.pending[-1]  # noqa: SLF001
        events = await drain(conversation.manual("print('x' in globals())"))
        assert outputs(events) == "False\n"
        await conversation.close()

    asyncio.run(go())


def test_after_a_rewind_the_model_hears_the_users_edits_made_before_that_turn(project: Path) -> None:
    async def go() -> None:
        model = ScriptedModel([TURN1, DONE, TURN2, DONE, DONE])
        conversation = await started(Conversation(project, SETTINGS, services(model)))
        await drain(conversation.turn("first"))
        (project / "notes.txt").write_text("my note\n")  # recorded when turn 2 starts
        await drain(conversation.turn("second"))
        outcome = await conversation.rewind(2)
        assert outcome.ok and (project / "notes.txt").read_text() == "my note\n"  # the user's edit stays
        await drain(conversation.turn("again"))
        told = model.requests[-1][-1].content
        assert "Since your last action the user changed: notes.txt (+1 -0)." in told
        await conversation.close()

    asyncio.run(go())


@pytest.mark.parametrize("state_limit_mib", [64, 0], ids=["states kept", "states not kept"])
def test_a_new_conversation_starts_without_the_last_ones_variables(project: Path, state_limit_mib: int) -> None:
    settings = dataclasses.replace(SETTINGS, sandbox=dataclasses.replace(SETTINGS.sandbox, state_limit_mib=state_limit_mib))

    async def go() -> None:
        conversation = await started(Conversation(project, settings, services()))
        try:
            await drain(conversation.manual("import json\nx = 41"))
            conversation.new()
            events = await drain(conversation.manual("print(sorted(n for n in ('x', 'json') if n in globals()))"))
            assert outputs(events) == "[]\n"
            assert not conversation.restore_pending and conversation.last_restore_where == ""
        finally:
            await conversation.close()

    asyncio.run(go())
