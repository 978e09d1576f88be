"""The model picker: installed models with size and context length; pull one with progress."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ...conversation import Conversation, ModelChoice
from ..workers import ReportsWorkerFailures


def _size(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB" if size else ""


def model_label(choice: ModelChoice, current: str) -> Text:
    """One picker row."""
    text = Text.assemble(("● " if choice.name == current else "  ", "green"), (choice.name, "bold"))
    extra = [part for part in (_size(choice.size_bytes), choice.details, f"ctx {choice.context_length}" if choice.context_length else "") if part]
    if extra:
        text.append("   " + " · ".join(extra), style="dim")
    return text


class ModelScreen(ReportsWorkerFailures, ModalScreen[str | None]):
    """Pick the model for the next turns, or pull a new one."""

    CSS_PATH = "models.tcss"
    BINDINGS = [Binding("escape", "dismiss_none", "Close"), Binding("f5", "reload", "Reload", show=False)]

    def __init__(self, conversation: Conversation) -> None:
        super().__init__()
        self.conversation = conversation

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Models", id="heading")
            yield Static("Enter uses the highlighted model · type a name below and Enter pulls it · Esc closes", id="hint")
            yield OptionList(id="models")
            yield Input(placeholder="Pull a model, e.g. qwen2.5-coder:7b", id="pull")
            yield ProgressBar(total=100, show_eta=True, id="progress")
            yield Static(id="pull-status")
        yield Footer()  # this dialog's keys, not the screen's beneath

    def on_mount(self) -> None:
        self.query_one("#progress").display = False
        self.reload()

    def action_dismiss_none(self) -> None:
        """Close without changing the model."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """List the models again."""
        self.reload()

    @work(exclusive=True, group="models", name="listing the models", exit_on_error=False)
    async def reload(self, note: str | None = None) -> None:
        """Ask the server for its models (`note` is shown instead of the count)."""
        status = self.query_one("#pull-status", Static)
        options = self.query_one("#models", OptionList)
        status.update("Listing models…")
        try:
            choices = await self.conversation.list_models()
        except Exception as exc:
            status.update(Text(f"{exc}\nF5 lists the models again.", style="red"))
            return
        options.clear_options()
        current = self.conversation.settings.model.model
        options.add_options([Option(model_label(c, current), id=c.name) for c in choices])
        if choices:
            options.highlighted = 0
            options.focus()
            status.update(Text(note, style="green") if note else Text(f"{len(choices)} installed"))
        else:
            status.update("No models installed yet: type a name below and press Enter to pull one.")
            self.query_one("#pull", Input).focus()

    @on(OptionList.OptionSelected, "#models")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#pull")
    def _pull_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name:
            self.pull(name)

    @work(exclusive=True, group="pull", name="pulling the model", exit_on_error=False)
    async def pull(self, name: str) -> None:
        """Pull a model, showing the server's progress."""
        bar = self.query_one("#progress", ProgressBar)
        status = self.query_one("#pull-status", Static)
        bar.display = True
        bar.update(total=100, progress=0)
        try:
            async for step in self.conversation.pull_model(name):
                if step.total:
                    bar.update(total=step.total, progress=step.completed)
                status.update(f"{name}: {step.status}")
        except Exception as exc:
            status.update(Text(str(exc), style="red"))
            return
        finally:
            bar.display = False
        self.query_one("#pull", Input).value = ""
        self.reload(note=f"{name} is installed: Enter on it uses it.")
