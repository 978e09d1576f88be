"""Everything one agent turn emits, as frozen dataclasses.

`Agent.run_turn` yields these in order; the UI and the headless CLI both consume them.
`event_to_dict` gives each one a JSON-ready form with a `type` field (for `run --json` and
transcripts).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .ports import ExecutionResult, GenerationStats, HistoryEntry, PreviewRun, StreamName

FailureKind = Literal["setup", "model", "executor", "history", "limit", "interrupted", "stuck"]
FinishReason = Literal["solution", "reply", "plan", "manual"]
ApprovalDecision = Literal["run", "skip", "stop", "preview"]


@dataclass(frozen=True)
class Event:
    """Base of all turn events."""

    turn_id: str
    """The turn that emitted it."""


@dataclass(frozen=True)
class TurnStarted(Event):
    """A user turn began."""

    user_text: str
    """What the user asked."""


@dataclass(frozen=True)
class ModelLoading(Event):
    """The model is being loaded into memory (may take seconds to minutes); not generating yet."""

    model: str
    """The model's name."""


@dataclass(frozen=True)
class ModelLoaded(Event):
    """The model is in memory."""

    model: str
    """The model's name."""
    load_s: float
    """Seconds the load took."""


@dataclass(frozen=True)
class GenerationStarted(Event):
    """A model request was sent; text deltas follow."""

    step: int
    """Which model reply of this turn it is, from 1."""


@dataclass(frozen=True)
class TextDelta(Event):
    """A piece of the model's reply as it streams."""

    step: int
    """Which model reply of this turn it belongs to."""
    text: str
    """The new text (reasoning and tags included, as the model wrote it)."""


@dataclass(frozen=True)
class AssistantMessage(Event):
    """The model's complete reply (closing tag restored, text after the first action dropped)."""

    step: int
    """Which model reply of this turn it is."""
    text: str
    """The reply as kept in the conversation."""
    stats: GenerationStats
    """Token counts, time to first token, speed."""
    prose: str = ""
    """The reply without its action block: a UI that shows the action in its own card shows
    this text beside it, so the code appears once."""


@dataclass(frozen=True)
class CodeProposed(Event):
    """The reply contains a code action."""

    step: int
    """Which model reply proposed it."""
    code: str
    """The code to run."""
    repaired: bool = False
    """A lost closing tag or fence was restored."""
    fenced: bool = False
    """It came from a fenced block, not an `<execute>` tag."""


@dataclass(frozen=True)
class Approval:
    """The user's decision on a proposed action."""

    decision: ApprovalDecision
    """`run` it, `skip` it (the model is told and continues), `stop` the turn, or `preview`
    it first (run it over an overlay; `PreviewReady` asks again). Answering a `PreviewReady`,
    `run` applies the previewed changes and `skip` discards them."""
    code: str | None = None
    """Edited code to run instead, when the user changed it."""
    reason: str = ""
    """Why it was skipped, told to the model."""


@dataclass(frozen=True)
class ApprovalRequested(Event):
    """In `ask` mode: resolve `future` with an `Approval`; the turn waits for it."""

    step: int
    """Which model reply proposed the action."""
    code: str
    """The code that would run."""
    future: asyncio.Future[Approval] = field(compare=False, repr=False)


@dataclass(frozen=True)
class ActionSkipped(Event):
    """The user declined the action."""

    step: int
    """Which model reply proposed it."""
    reason: str
    """Why, as told to the model."""


@dataclass(frozen=True)
class PreviewStarted(Event):
    """The action runs over a copy-on-write overlay: the project is not touched. Its live
    output follows as `ExecutionOutput`, then `PreviewReady`."""

    step: int
    """Which model reply proposed it."""
    code: str
    """The code that runs (the user's edit, if any)."""


@dataclass(frozen=True)
class PreviewReady(Event):
    """The preview ran: resolve `future` with `Approval("run")` to apply exactly its change set
    as one recorded action, `Approval("skip")` to discard it, or `Approval("stop")`."""

    step: int
    """Which model reply proposed the action."""
    code: str
    """The code that ran."""
    preview: PreviewRun
    """Its output, diff and change summary."""
    future: asyncio.Future[Approval] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PreviewRefused(Event):
    """Applying a preview was refused (the project changed since it ran, or a write was
    refused); nothing of it is kept but what `message` names. The action is asked about (or
    previewed) again."""

    step: int
    """Which model reply proposed the action."""
    message: str
    """What happened and what to do."""


@dataclass(frozen=True)
class ExecutionStarted(Event):
    """The action started running in the sandbox."""

    step: int
    """Which model reply proposed it."""
    code: str
    """The code that runs (the user's edit, if any)."""


@dataclass(frozen=True)
class ExecutionOutput(Event):
    """Live output of the running action (a preview; the result is authoritative)."""

    step: int
    """Which model reply proposed the action."""
    stream: StreamName
    """`stdout` or `stderr`."""
    text: str
    """A chunk of output."""


@dataclass(frozen=True)
class ExecutionFinished(Event):
    """The action ended."""

    step: int
    """Which model reply proposed it."""
    result: ExecutionResult
    """How it ended: output, status, changed files."""


@dataclass(frozen=True)
class SnapshotTaken(Event):
    """The history recorded the action (`entry` is None when it changed no file)."""

    step: int
    """Which model reply proposed the action."""
    entry: HistoryEntry | None
    """The `agent` entry, linked to this turn: diff and undo it by its id."""


def tests_title(step: int, before_answer: bool = False) -> str:
    """What a test run the agent started is called (its card, its history entry)."""
    return f"tests before answer {step}" if before_answer else f"tests after action {step}"


@dataclass(frozen=True)
class TestsStarted(Event):
    """The agent runs the project's tests itself (`AgentOptions.auto_test`): after an action
    changed Python files, or before an answer given while they have not run in the turn (no
    `files` then); `TestsOutput` events follow, then `TestsFinished`."""

    step: int
    """The model reply whose action changed the files, or that answered."""
    files: tuple[str, ...]
    """The Python files changed since the tests last ran; empty before an answer."""

    @property
    def title(self) -> str:
        """What the run is called: `tests after action 3`, `tests before answer 3`."""
        return tests_title(self.step, before_answer=not self.files)


@dataclass(frozen=True)
class TestsOutput(Event):
    """Live output of the test run the agent started (the result is authoritative)."""

    step: int
    """As in `TestsStarted`."""
    stream: StreamName
    """`stdout` or `stderr`."""
    text: str
    """A chunk of output."""


@dataclass(frozen=True)
class TestsFinished(Event):
    """The test run the agent started ended; its output is also in the observation."""

    step: int
    """As in `TestsStarted`."""
    result: ExecutionResult
    """How the run went (its stdout holds `run_tests`'s report)."""
    entry: HistoryEntry | None
    """The history entry of what the tests wrote, if they changed any file (usually None)."""
    summary: str
    """The report's first line, e.g. `pytest: FAILED: 3 passed, 2 failed (1.4s)`; empty when
    the run printed none (it failed or was stopped)."""


@dataclass(frozen=True)
class ObservationAdded(Event):
    """The observation that goes back to the model."""

    step: int
    """Which model reply proposed the action."""
    text: str
    """The observation as the model reads it."""


HeldReason = Literal["unsaved", "tests_failing", "untested", "tests_not_run"]

ANSWER_HELD: dict[HeldReason, str] = {
    "unsaved": (
        "The model answered, but the code it defined is only in the Python session: no file "
        "changed. The answer went back to it once, with the action that saves it."
    ),
    "tests_failing": (
        "The model answered, but its last test run failed and no file changed since. The answer "
        "went back to it once."
    ),
    "untested": (
        "The model answered, but it changed Python files after its last test run. The answer went "
        "back to it once, to run the tests."
    ),
    "tests_not_run": (
        "The model answered without running the tests. They ran before the answer and fail: the "
        "answer went back to it once, with their report."
    ),
}
"""What the user is told of an `AnswerHeld` (the UI's notice, `run`'s status line)."""


@dataclass(frozen=True)
class AnswerHeld(Event):
    """The model answered while code it defined is only in the Python session and the request
    names files that did not change (`unsaved`), while its last test run failed and no file
    changed since (`tests_failing`), after it changed Python files with no test run since
    while the request speaks of tests (`untested`), or when the tests had not run in the turn
    and failed when the agent ran them before the answer (`tests_not_run`): the answer goes
    back once, and the turn goes on."""

    step: int
    """The model reply that answered."""
    note: str
    """What the model is told (also sent as an `ObservationAdded`)."""
    reason: HeldReason = "unsaved"
    """Why it went back; `ANSWER_HELD[reason]` is what the user is told."""
    answer: str = ""
    """The answer that went back (a front-end shows it: it never becomes the turn's answer)."""

    @property
    def summary(self) -> str:
        """What the user is told: why it went back, and a quote of the answer's start."""
        quoted = " ".join(self.answer.split())
        if len(quoted) > ANSWER_QUOTE_CHARS:
            quoted = quoted[: ANSWER_QUOTE_CHARS - 1].rstrip() + "…"
        return f"{ANSWER_HELD[self.reason]} It said: “{quoted}”" if quoted else ANSWER_HELD[self.reason]


ANSWER_QUOTE_CHARS = 240
"""How much of a held answer `AnswerHeld.summary` quotes, on one line."""


@dataclass(frozen=True)
class SamplingRaised(Event):
    """The model repeated a step (or its answer went back to it): the rest of the turn's replies
    are sampled at least at `temperature`, so that it can say something else."""

    step: int
    """The reply after which it was raised."""
    temperature: float
    """The temperature the next replies are sampled at, at least."""

    @property
    def summary(self) -> str:
        """What the user is told (the UI's notice, `run`'s status line)."""
        return f"To get the model out of a rut, its next replies in this turn are sampled at temperature {self.temperature:g} or more."


@dataclass(frozen=True)
class StartedOver(Event):
    """The model gave up, or went round in circles, with the tests failing after its changes:
    the agent took the project back to where the turn began and asks the model afresh, with
    the turn's earlier replies left out of its context (`AgentOptions.fresh_attempts`)."""

    step: int
    """The reply after which the turn started over."""
    attempt: int
    """The attempt that begins now (2 for the first fresh one)."""
    attempts: int
    """How many attempts the turn may make in all."""
    counts: str | None
    """The failing test run's counts of the attempt that ended, e.g. `3 passed, 6 failed`; None
    when it changed no file (after an earlier attempt that failed)."""
    entry: HistoryEntry | None
    """The history entry of the restore (undo it to get the ended attempt's files back)."""

    @property
    def summary(self) -> str:
        """What the user is told (the UI's notice, `run`'s status line)."""
        undo = f"; history entry {self.entry.id} took its changes back" if self.entry is not None else ""
        ended = f"with the tests failing ({self.counts}){undo}" if self.counts is not None else "without changing a file"
        return f"Attempt {self.attempt - 1} ended {ended}. Starting over from the turn's beginning: attempt {self.attempt} of {self.attempts}."


@dataclass(frozen=True)
class AttemptKept(Event):
    """The turn ended with fewer tests passing than an earlier attempt of it: the agent put that
    attempt's files back."""

    step: int
    """The turn's last reply."""
    attempt: int
    """The attempt whose files the project now has."""
    passed: int
    """How many tests passed after it."""
    entry: HistoryEntry | None
    """The history entry of the restore (undo it to get the last attempt's files back)."""

    @property
    def summary(self) -> str:
        """What the user is told (the UI's notice, `run`'s status line)."""
        where = f" (history entry {self.entry.id}; undo it for the last attempt's)" if self.entry is not None else ""
        return f"Kept the files of attempt {self.attempt}, the one with the most tests passing ({self.passed}){where}."


@dataclass(frozen=True)
class ContextUsage(Event):
    """How full the context window is before the next request."""

    used_tokens: int
    """Tokens the conversation uses (server counts where known, else estimated)."""
    window: int
    """The session's context window."""

    @property
    def fraction(self) -> float:
        """Used share of the window, 0..1+."""
        return self.used_tokens / self.window if self.window else 0.0


@dataclass(frozen=True)
class ContextCompacted(Event):
    """Old messages were shortened to stay within the window."""

    before_tokens: int
    """Tokens before compaction."""
    after_tokens: int
    """Tokens after."""
    shortened: int
    """Messages whose output was shortened."""
    removed: int
    """Messages removed entirely."""


@dataclass(frozen=True)
class TurnFinished(Event):
    """The turn ended with an answer (or, in plan mode, a proposed action; or a manual action ran)."""

    reason: FinishReason
    """`solution` (tagged answer), `reply` (text without code), `plan` (action not run),
    `manual` (the user's own code ran: see its `ExecutionFinished`)."""
    answer: str
    """The answer text, or the proposed code in plan mode."""
    steps: int
    """Model replies this turn took."""


@dataclass(frozen=True)
class TurnFailed(Event):
    """The turn ended without an answer; `message` says why and, when known, what to do."""

    kind: FailureKind
    """`setup` (server or model unusable), `model` (a request failed), `executor`, `history`,
    `limit` (turn limit or context window), `interrupted`, `stuck` (the model repeated the same
    step without progress; `AgentOptions.stuck_after`)."""
    message: str
    """What happened and what to do about it."""
    steps: int
    """Model replies before it ended."""


TurnEvent = (
    TurnStarted
    | ModelLoading
    | ModelLoaded
    | GenerationStarted
    | TextDelta
    | AssistantMessage
    | CodeProposed
    | ApprovalRequested
    | ActionSkipped
    | PreviewStarted
    | PreviewReady
    | PreviewRefused
    | ExecutionStarted
    | ExecutionOutput
    | ExecutionFinished
    | SnapshotTaken
    | TestsStarted
    | TestsOutput
    | TestsFinished
    | ObservationAdded
    | AnswerHeld
    | SamplingRaised
    | StartedOver
    | AttemptKept
    | ContextUsage
    | ContextCompacted
    | TurnFinished
    | TurnFailed
)


def event_type(event: Event) -> str:
    """The snake_case name of an event's class, e.g. `code_proposed`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Fields kept out of repr (futures, an executor's opaque change set) stay out here too.
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict of an event with its `type` first (futures and change sets are left out)."""
    data = _plain(event)
    if isinstance(event, ContextUsage):
        data["fraction"] = round(event.fraction, 4)
    return {"type": event_type(event), **data}
