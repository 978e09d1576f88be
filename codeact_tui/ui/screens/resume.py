"""Pick an earlier conversation of this project to continue (`--resume`, or the palette)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...core.transcript import list_transcripts


class ResumeScreen(ModalScreen[str | None]):
    """The stored conversations, newest first; Enter continues one."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    ResumeScreen { align: center middle; background: $background 60%; }
    ResumeScreen > Vertical { width: 90; max-width: 95%; height: auto; max-height: 80%; padding: 1 2; border: thick $primary; background: $surface; }
    ResumeScreen #heading { text-style: bold; margin-bottom: 1; }
    ResumeScreen OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Continue a conversation (Enter) · Esc closes", id="heading")
            yield OptionList(id="conversations")
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        infos = list_transcripts(self.directory)
        if not infos:
            options.add_option(Option(Text("No earlier conversations in this project.", style="dim"), disabled=True))
            return
        options.add_options(
            [Option(Text.assemble((info.created.replace("T", " ")[:16] + "  ", "dim"), info.title or "(empty)"), id=info.id) for info in infos]
        )
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
