"""One exercise per episode, in a fresh temporary project and a fresh sandbox session.

- `oracle`: the reference solution (`.meta/example.py`) is the solution; no model.
- `aider`: aider's Exercism protocol with our agent as the solver. The project holds only the
  stub; the request is the instructions, aider's addendum and the stub. When the agent has
  answered, the harness runs the tests; if they fail, one more request carries their output cut
  as aider cuts it. pass@1 and pass@2.
- `native`: our agent in the exercise folder with the test file present, the instructions as the
  request, and what a user's conversation gives the model: the repo map of the folder in the
  system prompt (so the stub's function names and signatures are seen), the code tools and the
  product's own `run_tests()` in its session; within the reply budget.

Every verdict comes from the pristine test files run on a copy of the solution (`verdict.judge`).
A model server failure makes the episode an `error` (rerun by `--resume`); a refusal because the
conversation outgrew the context window ends the attempts, and the solution written so far is
judged.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, aclosing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...config import CodeIntelSettings
from ...core import events as ev
from ...conversation.named_files import read_named_files
from ...core.actions import parse_reply
from ...core.agent import Agent
from ...core.briefing import compose_user_message, named_files_note
from ...core.ports import ChatModel, ModelError
from ...core.profiles import GENERIC, Profile
from ...core.prompts import PromptLibrary
from ...core.test_runs import last_test_run
from ...history import HistoryStore
from ...wiring import repo_map_text
from ..episodes import ReloadingRunner, TurnCallback, bench_agent
from ..guest_task import GuestError
from ..overflow import is_context_overflow
from ..records import EpisodeRecord
from . import prompts as text
from .exercises import Exercise
from .verdict import TIMED_OUT, ProjectRunner, TestReport, aider_cut, judge

DOMAIN = "exercism"
_OWN_UNITTEST_RUN = re.compile(r"^Ran \d+ tests? in \d", re.MULTILINE)
"""A unittest report of the model's own run. The product's `run_tests()` summary (printed, or
echoed in quotes as a bare call's value) is read by `core.test_runs.last_test_run`; matching
the code instead would count a model that defines a fake `run_tests` of its own."""


@dataclass(frozen=True)
class ExercismConfig:
    """What every episode of a run shares."""

    protocol: str
    """`aider`, `native` or `oracle`."""
    model_name: str
    max_turns: int = 10
    """Model replies per request (native: for the whole exercise; aider: per attempt)."""
    tries: int = 2
    """Attempts in the aider protocol (aider's harness: 2)."""
    action_timeout_s: float = 60.0
    test_timeout_s: float = 60.0
    """For the pristine tests (aider's harness: 60 s)."""
    profile: Profile = field(default_factory=lambda: Profile(GENERIC))
    """The model profile our agent speaks with (its templates and stop sequences)."""
    code_intel: CodeIntelSettings | None = None
    """Native protocol: the repo map (within its `map_tokens`) and the code tools, as a user's
    conversation has them; None gives neither. The aider protocol never has them: aider's
    harness shows the stub in the request and has no repository to map."""


@dataclass
class _Tally:
    """What the agent did during one request."""

    replies: int = 0
    actions: int = 0
    solutions: int = 0
    test_runs: int = 0
    agent_test_runs: int = 0
    fresh_attempts: int = 0
    failure: ev.TurnFailed | None = None

    @property
    def malformed(self) -> int:
        return max(0, self.replies - self.actions - self.solutions)


@dataclass
class _Episode:
    """The running totals of one episode, turned into its record at the end."""

    exercise: Exercise
    config: ExercismConfig
    started: float = field(default_factory=time.monotonic)
    replies: int = 0
    test_runs: int = 0
    agent_test_runs: int = 0
    fresh_attempts: int = 0
    malformed: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def add(self, tally: _Tally) -> None:
        self.replies += tally.replies
        self.test_runs += tally.test_runs
        self.agent_test_runs += tally.agent_test_runs
        self.fresh_attempts += tally.fresh_attempts
        self.malformed += tally.malformed

    def judged(self, report: TestReport, replies: int) -> None:
        self.attempts.append({
            "attempt": len(self.attempts) + 1,
            "replies": replies,
            **{k: v for k, v in asdict(report).items() if k != "output"},
            "output": TIMED_OUT if report.timed_out else aider_cut(report.output, self.exercise.slug),
        })

    def record(self, *, outcome: str, end_reason: str, error: str = "", messages: list[dict[str, str]] | None = None) -> EpisodeRecord:
        return EpisodeRecord(
            task_id=self.exercise.slug, domain=DOMAIN, mode=self.config.protocol, action="code",
            model=self.config.model_name, outcome=outcome,  # type: ignore[arg-type]
            profile="" if self.config.protocol == "oracle" else self.config.profile.name,
            turns=self.replies, end_reason=end_reason, error=error,
            duration_s=time.monotonic() - self.started, messages=messages or [],
            attempts=self.attempts, tests_run_by_model=self.test_runs, malformed_replies=self.malformed,
            tests_run_by_agent=self.agent_test_runs, fresh_attempts=self.fresh_attempts,
        )

    def finish(self, end_reason: str, messages: list[dict[str, str]]) -> EpisodeRecord:
        passed = bool(self.attempts) and bool(self.attempts[-1]["passed"])
        return self.record(outcome="correct" if passed else "incorrect", end_reason="correct" if passed else end_reason, messages=messages)


def make_project(exercise: Exercise, root: Path, *, with_tests: bool) -> Path:
    """The solver's folder `root/<slug>`: the stubs, and the tests (with their helpers) when asked."""
    project = root / exercise.slug
    project.mkdir(parents=True)
    for name in exercise.solution_files + (exercise.test_files if with_tests else ()):
        target = project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exercise.folder / name, target)
    return project


def _conversation(agent: Agent | None) -> list[dict[str, str]]:
    return [] if agent is None else [{"role": m.role, "content": m.content} for m in agent.messages]


async def _request(agent: Agent, request: str, on_reply: Callable[[int], None]) -> _Tally:
    """One user request to the agent, tallied."""
    tally = _Tally()
    last_reply = ""
    async with aclosing(agent.run_turn(request)) as events:
        async for event in events:
            if isinstance(event, ev.AssistantMessage):
                tally.replies = event.step
                last_reply = event.text
                on_reply(event.step)
            elif isinstance(event, (ev.AnswerHeld, ev.StartedOver)):  # a tagged answer sent back or started over is well formed
                tally.solutions += parse_reply(last_reply).kind == "solution"
                tally.fresh_attempts += isinstance(event, ev.StartedOver)
            elif isinstance(event, ev.CodeProposed):
                tally.actions += 1
            elif isinstance(event, ev.TestsFinished):
                tally.agent_test_runs += 1
            elif isinstance(event, ev.ExecutionFinished):  # the model's own actions, not the agent's test runs
                output = f"{event.result.stdout}\n{event.result.stderr}"
                tally.test_runs += last_test_run(output) is not None or bool(_OWN_UNITTEST_RUN.search(output))
            elif isinstance(event, ev.TurnFinished):
                tally.solutions += event.reason == "solution"
            elif isinstance(event, ev.TurnFailed):
                tally.failure = event
    return tally


def _failure_reason(tally: _Tally) -> str | None:
    """None when the request ended with an answer; else the end reason (`limit`,
    `context_limit`, `stuck`). Raises for failures that make the episode an error."""
    failure = tally.failure
    if failure is None:
        return None
    if failure.kind == "model" and is_context_overflow(failure.message):
        return "context_limit"
    if failure.kind == "limit":
        return "context_limit" if "context window" in failure.message else "limit"
    if failure.kind == "stuck":
        return "stuck"  # the agent ended the request: the model repeated itself
    if failure.kind == "executor":
        raise GuestError(failure.message)
    raise ModelError(failure.message)


async def run_oracle(exercise: Exercise, config: ExercismConfig, make_runner: ProjectRunner) -> EpisodeRecord:
    """The reference solution through the same verdict as a model's."""
    episode = _Episode(exercise, config)
    if len(exercise.example_files) != len(exercise.solution_files):
        return episode.record(outcome="error", end_reason="setup", error=f"setup: {exercise.slug} lists {len(exercise.example_files)} reference file(s) for {len(exercise.solution_files)} stub(s)")
    with tempfile.TemporaryDirectory(prefix="exercism-") as scratch:
        project = make_project(exercise, Path(scratch), with_tests=False)
        for example, stub in zip(exercise.example_files, exercise.solution_files):
            shutil.copyfile(exercise.folder / example, project / stub)
        report = await judge(exercise, project, make_runner, config.test_timeout_s)
    episode.judged(report, 0)
    return episode.finish("tests_failed", [])


async def _nothing_to_reload() -> None:
    """The sandbox puts its helpers (`run_tests()` among them) back into a restarted session itself."""


async def _solve(
    exercise: Exercise,
    model: ChatModel,
    config: ExercismConfig,
    prompts: PromptLibrary,
    make_runner: ProjectRunner,
    on_turn: TurnCallback | None,
) -> EpisodeRecord:
    native = config.protocol == "native"
    episode = _Episode(exercise, config)
    agent: Agent | None = None
    with tempfile.TemporaryDirectory(prefix="exercism-") as scratch, ExitStack() as stack:
        project = make_project(exercise, Path(scratch), with_tests=native)
        # Native episodes keep a history, as a user's session does (beside the project, not in it).
        history = (
            stack.enter_context(await asyncio.to_thread(HistoryStore.open, project, store_dir=Path(scratch) / ".history"))
            if native else None
        )
        code_intel = config.code_intel if native else None
        runner = make_runner(project, code_intel)

        def on_reply(step: int) -> None:
            if on_turn is not None:
                on_turn(exercise.slug, episode.replies + step)

        end_reason = "tests_failed"
        try:
            await runner.start()
            repo_map = None if code_intel is None else await asyncio.to_thread(repo_map_text, project, code_intel, code_intel.map_tokens)
            agent = bench_agent(
                model, ReloadingRunner(runner, _nothing_to_reload), prompts, project,
                max_turns=config.max_turns, deadline_s=config.action_timeout_s, profile=config.profile,
                repo_map=repo_map, code_tools=code_intel is not None, history=history,
                tests_in_turn=native,  # in aider's protocol the harness tests after the answer
            )
            instructions = exercise.instructions()
            if native:
                # As a user's turn has it: the named stub quoted ahead of the request.
                request = text.native_request(instructions, exercise.solution_files, exercise.test_files)
                named = named_files_note(prompts, await asyncio.to_thread(read_named_files, project, request))
                requests = [compose_user_message(named, request)]
            else:
                requests = [text.aider_first(instructions, project, exercise.solution_files)]
            tries = 1 if native else config.tries
            for attempt in range(tries):
                tally = await _request(agent, requests[attempt], on_reply)
                episode.add(tally)
                reason = _failure_reason(tally)
                report = await judge(exercise, project, make_runner, config.test_timeout_s)
                episode.judged(report, tally.replies)
                if report.passed:
                    break
                end_reason = reason or "tests_failed"
                if reason == "context_limit":
                    break
                cut = TIMED_OUT if report.timed_out else aider_cut(report.output, exercise.slug)
                requests.append(text.aider_retry(cut, exercise.solution_files))
        except (ModelError, GuestError) as exc:
            kind = "model" if isinstance(exc, ModelError) else "sandbox"
            return episode.record(outcome="error", end_reason=kind, error=f"{kind}: {exc}", messages=_conversation(agent))
        finally:
            await runner.close()
    return episode.finish(end_reason, _conversation(agent))


async def run_exercise(
    exercise: Exercise,
    model: ChatModel | None,
    config: ExercismConfig,
    prompts: PromptLibrary,
    make_runner: ProjectRunner,
    on_turn: TurnCallback | None = None,
) -> EpisodeRecord:
    """One episode of the configured protocol."""
    if config.protocol == "oracle":
        return await run_oracle(exercise, config, make_runner)
    assert model is not None
    return await _solve(exercise, model, config, prompts, make_runner, on_turn)
