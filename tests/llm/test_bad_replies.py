"""Garbage from a model, served over real HTTP by the fake OpenAI-compatible server and read by
the real `openai` backend: each case gets a clear observation or a clear stop, and the
conversation stays valid for the next turn (and equals what the model is sent)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from fakes.executor import InProcessExecutor
from fakes.openai_server import FakeOpenAI

from codeact_tui.config import HistorySettings, ModelSettings
from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.ports import Executor
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.executor import SandboxExecutor
from codeact_tui.core.transcript import Transcript, load_messages
from codeact_tui.history import HistoryStore
from codeact_tui.llm.openai_compat import OpenAICompatChatModel
from codeact_tui.resources import resource_dir


class Rig:
    """A fake server with scripted replies, the real backend, an agent and its transcript;
    with `sandbox=True` the real sandbox and the real history run the actions."""

    def __init__(
        self, tmp_path: Path, replies: list[str], *, max_reply_tokens: int = 2048, sandbox: bool = False, **options: object
    ) -> None:
        self.server = FakeOpenAI(replies=list(replies), chunk_size=4)
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.executor = InProcessExecutor(self.project)
        self.transcript = Transcript.create(tmp_path / "conversations")
        self.max_reply_tokens = max_reply_tokens
        self.options = AgentOptions(**options)  # type: ignore[arg-type]
        self.sandbox = sandbox

    def turns(self, *texts: str) -> list[list[ev.Event]]:
        with self.server:
            model = OpenAICompatChatModel(
                ModelSettings(backend="openai", host=self.server.url, model="local.gguf", max_reply_tokens=self.max_reply_tokens)
            )

            async def go() -> list[list[ev.Event]]:
                async with AsyncExitStack() as stack:
                    stack.push_async_callback(model.close)
                    executor: Executor = self.executor
                    history = None
                    if self.sandbox:
                        history = stack.enter_context(HistoryStore.open(self.project, HistorySettings(lock_timeout_s=2.0)))
                        executor = await stack.enter_async_context(SandboxExecutor(self.project))
                    self.agent = Agent(
                        model=model,
                        executor=executor,
                        history=history,
                        prompts=PromptLibrary(resource_dir("prompts")),
                        system_prompt="Act in <execute> blocks.",
                        options=self.options,
                        transcript=self.transcript,
                    )
                    return [[e async for e in self.agent.run_turn(text)] for text in texts]

            return asyncio.run(go())

    def check_conversation(self) -> None:
        """Valid for the next turn: system first, no empty message, no two assistant messages in
        a row; the stored conversation is exactly what the model was last sent plus its reply."""
        messages = self.agent.messages
        assert messages[0].role == "system"
        assert all(m.content.strip() for m in messages)
        roles = [m.role for m in messages[1:]]
        assert all(not (a == b == "assistant") for a, b in zip(roles, roles[1:], strict=False))
        stored = [(m.role, m.content) for m in load_messages(self.transcript.path)]
        assert stored == [(m.role, m.content) for m in messages]
        sent = [(m["role"], m["content"]) for m in self.server.bodies[-1]["messages"]]
        assert stored[: len(sent)] == sent


def observations(events: list[ev.Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.ObservationAdded)]


def test_unclosed_tag_runs_repaired(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["<execute>\nprint(6 * 7)\n</exe", "<solution>42</solution>"])
    [events] = rig.turns("multiply")
    proposed = next(e for e in events if isinstance(e, ev.CodeProposed))
    assert proposed.repaired and proposed.code == "print(6 * 7)"
    assert "42" in observations(events)[0] and isinstance(events[-1], ev.TurnFinished)
    rig.check_conversation()


def test_several_actions_run_only_the_first(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["<execute>print('one')</execute>\n<execute>print('two')</execute>", "<solution>one</solution>"])
    [events] = rig.turns("go")
    assert rig.executor.codes == ["print('one')"]
    assert rig.agent.messages[2].content == "<execute>print('one')\n</execute>"  # the second is never kept
    rig.check_conversation()


def test_fence_and_prose_inside_execute(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["<execute>\nHere is the code:\n```python\nprint(2 + 2)\n```\n</execute>", "<solution>4</solution>"])
    [events] = rig.turns("add")
    assert rig.executor.codes == ["print(2 + 2)"]
    assert "4" in observations(events)[0]
    rig.check_conversation()


def test_reply_cut_at_the_token_limit_does_not_run(tmp_path: Path) -> None:
    long_action = "<execute>\n" + "\n".join(f"x{n} = {n}" for n in range(40)) + "\nprint(x39)\n</execute>"
    rig = Rig(tmp_path, [long_action, "<execute>print('short')</execute>", "<solution>done</solution>"], max_reply_tokens=30)
    [events] = rig.turns("go")
    first = observations(events)[0]
    assert first.startswith("Observation: nothing ran.") and "cut at the reply length limit (30 tokens)" in first
    assert rig.executor.codes == ["print('short')"]  # the incomplete action never ran
    assert isinstance(events[-1], ev.TurnFinished)
    rig.check_conversation()


def test_a_cut_action_s_whole_definitions_run_and_are_saved_into_the_named_file(tmp_path: Path) -> None:
    """A small model writes the solution, then copies of the helpers until the reply length limit
    cuts it (Qwen2.5-Coder-0.5B on Exercism): the whole definitions before the cut run with the
    line that saves them (the helper copies are left out of the file), and the model is told."""
    solution = "def leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
    reply = f"```python\n{solution}\n\ndef write_file(path, content):\n    open(path, 'w').write(content)\n\n\ndef run_tests():\n    import unittest\n    " + "x = 1\n    " * 40
    rig = Rig(tmp_path, [reply, "<solution>done</solution>"], max_reply_tokens=60, sandbox=True)
    (rig.project / "leap.py").write_text("def leap_year(year):\n    pass\n")
    [events] = rig.turns("Implement `leap_year` in leap.py.")
    [proposed] = [e for e in events if isinstance(e, ev.CodeProposed)]
    assert "def run_tests" not in proposed.code and "existing_only=True))" in proposed.code
    [note, *_] = observations(events)
    assert "leap.py: replaced leap_year; left out write_file (the sandbox's own helpers" in note
    assert "Warning: this action's own definitions of write_file were left out" in note
    assert "Note: your reply was cut at the reply length limit before its action was closed. Only the whole definitions" in note
    assert (rig.project / "leap.py").read_text() == solution
    assert isinstance(events[-1], ev.TurnFinished)
    rig.check_conversation()


def test_a_cut_action_with_only_helper_copies_before_the_cut_saves_nothing_and_quotes_nothing(tmp_path: Path) -> None:
    copies = "def write_file(path, content):\n    open(path, 'w').write(content)\n\n\ndef view_file(path):\n    return open(path).read()\n"
    reply = f"```python\n{copies}\n\ndef leap_year(year):\n    " + "x = 1\n    " * 40
    rig = Rig(tmp_path, [reply, "<solution>done</solution>"], max_reply_tokens=40, sandbox=True)
    (rig.project / "leap.py").write_text("def leap_year(year):\n    pass\n")
    [events] = rig.turns("Implement `leap_year` in leap.py.")
    [note, *_] = observations(events)
    assert "leap.py: not saved (the code only defines write_file, view_file, the sandbox's own helpers" in note
    assert "no file changed" not in note and not [e for e in events if isinstance(e, ev.AnswerHeld)]  # nothing of its own to save
    assert (rig.project / "leap.py").read_text() == "def leap_year(year):\n    pass\n"
    rig.check_conversation()


def test_thinking_is_not_run_and_reasoning_only_is_told(tmp_path: Path) -> None:
    rig = Rig(
        tmp_path,
        [
            "<think>Maybe print('inside') would do.</think>\n<execute>print('outside')</execute>",
            "<think>" + "I keep thinking about this task. " * 3,  # cut at the limit while reasoning
            "<solution>done</solution>",
        ],
        max_reply_tokens=19,
    )
    [events] = rig.turns("go")
    assert rig.executor.codes == ["print('outside')"]
    assert "held only reasoning" in observations(events)[1]
    assert isinstance(events[-1], ev.TurnFinished)
    rig.check_conversation()


def test_endless_repetition_is_stopped_early(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["I will fix it now. " * 400, "<solution>ok</solution>"])
    [events] = rig.turns("go")
    reply = next(e for e in events if isinstance(e, ev.AssistantMessage))
    assert reply.text.startswith("I will fix it now.") and len(reply.text) < 800  # not all 7,600 characters
    assert reply.text.endswith("[… the same text repeated until it was stopped]")
    assert "kept repeating the same text" in observations(events)[0]
    assert isinstance(events[-1], ev.TurnFinished)
    rig.check_conversation()


def test_same_failure_is_told_then_stops_the_turn_and_the_next_turn_works(tmp_path: Path) -> None:
    bad = "<execute>\n# fix it\ntools.replace_file('calc.py', 'a', 'b')\n</execute>"
    bad_again = "<execute>\ntools.replace_file('calc.py',   'a', 'b')  \n</execute>"  # same, spaced differently
    rig = Rig(tmp_path, [bad, bad_again, bad, "<solution>sorry</solution>"])
    first, second = rig.turns("fix calc", "try again")
    notes = observations(first)
    assert "NameError" in notes[0] and "Note:" not in notes[0]
    assert "you have now run this same code 2 times and it failed the same way" in notes[1]
    assert "NameError: name 'tools' is not defined" in notes[1]
    stopped = first[-1]
    assert isinstance(stopped, ev.TurnFailed) and stopped.kind == "stuck" and stopped.steps == 3
    assert "failed the same way" in stopped.message and "agent.stuck_after" in stopped.message
    assert isinstance(second[-1], ev.TurnFinished)  # a new turn starts afresh
    rig.check_conversation()


def test_identical_action_without_progress_stops(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["<execute>print('hello')</execute>"] * 3, stuck_after=3)
    [events] = rig.turns("go")
    assert "changed nothing" in observations(events)[1]
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "stuck"
    rig.check_conversation()


@pytest.mark.sandbox
def test_rewriting_a_file_with_what_it_holds_is_no_progress(tmp_path: Path) -> None:
    """The sandbox's mount reports the write, but the history sees no change: after the first write, each
    identical rewrite counts as an action that changed nothing, and the third one ends the turn."""
    write = "<execute>open('a.py', 'w').write('x = 1\\n')</execute>"
    rig = Rig(tmp_path, [write] * 4, stuck_after=3, sandbox=True)
    [events] = rig.turns("go")
    notes = observations(events)
    assert "a.py" in notes[0] and "changed nothing" not in notes[0]  # the first write is progress
    assert "Files written with the content they already had (nothing changed):\n- modified: a.py" in notes[1]
    assert "changed nothing" in notes[2]
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "stuck"
    rig.check_conversation()


@pytest.mark.sandbox
def test_writing_new_content_each_time_is_progress(tmp_path: Path) -> None:
    replies = [f"<execute>open('a.py', 'w').write('x = {n}\\n')</execute>" for n in range(3)] + ["<solution>done</solution>"]
    rig = Rig(tmp_path, replies, stuck_after=3, sandbox=True)
    [events] = rig.turns("go")
    assert isinstance(events[-1], ev.TurnFinished)


@pytest.mark.sandbox
def test_an_answer_before_saving_goes_back_and_the_quoted_save_action_saves_it(tmp_path: Path) -> None:
    """The model defines the function in the session and answers; the answer goes back with a
    save action, and that action, run as the model's next reply, saves the file for real."""
    from codeact_tui.core.unsaved import held_answer_note

    request = "Implement `leap_year` in leap.py."
    # Defines and calls: not an action that only defines, so nothing saves it on the model's behalf.
    define = "def leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\nprint(leap_year(2000))\n"
    note = held_answer_note(PromptLibrary(resource_dir("prompts")), define, request)
    save = note.split("```python\n", 1)[1].split("\n```", 1)[0]
    replies = [f"<execute>\n{define}</execute>", "<solution>Saved.</solution>", f"<execute>\n{save}\n</execute>", "<solution>Saved now.</solution>"]
    rig = Rig(tmp_path, replies, sandbox=True)
    (rig.project / "leap.py").write_text("def leap_year(year):\n    pass\n")
    [events] = rig.turns(request)
    assert [e.step for e in events if isinstance(e, ev.AnswerHeld)] == [2]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "Saved now."
    assert "year % 400 == 0" in (rig.project / "leap.py").read_text()
    [entry] = [e.entry for e in events if isinstance(e, ev.SnapshotTaken) and e.entry is not None]
    assert [c.path for c in entry.files] == ["leap.py"]
    rig.check_conversation()


@pytest.mark.sandbox
def test_a_reply_that_only_defines_the_named_files_function_saves_it(tmp_path: Path) -> None:
    """The function in a fenced block, as a small model answers a person: the action saves it
    into the file the request names (one history entry, undoable); a definition the file does not
    have is not written there, and the note says nothing was saved."""
    reply = "Here it is:\n```python\ndef leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n```"
    helper = "```python\ndef is_divisible(a, b):\n    return a % b == 0\n```"
    rig = Rig(tmp_path, [helper, reply, "<solution>done</solution>"], sandbox=True)
    (rig.project / "leap.py").write_text("def leap_year(year):\n    pass\n")
    [events] = rig.turns("Implement `leap_year` in leap.py.")
    proposed = [e.code for e in events if isinstance(e, ev.CodeProposed)]
    assert proposed[1].endswith(
        "# The request names leap.py: these definitions replace the ones of the same names there.\n"
        "print(write_definitions('leap.py', r\'\'\'def leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n\'\'\', existing_only=True))"
    )
    notes = observations(events)
    assert "leap.py: not saved (it has no is_divisible to replace" in notes[0] and "Note: no file changed" in notes[0]
    assert "leap.py: replaced leap_year" in notes[1] and "no file changed" not in notes[1]
    assert (rig.project / "leap.py").read_text() == "def leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
    [entry] = [e.entry for e in events if isinstance(e, ev.SnapshotTaken) and e.entry is not None]
    assert entry.files[0].path == "leap.py" and not [e for e in events if isinstance(e, ev.AnswerHeld)]
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer == "done"
    rig.check_conversation()


@pytest.mark.parametrize("stuck_after", [0, 5])
def test_stuck_detection_is_configurable(tmp_path: Path, stuck_after: int) -> None:
    rig = Rig(tmp_path, ["<execute>print('hello')</execute>"] * 4, stuck_after=stuck_after, max_turns=4)
    [events] = rig.turns("go")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "limit"
