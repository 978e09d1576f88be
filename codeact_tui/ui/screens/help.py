"""The help screen: every key binding, and how a turn works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP = """\
# codeact-tui — keys

| Where | Key | What it does |
|---|---|---|
| anywhere | **Ctrl+P** | command palette (every action, searchable) |
| anywhere | **F1** | this help |
| anywhere | **Ctrl+Q** | quit |
| main | **Enter** | send the prompt · **Ctrl+J** / Shift+Enter new line |
| main | **Up / Down** | recall earlier prompts (on the first / last line) |
| main | **!code** | run Python directly in the sandbox (a *manual* action, recorded) |
| main | **Esc** | interrupt: stop generating, or KeyboardInterrupt in the action; again: stop hard (**Ctrl+C** too, while a turn runs) |
| main | **Ctrl+R** | history: diffs, undo, redo, restore |
| main | **Ctrl+G** | rewind: files, conversation and variables back to before a turn (the focused card's; asks first) |
| main | **Ctrl+O** | models: pick one, or pull one with progress |
| main | **F5** | check the model server again |
| main | **Ctrl+N** | new conversation |
| main | **Ctrl+T** | next theme |
| main | **Alt+Up / Alt+Down**, Tab | move between transcript cards · **Ctrl+L** back to the prompt |
| action card | **Enter** | fold / unfold long output |
| action card | **d** | open its diff in the history · **e** open the changed file in your editor (`[ui] editor`, else `$VISUAL`, else `$EDITOR`) |
| card | **y** | copy code / answer / message · **o** copy output |
| history | **Up / Down** | choose an entry · **Tab** timeline ↔ diff |
| history | **u / r / s** | undo this entry · redo the last undo (or this undone entry) · restore to here (all ask first) |
| history | **[ / ]** | one file at a time · **t** go to the turn · **w** rewind to before its turn · **e** open file · **y** copy diff |
| approval | **y / n / a / Esc** | run · skip · always · stop the turn; **Tab** the reason field (**Enter** there skips with it, **Esc** leaves it); **e** edit, **Ctrl+S** run edited |
| approval | **p** | preview: run it on a copy of the project, see its output and diff |
| preview | **y / n / Esc** | apply exactly the previewed changes · discard them (the model is told) · stop the turn |

# How it works

You ask; the model answers by writing Python that runs in a WebAssembly sandbox inside this
project (no network, no processes, only the project folder). Every action is snapshotted before
and after it runs, so its diff can be reviewed and undone — even one in the middle, keeping
later work. The same is available from the shell: `codeact-tui history`, `diff`, `undo`.
"""


class HelpScreen(ModalScreen[None]):
    """Key bindings at a glance."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll { width: 100; max-width: 96%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.border_subtitle = "Esc, q or F1 closes · ↑↓ PgUp PgDn scroll"
        scroll.focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss()
