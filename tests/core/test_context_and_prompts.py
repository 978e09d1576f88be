"""Observations, prompts, context accounting and compaction, transcripts."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from fakes.executor import TrivialExecutor
from fakes.turns import run_turn

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent
from codeact_tui.core.briefing import compose_user_message
from codeact_tui.core.context import ContextBudget, ConversationMessage, estimate_tokens, reply_reserve
from codeact_tui.core.observations import clip_lines, format_observation
from codeact_tui.core.ports import ExecutionResult, FileChange
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.core.transcript import Transcript, TranscriptError, find_transcript, list_transcripts, load_messages
from codeact_tui.llm.scripted import ScriptedModel

# --- observations -----------------------------------------------------------------------------


def test_clip_keeps_head_and_tail_with_count() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 101))
    clipped = clip_lines(text, 12)
    lines = clipped.text.splitlines()
    assert clipped.omitted_lines == 88
    assert lines[0] == "line 1" and lines[-1] == "line 100"
    assert "[… 88 lines omitted …]" in lines
    assert len(lines) == 13


def test_clip_cuts_long_lines() -> None:
    clipped = clip_lines("x" * 2000, 10, max_line_chars=100)
    assert clipped.text.startswith("x" * 100) and "1900 more characters" in clipped.text


def test_short_text_is_unchanged() -> None:
    assert clip_lines("a\nb", 10).text == "a\nb"


def test_observation_of_failure(prompts: PromptLibrary) -> None:
    result = ExecutionResult(
        "partial\n",
        "Traceback (most recent call last):\nZeroDivisionError: division by zero\n",
        "error",
        1,
        changed_files=(FileChange("out.csv", "added"), FileChange("b.py", "renamed", "a.py")),
        truncated=("stdout",),
        warnings=("wrote 300 MiB",),
    )
    text = format_observation(result, prompts, max_lines=40)
    assert text.startswith("Observation: the code failed")
    assert "stdout:\npartial" in text and "ZeroDivisionError" in text
    assert "- added: out.csv" in text and "- renamed: a.py → b.py" in text
    assert "passed the sandbox's output limit" in text and "Warning: wrote 300 MiB" in text


def test_observation_of_stop_and_reset(prompts: PromptLibrary) -> None:
    result = ExecutionResult("", "", "stopped", None, stopped_by="deadline", state_reset=True)
    text = format_observation(result, prompts)
    assert "stopped by deadline" in text and "(no output)" in text and "variables and imports are gone" in text
    restored = ExecutionResult("", "", "stopped", None, stopped_by="interrupt", state_reset=True, restored_names=("df", "np"))
    text = format_observation(restored, prompts)
    assert "the variables from before this action are back (df, np); what this action defined is gone" in text
    assert "variables and imports are gone" not in text


def test_long_traceback_keeps_its_end(prompts: PromptLibrary) -> None:
    stderr = "\n".join(f'  File "x.py", line {i}, in f' for i in range(500)) + "\nRecursionError: too deep"
    text = format_observation(ExecutionResult("", stderr, "error", 1), prompts, max_lines=30)
    assert text.rstrip().endswith("RecursionError: too deep") and "lines omitted" in text


# --- prompts ----------------------------------------------------------------------------------


def test_system_prompt_has_format_instructions_and_map(prompts: PromptLibrary, project: Path) -> None:
    (project / "AGENTS.md").write_text("Use tabs. Never touch vendor/.")
    text = build_system_prompt(prompts, project=project, repo_map="src/app.py\n  def main()")
    assert "<execute>" in text and "<solution>" in text
    assert "Use tabs. Never touch vendor/." in text and "(from `AGENTS.md`)" in text
    assert "## Repository map" in text and "def main()" in text
    assert "$" not in text.replace("$ ", "")  # every placeholder filled


def test_system_prompt_without_optional_sections(prompts: PromptLibrary, project: Path) -> None:
    text = build_system_prompt(prompts, project=project, instructions_file="NOPE.md")
    assert "Project instructions" not in text and "Repository map" not in text


def test_sandbox_helpers_doc_is_included_when_present(tmp_path: Path, prompts: PromptLibrary, project: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for path in prompts.directory.glob("*.md"):
        (folder / path.name).write_text(path.read_text())
    (folder / "sandbox_helpers.md").write_text("- `view_file(path)` shows a file with line numbers")
    text = build_system_prompt(PromptLibrary(folder), project=project)
    assert "## Functions" in text and "view_file(path)" in text


def test_every_shipped_template_is_used_by_code(prompts: PromptLibrary) -> None:
    source = "".join(p.read_text() for p in (Path(__file__).parents[2] / "codeact_tui" / "core").glob("*.py"))
    for template in prompts.directory.glob("*.md"):
        if template.name != "sandbox_helpers.md":
            assert f'"{template.name}"' in source, f"{template.name} is never used"


# --- context ----------------------------------------------------------------------------------


def test_budget_uses_the_larger_of_estimate_and_server_count() -> None:
    budget = ContextBudget(8192, estimate_tokens, reserve=1024)
    messages = [ConversationMessage("system", "s" * 350, "system"), ConversationMessage("user", "u" * 35, "user")]
    assert budget.used(messages) == 100 + 10 + 8
    budget.record_server_count(messages, prompt_tokens=500, completion_tokens=20)
    assert budget.used(messages) == 520
    grown = [*messages, ConversationMessage("user", "x" * 35, "observation")]
    assert budget.used(grown) == 520 + 14


def test_compaction_shortens_old_outputs_first(prompts: PromptLibrary) -> None:
    budget = ContextBudget(20000, estimate_tokens, reserve=500)
    big_output = "\n".join(f"row {i}: " + "v" * 40 for i in range(300))
    messages = [ConversationMessage("system", "system prompt", "system"), ConversationMessage("user", "task", "user")]
    for i in range(5):
        messages.append(ConversationMessage("assistant", f"<execute>\nprint_rows({i})\n</execute>", "assistant"))
        messages.append(ConversationMessage("user", big_output, "observation"))
    assert budget.needs_compaction(messages)
    result = budget.compact(messages, prompts)
    assert result.after_tokens < result.before_tokens and result.shortened >= 1
    kept_code = [m.content for m in result.messages if m.kind == "assistant"]
    assert all("print_rows" in c for c in kept_code)
    assert result.messages[0].kind == "system"
    assert result.messages[-1].content == big_output  # the newest output is untouched
    assert any("older output shortened" in m.content for m in result.messages)


def test_compaction_removes_oldest_when_shortening_is_not_enough(prompts: PromptLibrary) -> None:
    budget = ContextBudget(2000, estimate_tokens, reserve=200)
    messages = [ConversationMessage("system", "sys", "system")]
    for i in range(40):
        messages.append(ConversationMessage("user", f"question {i} " + "q" * 200, "user"))
        messages.append(ConversationMessage("assistant", f"answer {i} " + "a" * 200, "assistant"))
    result = budget.compact(messages, prompts)
    assert result.removed > 0
    assert result.messages[0].kind == "system" and result.messages[1].kind == "note"
    assert "earlier messages were removed" in result.messages[1].content
    assert result.messages[-1].content.startswith("answer 39")
    assert any(m.content.startswith("question 39") for m in result.messages)  # the current task stays
    assert budget.fits(result.messages)


def _long_conversation(budget: ContextBudget, prompts: PromptLibrary, requests: int) -> tuple[int, list[list[ConversationMessage]], list[list[ConversationMessage]]]:
    """Drive a scripted conversation through the budget as the agent does (before every
    request, compact when it says so): a ~770-token system prompt; each user turn is an action
    with output of varying length, then a short answer. Returns the compactions, every
    request's messages, and what was added to the conversation just before each request."""
    rnd = random.Random(7)
    messages = [ConversationMessage("system", "s" * 2700, "system")]
    sent: list[list[ConversationMessage]] = []
    added: list[list[ConversationMessage]] = []
    compactions = 0
    new: list[ConversationMessage] = []

    def request() -> None:
        nonlocal messages, compactions
        if budget.needs_compaction(messages):
            messages = budget.compact(messages, prompts).messages
            compactions += 1
        sent.append(list(messages))
        added.append(list(new))
        new.clear()

    def add(message: ConversationMessage) -> None:
        messages.append(message)
        new.append(message)

    turn = 0
    while len(sent) < requests:
        turn += 1
        add(ConversationMessage("user", f"task {turn} " + "t" * 60, "user"))
        request()
        add(ConversationMessage("assistant", f"<execute>step({turn})</execute>" + "a" * rnd.randint(100, 500), "assistant"))
        add(ConversationMessage("user", f"out {turn}\n" + "\n".join("o" * 50 for _ in range(rnd.randint(2, 25))), "observation"))
        request()
        add(ConversationMessage("assistant", f"done {turn} " + "d" * rnd.randint(20, 200), "assistant"))
    return compactions, sent, added


@pytest.mark.parametrize(("window", "reserve", "most"), [(2048, None, 27), (4096, None, 7), (8192, None, 2)])
def test_compaction_cuts_rarely_and_keeps_the_invariants(prompts: PromptLibrary, window: int, reserve: int | None, most: int) -> None:
    budget = ContextBudget(window, estimate_tokens, reserve)
    compactions, sent, added = _long_conversation(budget, prompts, 60)
    # The old policy (cut to 60 % of the limit, never removing the 4 newest) cut 32 / 10 / 4 times.
    assert 0 < compactions <= most
    extensions = 0
    for previous, request, new in zip(sent, sent[1:], added[1:]):
        assert budget.fits(request)  # never over the window minus the reply reserve
        assert request[0].kind == "system" and request[0].content == "s" * 2700
        for before, message in itertools.pairwise(request):  # an observation never without its action
            if message.kind == "observation":
                assert before.kind == "assistant" and message.content.split()[1] == before.content.split("(")[1].split(")")[0]
        if request[: len(previous)] == previous:
            extensions += 1
            continue
        # A cut: the current task and what came since the last request are kept whole.
        assert request[-len(new) :] == new
        task = next(m for m in reversed(previous + new) if m.kind == "user")
        assert task in request
        assert [m.kind for m in request].count("note") == 1 and request[1].kind == "note"
    assert extensions == len(sent) - 1 - compactions  # every other request extends the one before


def test_compaction_note_and_head_stay_byte_identical_across_cuts(prompts: PromptLibrary) -> None:
    budget = ContextBudget(2048, estimate_tokens)
    _, sent, _ = _long_conversation(budget, prompts, 40)
    cut = [r for r in sent if any(m.kind == "note" for m in r)]
    assert len(cut) > 2
    assert len({(r[0].content, r[1].content) for r in cut}) == 1  # the server's cache keeps them


def test_compaction_keeps_the_recent_messages_when_there_is_room(prompts: PromptLibrary) -> None:
    budget = ContextBudget(20000, estimate_tokens, reserve=500)
    messages = [ConversationMessage("system", "sys", "system"), ConversationMessage("user", "task", "user")]
    for i in range(60):
        messages.append(ConversationMessage("assistant", f"<execute>a({i})</execute>" + "a" * 400, "assistant"))
        messages.append(ConversationMessage("user", f"result {i} " + "r" * 400, "observation"))
    result = budget.compact(messages, prompts)
    assert result.messages[-4:] == messages[-4:]  # untouched
    assert result.removed % 2 == 0 and result.removed > 0  # whole pairs
    assert result.messages[:3] == [messages[0], result.messages[1], messages[1]]
    assert result.messages[3].kind == "assistant"
    # Cut well below the high mark: many requests' worth of room before the next cut.
    assert result.after_tokens < budget.limit * 0.5


def test_reply_reserve_follows_a_capped_reply() -> None:
    assert reply_reserve(2048) == 512 and reply_reserve(2048, 160) == 160
    assert reply_reserve(65536) == 4096 and reply_reserve(65536, 8192) == 4096 and reply_reserve(8192, 0) == 2048


def test_agent_compacts_a_long_session_and_reports_usage(prompts: PromptLibrary) -> None:
    long_output = "\n".join("data " * 20 for _ in range(400))
    replies = [f"<execute>print_all({i})</execute>" for i in range(8)] + ["<solution>done</solution>"]
    model = ScriptedModel(replies, context_window=6000)
    agent = Agent(model=model, executor=TrivialExecutor(long_output), history=None, prompts=prompts, system_prompt="sys")
    events = run_turn(agent, "go")
    usages = [e for e in events if isinstance(e, ev.ContextUsage)]
    assert len(usages) == 9  # one before every request
    assert all(u.window == 6000 for u in usages)
    assert any(isinstance(e, ev.ContextCompacted) for e in events)
    assert all(u.used_tokens <= 6000 - 1500 for u in usages)  # never past the window minus reserve
    assert all(any(m.content == "go" for m in request) for request in model.requests)  # the task is kept
    assert isinstance(events[-1], ev.TurnFinished)


def test_conversation_too_big_for_window_fails_clearly(prompts: PromptLibrary) -> None:
    model = ScriptedModel(["<solution>x</solution>"], context_window=1000)
    agent = Agent(model=model, executor=TrivialExecutor(), history=None, prompts=prompts, system_prompt="s" * 10_000)
    events = run_turn(agent, "hi")
    assert isinstance(events[-1], ev.TurnFailed) and events[-1].kind == "limit"
    assert "context window is 1000" in events[-1].message and model.requests == []


# --- transcripts ------------------------------------------------------------------------------


def test_transcript_survives_a_torn_last_line(tmp_path: Path) -> None:
    transcript = Transcript.create(tmp_path, project="p", model="m")
    transcript.add_message(ConversationMessage("system", "sys", "system"))
    transcript.add_message(ConversationMessage("user", "hello", "user", "t/1"))
    transcript.close()
    with transcript.path.open("a") as f:
        f.write('{"type": "message", "role": "assis')
    messages = load_messages(transcript.path)
    assert [m.content for m in messages] == ["sys", "hello"]


def test_compaction_record_replaces_history(tmp_path: Path) -> None:
    transcript = Transcript.create(tmp_path)
    transcript.add_message(ConversationMessage("user", "old", "user"))
    transcript.add_compaction([ConversationMessage("system", "sys", "system"), ConversationMessage("user", "new", "note")])
    transcript.add_message(ConversationMessage("user", "after", "user"))
    transcript.close()
    assert [m.content for m in load_messages(transcript.path)] == ["sys", "new", "after"]
    assert all(json.loads(line)["type"] for line in transcript.path.read_text().splitlines())


def test_find_transcript_latest_and_by_prefix(tmp_path: Path) -> None:
    first = Transcript.create(tmp_path)
    first.add_message(ConversationMessage("user", "first task", "user"))
    first.close()
    second = Transcript.create(tmp_path)
    second.add_message(ConversationMessage("user", "second task", "user"))
    second.close()
    untouched = Transcript.create(tmp_path)  # the app was opened and closed: nothing happened in it
    untouched.add_message(ConversationMessage("system", "the system prompt", "system"))
    untouched.close()
    infos = list_transcripts(tmp_path)
    assert len(infos) == 2 and untouched.id not in {i.id for i in infos}
    assert len(list_transcripts(tmp_path, include_empty=True)) == 3
    assert find_transcript(tmp_path, first.id) == first.path
    assert find_transcript(tmp_path, untouched.id) == untouched.path  # by its id it is still found
    assert find_transcript(tmp_path) in (first.path, second.path)
    assert next(i for i in infos if i.id == first.id).title == "first task"
    with pytest.raises(TranscriptError):
        find_transcript(tmp_path / "none")
    with pytest.raises(TranscriptError, match="no conversation matches"):
        find_transcript(tmp_path, "zzz")


def test_a_listed_title_is_the_users_request_and_a_branch_says_where_it_was_rewound(tmp_path: Path) -> None:
    briefed = Transcript.create(tmp_path)
    briefed.add_message(ConversationMessage("user", compose_user_message("You changed calc.py since.", "fix add\nplease"), "user"))
    briefed.close()
    branch = Transcript.create(tmp_path)
    branch.append({"type": "branch", "from": briefed.id, "turn": 3})
    branch.append({"type": "branch", "from": "older", "turn": 5})  # copied from the conversation it came from
    branch.add_message(ConversationMessage("user", "fix add", "user"))
    branch.close()
    empty_branch = Transcript.create(tmp_path)
    empty_branch.append({"type": "branch", "from": briefed.id, "turn": 1})
    empty_branch.close()
    orphan = Transcript.create(tmp_path)  # the conversation it came from was deleted
    orphan.append({"type": "branch", "from": "gone", "turn": 1})
    orphan.close()
    titles = {info.id: info.title for info in list_transcripts(tmp_path)}
    assert titles == {
        briefed.id: "fix add",
        branch.id: "fix add (rewound to before turn 3)",
        empty_branch.id: "fix add (rewound to before turn 1)",  # no request of its own: its parent's
        orphan.id: "(rewound to before turn 1)",
    }


def test_a_conversation_of_manual_actions_only_is_titled_by_its_first_code(tmp_path: Path) -> None:
    manual_only = Transcript.create(tmp_path)
    manual_only.append({"type": "action", "turn_id": "manual-1", "step": 0, "code": "\n# look\nprint(open('a').read())\n", "manual": True})
    manual_only.append({"type": "action", "turn_id": "manual-2", "step": 0, "code": "x = 2", "manual": True})
    manual_only.close()
    then_asked = Transcript.create(tmp_path)  # a request after the user's own code names the conversation
    then_asked.append({"type": "action", "turn_id": "manual-1", "step": 0, "code": "x = 1", "manual": True})
    then_asked.add_message(ConversationMessage("user", "fix add", "user"))
    then_asked.close()
    titles = {info.id: info.title for info in list_transcripts(tmp_path)}
    assert titles == {manual_only.id: "manual: # look", then_asked.id: "fix add"}


def test_latest_is_the_most_recently_active(tmp_path: Path) -> None:
    import os

    older = Transcript.create(tmp_path)
    older.add_message(ConversationMessage("user", "first", "user"))
    older.close()
    newer = Transcript.create(tmp_path)
    newer.add_message(ConversationMessage("user", "second", "user"))
    newer.close()
    os.utime(older.path, ns=(1, 1))
    assert find_transcript(tmp_path) == newer.path
    resumed = Transcript.open(older.path)
    resumed.add_message(ConversationMessage("user", "again", "user"))
    resumed.close()
    assert find_transcript(tmp_path) == older.path
