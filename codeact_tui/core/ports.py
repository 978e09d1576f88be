"""The ports the core needs, as Protocols, and the value types that cross them.

Adapters (`executor/`, `history/`, `llm/`) implement these; the core and the UI depend only on
this module. Everything here is standard library only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal, Protocol

FileChangeKind = Literal["added", "modified", "deleted", "renamed"]
StreamName = Literal["stdout", "stderr"]
ExecutionStatus = Literal["ok", "error", "stopped"]
EntryKind = Literal["agent", "manual", "user", "undo", "redo", "restore"]


@dataclass(frozen=True)
class FileChange:
    """One file an action or history entry changed."""

    path: str
    """Project-relative path with `/` separators (the new path of a rename)."""
    change: FileChangeKind
    """What happened to it."""
    old_path: str | None = None
    """The previous path, for a rename."""


OutputCallback = Callable[[StreamName, str], None]
"""Receives live output while an action runs: the stream's name and a chunk of text."""


@dataclass(frozen=True)
class ExecutionResult:
    """How one code action ended. The text fields are authoritative (live output is a preview)."""

    stdout: str
    """Everything the action wrote to standard output, up to the output limit."""
    stderr: str
    """Everything it wrote to standard error (tracebacks included), up to the output limit."""
    status: ExecutionStatus
    """`ok` (ran to the end), `error` (raised or exited non-zero), `stopped` (a limit or an
    interrupt stopped it)."""
    exit_code: int | None = 0
    """The guest's exit status; None when it was stopped."""
    stopped_by: str | None = None
    """What stopped it: "interrupt", "deadline", "memory", "stack overflow", "file calls", or the
    runtime's own words; None when it was not stopped."""
    state_reset: bool = False
    """True when the Python session was discarded and reopened (its variables are gone)."""
    restored_names: tuple[str, ...] = ()
    """After a reset: the variables kept after the previous action that were brought back into
    the new session (empty: none were)."""
    changed_files: tuple[FileChange, ...] = ()
    """Files the action created, changed, renamed or deleted in the project."""
    truncated: tuple[StreamName, ...] = ()
    """Streams whose output passed the limit and were cut."""
    duration_s: float = 0.0
    """Wall-clock time of the action."""
    warnings: tuple[str, ...] = ()
    """Things the user should know (large disk growth, refused writes, ...)."""
    left_out: tuple[str, ...] = ()
    """Functions the action defined at its top level that copy the sandbox's helpers (a small
    model writes them out from its prompt): they were left out, so its calls reached the helpers."""


@dataclass(frozen=True)
class SessionState:
    """The interpreter state of a sandbox session (the actions' variables), saved by the guest.

    `data` is opaque to the host (a pickle only the guest ever loads); the rest is what the
    guest said about it, for messages."""

    data: bytes
    """The saved state, to hand back to `restore_state`."""
    kept: tuple[tuple[str, str], ...] = ()
    """The names it holds, with their types."""
    skipped: tuple[tuple[str, str], ...] = ()
    """The names left out, with the reason (cannot be pickled, too large)."""
    seconds: float = 0.0
    """How long saving took."""

    @property
    def size(self) -> int:
        """Bytes kept."""
        return len(self.data)


@dataclass(frozen=True)
class StateRestore:
    """What restoring a `SessionState` (or rebuilding it) brought back."""

    restored: tuple[str, ...] = ()
    """The names now defined again."""
    failed: tuple[tuple[str, str], ...] = ()
    """Names that could not be brought back, with the reason."""
    skipped: tuple[tuple[str, str], ...] = ()
    """Names that were never kept (skipped when the state was saved), with the reason."""
    seconds: float = 0.0
    """How long it took."""
    replayed: tuple[str, ...] = ()
    """When the state was rebuilt by running the kept actions' code again: one line per action."""

    @property
    def ok(self) -> bool:
        """Whether everything that was kept came back."""
        return not self.failed


class Executor(Protocol):
    """Runs code actions in one persistent sandbox session inside the project."""

    async def run(
        self,
        code: str,
        *,
        on_output: OutputCallback | None = None,
        deadline_s: float | None = None,
    ) -> ExecutionResult:
        """Run one code action and return how it ended; never raises for guest behaviour."""
        ...

    def interrupt(self) -> None:
        """Stop the running action: softly first (KeyboardInterrupt in the guest), then hard."""
        ...

    async def close(self) -> None:
        """End the session and release its resources."""
        ...


class PreviewNotApplied(Exception):
    """A previewed change set was not written: the project changed since the preview, or a
    write was refused. The message names the files and what to do."""


@dataclass(frozen=True)
class PreviewRun:
    """One action run over a copy-on-write overlay: what it printed and what it would change.

    The project is untouched; the session's variables are those of the run (it really ran).
    """

    result: ExecutionResult
    """How the run ended; `changed_files` lists what applying would change."""
    diff: str
    """The change set as a unified diff per file (cut to a line budget)."""
    summary: str
    """One line: counts of added, modified and deleted files."""
    changes: object = field(default=None, compare=False, repr=False)
    """The executor's own change set, handed back to `apply_preview` (opaque to the core)."""

    @property
    def empty(self) -> bool:
        """Whether applying would change nothing."""
        return not self.result.changed_files


class PreviewExecutor(Executor, Protocol):
    """An executor that can run an action without touching the project, then apply it."""

    async def preview_action(
        self,
        code: str,
        *,
        on_output: OutputCallback | None = None,
        deadline_s: float | None = None,
    ) -> PreviewRun:
        """Run code over an overlay of the project and return what it would change."""
        ...

    def apply_preview(self, preview: PreviewRun) -> None:
        """Write exactly the previewed change set into the project (blocking: call it in a
        thread, between the history's `begin_action` and `finish_action`).

        Raises:
            PreviewNotApplied: the project changed since the preview, or a write was refused.
        """
        ...


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change of the project tree."""

    id: int
    """Sequential per project, starting at 1."""
    kind: EntryKind
    """Who or what made the change."""
    time: str
    """When it was recorded, ISO 8601 in UTC."""
    summary: str
    """One line saying what it was."""
    files: tuple[FileChange, ...] = ()
    """The files it changed."""
    before: str = ""
    """The snapshot (commit id) of the tree before it."""
    after: str = ""
    """The snapshot (commit id) of the tree after it."""
    turn_id: str | None = None
    """The conversation turn that caused it, when there is one."""
    target: int | None = None
    """For undo/redo/restore: the entry it acted on."""
    untracked: tuple[str, ...] = field(default=())
    """Files left out of the snapshot (too large), which undo cannot restore."""


class ActionTicket(Protocol):
    """What `History.begin_action` returns; handed back to `finish_action`."""


class ConflictHunk(Protocol):
    """One region where later work and a wanted change overlap."""

    @property
    def line(self) -> int:
        """Where it starts in the current file (1-based)."""
        ...

    @property
    def current(self) -> str:
        """What the file has there now."""
        ...

    @property
    def wanted(self) -> str:
        """What the change wants there."""
        ...


class Conflict(Protocol):
    """A file an undo, redo or restore refused to touch, and why."""

    @property
    def path(self) -> str:
        """The project-relative path."""
        ...

    @property
    def reason(self) -> str:
        """Why, in words."""
        ...

    @property
    def hunks(self) -> Sequence[ConflictHunk]:
        """The overlapping regions (empty when the whole file is the problem)."""
        ...


class HistoryChange(Protocol):
    """What an undo, redo or restore reports back."""

    @property
    def ok(self) -> bool:
        """True when the tree now is what was asked for (also when there was nothing to do)."""
        ...

    @property
    def message(self) -> str:
        """What happened and what the user can do next."""
        ...

    @property
    def entry(self) -> HistoryEntry | None:
        """The new `undo`/`redo`/`restore` entry, or None when nothing was written."""
        ...

    @property
    def target(self) -> HistoryEntry | None:
        """The entry that was undone, redone or restored to."""
        ...

    @property
    def conflicts(self) -> Sequence[Conflict]:
        """Why it was refused: the files (and regions) later work changed."""
        ...

    @property
    def warnings(self) -> Sequence[str]:
        """Things the user should know even though it worked."""
        ...


class HistoryError(Exception):
    """The history could not do what was asked; the message says why and what to do."""


class UnknownEntry(HistoryError):
    """An entry id that does not exist (or whose snapshots were pruned)."""


class HistoryBusy(HistoryError):
    """Another process holds the history's lock for longer than we were willing to wait."""


class History(Protocol):
    """Snapshots of the project around every action, with diff, undo, redo and restore.

    Every method blocks (git runs underneath): call them from a thread in async code. Failures
    raise `HistoryError` (`UnknownEntry` for an id that does not exist, `HistoryBusy` when
    another process holds the lock).
    """

    def begin_action(self, kind: EntryKind, summary: str, turn_id: str | None = None) -> ActionTicket:
        """Snapshot the tree before an action; first records outside changes as a `user` entry."""
        ...

    def finish_action(self, ticket: ActionTicket) -> HistoryEntry | None:
        """Snapshot the tree after the action; the new entry, or None if nothing changed."""
        ...

    def entries(self) -> list[HistoryEntry]:
        """All entries, oldest first."""
        ...

    def sync(self) -> object:
        """Record changes made outside actions since the last snapshot (as a `user` entry)."""
        ...

    def entry(self, entry_id: int) -> HistoryEntry:
        """The entry with this id (raises UnknownEntry)."""
        ...

    def diff(self, entry_id: int, paths: list[str] | None = None) -> str:
        """What one entry changed, as a unified diff (only `paths`, when given)."""
        ...

    def diff_between(self, a: int, b: int, paths: list[str] | None = None) -> str:
        """The unified diff from the state after entry `a` to the state after entry `b` (point
        0 is the state before the first entry)."""
        ...

    def undo(self, entry_id: int | None = None) -> HistoryChange:
        """Take back one entry (default: the newest agent or manual one in effect), keeping
        later work; refuses, writing nothing, where later work overlaps."""
        ...

    def redo(self, entry_id: int | None = None) -> HistoryChange:
        """Take back an undo still in effect (default: the newest, unless new work came after)."""
        ...

    def redo_target(self) -> HistoryEntry | None:
        """The entry a plain `redo()` would bring back (None: there is nothing to redo)."""
        ...

    def restore(self, entry_id: int) -> HistoryChange:
        """Make the project what it was right after an entry (recorded as an entry itself)."""
        ...

    def prune(self) -> int:
        """Forget the entries older than the configured age; how many were dropped."""
        ...

    def close(self) -> None:
        """Release the store (its lock and files)."""
        ...


# --- the model port -------------------------------------------------------------------------

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation, as sent to a chat model."""

    role: Role
    """Who speaks: the system prompt, the user (observations are user turns too), the model."""
    content: str
    """The text of the message."""


@dataclass(frozen=True)
class Sampling:
    """How a model samples its reply. A value left None is not sent: the next source decides
    (the user's settings win over a model profile's, and the server's own default comes last).
    The names are those of Ollama's options and llama.cpp's; each backend maps them."""

    temperature: float | None = None
    """0 picks the likeliest token every time (reproducible); higher is more varied."""
    top_p: float | None = None
    """Nucleus sampling: keep the likeliest tokens whose probabilities add up to this."""
    top_k: int | None = None
    """Keep only this many likeliest tokens (0: all)."""
    min_p: float | None = None
    """Drop tokens less likely than this share of the likeliest one's probability."""
    repeat_penalty: float | None = None
    """Make tokens seen recently less likely (1.0: off); Hugging Face calls it repetition_penalty."""
    least_temperature: float | None = None
    """A floor on the temperature that beats every other source, the user's settings too: the
    agent sets it for the replies after the model repeated itself (`AgentOptions.retry_temperature`).
    Not a server option; the backends apply it to `temperature`."""
    least_top_p: float | None = None
    """The same floor for `top_p`: with top_p 0.8 a model copying its last action keeps only
    the likeliest token at every step, whatever the temperature."""

    def given(self) -> dict[str, float | int]:
        """The values that are set, by name."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    def over(self, base: Sampling) -> Sampling:
        """These values where they are set, else `base`'s."""
        return Sampling(**{**base.given(), **self.given()})


@dataclass(frozen=True)
class ModelInfo:
    """What a backend learned about its model while preparing it."""

    name: str
    """The model's name (or GGUF file name)."""
    backend: str
    """`ollama`, `openai`, `embedded` or `scripted`."""
    context_window: int
    """The context window pinned for this session, in tokens (Ollama's `num_ctx`)."""
    trained_context: int | None = None
    """The context length the model was trained for, when the server says so."""
    host: str = ""
    """The server's URL, for messages; empty for in-process backends."""
    family: str = ""
    """The model family the server or file names (Ollama's `details.family`, GGUF
    `general.name`), used to choose a model profile."""


@dataclass(frozen=True)
class TextChunk:
    """A piece of the model's reply, as it streams."""

    text: str


@dataclass(frozen=True)
class GenerationStats:
    """How one model reply went; counts come from the server when it reports them."""

    prompt_tokens: int | None = None
    """Tokens in the prompt (the server's count, or None when it gave none)."""
    completion_tokens: int | None = None
    """Tokens generated."""
    time_to_first_token_s: float | None = None
    """Seconds from sending the request to the first text chunk."""
    tokens_per_s: float | None = None
    """Generation speed (server timing when given, else measured from the first chunk)."""
    load_s: float = 0.0
    """Seconds the server spent loading the model for this request (0 when it was loaded)."""
    duration_s: float = 0.0
    """Wall-clock seconds of the whole request."""
    done_reason: str | None = None
    """Why generation ended: "stop", "length", "cancelled", ..."""
    cached_prompt_tokens: int | None = None
    """Prompt tokens the server reused from the previous request (its prefix cache), when it
    says; a request that extends the previous one reuses all of that one's prompt."""


@dataclass(frozen=True)
class GenerationDone:
    """The last item of a model stream: the reply ended normally."""

    stats: GenerationStats


ModelStreamItem = TextChunk | GenerationDone


class ModelError(Exception):
    """A model backend failed; the message says what happened and, when known, how to fix it."""


class ModelSetupError(ModelError):
    """The model cannot be used at all (server unreachable, model missing, file absent)."""


class ModelStreamError(ModelError):
    """A request failed while it ran (error line, connection cut, malformed data, timeout)."""


class ChatModel(Protocol):
    """A streaming chat model. One instance is one session: its context window never changes."""

    async def prepare(self) -> ModelInfo:
        """Check the server and model and pin the context window; raises ModelSetupError."""
        ...

    async def is_loaded(self) -> bool:
        """Whether the model is in memory (so the next request will not wait for a load)."""
        ...

    async def load(self) -> float:
        """Load (warm up) the model; returns the seconds it took. Raises ModelError."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], *, stop: Sequence[str] = (), sampling: Sampling | None = None
    ) -> AsyncIterator[ModelStreamItem]:
        """Stream one reply: text chunks, then one GenerationDone. Closing it cancels the request.

        `sampling` is the request's own (a model profile's); values the user set in the settings
        win over it, and what neither sets is left to the server.

        Raises ModelError while iterating.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """The number of tokens in a text (the model's tokenizer, or an estimate)."""
        ...

    async def close(self) -> None:
        """Release connections and memory."""
        ...
