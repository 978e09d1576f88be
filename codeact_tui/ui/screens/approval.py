"""The approval modal (ask mode): the proposed code, editable; run, skip, always, preview, or stop.

The decision goes back to the main screen as the modal's result, which resolves the Future the
core waits on (the Toad `RequestPermission` pattern).

Keys: the one-letter shortcuts act only while no text field has focus (a reason typed with an
`a` in it must never approve everything), and Esc in a text field leaves the field instead of
stopping the turn; Tab goes from the buttons to the reason field, and Enter there skips with
that reason. On a small terminal the dialog turns compact and the code
gives up rows first, so the buttons and the hint always stay on screen.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Static, TextArea

from ...core.events import Approval

Decision = tuple[Approval, bool]
"""The approval and whether to approve every later action of this session."""

SHORTCUT_ACTIONS = frozenset({"run", "skip", "always", "edit", "preview"})
"""Actions bound to plain letters: never run while a text field has focus."""

TAB_ORDER = ("run", "reason", "skip", "always", "preview", "stop")
"""What Tab cycles through; the code editor is entered with `e` (Tab indents inside it)."""

BUTTON_LABELS = {
    "run": ("Run (y)", "Run y"),
    "skip": ("Skip (n)", "Skip n"),
    "always": ("Always (a)", "Always a"),
    "preview": ("Preview (p)", "Preview p"),
    "stop": ("Stop turn (Esc)", "Stop Esc"),
}
"""Each button's label on a wide terminal, and the shorter one that fits 60 columns."""

CODE_MAX_ROWS = 20
"""The code editor's height on a roomy terminal."""

CODE_MIN_ROWS = 3
"""The code editor never shrinks below this (then the dialog itself is cut at its top)."""


class ApprovalScreen(ModalScreen[Decision]):
    """Ask the user whether the proposed action may run."""

    CSS_PATH = "approval.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("ctrl+s", "run_edited", "Run (edited)", priority=True, show=False),
        Binding("y", "run", "Run"),
        Binding("n", "skip", "Skip"),
        Binding("a", "always", "Always"),
        Binding("e", "edit", "Edit"),
        Binding("p", "preview", "Preview"),
        Binding("escape", "stop", "Stop turn", priority=True),
        Binding("tab", "cycle_focus(1)", show=False),
        Binding("shift+tab", "cycle_focus(-1)", show=False),
    ]

    HINT = "p: preview · Tab: reason · e: edit · Ctrl+S: run edited"
    """The keys the buttons do not show."""

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
            yield Input(placeholder="Why skip it? (optional, told to the model; Enter skips)", id="reason")
            with Horizontal(id="buttons"):
                for name, variant in (("run", "success"), ("skip", "warning"), ("always", "primary"), ("preview", "default"), ("stop", "error")):
                    yield Button(BUTTON_LABELS[name][0], id=name, variant=variant)  # type: ignore[arg-type]
            yield Static(self.HINT, id="hint")
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        self.query_one("#code", TextArea).theme = "vscode_dark" if self.app.current_theme.dark else "github_light"
        self.query_one("#run", Button).focus()

    def on_resize(self, event: events.Resize) -> None:
        """Re-fit the code editor once the new size (and breakpoint classes) are laid out."""
        self.call_after_refresh(self._fit_code)

    def _fit_code(self) -> None:
        """Give the code editor what the other rows leave, so the buttons and hint stay visible
        (on a narrow terminal the buttons take their short labels first).

        The other rows are measured from the laid-out widgets (not copied from the CSS), so a
        style change cannot silently push the buttons off screen again.
        """
        narrow = self.has_class("-narrow")
        for name, labels in BUTTON_LABELS.items():
            self.query_one(f"#{name}", Button).label = labels[1 if narrow else 0]
        dialog = self.query_one("#dialog", Vertical)
        code = self.query_one("#code", TextArea)
        others = sum(_rows(child) for child in dialog.children if child is not code and child.display)
        footer = _rows(self.query_one(Footer))
        spare = self.size.height - footer - dialog.styles.gutter.height - others - code.styles.margin.height
        rows = max(CODE_MIN_ROWS, min(CODE_MAX_ROWS, spare))
        if code.styles.max_height is None or code.styles.max_height.value != rows:
            code.styles.max_height = rows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter shortcuts are off while the reason field or the code editor has focus."""
        if action in SHORTCUT_ACTIONS and isinstance(self.focused, (Input, TextArea)):
            return False
        return True

    def action_cycle_focus(self, direction: int) -> None:
        """Tab/Shift+Tab through run → reason → skip → always → stop (from the editor: to the reason)."""
        focused = self.focused
        current = focused.id if focused is not None else None
        if current in TAB_ORDER:
            target = TAB_ORDER[(TAB_ORDER.index(current) + direction) % len(TAB_ORDER)]
        else:
            target = "reason" if direction > 0 else "run"
        self.query_one(f"#{target}").focus()

    def _edited(self) -> str | None:
        text = self.query_one("#code", TextArea).text
        return text if text != self.code else None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the reason field skips the action with that reason."""
        event.stop()
        self.action_skip()

    def action_run(self) -> None:
        """Run the code (as edited)."""
        self.dismiss((Approval("run", code=self._edited()), False))

    def action_run_edited(self) -> None:
        """Ctrl+S: run the code as edited, from anywhere in the dialog (also from the editor)."""
        self.action_run()

    def action_always(self) -> None:
        """Run this and every later action of this session without asking."""
        self.dismiss((Approval("run", code=self._edited()), True))

    def action_skip(self) -> None:
        """Do not run it; the model is told (with the reason) and continues."""
        reason = self.query_one("#reason", Input).value.strip() or "the user declined to run it"
        self.dismiss((Approval("skip", reason=reason), False))

    def action_stop(self) -> None:
        """End the turn; from the reason field or the code editor, Esc first leaves the field."""
        if isinstance(self.focused, (Input, TextArea)):
            self.query_one("#run", Button).focus()
            return
        self.dismiss((Approval("stop", reason="the user stopped the turn"), False))

    def action_preview(self) -> None:
        """Run it on a copy of the project first: its output and diff, then apply or discard."""
        self.dismiss((Approval("preview", code=self._edited()), False))

    def action_edit(self) -> None:
        """Move into the code editor."""
        self.query_one("#code", TextArea).focus()


def _rows(widget: Widget) -> int:
    """The rows a laid-out widget takes, margins included."""
    return widget.outer_size.height + widget.styles.margin.height
