"""The CodeAct loop: model → parse → (approve) → snapshot → execute → snapshot → observe.

`Agent.run_turn(text)` is an async generator of events (`core.events`); the UI and the headless
`run` command consume it. One turn runs until the model answers (`<solution>` or a reply without
code), the step limit, an error or an interrupt. Every action goes through the history service
(entry kind `agent`, linked to the turn id), and the conversation is appended to a JSONL
transcript as it happens, so a failing turn leaves it intact.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Literal

from . import events as ev
from .actions import STOP_SEQUENCES, ParsedReply, action_complete, parse_reply, repetition_start, summarize_code
from .live_run import run_with_live_output
from .briefing import user_request
from .context import ContextBudget, ConversationMessage
from .observations import (
    Ignored,
    NotRunReason,
    format_auto_tests,
    format_declined,
    format_not_run,
    format_observation,
    quoted_paths,
    repeat_note,
    test_report,
)
from .ports import (
    ActionTicket,
    ChatModel,
    ExecutionResult,
    Executor,
    GenerationDone,
    GenerationStats,
    History,
    HistoryEntry,
    ModelError,
    ModelInfo,
    ModelSetupError,
    PreviewNotApplied,
    PreviewRun,
    Sampling,
    TextChunk,
)
from .progress import ProgressTracker, Repeat
from .prompts import PromptLibrary
from .test_runs import TestsHold, TurnTests, last_test_run, passed_count, summary_line
from .transcript import Transcript, action_record, skipped_record, tests_record
from .unsaved import before_the_cut, held_answer_note, named_files, unsaved_note, with_save, without_definitions

ApproveMode = Literal["auto", "ask", "plan", "preview"]
_DONE = object()
PREVIEW_DISCARDED = "discarded after preview"
"""The skip reason the model is told when the user discards a previewed action."""
AUTO_TEST_CODE = "print(run_tests())"
"""What the agent runs after an action changed Python files (`AgentOptions.auto_test`)."""


@dataclass(frozen=True)
class AgentOptions:
    """How the loop behaves (built from `AgentSettings` by the composition root)."""

    max_turns: int = 10
    """The most model replies in one user turn."""
    approve: ApproveMode = "auto"
    """`auto` runs actions at once, `ask` waits for an `Approval`, `plan` runs them at once on a
    read-only mount (the executor refuses every write; the composition builds it read-only),
    so the model can read and analyse and ends with a plan; `preview` runs each over an
    overlay first and waits for apply or discard (`PreviewReady`)."""
    observation_limit_lines: int = 120
    """Output lines per action shown to the model (head and tail kept)."""
    deadline_s: float | None = None
    """Per-action deadline passed to the executor; None uses the executor's own."""
    reserve_tokens: int | None = None
    """Tokens kept free for the model's reply; None picks a share of the window."""
    stuck_after: int = 3
    """End the turn (reason `stuck`) when the same action fails the same way, or the same
    action or reply makes no progress, this many times; 0 never stops. The repeat before it
    is told to the model."""
    stop: tuple[str, ...] = STOP_SEQUENCES
    """Stop sequences sent with every request (the model profile's)."""
    sampling: Sampling = Sampling()
    """Sampling values sent with every request (the model profile's; the user's settings win
    over them in the backend)."""
    hold_untested: bool = True
    """Send back an answer given after Python files changed with no test run since, when the
    request speaks of tests (False where the tests run only after the answer, as in aider's
    benchmark protocol)."""
    auto_test: bool = True
    """After an action that changed Python files, while the request speaks of tests, run the
    tests at once and add their report to the observation, as aider's `--auto-test` does
    (measured: Qwen2.5-Coder-0.5B wrote its solution and then listed the files until the turn
    ended stuck, the note to run the tests notwithstanding, in 27 of 40 Exercism exercises).
    Likewise before an answer while the tests have not run in the turn and the request names a
    file (see `Agent._test_before_answer`)."""
    retry_temperature: float = 0.7
    """Once the model repeated a step (or an answer went back to it), the rest of the turn's
    replies are sampled at least this hot, over the user's temperature too (and with top_p at
    least RETRY_TOP_P); 0 never. At temperature 0 a small model sends the same action again
    word for word (measured: Qwen2.5-Coder-1.5B re-ran its tests three times in 7 of 16
    Exercism exercises)."""
    fresh_attempts: int = 2
    """When the model answers, or repeats itself until the stuck check would end the turn, while
    the tests fail after the changes of its current attempt (or it circles under failing tests
    without a change, or a fresh attempt ends without one), the agent restores the project to
    where the turn began (through the history) and asks the model afresh, its earlier replies of
    the turn left out and sampled at `retry_temperature`, at most this many times in a turn
    (and while two replies are left); the turn ends with the files of the attempt under which
    the most tests passed. 0 never; only with a history and approval mode `auto`. Small models
    keep rewriting their first wrong solution once it is in their context (measured:
    Qwen2.5-Coder-1.5B, 14 of 40 Exercism exercises ended stuck)."""


@dataclass(frozen=True)
class _Attempt:
    """An earlier attempt of the turn: where its files are kept and how its tests went."""

    number: int
    counts: str
    """The counts of its last test run (it ended failing), e.g. `3 passed, 6 failed`."""
    point: int
    """The history point whose files are the attempt's (see `History.restore`)."""

    @property
    def passed(self) -> int:
        """How many tests passed in its last run."""
        return passed_count(self.counts)


RETRY_TOP_P = 0.95
"""top_p at least this once the turn retries: measured with Qwen2.5-Coder-1.5B at temperature
0.7 and its profile's top_p 0.8, a repeated action still came back word for word (each copied
token is likelier than 0.8, so it is the only one kept)."""


class Agent:
    """One conversation with a model that acts through code.

    Args:
        model: The chat model (one session: its context window is pinned by `prepare`).
        executor: Runs code actions in the sandbox session.
        history: Snapshots the project around each action; None records nothing (tests, plan).
        prompts: The prompt templates.
        system_prompt: The system prompt (see `core.prompts.build_system_prompt`).
        options: Loop behaviour.
        transcript: Where the conversation is appended; None keeps it in memory only.
        resume: Messages of an earlier conversation to continue (its system prompt is replaced).
    """

    def __init__(
        self,
        *,
        model: ChatModel,
        executor: Executor,
        history: History | None,
        prompts: PromptLibrary,
        system_prompt: str,
        options: AgentOptions | None = None,
        transcript: Transcript | None = None,
        resume: Sequence[ConversationMessage] = (),
    ) -> None:
        self._model = model
        self._executor = executor
        self._history = history
        self._prompts = prompts
        self._options = options or AgentOptions()
        self._transcript = transcript
        system = ConversationMessage("system", system_prompt, "system")
        earlier = [m for m in resume if m.kind != "system"]
        self._messages: list[ConversationMessage] = [system, *earlier]
        if transcript is not None:
            transcript.add_message(system)
        self._info: ModelInfo | None = None
        self._budget: ContextBudget | None = None
        self._turns = sum(1 for m in earlier if m.kind == "user")
        self._interrupted = False
        self._generation: asyncio.Task[Any] | None = None
        """The model request (or load) in flight, which `interrupt` cancels."""
        self._executing = False
        self._approval: asyncio.Future[ev.Approval] | None = None
        self._progress = ProgressTracker()
        self._request = ""
        """The current turn's request, its briefing left out (the files it names are checked
        after each action)."""
        self._unsaved_code: str | None = None
        """This turn's last action that got the unsaved note, while no file changed after it."""
        self._tests = TurnTests()
        """What this turn's test runs say, and the Python files changed since the last one."""
        self._answer_held = False
        """Whether this turn already sent an answer back (once a turn)."""
        self._retrying = False
        """Whether this turn's replies are sampled at `retry_temperature` (after a repeat)."""
        self._attempt = 1
        """This turn's attempt (`AgentOptions.fresh_attempts`)."""
        self._attempt_changed = False
        """Whether an action of the current attempt changed a file."""
        self._earlier: list[_Attempt] = []
        """This turn's attempts before the current one."""
        self._failed_counts: str | None = None
        """The counts of the turn's latest failing test run that ended an attempt."""
        self._request_message: ConversationMessage | None = None
        """This turn's user message as it was before a fresh attempt's note went at its end."""

    # --- public API -----------------------------------------------------------------------

    @property
    def messages(self) -> list[ConversationMessage]:
        """The conversation as the model sees it (a copy)."""
        return list(self._messages)

    @property
    def model_info(self) -> ModelInfo | None:
        """What `prepare` learned about the model, once it ran."""
        return self._info

    @property
    def options(self) -> AgentOptions:
        """The loop's options."""
        return self._options

    def set_approve_mode(self, mode: ApproveMode) -> None:
        """Change the approval mode; it applies from the next proposed action. An executor that
        has mount modes (`set_mount_mode`) is switched to read-only for plan, live otherwise."""
        self._options = dataclasses.replace(self._options, approve=mode)
        switch = getattr(self._executor, "set_mount_mode", None)
        if callable(switch):
            switch("read-only" if mode == "plan" else "live")

    async def prepare(self) -> ModelInfo:
        """Check the model and pin its context window (done by the first turn if not before).

        Raises:
            ModelSetupError: The server is unreachable or the model is missing.
        """
        if self._info is None:
            info = await self._model.prepare()
            self._budget = ContextBudget(info.context_window, self._model.count_tokens, self._options.reserve_tokens)
            self._info = info
        return self._info

    def interrupt(self) -> None:
        """Stop the current turn: cancel generation, interrupt the action, or decline approval.

        Safe to call from the event loop at any time; the turn ends with `TurnFailed(kind=
        "interrupted")` and the conversation stays consistent.
        """
        self._interrupted = True
        if self._generation is not None and not self._generation.done():
            self._generation.cancel()
        if self._executing:
            self._executor.interrupt()
        if self._approval is not None and not self._approval.done():
            self._approval.set_result(ev.Approval("stop", reason="interrupted"))

    async def run_turn(self, user_text: str) -> AsyncGenerator[ev.TurnEvent, None]:
        """Run one user turn and yield its events; the last one is TurnFinished or TurnFailed."""
        self._turns += 1
        self._interrupted = False
        self._progress.reset()
        self._request = user_request(user_text)
        self._unsaved_code = None
        self._tests.reset()
        self._answer_held = False
        self._retrying = False
        self._attempt, self._attempt_changed, self._earlier, self._request_message = 1, False, [], None
        self._failed_counts = None
        turn_id = f"{self._transcript.id}/{self._turns}" if self._transcript else f"turn-{secrets.token_hex(4)}-{self._turns}"
        steps = 0
        yield ev.TurnStarted(turn_id, user_text)
        self._add(ConversationMessage("user", user_text, "user", turn_id))
        try:
            async with aclosing(self._ensure_model(turn_id)) as loading:
                async for event in loading:
                    yield event
                    if isinstance(event, ev.TurnFailed):
                        self._record_turn(event)
                        return
            for step in range(1, self._options.max_turns + 1):
                steps = step
                async with aclosing(self._step(turn_id, step)) as step_events:
                    async for event in step_events:
                        if isinstance(event, (ev.TurnFinished, ev.TurnFailed)):
                            async for kept in self._keep_best(turn_id, step):
                                yield kept
                            yield event
                            self._record_turn(event)
                            return
                        yield event
            failed = ev.TurnFailed(
                turn_id,
                "limit",
                f"stopped after {self._options.max_turns} model replies without an answer "
                "(raise it with --max-turns or agent.max_turns)",
                steps,
            )
            async for kept in self._keep_best(turn_id, steps):
                yield kept
        except ModelSetupError as exc:
            failed = ev.TurnFailed(turn_id, "setup", str(exc), steps)
        except ModelError as exc:
            failed = ev.TurnFailed(turn_id, "model", str(exc), steps)
        self._record_turn(failed)
        yield failed

    # --- one step ---------------------------------------------------------------------------

    async def _ensure_model(self, turn_id: str) -> AsyncGenerator[ev.TurnEvent, None]:
        info = await self.prepare()
        if await self._model.is_loaded():
            return
        yield ev.ModelLoading(turn_id, info.name)
        # A task, so that `interrupt` can cancel a load that takes minutes.
        self._generation = asyncio.create_task(self._load())
        try:
            load_s = await self._generation
        finally:
            self._generation = None
        if load_s is None:
            yield ev.TurnFailed(turn_id, "interrupted", "interrupted while the model was loading", 0)
            return
        yield ev.ModelLoaded(turn_id, info.name, load_s)

    async def _load(self) -> float | None:
        """Load the model; None when `interrupt` cancelled it."""
        try:
            return await self._model.load()
        except asyncio.CancelledError:
            if self._interrupted:
                return None
            raise

    async def _step(self, turn_id: str, step: int) -> AsyncGenerator[ev.TurnEvent, None]:
        assert self._budget is not None
        async with aclosing(self._fit_context(turn_id, step)) as fitting:
            async for event in fitting:
                yield event
                if isinstance(event, ev.TurnFailed):
                    return
        if self._interrupted:  # between two steps: do not start another request
            yield ev.TurnFailed(turn_id, "interrupted", "interrupted before the next model reply", step - 1)
            return
        yield ev.GenerationStarted(turn_id, step)
        reply: list[str] = []
        stats = GenerationStats()
        looping: list[bool] = []
        async with aclosing(self._generate(reply, looping)) as generation:
            async for item in generation:
                if isinstance(item, TextChunk):
                    yield ev.TextDelta(turn_id, step, item.text)
                else:
                    stats = item.stats
        text = "".join(reply)
        if self._interrupted:
            if text.strip():
                self._add(ConversationMessage("assistant", text + "\n[interrupted by the user]", "assistant", turn_id))
            yield ev.TurnFailed(turn_id, "interrupted", "interrupted while the model was replying", step)
            return
        parsed = parse_reply(text)
        not_run = self._not_run_reason(text, parsed, stats, bool(looping))
        if not parsed.text.strip() and not_run != "thinking":
            yield ev.TurnFailed(turn_id, "model", "the model returned an empty reply", step)
            return
        kept = parsed.text if parsed.text.strip() else "[reasoning only; not kept]"
        if not_run == "looping":
            kept += "\n[… the same text repeated until it was stopped]"
        self._add(ConversationMessage("assistant", kept, "assistant", turn_id))
        self._budget.record_server_count(self._messages, stats.prompt_tokens, stats.completion_tokens)
        yield ev.AssistantMessage(turn_id, step, kept, stats, parsed.prose if parsed.kind == "action" else kept)
        kept_part = self._kept_of_cut(parsed) if not_run == "cut" else None
        if kept_part is not None:
            yield ev.CodeProposed(turn_id, step, kept_part, True, parsed.fenced)
            async with aclosing(self._decide_and_run(turn_id, step, kept_part, ignored="cut")) as running:
                async for event in running:
                    yield event
            return
        if not_run is not None:
            async with aclosing(self._not_run(turn_id, step, not_run, kept, stats)) as telling:
                async for event in telling:
                    yield event
            return
        if parsed.kind != "action":
            if self._test_before_answer(step):
                tested: list[ExecutionResult | ev.TurnFailed] = []
                async with aclosing(self._run_tests(turn_id, step, (), tested)) as testing:
                    async for event in testing:
                        yield event
                if isinstance(tested[-1], ev.TurnFailed):
                    yield tested[-1]
                    return
                if self._tests.failing is not None:
                    report = test_report(tested[-1], max_lines=self._options.observation_limit_lines, max_chars=self._observation_chars())
                    async with aclosing(self._send_answer_back(turn_id, step, parsed.answer, report)) as holding:
                        async for event in holding:
                            yield event
                    return
            if self._hold_answer(step):
                async with aclosing(self._send_answer_back(turn_id, step, parsed.answer)) as holding:
                    async for event in holding:
                        yield event
                return
            finished = ev.TurnFinished(turn_id, "solution" if parsed.kind == "solution" else "reply", parsed.answer, step)
            async with aclosing(self._end_or_start_over(turn_id, step, finished)) as ending:
                async for event in ending:
                    yield event
            return
        code = parsed.code
        if self._options.approve != "plan":  # in plan mode nothing may be written
            code = with_save(code, self._request) or code
        yield ev.CodeProposed(turn_id, step, code, parsed.repaired, parsed.fenced)
        async with aclosing(self._decide_and_run(turn_id, step, code, ignored="text" if parsed.ignored else None)) as running:
            async for event in running:
                yield event

    async def _decide_and_run(self, turn_id: str, step: int, code: str, *, ignored: Ignored | None) -> AsyncGenerator[ev.TurnEvent, None]:
        """Run the action as the approval mode says: at once (`auto`, `plan`), after the user's
        answer (`ask`: run, skip, stop, or preview first), or previewed and then applied or
        discarded (`preview`). A refused apply asks (or previews) again."""
        mode = self._options.approve
        if mode not in ("ask", "preview"):
            async with aclosing(self._execute(turn_id, step, code, ignored=ignored)) as executing:
                async for event in executing:
                    yield event
            return
        preview_next = mode == "preview"
        while True:
            if not preview_next:
                asked = ev.ApprovalRequested(turn_id, step, code, self._new_future())
                yield asked
                approval = await self._wait(asked.future)
                code = approval.code if approval.code is not None else code
                if approval.decision in ("stop", "skip"):
                    async with aclosing(self._declined(turn_id, step, code, approval)) as declining:
                        async for event in declining:
                            yield event
                    return
                if approval.decision == "run":
                    async with aclosing(self._execute(turn_id, step, code, ignored=ignored)) as executing:
                        async for event in executing:
                            yield event
                    return
            refused: list[str] = []
            async with aclosing(self._preview_and_decide(turn_id, step, code, refused, ignored=ignored)) as previewing:
                async for event in previewing:
                    yield event
            if not refused:
                return
            yield ev.PreviewRefused(turn_id, step, refused[0])
            preview_next = mode == "preview"

    async def _preview_and_decide(
        self, turn_id: str, step: int, code: str, refused: list[str], *, ignored: Ignored | None
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """Preview the action, wait for apply or discard, and do it. An apply refused because
        the project changed goes into `refused` (the session's variables are taken back first,
        as for a discard, where the executor can)."""
        before = await self._save_variables()
        preview: PreviewRun | None = None
        async with aclosing(self._preview(turn_id, step, code)) as previewing:
            async for item in previewing:
                if isinstance(item, PreviewRun):
                    preview = item
                else:
                    if isinstance(item, ev.TurnFailed):  # interrupted or broken: nothing of it stays
                        await self._restore_variables(before)
                    yield item
                    if isinstance(item, ev.TurnFailed):
                        return
        assert preview is not None
        ready = ev.PreviewReady(turn_id, step, code, preview, self._new_future())
        yield ready
        decision = await self._wait(ready.future)
        if decision.decision == "run" and preview.result.status == "stopped":
            decision = ev.Approval("skip", reason=f"{PREVIEW_DISCARDED} (it did not finish: {preview.result.stopped_by})")
        if decision.decision in ("stop", "skip"):
            if decision.decision == "skip":
                decision = ev.Approval("skip", reason=decision.reason or PREVIEW_DISCARDED)
            restored = await self._restore_variables(before)
            async with aclosing(self._declined(turn_id, step, code, decision, note=restored)) as declining:
                async for event in declining:
                    yield event
            return
        async with aclosing(self._apply(turn_id, step, code, preview, refused, ignored=ignored)) as applying:
            async for event in applying:
                yield event
        if refused:
            await self._restore_variables(before)  # asked again: as if it had not run

    def _new_future(self) -> asyncio.Future[ev.Approval]:
        return asyncio.get_running_loop().create_future()

    async def _wait(self, future: asyncio.Future[ev.Approval]) -> ev.Approval:
        """The user's answer; `interrupt` answers it with stop (also when it came first)."""
        self._approval = future
        if self._interrupted and not future.done():
            future.set_result(ev.Approval("stop", reason="interrupted"))
        try:
            return await future
        finally:
            self._approval = None

    async def _save_variables(self) -> object | None:
        """The session's variables before a preview, when the executor can save them (its
        `save_state`); None when it cannot or failed."""
        save = getattr(self._executor, "save_state", None)
        if not callable(save):
            return None
        try:
            return await save()
        except Exception:  # noqa: BLE001 - the preview still runs; discard then says what stays
            return None

    async def _restore_variables(self, saved: object | None) -> str:
        """Take back what a discarded preview did to the session's variables; says what came of
        it, for the model."""
        restore = getattr(self._executor, "restore_state", None)
        if saved is None or not callable(restore):
            return "The Python session keeps the variables the preview run set."
        try:
            restored = await restore(saved)
        except Exception as exc:  # noqa: BLE001 - told to the model instead
            return f"The variables could not be taken back ({exc}); the Python session keeps what the preview run set."
        failed = [str(name) for name, _why in getattr(restored, "failed", ())]
        if failed:
            return (
                "The Python session's variables are as before the preview, except these, which could "
                f"not be brought back: {', '.join(failed[:20])}."
            )
        return "The Python session's variables are as they were before the preview."

    async def _declined(
        self, turn_id: str, step: int, code: str, approval: ev.Approval, *, note: str = ""
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """The user stopped the turn, or skipped the action (the model is told why, and `note`
        after it; the transcript keeps it so a resumed conversation shows it skipped)."""
        if approval.decision == "stop":
            yield ev.TurnFailed(turn_id, "interrupted", "the user stopped the turn", step)
            return
        if self._transcript is not None:
            self._transcript.append(skipped_record(turn_id, step, code, approval.reason))
        yield ev.ActionSkipped(turn_id, step, approval.reason)
        observation = format_declined(self._prompts, approval.reason)
        if note:
            observation += "\n" + note
        self._add(ConversationMessage("user", observation, "observation", turn_id))
        yield ev.ObservationAdded(turn_id, step, observation)

    async def _preview(self, turn_id: str, step: int, code: str) -> AsyncGenerator[ev.TurnEvent | PreviewRun, None]:
        """Run the code over an overlay (the project untouched), streaming its output; the last
        item is the `PreviewRun`, or a `TurnFailed` when the sandbox cannot preview or failed."""
        preview_action = getattr(self._executor, "preview_action", None)
        if not callable(preview_action):
            yield ev.TurnFailed(turn_id, "executor", "this sandbox cannot preview actions; use --approve ask or auto", step)
            return
        yield ev.PreviewStarted(turn_id, step, code)
        preview: PreviewRun | None = None
        failure: str | None = None
        async with aclosing(self._run_code(turn_id, step, code, runner=preview_action)) as running:
            async for item in running:
                if isinstance(item, PreviewRun):
                    preview = item
                elif isinstance(item, str):
                    failure = item.replace("the sandbox failed", "the preview failed", 1)
                else:
                    yield item
        if preview is None:
            yield ev.TurnFailed(turn_id, "executor", failure or "the preview failed", step)
            return
        if self._interrupted:
            yield ev.TurnFailed(turn_id, "interrupted", "the preview was interrupted", step)
            return
        yield preview

    async def _apply(
        self, turn_id: str, step: int, code: str, preview: PreviewRun, refused: list[str], *, ignored: Ignored | None
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """Write exactly the previewed change set as one recorded action; its observation is the
        preview run's output. A refusal (the project changed since the preview) goes into
        `refused` and nothing is shown as run."""
        ticket = None
        if self._history is not None and not preview.empty:
            try:
                ticket = await asyncio.to_thread(self._history.begin_action, "agent", summarize_code(code), turn_id)
            except Exception as exc:
                yield ev.TurnFailed(turn_id, "history", f"could not snapshot the project before the action: {exc}", step)
                return
        entry: HistoryEntry | None = None
        history_error: str | None = None
        apply_preview = getattr(self._executor, "apply_preview")
        try:
            if not preview.empty:
                await asyncio.to_thread(apply_preview, preview)
        except PreviewNotApplied as exc:
            refused.append(str(exc))
        finally:
            entry, history_error = await self._finish_entry(ticket)
        if refused:
            if entry is not None:
                refused[0] += f" What was written before the refusal is history entry {entry.id} (undo takes it back)."
            return
        yield ev.ExecutionStarted(turn_id, step, code)
        async with aclosing(self._observe(turn_id, step, code, preview.result, entry, history_error, ignored=ignored)) as observing:
            async for event in observing:
                yield event

    def _hold_answer(self, step: int) -> bool:
        """Whether an answer goes back to the model instead of ending the turn: no file changed
        since an action of this turn defined code only in the session while the request names
        files, or since this turn's last test run failed; or Python files changed after the last
        test run while the request speaks of tests. Only when this turn has not held an answer
        yet, and a reply is left to act on it.

        Small models answer "saved" right under the note that nothing was saved, "already
        correct" right under failing tests, and "the tests pass" without running them (measured
        with Qwen2.5-Coder-1.5B on Exercism); one reminder is cheap next to a turn that ends
        with the user's code still failing."""
        waiting = self._unsaved_code is not None or self._tests_hold() is not None
        return waiting and not self._answer_held and step < self._options.max_turns

    def _test_before_answer(self, step: int) -> bool:
        """Whether the agent runs the tests before it takes an answer: the request names files
        and speaks of tests, and they have not run in this turn (nor wait for a run after a
        change); as `auto_test` runs them after a change, only in the turn's first attempt (a
        fresh one is told how the tests failed), and only while an answer may still go back.

        A small model that never touched the file it was asked to implement answers with prose
        about the task (measured: Qwen2.5-Coder-1.5B on Exercism `affine-cipher`, stub unchanged,
        tests never run); the tests' report, with the stubs it names, is what it needs next."""
        if not self._options.auto_test or self._options.approve == "plan" or self._interrupted:
            return False
        if self._answer_held or self._attempt > 1 or step >= self._options.max_turns:
            return False
        return self._tests.not_run(self._request) and bool(named_files(self._request))

    def _tests_hold(self) -> TestsHold | None:
        return self._tests.hold(self._request, untested=self._options.hold_untested)

    def _untested(self) -> tuple[str, ...]:
        """Files changed with no test run since, when the request speaks of tests and the
        protocol has the model run them (`hold_untested`)."""
        return self._tests.untested_for(self._request) if self._options.hold_untested else ()

    async def _send_answer_back(
        self, turn_id: str, step: int, answer: str, tests_report: str | None = None
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """Send `answer` back to the model with the note `_hold_answer`'s reason calls for, or,
        given the report of the failing test run before the answer, with that report."""
        self._answer_held = True
        reason: ev.HeldReason | None
        if tests_report is not None:
            reason = "tests_not_run"
            note = self._prompts.render("observation_tests_not_run.md", report=tests_report).rstrip()
        elif self._unsaved_code is not None:
            reason = "unsaved"
            note = held_answer_note(self._prompts, self._unsaved_code, self._request)
        else:
            reason = self._tests_hold()
            assert reason is not None, "only when _hold_answer said so"
            template = {"tests_failing": "observation_tests_failing.md", "untested": "observation_untested.md"}[reason]
            note = self._prompts.render(template, counts=self._tests.failing, files=quoted_paths(self._tests.untested)).rstrip()
        self._add(ConversationMessage("user", note, "observation", turn_id))
        yield ev.AnswerHeld(turn_id, step, note, reason, answer)
        yield ev.ObservationAdded(turn_id, step, note)
        if (raised := self._retry_hotter(turn_id, step)) is not None:
            yield raised

    def _kept_of_cut(self, parsed: ParsedReply) -> str | None:
        """For an action cut at the reply length limit: its whole definitions before the cut
        with the line that saves them into the file the request names (`with_save`), or None
        when there are none to save (then nothing runs)."""
        if parsed.kind != "action" or self._options.approve == "plan":
            return None
        whole = before_the_cut(parsed.code)
        return with_save(whole, self._request) if whole is not None else None

    @staticmethod
    def _not_run_reason(text: str, parsed: ParsedReply, stats: GenerationStats, looping: bool) -> NotRunReason | None:
        """Why a reply must not run or end the turn: it loops, it was cut at the token limit
        inside its action (or before any answer), or it holds only reasoning."""
        if looping:
            return "looping"
        if not parsed.text.strip() and "<think>" in text:
            return "thinking"
        if stats.done_reason == "length" and (parsed.kind == "reply" or (parsed.kind == "action" and parsed.repaired)):
            return "cut"
        return None

    async def _not_run(
        self, turn_id: str, step: int, why: NotRunReason, kept: str, stats: GenerationStats
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """Tell the model why its reply did not run; end the turn when it keeps doing it."""
        observation = format_not_run(self._prompts, why, limit=stats.completion_tokens)
        repeat = self._progress.reply(kept)
        self._add(ConversationMessage("user", observation, "observation", turn_id))
        yield ev.ObservationAdded(turn_id, step, observation)
        stuck = self._stuck(turn_id, step, repeat)
        if stuck is not None:
            async with aclosing(self._end_or_start_over(turn_id, step, stuck)) as ending:
                async for event in ending:
                    yield event
        elif repeat is not None and (raised := self._retry_hotter(turn_id, step)) is not None:
            yield raised

    def _stuck(self, turn_id: str, step: int, repeat: Repeat | None) -> ev.TurnFailed | None:
        """The turn's end when a step has now repeated `stuck_after` times."""
        limit = self._options.stuck_after
        if repeat is None or limit <= 0 or repeat.count < limit:
            return None
        what = {
            "failure": f"ran the same code {repeat.count} times and it failed the same way ({repeat.detail})",
            "no_progress": f"ran the same code {repeat.runs} times without changing anything",
            "reply": f"sent the same reply {repeat.count} times without it running",
        }[repeat.kind]
        return ev.TurnFailed(
            turn_id,
            "stuck",
            f"stopped: the model {what}; rephrase the request, give it a hint, or use a larger "
            "model (agent.stuck_after sets how many repeats end a turn)",
            step,
        )

    def _may_start_over(self, step: int, ending: ev.TurnFinished | ev.TurnFailed) -> bool:
        """Whether the turn starts over instead of ending (`AgentOptions.fresh_attempts`): the
        current attempt fell short (its last test run failed with no change since; or it changed
        no file and either is a fresh attempt or went round in circles under failing tests), an
        attempt is left, two replies are left, and the history can restore the project
        (approval mode `auto`: the user is not asked to approve what a restore writes)."""
        if self._attempt_changed:
            fell_short = self._tests.failing is not None
        else:
            circled = isinstance(ending, ev.TurnFailed) and ending.kind == "stuck" and self._tests.failing is not None
            fell_short = self._attempt > 1 or circled
        return (
            fell_short
            and self._attempt <= self._options.fresh_attempts
            and step + 2 <= self._options.max_turns
            and self._history is not None
            and self._options.approve == "auto"
            and not self._interrupted
        )

    async def _end_or_start_over(self, turn_id: str, step: int, ending: ev.TurnFinished | ev.TurnFailed) -> AsyncGenerator[ev.TurnEvent, None]:
        """Yield `ending`, unless the turn starts over (`_may_start_over`): then the project is
        restored to where the turn began (when the attempt changed it), the turn's replies and
        observations leave the model's context (the transcript records it as a compaction), and
        the model is asked afresh."""
        if not self._may_start_over(step, ending):
            yield ending
            return
        assert self._history is not None
        changed, entry, counts = self._attempt_changed, None, self._tests.failing
        if changed:
            assert counts is not None
            history = self._history
            try:
                entries = await asyncio.to_thread(history.entries)
                first = next(e for e in entries if e.turn_id == turn_id)
                change = await asyncio.to_thread(history.restore, first.id - 1)
            except Exception:  # noqa: BLE001 - no fresh attempt: the turn ends as it would have
                yield ending
                return
            if not change.ok:
                yield ending
                return
            entry = change.entry
            self._earlier.append(_Attempt(self._attempt, counts, entries[-1].id))
        self._attempt += 1
        attempts = self._options.fresh_attempts + 1
        self._failed_counts = counts or self._failed_counts
        best = max(self._earlier, key=lambda a: a.passed).counts if self._earlier else self._failed_counts
        note = self._prompts.render("fresh_attempt.md", attempt=self._attempt, attempts=attempts, counts=best).rstrip()
        # The request again, the note at its end: a second user message in a row made
        # Qwen2.5-Coder-1.5B answer with the request itself.
        start = max(i for i, m in enumerate(self._messages) if m.kind == "user" and m.turn_id == turn_id)
        request = self._request_message = self._request_message or self._messages[start]
        self._messages = [*self._messages[:start], dataclasses.replace(request, content=f"{request.content}\n\n{note}")]
        if self._transcript is not None:
            self._transcript.add_compaction(self._messages)
        self._progress.reset()
        self._tests.reset()
        self._unsaved_code, self._answer_held, self._attempt_changed = None, False, False
        yield ev.StartedOver(turn_id, step, self._attempt, attempts, counts if changed else None, entry)
        yield ev.ObservationAdded(turn_id, step, note)
        if (raised := self._retry_hotter(turn_id, step)) is not None:
            yield raised

    async def _keep_best(self, turn_id: str, step: int) -> AsyncGenerator[ev.TurnEvent, None]:
        """At the end of a turn that started over: put back the files of the earlier attempt
        under which the most tests passed, when the last attempt's tests ran after its changes
        and fewer passed, or when it changed no file and some passed before (never after an
        interrupt, nor when the last attempt's score is unknown)."""
        if not self._earlier or self._history is None or self._interrupted:
            return
        best = max(self._earlier, key=lambda a: a.passed)
        if self._attempt_changed:
            last = None if self._tests.untested else last_test_run(self._tests.report)
            if last is None or last[0] is None or last[0] or best.passed <= passed_count(last[1]):
                return
        elif best.passed == 0:  # the project is as the turn began: no attempt did better
            return
        try:
            change = await asyncio.to_thread(self._history.restore, best.point)
        except Exception:  # noqa: BLE001 - the last attempt's files stay; the history has both
            return
        if change.ok:
            yield ev.AttemptKept(turn_id, step, best.number, best.passed, change.entry)

    async def _fit_context(self, turn_id: str, step: int) -> AsyncGenerator[ev.TurnEvent, None]:
        assert self._budget is not None
        budget = self._budget
        if budget.needs_compaction(self._messages):
            compacted = budget.compact(self._messages, self._prompts)
            self._messages = compacted.messages
            if self._transcript is not None:
                self._transcript.add_compaction(self._messages)
            yield ev.ContextCompacted(turn_id, compacted.before_tokens, compacted.after_tokens, compacted.shortened, compacted.removed)
        used = budget.used(self._messages)
        yield ev.ContextUsage(turn_id, used, budget.window)
        if not budget.fits(self._messages):
            yield ev.TurnFailed(
                turn_id,
                "limit",
                f"the conversation needs {used} tokens but the context window is {budget.window} "
                f"({budget.reserve} kept for the reply); shorten the request, start a new "
                "conversation or raise model.num_ctx",
                step,
            )

    def _sampling(self) -> Sampling:
        """The next request's sampling: the options', hotter once the turn is retrying."""
        if not self._retrying:
            return self._options.sampling
        return dataclasses.replace(self._options.sampling, least_temperature=self._options.retry_temperature, least_top_p=RETRY_TOP_P)

    def _retry_hotter(self, turn_id: str, step: int) -> ev.SamplingRaised | None:
        """Sample the rest of the turn at `retry_temperature` (the model repeated itself); the
        event the first time, for the user."""
        if self._retrying or self._options.retry_temperature <= 0:
            return None
        self._retrying = True
        return ev.SamplingRaised(turn_id, step, self._options.retry_temperature)

    async def _generate(self, reply: list[str], looping: list[bool]) -> AsyncGenerator[TextChunk | GenerationDone, None]:
        """Stream one reply through a task (so `interrupt` can cancel it and close the stream);
        stop reading as soon as the first action is complete, or when the reply starts
        repeating itself endlessly (then `looping` gets True and the reply is kept up to the
        repetition's first occurrence)."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        chat = [m.to_chat() for m in self._messages]
        started = time.perf_counter()
        first_token: float | None = None

        async def pump() -> None:
            stream = None
            try:
                # Inside the `try`: a backend that fails on the call itself must end the turn
                # with its error, not leave the consumer waiting for an item that never comes.
                stream = self._model.stream(chat, stop=self._options.stop, sampling=self._sampling())
                async for item in stream:
                    queue.put_nowait(item)
            except asyncio.CancelledError:
                pass
            except BaseException as exc:  # handed to the consumer, raised there
                queue.put_nowait(exc)
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
                queue.put_nowait(_DONE)

        self._generation = asyncio.create_task(pump())
        finished_early = False
        try:
            while (item := await queue.get()) is not _DONE:
                if finished_early:
                    continue  # what the stream sent after the action closed is dropped
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, TextChunk):
                    if first_token is None:
                        first_token = time.perf_counter()
                    so_far = "".join(reply) + item.text
                    end = action_complete(so_far)
                    if end >= 0:
                        # The action is complete: keep text up to its closing tag, stop reading.
                        item = TextChunk(item.text[: len(item.text) - (len(so_far) - end)])
                        reply.append(item.text)
                        if item.text:
                            yield item
                        finished_early = True
                        self._generation.cancel()
                        continue
                    reply.append(item.text)
                    yield item
                    repeat_at = repetition_start(so_far)
                    if repeat_at >= 0:
                        reply[:] = [so_far[:repeat_at]]
                        looping.append(True)
                        finished_early = True
                        self._generation.cancel()
                elif isinstance(item, GenerationDone):
                    yield item
        finally:
            if not self._generation.done():
                self._generation.cancel()
            try:
                await self._generation
            except asyncio.CancelledError:
                pass
            self._generation = None
        if finished_early:
            # The stream was closed before the server reported usage: count the kept reply with
            # the model's own tokenizer so the status bar and the context budget still see it.
            now = time.perf_counter()
            completion = self._model.count_tokens("".join(reply))
            generating = None if first_token is None else now - first_token
            yield GenerationDone(
                GenerationStats(
                    completion_tokens=completion,
                    time_to_first_token_s=None if first_token is None else first_token - started,
                    tokens_per_s=completion / generating if generating else None,
                    duration_s=now - started,
                    done_reason="stop",
                )
            )

    async def _finish_entry(self, ticket: ActionTicket | None) -> tuple[HistoryEntry | None, str | None]:
        """Snapshot the project after an action: its history entry, or why none was taken."""
        if ticket is None or self._history is None:
            return None, None
        try:
            return await asyncio.to_thread(self._history.finish_action, ticket), None
        except Exception as exc:
            return None, f"could not snapshot the project after the action: {exc}"

    async def _execute(self, turn_id: str, step: int, code: str, *, ignored: Ignored | None) -> AsyncGenerator[ev.TurnEvent, None]:
        ticket = None
        if self._history is not None:
            try:
                ticket = await asyncio.to_thread(self._history.begin_action, "agent", summarize_code(code), turn_id)
            except Exception as exc:  # never run an action we could not snapshot first
                yield ev.TurnFailed(turn_id, "history", f"could not snapshot the project before the action: {exc}", step)
                return
        yield ev.ExecutionStarted(turn_id, step, code)
        result: ExecutionResult | None = None
        failure: str | None = None
        entry: HistoryEntry | None = None
        history_error: str | None = None
        try:
            async with aclosing(self._run_code(turn_id, step, code)) as running:
                async for item in running:
                    if isinstance(item, ExecutionResult):
                        result = item
                    elif isinstance(item, str):
                        failure = item
                    else:
                        yield item
        finally:
            # Also when the consumer went away mid-action: what it wrote is recorded.
            entry, history_error = await self._finish_entry(ticket)
        if result is None:
            self._record_action(turn_id, step, code, None, entry)
            yield ev.TurnFailed(turn_id, "executor", failure or "the sandbox failed", step)
            return
        async with aclosing(self._observe(turn_id, step, code, result, entry, history_error, ignored=ignored)) as observing:
            async for event in observing:
                yield event

    async def _observe(
        self,
        turn_id: str,
        step: int,
        code: str,
        result: ExecutionResult,
        entry: HistoryEntry | None,
        history_error: str | None,
        *,
        ignored: Ignored | None,
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """An action ended: record it, and tell the model (or end the turn)."""
        yield ev.ExecutionFinished(turn_id, step, result)
        yield ev.SnapshotTaken(turn_id, step, entry)
        self._record_action(turn_id, step, code, result, entry)
        if history_error is not None:
            yield ev.TurnFailed(turn_id, "history", history_error, step)
            return
        # With a snapshot taken and no entry made, what the action wrote equals what was there.
        rewrote_only = self._history is not None and history_error is None and entry is None
        observation = format_observation(
            result,
            self._prompts,
            max_lines=self._options.observation_limit_lines,
            max_chars=self._observation_chars(),
            ignored=ignored,
            same_content=rewrote_only,
        )
        # In plan mode nothing may be written, so there is nothing to remind of.
        own = without_definitions(code, result.left_out)  # not the sandbox's helpers it left out
        unsaved = None if self._options.approve == "plan" else unsaved_note(self._prompts, own, result, self._request)
        if unsaved is not None:
            observation += "\n\n" + unsaved
            self._unsaved_code = own
        changed = [] if rewrote_only else [f.path for f in result.changed_files]
        if changed:
            self._unsaved_code = None
            self._attempt_changed = True
        # A plan changes nothing, so its test runs ask for no change either.
        self._tests.action(result.stdout, changed, tests_count=self._options.approve != "plan")
        untested = self._auto_test_files(changed)
        if untested:
            tested: list[ExecutionResult | ev.TurnFailed] = []
            async with aclosing(self._run_tests(turn_id, step, untested, tested)) as testing:
                async for event in testing:
                    yield event
            if isinstance(tested[-1], ev.TurnFailed):
                self._add(ConversationMessage("user", observation, "observation", turn_id))
                yield ev.ObservationAdded(turn_id, step, observation)
                yield tested[-1]
                return
            observation += "\n\n" + format_auto_tests(
                tested[-1], self._prompts, untested, max_lines=self._options.observation_limit_lines, max_chars=self._observation_chars()
            )
        repeat = self._progress.action(code, result, changed_content=not rewrote_only)
        if repeat is not None:
            observation += "\n\n" + repeat_note(
                self._prompts, repeat, tests_failing=self._tests.failing, untested=self._untested(), output=result.stdout, report=self._tests.report
            )
        self._add(ConversationMessage("user", observation, "observation", turn_id))
        yield ev.ObservationAdded(turn_id, step, observation)
        if self._interrupted:
            yield ev.TurnFailed(turn_id, "interrupted", "the action was interrupted", step)
            return
        stuck = self._stuck(turn_id, step, repeat)
        if stuck is not None:
            async with aclosing(self._end_or_start_over(turn_id, step, stuck)) as ending:
                async for event in ending:
                    yield event
        elif (repeat is not None or self._progress.again) and (raised := self._retry_hotter(turn_id, step)) is not None:
            yield raised  # the same action again, even one that wrote files, is a repeat to break

    def _auto_test_files(self, changed: Sequence[str]) -> tuple[str, ...]:
        """The Python files the tests have not run on since they changed, when this action
        changed some and the agent runs the tests itself (`auto_test`, the request speaks of
        tests, not a plan, not interrupted); empty otherwise."""
        if not self._options.auto_test or self._options.approve == "plan" or self._interrupted:
            return ()
        if not any(path.endswith(".py") for path in changed):
            return ()
        return self._tests.untested_for(self._request)

    async def _run_tests(
        self, turn_id: str, step: int, files: tuple[str, ...], outcome: list[ExecutionResult | ev.TurnFailed]
    ) -> AsyncGenerator[ev.TurnEvent, None]:
        """Run the project's tests after the action of `step` changed `files` (or before its
        answer, no `files`): snapshotted as an action of its own (tests rarely write files, but
        may), shown as `Tests*` events, kept in the transcript and counted in `self._tests`. Its
        result, or the turn's failure, goes into `outcome`."""
        ticket = None
        title = ev.tests_title(step, before_answer=not files)
        if self._history is not None:
            try:
                ticket = await asyncio.to_thread(self._history.begin_action, "agent", title, turn_id)
            except Exception as exc:  # never run code we could not snapshot first
                outcome.append(ev.TurnFailed(turn_id, "history", f"could not snapshot the project before the test run: {exc}", step))
                return
        yield ev.TestsStarted(turn_id, step, files)
        result: ExecutionResult | None = None
        failure = "the sandbox failed"
        try:
            async with aclosing(self._run_code(turn_id, step, AUTO_TEST_CODE)) as running:
                async for item in running:
                    if isinstance(item, ev.ExecutionOutput):
                        yield ev.TestsOutput(turn_id, step, item.stream, item.text)
                    elif isinstance(item, ExecutionResult):
                        result = item
                    elif isinstance(item, str):
                        failure = item
        finally:
            entry, history_error = await self._finish_entry(ticket)
        if result is None:
            outcome.append(ev.TurnFailed(turn_id, "executor", failure, step))
            return
        self._tests.action(result.stdout, ())
        yield ev.TestsFinished(turn_id, step, result, entry, summary_line(result.stdout))
        if self._transcript is not None:
            self._transcript.append(tests_record(turn_id, step, AUTO_TEST_CODE, result, entry, title=title))
        outcome.append(result if history_error is None else ev.TurnFailed(turn_id, "history", history_error, step))

    async def _run_code(
        self, turn_id: str, step: int, code: str, *, runner: Callable[..., Awaitable[Any]] | None = None
    ) -> AsyncGenerator[ev.TurnEvent | ExecutionResult | PreviewRun | str, None]:
        """Run the code (or preview it, with the executor's `preview_action` as `runner`),
        turning live output into events as it arrives; a failed executor becomes a string
        saying why."""

        def started() -> None:
            self._executing = True
            if self._interrupted:
                self._executor.interrupt()

        try:
            async for item in run_with_live_output(self._executor, code, turn_id, step, self._options.deadline_s, started, runner=runner):
                yield f"the sandbox failed: {type(item).__name__}: {item}" if isinstance(item, Exception) else item
        finally:
            self._executing = False

    def _observation_chars(self) -> int:
        """Characters one observation may use: a sixth of the window (in estimated characters),
        so a few recent outputs always fit next to the code that made them."""
        window = self._budget.window if self._budget is not None else 8192
        return max(int(window / 6 * 3.5), 1000)

    # --- records ------------------------------------------------------------------------------

    def _add(self, message: ConversationMessage) -> None:
        self._messages.append(message)
        if self._transcript is not None:
            self._transcript.add_message(message)

    def _record_action(self, turn_id: str, step: int, code: str, result: ExecutionResult | None, entry: HistoryEntry | None) -> None:
        if self._transcript is None:
            return
        self._transcript.append(action_record(turn_id, step, code, result, entry))

    def _record_turn(self, event: ev.TurnFinished | ev.TurnFailed) -> None:
        if self._transcript is None:
            return
        record: dict[str, Any] = {"type": "turn", "turn_id": event.turn_id, "steps": event.steps}
        if isinstance(event, ev.TurnFinished):
            record.update(outcome="finished", reason=event.reason, answer=event.answer)
        else:
            record.update(outcome="failed", reason=event.kind, message=event.message)
        self._transcript.append(record)
