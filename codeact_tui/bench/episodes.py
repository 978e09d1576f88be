"""One episode per task, in either mode.

- faithful: the paper's loop (`main.py` `run_task`): one user message, at most `max_turns` model
  replies, each handed to the benchmark's own harness in the sandbox; a wrong answer is told so
  and the episode continues.
- native: our own agent loop (`core.agent.Agent`) with the task's tools as globals of the
  sandbox session; its final answer goes through the same checker, and a wrong one is answered
  with the same message, within the same turn budget.

A model server failure makes the episode an `error` (not a failure), so `--resume` reruns it;
a server that refuses the request because the conversation outgrew the context window ends the
episode as a failure with `end_reason="context_limit"`, as the original harness counts it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

from ..conversation.compose import compose_agent
from ..core import events as ev
from ..core.agent import Agent, AgentOptions
from ..core.ports import ChatMessage, ChatModel, ExecutionResult, Executor, History, ModelError, TextChunk
from ..core.profiles import GENERIC, Profile
from ..core.prompts import PromptLibrary
from .catalog import TaskInfo
from .guest_task import CodeRunner, GuestError, GuestTask
from .lenient import lenient_match
from .overflow import is_context_overflow
from .records import EpisodeRecord

INCORRECT = (
    "Your answer is incorrect. Please try again. Note that you should ONLY output the answer "
    "(e.g., single number), without any other text."
)


@dataclass(frozen=True)
class EpisodeConfig:
    """What every episode of a run shares."""

    mode: str
    """`faithful` or `native`."""
    action: str
    """`code`, `json` or `text`."""
    model_name: str
    max_turns: int = 10
    action_timeout_s: float = 30.0
    profile: Profile = Profile(GENERIC)
    """The model profile of native episodes (its templates and stop sequences)."""


class _Answers:
    """Answers given during an episode, with both verdicts."""

    def __init__(self, task: TaskInfo) -> None:
        self.task = task
        self.items: list[dict[str, object]] = []

    def add(self, text: str, turn: int, faithful: bool) -> None:
        self.items.append({"turn": turn, "text": text, "faithful": faithful, "lenient": faithful or lenient_match(text, self.task.expected_repr)})

    def lenient(self, turns: int) -> tuple[bool, int]:
        for item in self.items:
            if item["lenient"]:
                return True, int(item["turn"])  # type: ignore[call-overload]
        return False, turns


async def complete(model: ChatModel, messages: Sequence[ChatMessage]) -> str:
    """One whole reply (no stop sequences, as in the original harness)."""
    parts: list[str] = []
    async with aclosing(model.stream(messages)) as stream:  # type: ignore[type-var]
        async for item in stream:
            if isinstance(item, TextChunk):
                parts.append(item.text)
    return "".join(parts)


def _record(task: TaskInfo, config: EpisodeConfig, **fields: object) -> EpisodeRecord:
    return EpisodeRecord(
        task_id=task.task_id,
        domain=task.domain,
        mode=config.mode,
        action=config.action if config.mode == "faithful" else "code",
        model=config.model_name,
        profile=config.profile.name if config.mode == "native" else "",
        expected=task.expected_repr,
        **fields,  # type: ignore[arg-type]
    )


def _error_record(
    task: TaskInfo, config: EpisodeConfig, exc: Exception, *, turns: int, answers: _Answers,
    guest: GuestTask, started: float, messages: list[dict[str, str]],
) -> EpisodeRecord:
    """An episode a model or sandbox failure cut short: an error, not a failure."""
    kind = "model" if isinstance(exc, ModelError) else "sandbox"
    return _record(
        task, config, outcome="error", turns=turns, end_reason=kind, error=f"{kind}: {exc}",
        answers=answers.items, session_resets=guest.session_resets,
        duration_s=time.monotonic() - started, messages=messages,
    )


def _outcome_record(
    task: TaskInfo, config: EpisodeConfig, *, correct: bool, end_reason: str, turns: int, answers: _Answers,
    guest: GuestTask, started: float, messages: list[dict[str, str]],
) -> EpisodeRecord:
    """An episode that ran to its end: correct or incorrect, with the lenient verdict beside it."""
    lenient, lenient_turns = answers.lenient(turns)
    return _record(
        task, config, outcome="correct" if correct else "incorrect", turns=turns,
        end_reason="correct" if correct else end_reason,
        lenient_correct=lenient or correct, lenient_turns=lenient_turns if lenient else turns,
        answers=answers.items, session_resets=guest.session_resets,
        duration_s=time.monotonic() - started, messages=messages,
    )


TurnCallback = Callable[[str, int], None]
"""Told (task id, turns so far) after every model reply, for progress."""


async def run_faithful(
    task: TaskInfo, model: ChatModel, runner: CodeRunner, config: EpisodeConfig, on_turn: TurnCallback | None = None
) -> EpisodeRecord:
    """The paper's loop on one task (see the module docstring)."""
    started = time.monotonic()
    guest = GuestTask(runner, task.task_id, config.action, action_timeout_s=config.action_timeout_s)
    messages: list[ChatMessage] = []
    answers = _Answers(task)
    turns, correct, end_reason = 0, False, "limit"
    try:
        await runner.start()
        messages.append(ChatMessage("user", await guest.load()))
        while not correct and turns < config.max_turns:
            try:
                generation = await complete(model, messages)
            except ModelError as exc:
                if not is_context_overflow(str(exc)):
                    raise
                end_reason = "context_limit"
                break
            result = await guest.turn(generation)
            messages.append(ChatMessage("assistant", result.reply))
            turns += 1
            if on_turn is not None:
                on_turn(task.task_id, turns)
            if result.kind == "answer" and result.answer is not None:
                answers.add(result.answer, turns, result.correct)
            correct = result.correct
            if correct:
                break
            if result.feedback is not None:
                messages.append(ChatMessage("user", result.feedback))
    except (ModelError, GuestError) as exc:
        return _error_record(
            task, config, exc, turns=turns, answers=answers, guest=guest, started=started, messages=_plain(messages)
        )
    finally:
        await runner.close()
    return _outcome_record(
        task, config, correct=correct, end_reason=end_reason, turns=turns, answers=answers, guest=guest,
        started=started, messages=_plain(messages),
    )


def _plain(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


# --- native mode ------------------------------------------------------------------------------


def native_prompt(task: TaskInfo) -> str:
    """The task for our own loop: the same tools (already defined in the session) and the same
    instruction; the answer in `<solution>`. The answer format is described without an example
    value: small models copied an example answer (`42`) verbatim as theirs."""
    lines = ["These Python functions are already defined in your session; call them from your code:"]
    for index, tool in enumerate(task.tools, 1):
        lines.append(f"[{index}] {tool.name}: {tool.description.strip()}")
        lines.append(f"    Signature: {tool.signature}")
    lines += [
        "",
        f"Task: {task.instruction.strip()}",
        "",
        (
            "When you have found the answer by calling these functions, reply with it alone between "
            "<solution> and </solution>: only the value the task asks for, in full (a number, a "
            "text or a list), with no other text inside the tags."
        ),
    ]
    return "\n".join(lines)


def bench_agent(
    model: ChatModel, executor: Executor, prompts: PromptLibrary, project: Path, *, max_turns: int, deadline_s: float,
    profile: Profile = Profile(GENERIC), repo_map: str | None = None, code_tools: bool = False,
    history: History | None = None, tests_in_turn: bool = True,
) -> Agent:
    """Our agent as the benchmarks drive it: the product's system prompt for `project` (with the
    repo map and the code tools when the benchmark gives them, as a conversation does), the
    history when the benchmark keeps one (its stuck check then knows a rewrite that changed no
    content), the benchmark's reply budget and deadline, the
    model profile's stop sequences and sampling (its templates are in `prompts`; the settings'
    values, e.g. the benchmark's temperature 0, still win at the backend, except that after a
    repeat the turn is sampled at `AgentOptions.retry_temperature` as a user's is).
    `tests_in_turn` False where the harness runs the tests only after the answer: the agent
    then neither runs them after a change, nor sends an answer back for not running them, nor
    starts over."""
    return compose_agent(
        model=model, executor=executor, prompts=prompts, project=project, repo_map=repo_map, code_tools=code_tools,
        history=history,
        options=AgentOptions(
            max_turns=max_turns, deadline_s=deadline_s, stop=profile.stop, sampling=profile.sampling,
            hold_untested=tests_in_turn, auto_test=tests_in_turn,
            fresh_attempts=AgentOptions.fresh_attempts if tests_in_turn else 0,
        ),
    )


class ReloadingRunner:
    """The executor for our agent in a benchmark session: when an action resets the session
    (deadline), what the benchmark put into it (the task's tools, the test runner) is loaded
    again by `reload` before the agent goes on."""

    def __init__(self, runner: CodeRunner, reload: Callable[[], Awaitable[object]]) -> None:
        self._runner = runner
        self._reload = reload

    async def run(self, code: str, *, on_output: object = None, deadline_s: float | None = None) -> ExecutionResult:
        result = await self._runner.run(code, on_output=on_output, deadline_s=deadline_s)
        if result.state_reset:
            await self._reload()
        return result

    def interrupt(self) -> None:
        interrupt = getattr(self._runner, "interrupt", None)
        if interrupt is not None:
            interrupt()

    async def close(self) -> None:
        pass


async def run_native(
    task: TaskInfo,
    model: ChatModel,
    runner: CodeRunner,
    config: EpisodeConfig,
    prompts: PromptLibrary,
    workdir: Path,
    on_turn: TurnCallback | None = None,
) -> EpisodeRecord:
    """Our own agent loop on one task (see the module docstring)."""
    started = time.monotonic()
    guest = GuestTask(runner, task.task_id, "code", action_timeout_s=config.action_timeout_s)
    answers = _Answers(task)
    turns, correct, end_reason, agent = 0, False, "limit", None
    try:
        await runner.start()
        await guest.load()
        await guest.expose_tools()
        executor = ReloadingRunner(runner, guest.recover)
        text = native_prompt(task)
        while not correct and turns < config.max_turns:
            options = AgentOptions(max_turns=config.max_turns - turns, deadline_s=config.action_timeout_s, stop=config.profile.stop, sampling=config.profile.sampling)
            agent = compose_agent(
                model=model, executor=executor, prompts=prompts, project=workdir,
                options=options, resume=agent.messages if agent is not None else (),
            )
            final: ev.TurnFinished | ev.TurnFailed | None = None
            replied = 0  # replies that arrived (a failed request is not one)
            async with aclosing(agent.run_turn(text)) as events:
                async for event in events:
                    if isinstance(event, (ev.TurnFinished, ev.TurnFailed)):
                        final = event
                    elif isinstance(event, ev.AssistantMessage):
                        replied = event.step
                        if on_turn is not None:
                            on_turn(task.task_id, turns + event.step)
            assert final is not None
            turns += replied
            if isinstance(final, ev.TurnFailed):
                if final.kind == "model" and is_context_overflow(final.message):
                    end_reason = "context_limit"
                    break
                if final.kind in ("model", "setup", "executor"):
                    raise GuestError(final.message) if final.kind == "executor" else ModelError(final.message)
                end_reason = "context_limit" if "context window" in final.message else "limit"
                break
            correct = await guest.check(final.answer)
            answers.add(final.answer, turns, correct)
            text = INCORRECT
    except (ModelError, GuestError) as exc:
        return _error_record(
            task, config, exc, turns=turns, answers=answers, guest=guest, started=started,
            messages=_conversation(agent),
        )
    finally:
        await runner.close()
    return _outcome_record(
        task, config, correct=correct, end_reason=end_reason, turns=turns, answers=answers, guest=guest,
        started=started, messages=_conversation(agent),
    )


def _conversation(agent: Agent | None) -> list[dict[str, str]]:
    if agent is None:
        return []
    return [{"role": m.role, "content": m.content} for m in agent.messages]
