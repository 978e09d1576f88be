"""Transcript entries other than actions: the user's message, the model's streamed reply, the
final answer, notices, and the setup card shown when no model server answers."""

from __future__ import annotations

import re

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.style import Style as RichStyle
from rich.table import Table
from rich.text import Text
from rich.theme import Theme as RichTheme
from textual.app import ComposeResult
from textual.geometry import Size
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from ...core.actions import reply_prose


class FixedContent:
    """For widgets whose content never changes: measure the height once per width.

    A long transcript is laid out again on every frame while a reply streams; measuring means
    rendering, so finished entries remember their height.
    """

    _height_by_width: dict[int, int]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        cache = self.__dict__.setdefault("_height_by_width", {})
        if width not in cache:
            cache[width] = super().get_content_height(container, viewport, width)  # type: ignore[misc]
        return cache[width]


def markdown_text(markdown: str, *, dark: bool = True) -> Text:
    """Markdown rendered once into styled text (paragraphs rewrap to any width): one cheap
    widget instead of a widget per block, for answers that never change."""
    console = Console(
        width=_MARKDOWN_WIDTH,
        theme=RichTheme({"markdown.code": "bold", "markdown.code_block": "none"}),
        color_system="truecolor",
        force_terminal=True,
    )
    rendered = RichMarkdown(markdown, code_theme="ansi_dark" if dark else "ansi_light", inline_code_theme="ansi_dark" if dark else "ansi_light")
    lines = console.render_lines(rendered, console.options, pad=False)
    text = Text()
    for index, line in enumerate(lines):
        row = Text()
        for segment in line:
            if not segment.control:
                style = segment.style
                # No painted backgrounds: the card's own colour shows through.
                row.append(segment.text, RichStyle(color=style.color, bold=style.bold, italic=style.italic, underline=style.underline, strike=style.strike) if style else None)
        row.rstrip()
        if index:
            text.append("\n")
        text.append_text(row)
    text.rstrip()
    return text


_MARKDOWN_WIDTH = 400


class UserMessage(FixedContent, Static, can_focus=True):
    """What the user asked."""

    DEFAULT_CSS = """
    UserMessage {
        height: auto;
        margin: 1 0 1 0;
        padding: 0 1;
        border-left: thick $primary;
        background: $boost;
        color: $text;
    }
    UserMessage:focus { background: $primary 20%; }
    UserMessage.-manual { border-left: thick $warning; }
    """
    BINDINGS = [Binding("y", "copy", "Copy")]

    def __init__(self, text: str, *, manual: bool = False, turn_id: str | None = None) -> None:
        super().__init__(Text(("! " if manual else "") + text), classes="-manual" if manual else "")
        self.text = text
        self.turn_id = turn_id

    def action_copy(self) -> None:
        """Copy the message."""
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.")


class AssistantReply(Markdown, can_focus=True):
    """The model's prose, streamed through `Markdown.get_stream` (code goes to action cards)."""

    DEFAULT_CSS = """
    AssistantReply {
        height: auto;
        margin: 0;
        padding: 0 1;
        background: transparent;
    }
    AssistantReply:focus { background: $boost; }
    AssistantReply.-final { border-left: thick $success; background: $success 8%; }
    AssistantReply.-empty { display: none; }
    """
    BINDINGS = [Binding("y", "copy", "Copy")]

    def __init__(self, prose: str = "") -> None:
        """`prose`: a finished reply's prose (a resumed conversation); live replies start empty."""
        super().__init__(prose, classes="" if prose.strip() else "-empty")
        self.text = prose
        """The prose shown so far."""
        self._raw = prose
        self._stream: MarkdownStream | None = None

    async def feed(self, delta: str) -> None:
        """Add streamed text (only its prose is shown: the core decides where code begins)."""
        self._raw += delta
        await self._show(reply_prose(self._raw))

    async def _show(self, prose: str) -> None:
        if not prose.startswith(self.text) or len(prose) == len(self.text):
            return  # nothing new (what is shown is never taken back)
        if not self.text and not prose.strip():
            return
        new = prose[len(self.text) :]
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        self.text = prose
        self.remove_class("-empty")
        await self._stream.write(new)

    async def finish(self) -> None:
        """The reply ended: show what was held back and stop the stream."""
        await self._show(reply_prose(self._raw, final=True))
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    def action_copy(self) -> None:
        """Copy the reply's text."""
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Reply copied to the clipboard.")


class AnswerCard(FixedContent, Static, can_focus=True):
    """The final answer of a turn, standing out from the rest."""

    DEFAULT_CSS = """
    AnswerCard {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border: heavy $success;
        border-title-color: $success;
        border-title-style: bold;
        background: $success 8%;
    }
    AnswerCard:focus { border: heavy $primary; }
    """
    BINDINGS = [Binding("y", "copy", "Copy answer")]

    def __init__(self, answer: str, *, title: str = "Answer", dark: bool = True) -> None:
        super().__init__(markdown_text(answer, dark=dark))
        self.answer = answer
        self.border_title = title

    def action_copy(self) -> None:
        """Copy the answer."""
        self.app.copy_to_clipboard(self.answer)
        self.app.notify("Answer copied to the clipboard.")


class Welcome(FixedContent, Static):
    """The first thing in a new conversation: where we are and what to type."""

    DEFAULT_CSS = """
    Welcome { height: auto; margin: 1 0 1 0; padding: 1 2; border: round $primary 50%; color: $text-muted; }
    """

    def __init__(self, project: object) -> None:
        text = Text()
        text.append("Pair-programming in ", style="")
        text.append(str(project), style="bold")
        text.append(
            "\nAsk for a change and watch the model act: it writes Python that runs in a sandbox inside "
            "this folder, and every action is snapshotted so you can review its diff and undo it.\n"
        )
        # Keys in a column of their own, so a description that wraps stays under itself.
        keys = Table.grid(padding=(0, 2))
        keys.add_column(justify="right", style="bold", no_wrap=True)
        keys.add_column()
        for key, what in (
            ("Enter", "send · Ctrl+J new line · Up recalls earlier prompts"),
            ("!code", "run Python yourself in the sandbox (recorded like an action)"),
            ("Esc", "interrupt · Ctrl+R history and undo · Ctrl+O models · F1 all keys · Ctrl+P commands"),
        ):
            keys.add_row(key, what)
        super().__init__(Group(text, keys))


class EarlierNote(Static):
    """At the top of a long transcript: how many older entries left the screen, and where they are."""

    DEFAULT_CSS = """
    EarlierNote { height: auto; color: $text-muted; text-style: italic; padding: 0 1; margin-bottom: 1; }
    """

    def show(self, count: int) -> None:
        """Say how many entries are hidden."""
        self.update(Text(f"… {count} earlier entries are off screen (kept in the conversation; Ctrl+R shows every change)"))


class Notice(FixedContent, Static):
    """A one-line note in the transcript: an error, an interrupt, a loaded model."""

    DEFAULT_CSS = """
    Notice { height: auto; margin: 0 0 1 0; padding: 0 1; color: $text-muted; }
    Notice.-error { color: $error; border-left: thick $error; }
    Notice.-warning { color: $warning; border-left: thick $warning; }
    Notice.-success { color: $success; }
    """

    def __init__(self, text: str, *, severity: str = "info") -> None:
        super().__init__(Text(text), classes=f"-{severity}")


def setup_fix(message: str, backend: str, model: str, host: str) -> list[str]:
    """The exact steps that make the model usable, for the failure in `message`."""
    lowered = message.lower()
    if "cannot reach" in lowered or "connect" in lowered:
        if backend == "ollama":
            return [
                "Start Ollama:            ollama serve",
                f"Then pull a model:       ollama pull {model or 'qwen2.5-coder:7b'}",
                "Or use another server:   codeact-tui --backend openai --host http://127.0.0.1:8080 --model NAME",
                f"Server now:              {host or 'OLLAMA_HOST or http://127.0.0.1:11434'}",
            ]
        return [
            f"Start your OpenAI-compatible server at {host or 'the configured host'}",
            "Or use Ollama:           codeact-tui --backend ollama --model NAME",
        ]
    if "not installed" in lowered or "not found" in lowered:
        return [f"Pull it:                 ollama pull {model}", "Or press Ctrl+O to pick an installed model or pull one with progress"]
    if "no model chosen" in lowered:
        return [
            "Press Ctrl+O to pick an installed model (or pull one)",
            "Ollama not running?      ollama serve",
            "No model yet?            ollama pull qwen2.5-coder:7b",
            "Or start with:           codeact-tui --model NAME",
            "Or set it for good:      [model] model = \"NAME\" in config.toml",
        ]
    return ["Check [model] in config.toml, or pass --backend / --host / --model"]


FIX_LABEL = re.compile(r"^(.+?[:?] {2,})(\S.*)$")
"""A fix step as `label:   command`; the command starts where the padding ends."""


def fix_steps(lines: list[str]) -> RenderableType:
    """The fix steps in bold, a long command wrapping under itself rather than under its label
    (on an 80-column terminal the commands do not fit beside the labels)."""
    steps: list[RenderableType] = []
    for line in lines:
        labelled = FIX_LABEL.match(line)
        if labelled is None:
            steps.append(Text(line, style="bold"))
            continue
        label, command = labelled.groups()
        row = Table.grid()
        row.add_column(width=len(label), no_wrap=True)
        row.add_column(overflow="fold")
        row.add_row(Text(label, style="bold"), Text(command, style="bold"))
        steps.append(row)
    return Group(*steps)


class SetupCard(Vertical):
    """No model is usable: what went wrong and the exact fix. The sandbox and history still work."""

    DEFAULT_CSS = """
    SetupCard {
        height: auto;
        margin: 1 0 1 0;
        padding: 0 2;
        border: round $warning;
        border-title-color: $warning;
        border-title-style: bold;
        background: $warning 6%;
    }
    SetupCard > #problem { height: auto; margin-bottom: 1; }
    SetupCard > #fix { height: auto; color: $text; }
    SetupCard > #keys { height: auto; margin-top: 1; color: $text-muted; }
    """

    def __init__(self, message: str, fix: list[str]) -> None:
        super().__init__(id="setup-card")
        self.message = message
        self.fix = fix
        self.border_title = "Model setup needed"

    def compose(self) -> ComposeResult:
        yield Static(Text(self.message), id="problem")
        yield Static(fix_steps(self.fix), id="fix")
        yield Static(
            "Ctrl+O pick or pull a model · F5 retry · meanwhile !code runs Python in the sandbox and Ctrl+R opens the history",
            id="keys",
        )
