"""One conversation in one project, headless: the service both front-ends call.

`Conversation` composes what a conversation needs from the settings — the chat model, the sandbox
executor, the history store, the prompts, the transcript and the agent (through
`compose.compose_agent`, the one place an `Agent` is built, which the benchmarks share). The app
(`ui/`), `codeact-tui run` and `codeact-tui exec` all drive it:

- user turns (`turn`) and manual actions (`manual`) both yield core events (`core.events`);
- new / resume / switch model / approval policy;
- the history (entries, diffs, undo, redo, restore) with the selection rules applied.

Words used throughout: a **user turn** is one request of the user and everything the model does
for it until it answers; a **model reply** is one generation of the model within it (a "step",
counted from 1); a **sandbox run** (an *action*) is one execution of code in the sandbox — the
model's, or the user's own (a *manual* action, step 0).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

from .. import paths
from ..config import Settings
from ..core import events as ev
from ..core.agent import Agent, AgentOptions, ApproveMode
from ..core.briefing import briefing_text, compose_user_message, map_update, named_files_note
from ..core.context import ContextBudget, ConversationMessage, reply_reserve
from ..core.ports import ChatModel, ExecutionResult, History, HistoryChange, HistoryEntry, ModelInfo, SessionState, StateRestore
from ..core.profiles import Profile
from ..core.prompts import PromptLibrary
from ..core.transcript import Transcript, action_record, find_transcript, load_messages, read_records
from ..resources import resource_dir
from .changes import ChangeTracker
from .compose import compose_agent
from .deferred import DeferredExecutor
from .interpreter import StateKeeper, UserTurn, describe, user_turns
from .manual import MANUAL_STEP, manual_turn
from .named_files import read_named_files
from .profiles import profile_for
from .rewind import RewindError, RewindOutcome, RewindPlan, plan_rewind, rewind_conversation
from .services import ModelChoice, PullStep, Services


class SetupError(RuntimeError):
    """The conversation cannot start (sandbox or history unusable); the message says the fix."""


HistoryVerb = Literal["undo", "redo", "restore"]
"""A change to the history that the user asks for by name."""


def conversations_dir(project: Path) -> Path:
    """Where a project's conversations are stored (one JSONL file each)."""
    return paths.project_data_dir(project) / "conversations"


class Conversation:
    """One conversation with a model that acts through code, in one project.

    Args:
        project: The project folder.
        settings: All settings (command-line overrides already applied).
        services: How to build the model, sandbox and history (tests pass fakes).
        resume: `latest` or a conversation id to continue; None starts a new conversation.
    """

    def __init__(self, project: Path, settings: Settings, services: Services | None = None, *, resume: str | None = None) -> None:
        self.project = project
        self.settings = settings
        self.services = services or Services()
        self.resume_id = resume
        self.executor = DeferredExecutor(lambda: self.services.make_executor(self.project, self.settings))
        self.history: History | None = None
        """The project's history, once `open_history` ran (None: none is kept, or it failed)."""
        self.history_error: str | None = None
        """Why the history could not be opened."""
        self.model: ChatModel | None = None
        self.info: ModelInfo | None = None
        """What the backend reported, once the model was checked."""
        self.transcript: Transcript | None = None
        self.earlier: list[ConversationMessage] = []
        """The resumed conversation's messages (until the agent takes them over)."""
        self.earlier_records: list[dict[str, Any]] = []
        """The resumed conversation's records, to redraw it."""
        self.always_approve = False
        """In ask mode: the user chose "always" — further approvals are granted here."""
        self._agent: Agent | None = None
        self._connecting: asyncio.Task[ModelInfo] | None = None
        """The connection under way, which every caller at the time awaits (see `connect`)."""
        self.profile: Profile | None = None
        """The model profile in use, once connected."""
        self._prompts = PromptLibrary(resource_dir("prompts"))
        self._manual_running = False
        self._manual_runs = 0
        self._changes = ChangeTracker()
        self._files_shown: dict[str, tuple[str | None, str]] = {}
        """The named files quoted to the model in this conversation, as they were then."""
        self._map_budget = 0
        self._map_sent: str | None = None
        """The repo map the model has seen (system prompt, then updates in user messages)."""
        self._map_fresh = False
        """The map was just built with the system prompt: the next user turn needs no update."""
        self._states = StateKeeper(self.executor, settings.sandbox.state_limit_mib)
        self._state_pending: tuple[list[dict[str, Any]], str] | None = None
        """Records whose end state the session should have, and how to say where that is."""
        self.last_restore: StateRestore | None = None
        """What the last resume or rewind brought back into the Python session."""
        self.last_restore_where = ""
        """Where that was ("to before turn 3", ...)."""
        self._restoring = asyncio.Lock()

    # --- what it is -------------------------------------------------------------------------------

    @property
    def conversations_dir(self) -> Path:
        """Where this project's conversations are stored."""
        return conversations_dir(self.project)

    @property
    def connected(self) -> bool:
        """Whether the model in use was checked and the agent is built for it."""
        return self._agent is not None and self.info is not None and self._connecting is None

    @property
    def messages(self) -> list[ConversationMessage]:
        """The conversation as the model sees it (a copy)."""
        return self._agent.messages if self._agent is not None else list(self.earlier)

    @property
    def approve_mode(self) -> ApproveMode:
        """The approval policy: `auto`, `ask`, `plan` or `preview`."""
        return self.settings.agent.approve

    @property
    def model_label(self) -> str:
        """`backend:model` as configured (before the server answered)."""
        model = self.settings.model
        return f"{model.backend}:{model.model or '(none)'}"

    def server_host(self) -> str:
        """The model server's address (for setup messages)."""
        return self.services.server_host(self.model, self.settings.model)

    # --- start-up -------------------------------------------------------------------------------

    def open_history(self) -> None:
        """Open the history store (blocking: call from a thread); failures go to `history_error`."""
        try:
            self.history = self.services.open_history(self.project, self.settings)
        except Exception as exc:
            self.history_error = str(exc) or type(exc).__name__

    def load_resume(self) -> None:
        """Read the conversation to continue, if one was asked for (raises TranscriptError)."""
        if self.resume_id is None:
            return
        path = find_transcript(self.conversations_dir, self.resume_id)
        self.earlier = load_messages(path)
        self.earlier_records = read_records(path)
        self.transcript = Transcript.open(path)
        self._state_pending = (self.earlier_records, "to where the resumed conversation ended")
        recorded = [int(r["history_entry"]) for r in self.earlier_records if r.get("type") == "action" and r.get("history_entry")]
        if recorded:  # what changed since the conversation's last recorded action is news to the model
            self._changes.start_from(max(recorded))

    async def start_sandbox(self, on_progress: Callable[[float], None] | None = None) -> float | None:
        """Compile the sandbox once if needed (progress in seconds, maybe from another thread,
        starting with 0), then open its session. Returns the compile's seconds, or None.

        Raises:
            SetupError: The sandbox cannot start; the message says why.
        """
        took: float | None = None
        try:
            if not await asyncio.to_thread(self.services.sandbox_is_warm):
                if on_progress is not None:
                    on_progress(0.0)
                took = await asyncio.to_thread(self.services.warm_sandbox, on_progress)
            await self.executor.start()
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            self.executor.fail(message)
            raise SetupError(message) from exc
        return took

    async def prepare_model(self) -> ModelInfo:
        """Build the model if needed, check it and choose its profile (raises ModelSetupError
        with the fix)."""
        if self.model is None:
            self.model = self.services.make_model(self.settings.model)
        self.info = await self.model.prepare()
        self.profile = profile_for(self.info, self.settings.model.profile)
        self._prompts = PromptLibrary(resource_dir("prompts"), overrides=self.profile.templates)
        return self.info

    async def connect(self) -> ModelInfo:
        """Check the model and build the agent for the next user turn (raises ModelSetupError).

        There is one connection at a time: a call while one is under way (the app's start-up
        check and a quick first user turn) awaits that one, so the model is checked, the repo
        map built and the agent composed once. Called again afterwards (a retry, another model)
        it rebuilds the agent; the conversation goes on.
        """
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        # Shielded: a caller that gives up (a cancelled worker) leaves the connection to the others.
        return await asyncio.shield(self._connecting)

    async def ensure_connected(self) -> ModelInfo:
        """Connect unless connected (the model in use checked, the agent built): what start-up
        calls, so a first user turn that connected already is not connected again under it."""
        if self.connected:
            assert self.info is not None
            return self.info
        return await self.connect()

    def _forget_connection(self) -> None:
        """Abandon a connection under way (its model or conversation is no longer the one)."""
        if self._connecting is not None:
            self._connecting.cancel()
            self._connecting = None

    async def _connect(self) -> ModelInfo:
        try:
            return await self._compose()
        finally:
            if self._connecting is asyncio.current_task():
                self._connecting = None

    async def _compose(self) -> ModelInfo:
        """Check the model, build the repo map and the system prompt, and compose the agent."""
        info = await self.prepare_model()
        assert self.model is not None
        self._map_budget = min(self.settings.codeintel.map_tokens, info.context_window // 8)
        repo_map = await self._repo_map()
        self._map_sent, self._map_fresh = repo_map or "", True
        profile = self.profile
        assert profile is not None
        if self.transcript is None:
            self.transcript = Transcript.create(
                self.conversations_dir, project=str(self.project.resolve()), model=f"{info.backend}:{info.name}"
            )
        agent_settings = self.settings.agent
        self._agent = compose_agent(
            model=self.model,
            executor=self.executor,
            history=self.history,
            prompts=self._prompts,
            project=self.project,
            instructions_file=agent_settings.instructions_file,
            repo_map=repo_map,
            code_tools=self.services.code_tools,
            options=AgentOptions(
                max_turns=agent_settings.max_turns,
                approve=agent_settings.approve,
                observation_limit_lines=agent_settings.observation_limit_lines,
                stuck_after=agent_settings.stuck_after,
                retry_temperature=agent_settings.retry_temperature,
                auto_test=agent_settings.auto_test,
                fresh_attempts=agent_settings.fresh_attempts,
                deadline_s=self.settings.sandbox.deadline_s,
                reserve_tokens=reply_reserve(info.context_window, self.settings.model.max_reply_tokens),
                stop=profile.stop,
                sampling=profile.sampling,
            ),
            transcript=self.transcript,
            resume=self.messages,
        )
        return info

    async def context_used(self) -> int | None:
        """Tokens the conversation uses in the checked model's window, counted as a turn counts
        them (None before the model was checked)."""
        if self.model is None or self.info is None:
            return None
        budget = ContextBudget(self.info.context_window, self.model.count_tokens)
        return await asyncio.to_thread(budget.used, self.messages)

    # --- conversation and model choices --------------------------------------------------------------

    def new(self) -> None:
        """Start a new conversation (the old one stays on disk, resumable); connect again. The
        Python session's variables go too, before the next sandbox run (a sandbox not up yet
        has none, and nothing waits for it)."""
        self._drop_conversation()
        self.resume_id = None
        if self.executor.ready:
            self._state_pending = ([], "for the new conversation")

    def resume(self, which: str) -> None:
        """Continue an earlier conversation (`latest` or its id; raises TranscriptError)."""
        self._drop_conversation()
        self.resume_id = which
        self.load_resume()

    def _drop_conversation(self) -> None:
        self._forget_connection()
        if self.transcript is not None:
            self.transcript.close()
        self.transcript = None
        self._agent = None
        self.earlier = []
        self.earlier_records = []
        self._changes = ChangeTracker()
        self._files_shown = {}
        self._state_pending = None
        self.last_restore, self.last_restore_where = None, ""

    async def switch_model(self, name: str) -> None:
        """Use another model from the next user turn on (the conversation continues); connect
        again to check it."""
        self._forget_connection()
        if self.model is not None:
            await self.model.close()
        self.settings = dataclasses.replace(self.settings, model=dataclasses.replace(self.settings.model, model=name))
        self.model = None
        self.info = None

    async def list_models(self) -> list[ModelChoice]:
        """The models installed on the model server."""
        return await self.services.list_models(self.settings.model)

    def pull_model(self, name: str) -> AsyncIterator[PullStep]:
        """Download a model, reporting progress."""
        return self.services.pull_model(self.settings.model, name)

    def set_always_approve(self, always: bool) -> None:
        """In ask mode: approve every further action of this session (or ask again)."""
        self.always_approve = always

    # --- turns ------------------------------------------------------------------------------------

    async def turn(self, text: str) -> AsyncGenerator[ev.TurnEvent, None]:
        """One user turn: the model replies, acts in the sandbox and answers; yields its events
        (the last is `TurnFinished` or `TurnFailed`). Connects first if needed (raises
        ModelSetupError when no model is usable)."""
        if not self.connected:
            await self.connect()
        agent = self._agent
        assert agent is not None
        await self.restore_session()
        message = compose_user_message(await self._briefing(text), text)
        await self._checkpoint()
        async for event in agent.run_turn(message):
            self._changes.observe(event)
            if isinstance(event, ev.ApprovalRequested) and self.always_approve:
                if not event.future.done():
                    event.future.set_result(ev.Approval("run"))
                continue
            yield event
            if isinstance(event, ev.SnapshotTaken):
                await self._states.keep(self.history, self.transcript, event.turn_id, event.step, event.entry.id if event.entry else None)

    async def manual(self, code: str, *, deadline_s: float | None = None) -> AsyncGenerator[ev.TurnEvent, None]:
        """The user's own code as a user turn: one recorded sandbox run (see `manual_turn`)."""
        self._manual_runs += 1
        turn_id = f"manual-{secrets.token_hex(3)}-{self._manual_runs}"
        await self.restore_session()
        self._manual_running = True
        result: ExecutionResult | None = None
        entry: HistoryEntry | None = None
        try:
            async for event in manual_turn(
                self.executor,
                self.history,
                code,
                turn_id=turn_id,
                deadline_s=self.settings.sandbox.deadline_s if deadline_s is None else deadline_s,
            ):
                if isinstance(event, ev.ExecutionFinished):
                    result = event.result
                elif isinstance(event, ev.SnapshotTaken):
                    entry = event.entry
                yield event
        finally:
            self._manual_running = False
            self._changes.manual_ran(code, result, entry)  # the model hears of it next turn
            if self.transcript is not None:  # a resumed conversation shows it again (not the model)
                self.transcript.append({**action_record(turn_id, MANUAL_STEP, code, result, entry), "manual": True})
        if result is not None:
            await self._states.keep(self.history, self.transcript, turn_id, MANUAL_STEP, entry.id if entry else None)

    async def _repo_map(self) -> str | None:
        if self._map_budget <= 0:
            return None
        return await asyncio.to_thread(self.services.repo_map, self.project, self.settings, self._map_budget)

    async def _briefing(self, request: str) -> str:
        """What changed since the model's last action that it did not do, how the repo map
        changed, and the files `request` names that the model has not seen as they are now —
        for the next user message (the system prompt stays as it is)."""
        try:
            notes = await asyncio.to_thread(self._changes.take, self.history, self.transcript.id if self.transcript else None)
        except Exception:  # a busy or broken history must not cost the user their turn
            notes = []
        parts = [briefing_text(self._prompts, notes)]
        if self._map_fresh:
            self._map_fresh = False
        elif self._map_sent is not None:
            fresh = await self._repo_map()
            update = map_update(self._map_sent, fresh or "")
            if update is not None:
                parts.append(update)
                self._map_sent = fresh or ""
        named = await asyncio.to_thread(read_named_files, self.project, request)
        unseen = [f for f in named if self._files_shown.get(f.path) != (f.text, f.size)]
        self._files_shown.update({f.path: (f.text, f.size) for f in unseen})
        parts.append(named_files_note(self._prompts, unseen))
        return "\n\n".join(part for part in parts if part)

    def interrupt(self) -> None:
        """Stop what runs: the model's reply or sandbox run (softly, then hard), or a manual one."""
        if self._manual_running:
            self.executor.interrupt()
        elif self._agent is not None:
            self._agent.interrupt()

    # --- interpreter state --------------------------------------------------------------------------

    @property
    def keeps_state(self) -> bool:
        """Whether the sandbox's variables are kept after each action (and can be restored)."""
        return self._states.enabled

    async def save_state(self) -> SessionState:
        """The session's variables now (for a caller that may want them back, e.g. before a
        preview that could be discarded). Raises StateError or RuntimeError when it cannot."""
        return await self.executor.save_state()

    async def restore_state(self, state: SessionState) -> StateRestore:
        """Put saved variables back into the session (names made since are removed)."""
        return await self.executor.restore_state(state)

    async def restore_session(self) -> StateRestore | None:
        """Bring the Python session to the state the conversation expects (after a resume or
        a rewind); the model hears exactly what came back. Nothing to do otherwise."""
        async with self._restoring:  # a turn waits for a restore under way (the app starts one)
            pending, self._state_pending = self._state_pending, None
            if pending is None or not await self.executor.wait_ready():
                return None
            records, where = pending
            if not records:  # a new conversation: nothing comes back, and nothing may linger
                await self._clear_session()
                return None
            if not self._states.enabled:
                return None
            try:
                restored = await self._states.restore(self.history, records, self.transcript)
            except Exception as exc:  # noqa: BLE001 - the conversation goes on with what the session has
                self._changes.session_note(f"The Python session could not be restored {where} ({exc}); earlier variables may be missing.")
                return None
            self.last_restore = restored
            self.last_restore_where = where
            self._changes.session_note(describe(restored, where))
            return restored

    def restore_text(self, restored: StateRestore | None) -> str | None:
        """In words, what `restore_session` brought back (None: it had nothing to say)."""
        if restored is None and not self.last_restore_where:
            return None
        return describe(restored, self.last_restore_where)

    async def _clear_session(self) -> None:
        """Remove the variables earlier actions made (an executor that keeps none has none)."""
        if self.executor.keeps_state():
            await self.executor.clear_state()

    @property
    def restore_pending(self) -> bool:
        """Whether the Python session still has to be brought to the conversation's state."""
        return self._state_pending is not None

    async def _checkpoint(self) -> None:
        """Record the history point a user turn starts from (what `rewind` returns to)."""
        if self.transcript is None or self.history is None:
            return
        try:
            entries = await asyncio.to_thread(self.history.entries)
        except Exception:  # noqa: BLE001 - rewind then falls back to the turn's own entries
            return
        self.transcript.append({"type": "checkpoint", "point": entries[-1].id if entries else 0})

    def user_turns(self) -> list[UserTurn]:
        """The conversation's user turns (what `rewind` numbers), oldest first."""
        records = self.transcript.records() if self.transcript is not None else self.earlier_records
        return user_turns(records)

    def turn_number(self, turn_id: str | None) -> int | None:
        """The number `rewind` gives the user turn with this id (None: not a user turn here)."""
        return next((t.number for t in self.user_turns() if turn_id and t.turn_id == turn_id), None)

    async def plan_rewind(self, turn: int) -> RewindPlan:
        """What `rewind(turn)` would change — files, turns dropped, variables — writing nothing
        (raises RewindError, or HistoryError when the history is busy or pruned)."""
        if self.transcript is None:
            raise RewindError("there is no conversation to rewind")
        return await plan_rewind(self, turn)

    async def rewind(self, turn: int, *, force: bool = False) -> RewindOutcome:
        """Return to before user turn `turn`: the files (one undoable `restore` entry), the
        conversation (a new branch; the old one stays resumable) and the Python session's
        variables. Refuses, writing nothing, when unrecorded changes would be overwritten
        (unless `force`: they are then recorded first, so undo brings them back)."""
        if self.transcript is None:
            raise RewindError("there is no conversation to rewind")
        outcome = await rewind_conversation(self, turn, force=force)
        if outcome.ok and outcome.branch_id is not None:
            self._drop_conversation()
            self.resume_id = outcome.branch_id
            self.load_resume()
            await self._brief_rewind(turn)
            where = f"to before turn {turn}"
            self._state_pending = (self.earlier_records, where)
            if self.executor.ready:
                outcome.state = await self.restore_session()
                outcome.state_where = where
        return outcome

    async def _brief_rewind(self, turn: int) -> None:
        """After a rewind the model hears only the net change since its last action (the user's
        edits made before that turn), not the dropped turns' entries and their undoing."""
        from .changes import diff_stat

        known = [int(r["history_entry"]) for r in self.earlier_records if r.get("type") == "action" and isinstance(r.get("history_entry"), int)]
        history = self.history
        try:
            entries = await asyncio.to_thread(history.entries) if history is not None else []
        except Exception:  # noqa: BLE001 - the tracker then reads the history as usual
            return
        newest = entries[-1].id if entries else 0
        self._changes = ChangeTracker()
        self._changes.start_from(newest)
        self._files_shown = {}
        note = f"The conversation was rewound to before turn {turn}: what you did from that turn on is undone, files included."
        between = getattr(history, "diff_between", None)
        if known and callable(between) and max(known) != newest:
            try:
                stats = diff_stat(await asyncio.to_thread(between, max(known), newest))
            except Exception:  # noqa: BLE001 - a pruned point: say no more than the rewind
                stats = {}
            if stats:
                files = ", ".join(f"{path} (+{added} -{removed})" for path, (added, removed) in list(stats.items())[:8])
                note += f" Since your last action the user changed: {files}."
        self._changes.session_note(note)

    # --- history ----------------------------------------------------------------------------------

    def history_exists(self) -> bool:
        """Whether the project has a history yet (without creating one, as opening does)."""
        return self.services.history_exists(self.project)

    def history_size(self) -> tuple[int, str | None] | None:
        """(bytes, warning or None) the project's history takes on disk; None: it has none."""
        return self.services.history_size(self.project, self.settings)

    async def prune(self) -> int:
        """Forget the entries older than `[history] keep_days`; how many were dropped."""
        return await asyncio.to_thread(self._require_history().prune)

    @property
    def history_problem(self) -> str | None:
        """Why the history cannot be used now ("no history: ..."); None when it can."""
        if self.history is not None:
            return None
        return f"no history: {self.history_error or 'it is still opening'}"

    def _require_history(self) -> History:
        if self.history is None:
            raise SetupError(self.history_problem or "no history")
        return self.history

    async def entries(self) -> list[HistoryEntry]:
        """Every history entry, oldest first."""
        return await asyncio.to_thread(self._require_history().entries)

    async def undone_ids(self, entries: list[HistoryEntry] | None = None) -> set[int]:
        """Ids of the entries whose effect an undo currently takes back."""
        from ..history.selection import reverted_ids

        return set(reverted_ids(entries if entries is not None else await self.entries()))

    async def undo_target(self) -> HistoryEntry | None:
        """The entry a plain `undo()` would take back (None: no action is in effect)."""
        from ..history.selection import default_undo_target

        return default_undo_target(await self.entries())

    async def entry(self, entry_id: int) -> HistoryEntry:
        """The entry with this id (raises UnknownEntry)."""
        return await asyncio.to_thread(self._require_history().entry, entry_id)

    async def diff(self, entry_id: int, paths: list[str] | None = None) -> str:
        """What one entry changed (unified diff; only `paths`, when given)."""
        return await asyncio.to_thread(self._require_history().diff, entry_id, paths)

    async def diff_between(self, a: int, b: int, paths: list[str] | None = None) -> str:
        """From the state after entry `a` to the state after entry `b` (0: the start)."""
        return await asyncio.to_thread(self._require_history().diff_between, a, b, paths)

    async def undo(self, entry_id: int | None = None) -> HistoryChange:
        """Take back an entry (default: the newest action still in effect), keeping later work."""
        return await asyncio.to_thread(self._require_history().undo, entry_id)

    async def redo(self, entry_id: int | None = None) -> HistoryChange:
        """Take back an undo still in effect (default: the newest, unless new work came after)."""
        return await asyncio.to_thread(self._require_history().redo, entry_id)

    async def redo_target(self) -> HistoryEntry | None:
        """The entry a plain `redo()` would bring back (None: there is nothing to redo)."""
        return await asyncio.to_thread(self._require_history().redo_target)

    async def restore(self, entry_id: int) -> HistoryChange:
        """Make the project what it was right after an entry."""
        return await asyncio.to_thread(self._require_history().restore, entry_id)

    async def change_target(self, verb: HistoryVerb) -> HistoryEntry | None:
        """The entry a plain undo or redo would act on (None: there is none; `change` says why)."""
        if verb == "undo":
            return await self.undo_target()
        if verb == "redo":
            return await self.redo_target()
        raise ValueError("restore names its entry")

    async def change(self, verb: HistoryVerb, entry_id: int | None = None) -> HistoryChange:
        """Undo, redo or restore by name (undo and redo default to their plain target)."""
        if verb == "undo":
            return await self.undo(entry_id)
        if verb == "redo":
            return await self.redo(entry_id)
        if entry_id is None:
            raise ValueError("restore needs the entry to restore to")
        return await self.restore(entry_id)

    # --- the end ------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Release the model, the sandbox, the history and the transcript."""
        self._forget_connection()
        if self.model is not None:
            try:
                await self.model.close()
            except Exception:
                pass
        try:
            await self.executor.close()
        except Exception:
            pass
        if self.history is not None:
            try:
                self.history.close()
            except Exception:
                pass
        if self.transcript is not None:
            self.transcript.close()


__all__ = ["Conversation", "HistoryVerb", "ModelChoice", "PullStep", "Services", "SetupError"]
