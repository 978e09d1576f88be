"""Rewind: pick a user turn, see what going back to before it changes, confirm.

The picker lists the conversation's user turns (the focused card's turn, else the newest, is
highlighted); Enter asks `Conversation.plan_rewind` what would change — the files it writes or
removes, the turns the new branch leaves out, the variables the Python session will hold — and
shows that in a confirmation. Nothing is written before the user says yes.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...conversation.interpreter import UserTurn
from ...conversation.rewind import RewindPlan

FILES_SHOWN = 12
"""Files listed in the confirmation before the rest are counted."""


class RewindPicker(ModalScreen[int | None]):
    """Choose the user turn to go back before (Enter), or cancel (Esc)."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    RewindPicker { align: center middle; background: $background 60%; }
    RewindPicker > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 80%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    RewindPicker #rewind-title { text-style: bold; margin-bottom: 1; }
    RewindPicker OptionList { height: auto; max-height: 20; }
    RewindPicker #rewind-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, turns: list[UserTurn], highlight: int | None = None) -> None:
        super().__init__()
        self.turns = turns
        self.highlight = highlight if highlight is not None else (turns[-1].number if turns else None)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Rewind to before which turn?", id="rewind-title")
            options = []
            for turn in self.turns:
                first = turn.request.strip().splitlines()[0] if turn.request.strip() else "(empty request)"
                options.append(Option(Text.assemble((f"{turn.number:>3}  ", "bold"), first[:80]), id=str(turn.number)))
            yield OptionList(*options, id="rewind-turns")
            yield Static("Enter: see what changes, then confirm · Esc: cancel", id="rewind-hint")
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        turns = self.query_one(OptionList)
        if self.highlight is not None:
            turns.highlighted = max(0, min(self.highlight - 1, len(self.turns) - 1))
        turns.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0) or None)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


def plan_text(plan: RewindPlan) -> str:
    """The confirmation's detail: files, turns and variables the rewind changes."""
    lines = []
    if plan.files:
        shown = ", ".join(plan.files[:FILES_SHOWN]) + (f" and {len(plan.files) - FILES_SHOWN} more" if len(plan.files) > FILES_SHOWN else "")
        lines.append(f"Files restored ({len(plan.files)}): {shown}.")
    else:
        lines.append("Files: none change (they are as they were then).")
    if plan.unrecorded:
        lines.append(
            f"You changed {', '.join(plan.unrecorded[:FILES_SHOWN])} since the last snapshot: your changes are recorded "
            "in the history first, so undo brings them back."
        )
    lines.append(f"Conversation: a new branch without the last {plan.turns_dropped} turn(s); the current one stays resumable.")
    lines.append(f"Python session: {plan.state_plan}.")
    lines.append("Undoable: the files' rewind is one history entry.")
    return "\n".join(lines)
