"""The multi-line prompt: Enter sends, Ctrl+J (or Shift+Enter) breaks the line, Up/Down recall.

A leading `!` runs the rest as Python directly in the sandbox (a `manual` action). The recalled
prompts outlive the session when the app offers a `prompt_history` (the project's remembered one).
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from ...remembered import PromptHistory
from ..messages import UserSubmitted

PLACEHOLDER = "Ask for a change…   Enter sends · Ctrl+J new line · !code runs Python"


class PromptInput(TextArea):
    """The user's input box, with history recall."""

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: tall $border-blurred;
        background: $surface;
        padding: 0 1;
    }
    PromptInput:focus {
        border: tall $primary;
    }
    PromptInput.-manual {
        border: tall $warning;
    }
    """

    BINDINGS = [
        Binding("ctrl+j", "newline", "New line", show=False),
        Binding("shift+enter", "newline", "New line", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=PLACEHOLDER,
            highlight_cursor_line=False,
            id=id,
        )
        self.recall: list[str] = []
        """Earlier submissions, oldest first."""
        self._recall_index: int | None = None
        self._draft = ""
        self._history: PromptHistory | None = None

    def on_mount(self) -> None:
        """Start from the prompts remembered for this project."""
        history = getattr(self.app, "prompt_history", None)
        if isinstance(history, PromptHistory):
            self._history = history
            self.recall = history.load() + self.recall

    def action_newline(self) -> None:
        """Insert a line break."""
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("ctrl+j", "shift+enter"):
            # Handled here, not only by the binding, so it stays in order with typed text
            # that arrives in the same burst.
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.submit()
            return
        if event.key == "up" and self.cursor_location[0] == 0 and self.recall:
            event.stop()
            event.prevent_default()
            self._recall(-1)
            return
        if event.key == "down" and self._recall_index is not None and self.cursor_location[0] == self.document.line_count - 1:
            event.stop()
            event.prevent_default()
            self._recall(+1)
            return
        await super()._on_key(event)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.set_class(self.text.startswith("!"), "-manual")

    def _recall(self, step: int) -> None:
        if self._recall_index is None:
            self._draft = self.text
            index = len(self.recall) - 1 if step < 0 else None
        else:
            index = self._recall_index + step
            if index < 0:
                index = 0
            elif index >= len(self.recall):
                index = None
        self._recall_index = index
        self.load_text(self._draft if index is None else self.recall[index])
        self.move_cursor(self.document.end)

    def submit(self) -> None:
        """Send the text (if any) and clear the box."""
        text = self.text.strip()
        if not text:
            return
        if text.startswith("!") and not text[1:].strip():  # kept, so the user can go on typing
            self.notify("Write Python after the ! to run it in the sandbox, e.g. !print(2 + 2)")
            return
        if not self.recall or self.recall[-1] != text:
            self.recall.append(text)
        if self._history is not None:
            self._history.add(text)
        self._recall_index = None
        self._draft = ""
        self.load_text("")
        if text.startswith("!"):
            self.post_message(UserSubmitted(text[1:].strip(), manual=True))
        else:
            self.post_message(UserSubmitted(text))
