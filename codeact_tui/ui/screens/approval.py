"""The approval modal (ask mode): the proposed code, editable; run, skip, always, or stop.

The decision goes back to the main screen as the modal's result, which resolves the Future the
core waits on (the Toad `RequestPermission` pattern).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from ...core.events import Approval

Decision = tuple[Approval, bool]
"""The approval and whether to approve every later action of this session."""


class ApprovalScreen(ModalScreen[Decision]):
    """Ask the user whether the proposed action may run."""

    CSS_PATH = "approval.tcss"
    BINDINGS = [
        Binding("ctrl+s", "run", "Run (edited)", priority=True, show=False),
        Binding("y", "run", "Run"),
        Binding("n", "skip", "Skip"),
        Binding("a", "always", "Always"),
        Binding("e", "edit", "Edit"),
        Binding("escape", "stop", "Stop turn", priority=True),
    ]

    def __init__(self, code: str, *, step: int) -> None:
        super().__init__()
        self.code = code
        self.step = step

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"The model wants to run action {self.step}", id="question")
            yield Static("Runs in the sandbox, inside the project; it is snapshotted first, so it can be undone.", id="explain")
            editor = TextArea.code_editor(self.code, language="python", id="code", soft_wrap=True)
            yield editor
            yield Input(placeholder="Why skip it? (optional, told to the model)", id="reason")
            with Horizontal(id="buttons"):
                yield Button("Run (y)", id="run", variant="success")
                yield Button("Skip (n)", id="skip", variant="warning")
                yield Button("Always (a)", id="always", variant="primary")
                yield Button("Stop turn (Esc)", id="stop", variant="error")
            yield Static("e edit the code · Ctrl+S run the edited code · Tab moves", id="hint")

    def on_mount(self) -> None:
        self.query_one("#code", TextArea).theme = "vscode_dark" if self.app.current_theme.dark else "github_light"
        self.query_one("#run", Button).focus()

    def _edited(self) -> str | None:
        text = self.query_one("#code", TextArea).text
        return text if text != self.code else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    def action_run(self) -> None:
        """Run the code (as edited)."""
        self.dismiss((Approval("run", code=self._edited()), False))

    def action_always(self) -> None:
        """Run this and every later action of this session without asking."""
        self.dismiss((Approval("run", code=self._edited()), True))

    def action_skip(self) -> None:
        """Do not run it; the model is told (with the reason) and continues."""
        reason = self.query_one("#reason", Input).value.strip() or "the user declined to run it"
        self.dismiss((Approval("skip", reason=reason), False))

    def action_stop(self) -> None:
        """End the turn."""
        self.dismiss((Approval("stop", reason="the user stopped the turn"), False))

    def action_edit(self) -> None:
        """Move into the code editor."""
        self.query_one("#code", TextArea).focus()
