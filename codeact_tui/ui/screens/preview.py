"""The preview modal: a proposed action run over a copy-on-write overlay, then apply or discard.

Opened when the core starts a preview (`p` in the approval dialog, or every action with
`--approve preview`). While the action runs its live output streams in; then the dialog shows how
it ended, what it would change (a syntax-coloured diff) and waits: `y` applies exactly that change
set as one recorded action (the model reads the preview's output as the action's observation),
`n` discards it (the model is told it was discarded after preview), Esc stops the turn (while the
preview runs, Esc interrupts it). The answer resolves the Future on the core's `PreviewReady`.

On a small terminal the output and diff scroll in one pane that takes what the other rows leave,
so the buttons and the hint always stay on screen.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from ...core import events as ev
from ...core.agent import PREVIEW_DISCARDED
from ...core.ports import ExecutionResult, StreamName
from ..highlight import highlight

HINT_RUNNING = "Runs on a copy of the project: nothing is written · Esc: stop it"
HINT_READY = "Nothing written yet · y: apply · n: discard · ↑↓: scroll"


def outcome_text(result: ExecutionResult) -> str:
    """How the previewed run ended, in a few words."""
    if result.status == "ok":
        return "ran to the end"
    if result.status == "error":
        return f"failed (exit status {result.exit_code})"
    return f"stopped by {result.stopped_by or 'a limit'}: nothing to apply"


class PreviewScreen(ModalScreen[None]):
    """Show a previewed action's output and diff; apply or discard it."""

    CSS_PATH = "preview.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("y", "apply", "Apply"),
        Binding("n", "discard", "Discard"),
        Binding("escape", "stop", "Stop turn", priority=True),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
    ]

    def __init__(self, step: int, *, interrupt: Callable[[], None]) -> None:
        super().__init__()
        self.step = step
        self._interrupt = interrupt
        self._chunks: list[tuple[StreamName, str]] = []
        self._ready: ev.PreviewReady | None = None
        self._question = f"Preview of action {step}: running on a copy of the project…"

    @property
    def output_text(self) -> str:
        """The output shown (live, then the run's authoritative output)."""
        return "".join(chunk for _, chunk in self._chunks)

    @property
    def diff_text(self) -> str:
        """The diff shown, once the preview ran."""
        return self._ready.preview.diff if self._ready is not None else ""

    @property
    def question_text(self) -> str:
        """The dialog's first line."""
        return self._question

    @property
    def ready(self) -> bool:
        """Whether the preview ran and waits for apply or discard."""
        return self._ready is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._question, id="question", markup=False)
            with VerticalScroll(id="body"):
                yield Static("", id="output")
                yield Static("", id="diff")
            with Horizontal(id="buttons"):
                yield Button("Apply (y)", id="apply", variant="success", disabled=True)
                yield Button("Discard (n)", id="discard", variant="warning", disabled=True)
                yield Button("Stop turn (Esc)", id="stop", variant="error")
            yield Static(HINT_RUNNING, id="hint")
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        if self._ready is not None:  # it ran before the dialog was up
            self._show_ready()
        else:
            self.query_one("#stop", Button).focus()
            self._show_output()

    # --- what the core sends --------------------------------------------------------------------

    def add_output(self, stream: StreamName, text: str) -> None:
        """Live output of the running preview."""
        self._chunks.append((stream, text))
        if self.is_mounted:
            self._show_output()

    def show_ready(self, event: ev.PreviewReady) -> None:
        """The preview ran: show its outcome and diff, and wait for the answer."""
        self._ready = event
        if self.is_mounted:
            self._show_ready()

    def _show_ready(self) -> None:
        assert self._ready is not None
        preview = self._ready.preview
        result = preview.result
        self._chunks = [("stdout", result.stdout)] if result.stdout else []
        if result.stderr:
            self._chunks.append(("stderr", result.stderr))
        self._show_output()
        finished = result.status != "stopped"
        question = self.query_one("#question", Static)
        self._question = f"Preview of action {self.step}: {outcome_text(result)} · {preview.summary}"
        question.update(Text(self._question))
        question.set_class(result.status != "ok", "-failed")
        notes = [f"warning: {warning}" for warning in result.warnings]
        diff = highlight(preview.diff, "diff", dark=self.app.current_theme.dark) if preview.diff else Text("(no file changes)", style="italic")
        self.query_one("#diff", Static).update(Group(*(Text(n, style="yellow") for n in notes), Text("─ changes ─", style="bold"), diff))
        apply = self.query_one("#apply", Button)
        apply.disabled = not finished
        self.query_one("#discard", Button).disabled = False
        (apply if finished else self.query_one("#discard", Button)).focus()
        self.query_one("#hint", Static).update(HINT_READY if finished else "n: discard · Esc: stop the turn")

    def _show_output(self) -> None:
        text = Text()
        for stream, chunk in self._chunks:
            text.append(chunk, style="red" if stream == "stderr" else "")
        text.rstrip()
        if not text:
            text = Text("(no output yet)" if self._ready is None else "(no output)", style="italic")
        self.query_one("#output", Static).update(Group(Text("─ output ─", style="bold"), text))

    # --- answers --------------------------------------------------------------------------------

    def _answer(self, approval: ev.Approval) -> None:
        if self._ready is not None and not self._ready.future.done():
            self._ready.future.set_result(approval)
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Apply and discard wait for the preview to end (apply: for it to finish)."""
        if action == "apply":
            return self._ready is not None and self._ready.preview.result.status != "stopped"
        if action == "discard":
            return self._ready is not None
        return True

    def action_apply(self) -> None:
        """Write exactly the previewed changes, as one recorded action."""
        self._answer(ev.Approval("run"))

    def action_discard(self) -> None:
        """Drop the previewed changes; the model is told the action was discarded after preview."""
        self._answer(ev.Approval("skip", reason=PREVIEW_DISCARDED))

    def action_stop(self) -> None:
        """End the turn (while the preview runs: interrupt it)."""
        if self._ready is None:
            self._interrupt()
            self._question = f"Preview of action {self.step}: stopping…"
            self.query_one("#question", Static).update(Text(self._question))
            return
        self._answer(ev.Approval("stop", reason="the user stopped the turn"))

    def action_scroll(self, lines: int) -> None:
        """Scroll the output and diff."""
        body = self.query_one("#body", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)

    def close(self) -> None:
        """The turn ended (e.g. interrupted) before an answer: just go."""
        if self.is_attached and self.app.screen is self:
            self.dismiss(None)
