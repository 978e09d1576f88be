"""The main screen: transcript, prompt, status bar; runs turns and manual actions in workers.

One turn (DESIGN.md §3): the prompt posts `UserSubmitted`; one exclusive worker iterates
`agent.run_turn` and posts one UI message per core event (through `bridge`); the handlers below
update the widgets on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ...core.events import Approval
from ...core.manual import run_manual_action
from ...core.ports import ModelSetupError, StreamName
from .. import messages as m
from ..bridge import to_message
from ..session import Session
from ..widgets.action_card import ActionCard
from ..widgets.cards import AnswerCard, AssistantReply, EarlierNote, Notice, SetupCard, UserMessage, Welcome, setup_fix
from ..widgets.prompt import PromptInput
from ..widgets.status import SandboxProgress, StatusBar

MANUAL_STEP = 0
"""The step number manual actions use in messages."""
KEEP_ENTRIES = 120
"""Transcript entries kept on screen; older ones leave it in batches (layout cost grows with
the number of widgets). They stay in the conversation file and in the history view."""
TRIM_BATCH = 30


class MainScreen(Screen[None]):
    """Where the user talks to the model and watches it act."""

    CSS_PATH = "main.tcss"
    AUTO_FOCUS = "#prompt"

    BINDINGS = [
        Binding("escape", "interrupt", "Interrupt", priority=True),
        Binding("ctrl+c", "interrupt_turn", "Interrupt", show=False, priority=True),
        Binding("ctrl+r", "history", "History", priority=True),
        Binding("ctrl+o", "models", "Models", priority=True),
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+t", "app.next_theme", "Theme", show=False),
        Binding("ctrl+n", "new_conversation", "New chat", show=False),
        Binding("f5", "retry_model", "Retry model", show=False),
        Binding("alt+up", "card(-1)", "Previous card", show=False),
        Binding("alt+down", "card(1)", "Next card", show=False),
        Binding("ctrl+l", "focus_prompt", "Prompt", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.turn_id: str | None = None
        self.busy = False
        self._reply: AssistantReply | None = None
        self._cards: dict[int, ActionCard] = {}
        self._interrupts = 0
        self._pending_approvals = 0
        self._manual_running = False
        self.hidden_entries = 0
        """Older transcript entries no longer on screen."""

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        project = self.session.project
        yield Static(Text(f" codeact-tui  ·  {_short(project)}"), id="title")
        yield VerticalScroll(id="transcript")
        yield PromptInput(id="prompt")
        yield SandboxProgress(id="sandbox-progress")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def transcript(self) -> VerticalScroll:
        """The scrolling transcript."""
        return self.query_one("#transcript", VerticalScroll)

    @property
    def status(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        self.transcript.anchor()
        self.status.approve_mode = self.session.settings.agent.approve
        self.status.model = self._model_label()
        if not self.session.earlier_records:
            self.transcript.mount(Welcome(self.session.project))
        self._redraw_earlier()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.start_services()

    def _theme_changed(self, theme: object) -> None:
        """Re-colour code for a light or dark theme."""
        dark = bool(getattr(theme, "dark", True))
        for card in self.query(ActionCard):
            card.set_dark(dark)

    def _model_label(self) -> str:
        model = self.session.settings.model
        return f"{model.backend}:{model.model or '(none)'}"

    async def add(self, widget: Widget) -> Widget:
        """Append a widget to the transcript (dropping the oldest entries past the limit)."""
        await self.transcript.mount(widget)
        await self._trim()
        return widget

    async def _trim(self) -> None:
        children = [w for w in self.transcript.children if not isinstance(w, EarlierNote)]
        if len(children) <= KEEP_ENTRIES + TRIM_BATCH:
            return
        old = children[: len(children) - KEEP_ENTRIES]
        old = [w for w in old if w is not self._reply and w not in self._cards.values()]
        self.hidden_entries += len(old)
        await self.transcript.remove_children(old)
        notes = self.transcript.query(EarlierNote)
        if notes:
            notes.first().show(self.hidden_entries)
        else:
            note = EarlierNote()
            await self.transcript.mount(note, before=0)
            note.show(self.hidden_entries)

    def _redraw_earlier(self) -> None:
        """Show the resumed conversation's user messages, answers and actions (compactly)."""
        records = self.session.earlier_records
        if not records:
            return
        widgets: list[Widget] = [Notice(f"continuing conversation {self.session.transcript.id if self.session.transcript else ''}")]
        for record in records:
            if record.get("type") == "message" and record.get("kind") == "user":
                widgets.append(UserMessage(str(record.get("content", "")), turn_id=record.get("turn_id")))
            elif record.get("type") == "action":
                card = ActionCard(str(record.get("code", "")), step=int(record.get("step") or 0), turn_id=record.get("turn_id"))
                card.state = {"ok": "done", "error": "failed"}.get(str(record.get("status")), "stopped")
                widgets.append(card)
            elif record.get("type") == "turn" and record.get("outcome") == "finished" and record.get("answer"):
                widgets.append(AnswerCard(str(record["answer"]), dark=self.app.current_theme.dark))
        if len(widgets) > KEEP_ENTRIES:
            self.hidden_entries = len(widgets) - KEEP_ENTRIES
            note = EarlierNote()
            note.show(self.hidden_entries)
            widgets = [note, *widgets[-KEEP_ENTRIES:]]
        self.transcript.mount_all(widgets)

    # --- start-up: history, sandbox, model ------------------------------------------------------

    @work(group="startup", exit_on_error=False)
    async def start_services(self) -> None:
        """Open the history, then start the sandbox and check the model side by side."""
        await asyncio.to_thread(self.session.open_history)
        if self.session.history_error:
            self.post_message(m.TurnStopped("history", f"the history could not be opened: {self.session.history_error}"))
        self.prepare_sandbox()
        self.connect_model()

    @work(group="sandbox", exit_on_error=False)
    async def prepare_sandbox(self) -> None:
        """Compile the sandbox once if needed (progress shown), then open its session."""
        services = self.session.services
        took: float | None = None
        try:
            if not await asyncio.to_thread(services.sandbox_is_warm):
                self.post_message(m.SandboxWarming(0.0))

                def progress(elapsed_s: float) -> None:  # called from the compile's helper thread
                    self.post_message(m.SandboxWarming(elapsed_s))

                took = await asyncio.to_thread(services.warm_sandbox, progress)
            await self.session.executor.start()
        except Exception as exc:
            self.session.executor.fail(str(exc))
            self.post_message(m.SandboxFailed(str(exc) or type(exc).__name__))
            return
        self.post_message(m.SandboxReady(took))

    @work(exclusive=True, group="model", exit_on_error=False)
    async def connect_model(self) -> None:
        """Check the model server and build the agent; on failure show the setup card."""
        try:
            info = await self.session.connect()
        except ModelSetupError as exc:
            self.post_message(m.ModelUnavailable(str(exc)))
            return
        except Exception as exc:
            self.post_message(m.ModelUnavailable(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(m.ModelReady(info))

    def on_sandbox_warming(self, message: m.SandboxWarming) -> None:
        self.query_one(SandboxProgress).show(message.elapsed_s)
        self.status.sandbox = "compiling"

    def on_sandbox_ready(self, message: m.SandboxReady) -> None:
        self.query_one(SandboxProgress).hide()
        self.status.sandbox = "ready"
        if message.took_s is not None:
            self.notify(f"The sandbox is ready (compiled once in {message.took_s:.0f}s).")

    async def on_sandbox_failed(self, message: m.SandboxFailed) -> None:
        self.query_one(SandboxProgress).hide()
        self.status.sandbox = "failed"
        await self.add(Notice(f"The sandbox could not start: {message.message}  (try `codeact-tui doctor`)", severity="error"))

    async def on_model_ready(self, message: m.ModelReady) -> None:
        info = message.info
        self.status.model = f"{info.backend}:{info.name}"
        self.status.context_window = info.context_window
        for card in self.query(SetupCard):
            await card.remove()

    async def on_model_unavailable(self, message: m.ModelUnavailable) -> None:
        self.status.model = self._model_label() + " (unavailable)"
        for card in self.query(SetupCard):
            await card.remove()
        model = self.session.settings.model
        host = getattr(getattr(self.session.model, "server", None), "host", "") or model.host
        await self.add(SetupCard(message.message, setup_fix(message.message, model.backend, model.model, host)))

    # --- the prompt -------------------------------------------------------------------------------

    async def on_user_submitted(self, message: m.UserSubmitted) -> None:
        if self.busy:
            self.notify("A turn is running: wait for it, or press Esc to interrupt it.", severity="warning")
            self.query_one(PromptInput).load_text(("!" if message.manual else "") + message.text)
            return
        self.busy = True
        self._interrupts = 0
        for welcome in self.query(Welcome):
            await welcome.remove()
        await self.add(UserMessage(message.text, manual=message.manual))
        if message.manual:
            card = self._card(message.text, MANUAL_STEP, manual=True)
            self._cards = {MANUAL_STEP: card}
            await self.add(card)
            self.run_manual(message.text)
        else:
            self._cards = {}
            self._reply = None
            self.run_turn(message.text)

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def run_turn(self, text: str) -> None:
        """Run one agent turn, posting one message per core event."""
        try:
            if self.session.agent is None:
                self.status.activity = "connecting"
                try:
                    info = await self.session.connect()
                except ModelSetupError as exc:
                    self.post_message(m.ModelUnavailable(str(exc)))
                    self.post_message(m.TurnStopped("setup", "no model is available yet: see the setup card"))
                    return
                self.post_message(m.ModelReady(info))
            agent = self.session.agent
            assert agent is not None
            deltas = DeltaBatcher(self.post_message)
            try:
                async for event in agent.run_turn(text):
                    message = to_message(event)
                    if isinstance(message, m.ReplyDelta):
                        deltas.add(message)
                    elif message is not None:
                        deltas.flush()
                        self.post_message(message)
            finally:
                deltas.flush()
        except Exception as exc:  # never leave the prompt locked
            self.post_message(m.TurnStopped("executor", f"{type(exc).__name__}: {exc}"))
        finally:
            self.post_message(m.TurnOver())

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def run_manual(self, code: str) -> None:
        """Run `!code` in the sandbox as a manual action, recorded in the history."""
        self._manual_running = True

        def on_output(stream: StreamName, text: str) -> None:  # may be called from the sandbox's thread
            self.post_message(m.ActionOutput(MANUAL_STEP, stream, text))

        try:
            self.post_message(m.ActionStarted(MANUAL_STEP, code))
            outcome = await run_manual_action(
                self.session.executor,
                self.session.history,
                code,
                on_output=on_output,
                deadline_s=self.session.settings.sandbox.deadline_s,
            )
            self.post_message(m.ActionEnded(MANUAL_STEP, outcome.result))
            self.post_message(m.ActionRecorded(MANUAL_STEP, outcome.entry))
        except Exception as exc:
            self.post_message(m.TurnStopped("executor", f"the manual action failed: {exc}"))
        finally:
            self._manual_running = False
            self.post_message(m.TurnOver())

    # --- turn messages ----------------------------------------------------------------------------

    def on_turn_began(self, message: m.TurnBegan) -> None:
        self.turn_id = message.turn_id
        for widget in reversed(self.transcript.children):
            if isinstance(widget, UserMessage):
                widget.turn_id = message.turn_id
                break

    def on_model_loading_started(self, message: m.ModelLoadingStarted) -> None:
        self.status.activity = f"loading {message.model} into memory (first request only)"

    async def on_model_loading_done(self, message: m.ModelLoadingDone) -> None:
        self.status.activity = "generating"
        if message.seconds >= 1.0:  # worth remembering: why the first answer took longer
            await self.add(Notice(f"{message.model} loaded into memory in {message.seconds:.1f}s", severity="success"))

    async def on_reply_started(self, message: m.ReplyStarted) -> None:
        self.status.activity = "generating"
        self._reply = AssistantReply()
        await self.add(self._reply)

    async def on_reply_delta(self, message: m.ReplyDelta) -> None:
        if self._reply is not None:
            await self._reply.feed(message.text)

    async def on_reply_done(self, message: m.ReplyDone) -> None:
        if self._reply is not None:
            await self._reply.finish()
        if message.stats.tokens_per_s:
            self.status.tokens_per_s = message.stats.tokens_per_s

    def _card(self, code: str, step: int, *, manual: bool = False) -> ActionCard:
        return ActionCard(
            code,
            step=step,
            turn_id=None if manual else self.turn_id,
            manual=manual,
            theme_dark=self.app.current_theme.dark,
            fold_lines=self.session.settings.ui.output_fold_lines,
        )

    async def on_action_proposed(self, message: m.ActionProposed) -> None:
        card = self._card(message.code, message.step)
        self._cards[message.step] = card
        await self.add(card)

    def on_approval_needed(self, message: m.ApprovalNeeded) -> None:
        future = message.future
        if self.session.always_approve:
            if not future.done():
                future.set_result(Approval("run"))
            return
        card = self._cards.get(message.step)
        if card is not None:
            card.wait_for_approval()
        self._pending_approvals += 1
        self.status.approvals = self._pending_approvals
        self.status.activity = "waiting for approval"
        from .approval import ApprovalScreen

        def decided(result: tuple[Approval, bool] | None) -> None:
            self._pending_approvals -= 1
            self.status.approvals = self._pending_approvals
            approval, always = result if result is not None else (Approval("stop", reason="closed"), False)
            if always:
                self.session.always_approve = True
                self.status.approve_mode = "ask (always for this session)"
            if not future.done():
                future.set_result(approval)

        self.app.push_screen(ApprovalScreen(message.code, step=message.step), decided)

    def on_action_skipped(self, message: m.ActionSkipped) -> None:
        card = self._cards.get(message.step)
        if card is not None:
            card.skip(message.reason)

    def on_action_started(self, message: m.ActionStarted) -> None:
        card = self._cards.get(message.step)
        if card is not None:
            card.begin(message.code)
        self.status.activity = "running action"
        self.status.sandbox = "busy" if self.session.executor.ready or self.status.sandbox == "ready" else self.status.sandbox

    def on_action_output(self, message: m.ActionOutput) -> None:
        card = self._cards.get(message.step)
        if card is not None:
            card.add_output(message.stream, message.text)

    def on_action_ended(self, message: m.ActionEnded) -> None:
        card = self._cards.get(message.step)
        if card is not None:
            card.finish(message.result)
        if self.status.sandbox == "busy":
            self.status.sandbox = "ready"
        if message.result.state_reset:
            self.notify("The sandbox session was reset: variables are gone, files stay.", severity="warning")

    def on_action_recorded(self, message: m.ActionRecorded) -> None:
        card = self._cards.get(message.step)
        if card is not None:
            card.record(message.entry)
        if message.entry is not None:
            self.post_message(m.HistoryChanged())

    @work(exclusive=True, group="undone", exit_on_error=False)
    async def on_history_changed(self, message: m.HistoryChanged) -> None:
        """Mark the cards whose changes are undone now (and unmark redone ones)."""
        history = self.session.history
        if history is None:
            return
        from ...history.selection import reverted_ids

        undone = set(reverted_ids(await asyncio.to_thread(history.entries)))
        for card in self.query(ActionCard):
            if card.entry is not None:
                card.set_undone(card.entry.id in undone)

    def on_context_used(self, message: m.ContextUsed) -> None:
        self.status.context_used = message.used_tokens
        self.status.context_window = message.window

    async def on_context_shortened(self, message: m.ContextShortened) -> None:
        await self.add(Notice(f"Older messages were shortened to fit the context window ({message.before_tokens} → {message.after_tokens} tokens)."))

    async def on_turn_answered(self, message: m.TurnAnswered) -> None:
        if message.reason == "reply" and self._reply is not None and self._reply.text.strip():
            self._reply.add_class("-final")
        elif message.reason == "plan":
            await self.add(AnswerCard(f"```python\n{message.answer}\n```", title="Proposed action (plan mode: nothing ran)", dark=self.app.current_theme.dark))
        elif message.answer.strip():
            await self.add(AnswerCard(message.answer, dark=self.app.current_theme.dark))

    async def on_turn_stopped(self, message: m.TurnStopped) -> None:
        if message.kind == "setup":
            if not self.query(SetupCard):
                self.post_message(m.ModelUnavailable(message.message))
            return
        severity = "warning" if message.kind in ("interrupted", "limit") else "error"
        label = {"interrupted": "Stopped", "limit": "Stopped at a limit"}.get(message.kind, "The turn failed")
        await self.add(Notice(f"{label}: {message.message}", severity=severity))

    def on_turn_over(self, message: m.TurnOver) -> None:
        self.busy = False
        self._interrupts = 0
        for card in self._cards.values():
            card.abandon()
        self.status.activity = "idle"
        if isinstance(self.app.focused, (PromptInput, type(None))) or self.app.screen is self:
            self.query_one(PromptInput).focus()

    # --- actions ----------------------------------------------------------------------------------

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
        if self._manual_running:
            self.session.executor.interrupt()
        elif self.session.agent is not None:
            self.session.agent.interrupt()
        running = any(card.state == "running" for card in self._cards.values())
        if self._interrupts == 1:
            self.status.activity = "interrupting"
            if running:
                self.notify("Interrupting (KeyboardInterrupt in the sandbox)… press Esc again to stop it hard — the Python session's variables will be lost, files stay.", severity="warning", timeout=6)
        elif running:
            self.status.activity = "stopping hard"
            self.notify("Stopping the action hard: the Python session will be reset.", severity="warning")

    def action_history(self) -> None:
        """Open the history view."""
        self.open_history()

    def open_history(self, entry_id: int | None = None) -> None:
        """Open the history view (at one entry)."""
        if self.session.history is None:
            self.notify(f"No history: {self.session.history_error or 'it is still opening'}", severity="warning")
            return
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session, select=entry_id))

    def action_undo_last(self) -> None:
        """Undo the newest agent or manual action still in effect (asks first)."""
        self._history_op("undo", "Undo the last action?", "Takes back the newest action that is still in effect, keeping later work.")

    def action_redo_last(self) -> None:
        """Redo the newest undo (asks first)."""
        self._history_op("redo", "Redo the last undo?", "Brings back the change the last undo took away, keeping later work.")

    def _history_op(self, verb: str, title: str, detail: str) -> None:
        history = self.session.history
        if history is None:
            self.notify(f"No history: {self.session.history_error or 'it is still opening'}", severity="warning")
            return
        from .confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.change_history(verb)

        self.app.push_screen(ConfirmScreen(title, detail, yes=verb.capitalize()), answered)

    @work(exclusive=True, group="history-op", exit_on_error=False)
    async def change_history(self, verb: str) -> None:
        """Run the undo or redo in a thread; a refusal opens the history with its conflicts."""
        history = self.session.history
        run = history.undo if verb == "undo" else history.redo
        try:
            result = await asyncio.to_thread(run)
        except Exception as exc:
            self.notify(f"{verb} failed: {exc}", severity="error", timeout=8)
            return
        self.post_message(m.HistoryOpDone(verb, result))

    def on_history_op_done(self, message: m.HistoryOpDone) -> None:
        result = message.result
        if result.ok and not result.conflicts:
            self.notify(result.message, title=message.verb.capitalize(), timeout=6)
            self.post_message(m.HistoryChanged())
            return
        self.notify(result.message, title=f"{message.verb.capitalize()} refused", severity="error", timeout=8)
        if result.conflicts and result.target is not None:
            from .history import HistoryScreen

            self.app.push_screen(HistoryScreen(self.session, select=result.target.id, refused=(message.verb, result)))

    def on_show_entry(self, message: m.ShowEntry) -> None:
        self.open_history(message.entry_id)

    def show_turn(self, turn_id: str) -> None:
        """Scroll to and focus the first card of a turn (from the history view)."""
        for widget in self.transcript.children:
            if getattr(widget, "turn_id", None) == turn_id:
                self.transcript.release_anchor()
                widget.focus()
                widget.scroll_visible(top=True)
                return
        self.notify("That turn is not in this conversation's transcript.")

    def action_models(self) -> None:
        """Open the model picker."""
        from .models import ModelScreen

        def chosen(name: str | None) -> None:
            if name:
                self.use_model(name)

        self.app.push_screen(ModelScreen(self.session), chosen)

    @work(exclusive=True, group="model", exit_on_error=False)
    async def use_model(self, name: str) -> None:
        """Switch to another model and check it."""
        await self.session.switch_model(name)
        try:
            info = await self.session.connect()
        except Exception as exc:
            self.post_message(m.ModelUnavailable(str(exc)))
            return
        self.post_message(m.ModelReady(info))
        self.notify(f"Using {info.name} (context {info.context_window} tokens).")

    def action_retry_model(self) -> None:
        """Check the model server again."""
        self.connect_model()

    async def action_new_conversation(self) -> None:
        """Start a new conversation (the old one stays on disk; --continue resumes it)."""
        if self.busy:
            self.notify("Interrupt the running turn first (Esc).", severity="warning")
            return
        if self.session.transcript is not None:
            self.session.transcript.close()
        self.session.transcript = None
        self.session.agent = None
        self.session.earlier = []
        await self.transcript.remove_children()
        await self.add(Notice("New conversation."))
        self.connect_model()

    async def resume(self, conversation: str) -> None:
        """Continue an earlier conversation: redraw it and let the next turn build on it."""
        if self.busy:
            self.notify("Interrupt the running turn first (Esc).", severity="warning")
            return
        if self.session.transcript is not None:
            self.session.transcript.close()
        self.session.transcript = None
        self.session.agent = None
        self.session.resume = conversation
        try:
            self.session.load_resume()
        except Exception as exc:
            self.notify(str(exc), severity="error")
            return
        await self.transcript.remove_children()
        self._redraw_earlier()
        self.connect_model()

    def action_card(self, direction: int) -> None:
        """Move the focus to the previous or next transcript entry."""
        entries = [w for w in self.transcript.children if w.can_focus and w.display]
        if not entries:
            return
        focused = self.app.focused
        if focused in entries:
            index = entries.index(focused) + direction
        else:
            index = len(entries) - 1 if direction < 0 else 0
        index = max(0, min(index, len(entries) - 1))
        self.transcript.release_anchor()
        entries[index].focus()
        entries[index].scroll_visible()

    def action_focus_prompt(self) -> None:
        """Back to the prompt (the transcript follows new output again)."""
        self.query_one(PromptInput).focus()
        self.transcript.anchor()

    def last_answer(self) -> str | None:
        """The newest answer in the transcript."""
        for widget in reversed(self.transcript.children):
            if isinstance(widget, AnswerCard):
                return widget.answer
            if isinstance(widget, AssistantReply) and widget.has_class("-final"):
                return widget.text
        return None


class DeltaBatcher:
    """Coalesces streamed text into at most one message per frame's worth of time.

    A fast model sends hundreds of small deltas a second; one message (and one Markdown append)
    each would cost more than drawing. Text is held at most `interval_s`, and a pending batch is
    flushed by a timer so a pause in the stream never hides text.
    """

    def __init__(self, post: Callable[[m.ReplyDelta], object], interval_s: float = 1 / 30) -> None:
        self._post = post
        self._interval_s = interval_s
        self._parts: list[str] = []
        self._step = 0
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, delta: m.ReplyDelta) -> None:
        """Queue a delta; post the batch when the interval has passed."""
        if self._parts and delta.step != self._step:
            self.flush()
        self._step = delta.step
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
        if self._parts:
            self._post(m.ReplyDelta(self._step, "".join(self._parts)))
            self._parts = []
            self._last = time.monotonic()


def _short(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.resolve().relative_to(home))
    except ValueError:
        return str(path)

