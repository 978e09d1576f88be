"""The main screen: layout, key bindings and routing between the conversation and the widgets.

One user turn (DESIGN.md §3): the prompt posts `UserSubmitted`; one exclusive worker iterates
the conversation service's turn (or manual action) and posts each core event wrapped in one
`CoreEvent` message; the transcript view and the status bar show it on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ...conversation import Conversation, SetupError
from ...core import events as ev
from ...core.ports import HistoryChange, ModelSetupError
from .. import messages as m
from ..widgets.activity import follow
from ..widgets.cards import Notice, SetupCard, Welcome, setup_fix
from ..widgets.prompt import PromptInput
from ..widgets.status import SandboxProgress, StatusBar
from ..widgets.transcript import TranscriptView
from ..workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from .preview import PreviewScreen


class MainScreen(ReportsWorkerFailures, Screen[None]):
    """Where the user talks to the model and watches it act."""

    CSS_PATH = "main.tcss"
    AUTO_FOCUS = "#prompt"

    BINDINGS = [
        Binding("escape", "interrupt", "Interrupt", priority=True),
        Binding("ctrl+c", "interrupt_turn", "Interrupt", show=False, priority=True),
        Binding("ctrl+r", "history", "History", priority=True),
        Binding("ctrl+g", "rewind", "Rewind", priority=True),
        Binding("ctrl+o", "models", "Models", priority=True),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+t", "app.next_theme", "Theme", show=False),
        Binding("ctrl+n", "new_conversation", "New chat", show=False),
        Binding("f5", "retry_model", "Retry model", show=False),
        Binding("alt+up", "card(-1)", "Previous card", show=False),
        Binding("alt+down", "card(1)", "Next card", show=False),
        Binding("ctrl+l", "focus_prompt", "Prompt", show=False),
    ]

    transcript: TranscriptView
    """The scrolling transcript."""
    status: StatusBar
    """The status bar."""

    def __init__(self, conversation: Conversation) -> None:
        super().__init__()
        self.conversation = conversation
        self.busy = False
        """A user turn (or manual action) is running."""
        self._interrupts = 0
        self._pending_approvals = 0
        self._preview: PreviewScreen | None = None
        """The preview dialog while one is open."""

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept at hand: every streamed event reaches both, and a DOM query per event is not free.
        self.transcript = TranscriptView(id="transcript", fold_lines=self.conversation.settings.ui.output_fold_lines)
        self.status = StatusBar(id="status")
        yield Static(Text(f" codeact-tui  ·  {_short(self.conversation.project)}"), id="title")
        yield self.transcript
        yield PromptInput(id="prompt")
        yield SandboxProgress(id="sandbox-progress")
        yield self.status
        yield Footer()

    def on_mount(self) -> None:
        self.transcript.anchor()
        self.status.approve_mode = self.conversation.approve_mode
        self.status.model = self.conversation.model_label
        self._show_conversation()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.start_services()

    def _show_conversation(self) -> None:
        conversation = self.conversation
        if conversation.earlier_records:
            self.transcript.redraw(conversation.earlier_records, conversation.transcript.id if conversation.transcript else "")
        else:
            self.transcript.mount(Welcome(conversation.project))

    def _theme_changed(self, theme: object) -> None:
        self.transcript.set_dark(bool(getattr(theme, "dark", True)))

    async def add(self, widget: Widget) -> Widget:
        """Append an entry to the transcript."""
        return await self.transcript.add(widget)

    # --- start-up: history, sandbox, model ------------------------------------------------------

    @work(group="startup", name="opening the history", exit_on_error=False)
    async def start_services(self) -> None:
        """Open the history, then start the sandbox and check the model side by side."""
        await asyncio.to_thread(self.conversation.open_history)
        if self.conversation.history_error:
            await self.transcript.fail("history", f"the history could not be opened: {self.conversation.history_error}")
        else:
            self.post_message(m.HistoryChanged())  # a resumed conversation's cards get their entries
        self.prepare_sandbox()
        self.connect_model()

    @work(group="sandbox", name="starting the sandbox", exit_on_error=False)
    async def prepare_sandbox(self) -> None:
        """Compile the sandbox once if needed (progress shown), then open its session."""
        try:
            # Progress is reported from the compile's helper thread: post, never touch widgets.
            took = await self.conversation.start_sandbox(lambda elapsed_s: self.post_message(m.SandboxWarming(elapsed_s)))
        except SetupError as exc:
            self.post_message(m.SandboxFailed(str(exc)))
            return
        self.post_message(m.SandboxReady(took))

    @work(exclusive=True, group="model", name="checking the model", exit_on_error=False)
    async def connect_model(self) -> None:
        """Check the model server and build the agent (unless a first user turn did; one that
        is connecting shares this check); on failure show the setup card."""
        try:
            info = await self.conversation.ensure_connected()
        except ModelSetupError as exc:
            self.post_message(m.ModelUnavailable(str(exc)))
            return
        except Exception as exc:
            self.post_message(m.ModelUnavailable(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(m.ModelReady(info, await self.conversation.context_used()))

    def on_sandbox_warming(self, message: m.SandboxWarming) -> None:
        self.query_one(SandboxProgress).show(message.elapsed_s)
        self.status.sandbox = "compiling"

    def on_sandbox_ready(self, message: m.SandboxReady) -> None:
        self.query_one(SandboxProgress).hide()
        self.status.sandbox = "ready"
        if message.took_s is not None:
            self.notify(f"The sandbox is ready (compiled once in {message.took_s:.0f}s).")
        if self.conversation.restore_pending:
            self.restore_variables()

    @work(exclusive=True, group="session-state", name="restoring the Python session", exit_on_error=False)
    async def restore_variables(self) -> None:
        """Bring a resumed conversation's variables back and say what came back."""
        from ...conversation.interpreter import describe

        if not self.conversation.restore_pending:
            return
        self.status.activity = "restoring variables"
        try:
            restored = await self.conversation.restore_session()
        finally:
            self.status.activity = "idle" if not self.busy else self.status.activity
        if restored is not None or self.conversation.last_restore_where:
            await self.add(Notice(describe(restored, self.conversation.last_restore_where or "")))

    async def on_sandbox_failed(self, message: m.SandboxFailed) -> None:
        self.query_one(SandboxProgress).hide()
        self.status.sandbox = "failed"
        await self.add(Notice(f"The sandbox could not start: {message.message}  (try `codeact-tui doctor`)", severity="error"))

    async def on_model_ready(self, message: m.ModelReady) -> None:
        info = message.info
        profile = self.conversation.profile
        self.status.model = f"{info.backend}:{info.name}" + (f" · {profile.name}" if profile else "")
        self.status.context_window = info.context_window
        if message.context_used is not None:
            self.status.context_used = message.context_used
        for card in self.query(SetupCard):
            await card.remove()

    async def on_model_unavailable(self, message: m.ModelUnavailable) -> None:
        self.status.model = self.conversation.model_label + " (unavailable)"
        for card in self.query(SetupCard):
            await card.remove()
        model = self.conversation.settings.model
        await self.add(SetupCard(message.message, setup_fix(message.message, model.backend, model.model, self.conversation.server_host())))

    # --- one user turn ----------------------------------------------------------------------------

    async def on_user_submitted(self, message: m.UserSubmitted) -> None:
        if self.busy:
            self.notify("A turn is running: wait for it, or press Esc to interrupt it.", severity="warning")
            self.query_one(PromptInput).load_text(("!" if message.manual else "") + message.text)
            return
        self.busy = True
        self._interrupts = 0
        await self.transcript.begin_turn(message.text, manual=message.manual)
        self.run_turn(message.text, manual=message.manual)

    @work(exclusive=True, group="turn", name="the turn", exit_on_error=False)
    async def run_turn(self, text: str, manual: bool = False) -> None:
        """Run one user turn (or the user's own code), posting each core event."""
        try:
            if manual:
                turn = self.conversation.manual(text)
            else:
                if not self.conversation.connected:
                    self.status.activity = "connecting"
                    try:
                        info = await self.conversation.connect()
                    except ModelSetupError as exc:
                        self.post_message(m.ModelUnavailable(str(exc)))
                        return
                    self.post_message(m.ModelReady(info))
                turn = self.conversation.turn(text)
            deltas = DeltaBatcher(self.post_message)
            try:
                async for event in turn:
                    if isinstance(event, ev.TextDelta):
                        deltas.add(event)
                    else:
                        deltas.flush()
                        self.post_message(m.CoreEvent(event))
            finally:
                deltas.flush()
        finally:  # however it ended, the prompt is free again
            self.post_message(m.TurnOver())

    async def on_core_event(self, message: m.CoreEvent) -> None:
        event = message.event
        follow(self.status, event)
        await self.transcript.show(event)
        match event:
            case ev.ApprovalRequested():
                self._ask(event)
            case ev.PreviewStarted(step=step):
                self._show_preview(step)
            case ev.ExecutionOutput(stream=stream, text=text) if self._preview is not None:
                self._preview.add_output(stream, text)
            case ev.PreviewReady() if self._preview is not None:
                self._preview.show_ready(event)
            case ev.PreviewRefused(message=why):
                self._close_preview()
                self.notify(f"Not applied: {why}", severity="error", timeout=10)
            case ev.SnapshotTaken(entry=entry) if entry is not None:
                self.post_message(m.HistoryChanged())
            case ev.TurnFailed(kind="setup", message=why) if not self.query(SetupCard):
                self.post_message(m.ModelUnavailable(why))
            case _:
                pass

    def _ask(self, event: ev.ApprovalRequested) -> None:
        """Show the approval dialog; its answer resolves the future the core waits on."""
        from .approval import ApprovalScreen

        future = event.future
        self._pending_approvals += 1
        self.status.approvals = self._pending_approvals

        def decided(result: tuple[ev.Approval, bool] | None) -> None:
            self._pending_approvals -= 1
            self.status.approvals = self._pending_approvals
            approval, always = result if result is not None else (ev.Approval("stop", reason="closed"), False)
            if always:
                self.conversation.set_always_approve(True)
                self.status.approve_mode = "ask (always for this session)"
            if not future.done():
                future.set_result(approval)

        self.app.push_screen(ApprovalScreen(event.code, step=event.step), decided)

    def _show_preview(self, step: int) -> None:
        """Open the preview dialog; it gets the run's output, then its diff (`PreviewReady`)."""
        from .preview import PreviewScreen

        self._close_preview()
        self._preview = PreviewScreen(step, interrupt=self.conversation.interrupt)

        def closed(_: None) -> None:
            self._preview = None

        self.app.push_screen(self._preview, closed)

    def _close_preview(self) -> None:
        if self._preview is not None:
            self._preview.close()
            self._preview = None

    def on_turn_over(self, message: m.TurnOver) -> None:
        self._close_preview()
        self.busy = False
        self._interrupts = 0
        self.transcript.end_turn()
        self.status.activity = "idle"
        if isinstance(self.app.focused, (PromptInput, type(None))) or self.app.screen is self:
            self.query_one(PromptInput).focus()

    @work(exclusive=True, group="undone", name="reading the history", exit_on_error=False)
    async def on_history_changed(self, message: m.HistoryChanged) -> None:
        """Give resumed cards their entries; mark the cards whose changes are undone now (and
        unmark redone ones)."""
        if self.conversation.history is not None:
            entries = await self.conversation.entries()
            self.transcript.attach_entries(entries, await self.conversation.undone_ids(entries))

    # --- interrupting -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Ctrl+C interrupts only while something runs; otherwise it copies as usual.
        if action == "interrupt_turn":
            return self.busy
        return True

    def action_interrupt_turn(self) -> None:
        """Ctrl+C while a turn runs: the same as Esc."""
        self.action_interrupt()

    def action_interrupt(self) -> None:
        """Esc: stop generation or the running action — softly first, then hard."""
        if not self.busy:
            self.query_one(PromptInput).focus()
            return
        self._interrupts += 1
        self.conversation.interrupt()
        running = self.transcript.action_running
        if self._interrupts == 1:
            self.status.activity = "interrupting"
            if running:  # the card says what a second Esc does, for as long as it runs
                self.transcript.interrupt_asked()
        elif running:
            self.status.activity = "stopping hard"
            self.notify("Stopping the action hard: the Python session will be reset.", severity="warning")

    # --- history ----------------------------------------------------------------------------------

    def _history_missing(self) -> bool:
        if self.conversation.history is None:
            self.notify(f"No history: {self.conversation.history_error or 'it is still opening'}", severity="warning")
            return True
        return False

    def action_history(self) -> None:
        """Open the history view."""
        self.open_history()

    def open_history(self, entry_id: int | None = None, refused: tuple[str, HistoryChange] | None = None) -> None:
        """Open the history view (at one entry; with a refused change's conflicts)."""
        if self._history_missing():
            return
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.conversation, select=entry_id, refused=refused))

    def action_undo_last(self) -> None:
        """Undo the newest agent or manual action still in effect (asks first, naming it)."""
        if not self._history_missing():
            self.confirm_history_op("undo")

    def action_redo_last(self) -> None:
        """Redo the newest undo unless new work came after it (asks first, naming the entry)."""
        if not self._history_missing():
            self.confirm_history_op("redo")

    @work(exclusive=True, group="history-op", name="reading the history", exit_on_error=False)
    async def confirm_history_op(self, verb: str) -> None:
        """Ask before an undo or redo, naming the entry it acts on; with none, say why."""
        from .confirm import ConfirmScreen

        target = await (self.conversation.undo_target() if verb == "undo" else self.conversation.redo_target())
        if target is None:  # the store says why (nothing in effect; new work dropped the redo stack)
            self.post_message(m.HistoryOpDone(verb, await (self.conversation.undo() if verb == "undo" else self.conversation.redo())))
            return
        detail = (
            "Takes back this action, keeping later work."
            if verb == "undo"
            else "Brings back what its undo took away, keeping later work (an older undo: redo it by name in the history, Ctrl+R)."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_history(verb, target.id)

        self.app.push_screen(ConfirmScreen(f"{verb.capitalize()} #{target.id}: {target.summary}?", detail, yes=verb.capitalize()), answered)

    @work(exclusive=True, group="history-op", name="changing the history", exit_on_error=False)
    async def change_history(self, verb: str, entry_id: int) -> None:
        """Undo or redo one entry through the conversation; a refusal opens the history with its
        conflicts."""
        result = await (self.conversation.undo(entry_id) if verb == "undo" else self.conversation.redo(entry_id))
        self.post_message(m.HistoryOpDone(verb, result))

    def on_history_op_done(self, message: m.HistoryOpDone) -> None:
        result = message.result
        if result.ok and not result.conflicts:
            self.notify(result.message, title=message.verb.capitalize(), timeout=6)
            self.post_message(m.HistoryChanged())
            return
        self.notify(result.message, title=f"{message.verb.capitalize()} refused", severity="error", timeout=8)
        if result.conflicts and result.target is not None:
            self.open_history(result.target.id, refused=(message.verb, result))

    # --- rewind -------------------------------------------------------------------------------------

    def action_rewind(self, turn: int | None = None) -> None:
        """Go back to before a user turn — files, conversation and variables (picks the turn,
        shows what changes, asks first). The focused card's turn is offered first."""
        if self.busy:
            self.notify("Interrupt the running turn first (Esc).", severity="warning")
            return
        turns = self.conversation.user_turns()
        if not turns:
            self.notify("No user turn to rewind to yet.")
            return
        if turn is None:
            focused = getattr(self.app.focused, "turn_id", None)
            turn = next((t.number for t in turns if focused and t.turn_id == focused), None)
        from .rewind import RewindPicker

        def chosen(number: int | None) -> None:
            if number:
                self.confirm_rewind(number)

        self.app.push_screen(RewindPicker(turns, turn), chosen)

    @work(exclusive=True, group="history-op", name="planning the rewind", exit_on_error=False)
    async def confirm_rewind(self, number: int) -> None:
        """Ask before a rewind, listing what it changes (worked out without writing anything)."""
        from ...conversation.rewind import RewindError
        from ...history.errors import HistoryError
        from .confirm import ConfirmScreen
        from .rewind import plan_text

        try:
            plan = await self.conversation.plan_rewind(number)
        except (RewindError, HistoryError) as exc:
            self.notify(str(exc), title="Rewind", severity="error", timeout=8)
            return
        force = bool(plan.unrecorded)

        def answered(yes: bool | None) -> None:
            if yes:
                self.do_rewind(number, force)

        title = f"Rewind to before turn {number}: {plan.turn.request.strip()[:50]}?"
        self.app.push_screen(ConfirmScreen(title, plan_text(plan), yes="Rewind anyway" if force else "Rewind"), answered)

    @work(exclusive=True, group="history-op", name="rewinding", exit_on_error=False)
    async def do_rewind(self, number: int, force: bool) -> None:
        """Rewind through the conversation service and report it."""
        from ...conversation.rewind import RewindError

        try:
            outcome = await self.conversation.rewind(number, force=force)
        except RewindError as exc:
            self.notify(str(exc), title="Rewind", severity="error", timeout=8)
            return
        self.post_message(m.RewindDone(outcome))

    async def on_rewind_done(self, message: m.RewindDone) -> None:
        from ...conversation.interpreter import describe

        outcome = message.outcome
        if not outcome.ok:
            self.notify(outcome.message, title="Rewind refused", severity="error", timeout=10)
            return
        await self.transcript.clear()
        self._show_conversation()
        session = describe(outcome.state, outcome.state_where) if outcome.state_where else f"Python session: {outcome.state_plan}."
        await self.add(Notice(f"{outcome.message}.\n{session}"))
        self.notify(outcome.message, title="Rewound", timeout=8)
        self.post_message(m.HistoryChanged())
        self.connect_model()

    def on_show_entry(self, message: m.ShowEntry) -> None:
        self.open_history(message.entry_id)

    def show_turn(self, turn_id: str) -> None:
        """Scroll to and focus the first card of a turn (from the history view)."""
        if not self.transcript.show_turn(turn_id):
            self.notify("That turn is not in this conversation's transcript.")

    # --- models and conversations -------------------------------------------------------------------

    def action_models(self) -> None:
        """Open the model picker."""
        from .models import ModelScreen

        def chosen(name: str | None) -> None:
            if name:
                self.use_model(name)

        self.app.push_screen(ModelScreen(self.conversation), chosen)

    @work(exclusive=True, group="model", name="switching the model", exit_on_error=False)
    async def use_model(self, name: str) -> None:
        """Switch to another model and check it."""
        await self.conversation.switch_model(name)
        try:
            info = await self.conversation.connect()
        except Exception as exc:
            self.post_message(m.ModelUnavailable(str(exc)))
            return
        self.post_message(m.ModelReady(info, await self.conversation.context_used()))
        self.notify(f"Using {info.name} (context {info.context_window} tokens).")

    def action_retry_model(self) -> None:
        """Check the model server again."""
        self.connect_model()

    async def action_new_conversation(self) -> None:
        """Start a new conversation (the old one stays on disk; --continue resumes it)."""
        if self.busy:
            self.notify("Interrupt the running turn first (Esc).", severity="warning")
            return
        self.conversation.new()
        await self.transcript.clear()
        await self.add(Notice("New conversation."))
        self.connect_model()

    async def resume(self, conversation_id: str) -> None:
        """Continue an earlier conversation: redraw it and let the next turn build on it."""
        if self.busy:
            self.notify("Interrupt the running turn first (Esc).", severity="warning")
            return
        try:
            self.conversation.resume(conversation_id)
        except Exception as exc:
            self.notify(str(exc), severity="error")
            return
        await self.transcript.clear()
        self._show_conversation()
        self.post_message(m.HistoryChanged())
        self.connect_model()
        if self.conversation.executor.ready:
            self.restore_variables()

    # --- moving around ------------------------------------------------------------------------------

    def action_card(self, direction: int) -> None:
        """Move the focus to the previous or next transcript entry."""
        self.transcript.move_focus(direction)

    def action_focus_prompt(self) -> None:
        """Back to the prompt (the transcript follows new output again)."""
        self.query_one(PromptInput).focus()
        self.transcript.anchor()

    def last_answer(self) -> str | None:
        """The newest answer in the transcript."""
        return self.transcript.last_answer()


class DeltaBatcher:
    """Coalesces streamed text into at most one message per frame's worth of time.

    A fast model sends hundreds of small deltas a second; one message (and one Markdown append)
    each would cost more than drawing. Text is held at most `interval_s`, and a pending batch is
    flushed by a timer so a pause in the stream never hides text.
    """

    def __init__(self, post: Callable[[m.CoreEvent], object], interval_s: float = 1 / 30) -> None:
        self._post = post
        self._interval_s = interval_s
        self._parts: list[str] = []
        self._first: ev.TextDelta | None = None
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, delta: ev.TextDelta) -> None:
        """Queue a delta; post the batch when the interval has passed."""
        if self._first is not None and delta.step != self._first.step:
            self.flush()
        if self._first is None:
            self._first = delta
        self._parts.append(delta.text)
        now = time.monotonic()
        if now - self._last >= self._interval_s:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval_s, self.flush)

    def flush(self) -> None:
        """Post what is queued (before any other message, and at the end)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._first is not None:
            self._post(m.CoreEvent(ev.TextDelta(self._first.turn_id, self._first.step, "".join(self._parts))))
            self._first = None
            self._parts = []
            self._last = time.monotonic()


def _short(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.resolve().relative_to(home))
    except ValueError:
        return str(path)
