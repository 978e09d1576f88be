"""The main screen: layout, key bindings and routing between the conversation and the widgets.

Each job is a part the screen owns (`ui/controllers/`): start-up, the model, user turns and their
dialogs, history changes, rewind, switching conversations. The screen lays out the widgets, maps
keys to the parts, and routes each message to the part that handles it.

One user turn (DESIGN.md §3): the prompt posts `UserSubmitted`; one exclusive worker iterates
the conversation service's turn (or manual action) and posts each core event wrapped in one
`CoreEvent` message; the transcript view, the status bar and the turn's dialogs show it.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ...conversation import Conversation
from ...core import events as ev
from .. import messages as m
from ..controllers.conversations import ConversationSwitch
from ..controllers.dialogs import TurnDialogs
from ..controllers.history_ops import HistoryOps
from ..controllers.model import ModelLink
from ..controllers.rewind import RewindFlow
from ..controllers.startup import StartUp
from ..controllers.turns import TurnRunner
from ..widgets.activity import follow
from ..widgets.cards import SetupCard
from ..widgets.prompt import PromptInput
from ..widgets.status import SandboxProgress, StatusBar
from ..widgets.transcript import TranscriptView
from ..workers import ReportsWorkerFailures


class MainScreen(ReportsWorkerFailures, Screen[None]):
    """Where the user talks to the model and watches it act."""

    CSS_PATH = "main.tcss"
    AUTO_FOCUS = "#prompt"

    BINDINGS = [
        Binding("escape", "interrupt", "Interrupt", priority=True),  # while a turn runs
        Binding("escape", "back_to_prompt", "Prompt", priority=True),  # idle
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
        self.startup = StartUp(self)
        self.model_link = ModelLink(self)
        self.turns = TurnRunner(self)
        self.dialogs = TurnDialogs(self)
        self.history_ops = HistoryOps(self)
        self.rewinds = RewindFlow(self)
        self.switch = ConversationSwitch(self)

    @property
    def busy(self) -> bool:
        """A user turn (or manual action) is running."""
        return self.turns.busy

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
        self.switch.show()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.startup.begin()

    def _theme_changed(self, theme: object) -> None:
        self.transcript.set_dark(bool(getattr(theme, "dark", True)))

    async def add(self, widget: Widget) -> Widget:
        """Append an entry to the transcript."""
        return await self.transcript.add(widget)

    # --- routing: start-up and the model ------------------------------------------------------

    def on_sandbox_warming(self, message: m.SandboxWarming) -> None:
        self.startup.warming(message)

    def on_sandbox_ready(self, message: m.SandboxReady) -> None:
        self.startup.ready(message)

    async def on_sandbox_failed(self, message: m.SandboxFailed) -> None:
        await self.startup.failed(message)

    async def on_model_ready(self, message: m.ModelReady) -> None:
        await self.model_link.ready(message)

    async def on_model_unavailable(self, message: m.ModelUnavailable) -> None:
        await self.model_link.unavailable(message)

    # --- routing: one user turn -----------------------------------------------------------------

    async def on_user_submitted(self, message: m.UserSubmitted) -> None:
        await self.turns.submit(message)

    async def on_core_event(self, message: m.CoreEvent) -> None:
        event = message.event
        follow(self.status, event)
        await self.transcript.show(event)
        self.dialogs.follow(event)
        match event:
            case (
                ev.SnapshotTaken(entry=entry) | ev.TestsFinished(entry=entry) | ev.StartedOver(entry=entry) | ev.AttemptKept(entry=entry)
            ) if entry is not None:
                self.post_message(m.HistoryChanged())
            case ev.TurnFailed(kind="setup", message=why) if not self.query(SetupCard):
                self.post_message(m.ModelUnavailable(why))
            case _:
                pass

    def on_turn_over(self, message: m.TurnOver) -> None:
        self.dialogs.close_preview()
        self.turns.over()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Ctrl+C interrupts only while something runs; otherwise it copies as usual. Esc
        # interrupts while something runs and goes back to the prompt otherwise, and the footer
        # names the one it does now.
        if action in ("interrupt_turn", "interrupt"):
            return self.busy
        if action == "back_to_prompt":
            return not self.busy
        return True

    def action_back_to_prompt(self) -> None:
        """Esc when nothing runs: back to the prompt."""
        self.action_focus_prompt()

    def action_interrupt(self) -> None:
        """Esc: stop generation or the running action — softly first, then hard."""
        self.turns.interrupt()

    def action_interrupt_turn(self) -> None:
        """Ctrl+C while a turn runs: the same as Esc."""
        self.turns.interrupt()

    # --- routing: history and rewind ----------------------------------------------------------

    def on_history_changed(self, message: m.HistoryChanged) -> None:
        self.history_ops.refresh()

    def on_history_op_done(self, message: m.HistoryOpDone) -> None:
        self.history_ops.done(message)

    def on_show_entry(self, message: m.ShowEntry) -> None:
        self.history_ops.open(message.entry_id)

    def action_history(self) -> None:
        """Open the history view."""
        self.history_ops.open()

    def action_undo_last(self) -> None:
        """Undo the newest agent or manual action still in effect (asks first, naming it)."""
        self.history_ops.ask("undo")

    def action_redo_last(self) -> None:
        """Redo the newest undo unless new work came after it (asks first, naming the entry)."""
        self.history_ops.ask("redo")

    def action_rewind(self, turn: int | None = None) -> None:
        """Go back to before a user turn — files, conversation and variables (picks the turn,
        shows what changes, asks first). The focused card's turn is offered first."""
        self.rewinds.pick(turn)

    async def on_rewind_done(self, message: m.RewindDone) -> None:
        await self.rewinds.done(message)

    def show_turn(self, turn_id: str) -> None:
        """Scroll to and focus the first card of a turn (from the history view)."""
        if not self.transcript.show_turn(turn_id):
            self.notify("That turn is not in this conversation's transcript.")

    # --- routing: models and conversations ----------------------------------------------------

    def action_models(self) -> None:
        """Open the model picker."""
        self.model_link.pick()

    def action_retry_model(self) -> None:
        """Check the model server again."""
        self.model_link.check()

    async def action_new_conversation(self) -> None:
        """Start a new conversation (the old one stays on disk; --continue resumes it)."""
        await self.switch.new()

    async def resume(self, conversation_id: str) -> None:
        """Continue an earlier conversation: redraw it and let the next turn build on it."""
        await self.switch.resume(conversation_id)

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


def _short(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.resolve().relative_to(home))
    except ValueError:
        return str(path)
