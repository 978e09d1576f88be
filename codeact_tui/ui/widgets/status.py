"""The status bar (model, activity, speed, context, sandbox, approvals) and the one-time
sandbox compile progress line."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SEPARATOR = " │ "


class StatusBar(Static):
    """One line at the bottom: what the app is doing and with what."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    model: reactive[str] = reactive("no model")
    activity: reactive[str] = reactive("idle")
    tokens_per_s: reactive[float | None] = reactive(None)
    context_used: reactive[int] = reactive(0)
    context_window: reactive[int] = reactive(0)
    sandbox: reactive[str] = reactive("starting")
    approvals: reactive[int] = reactive(0)
    approve_mode: reactive[str] = reactive("auto")
    _frame: reactive[int] = reactive(0)

    def on_mount(self) -> None:
        self.set_interval(0.12, self._spin)

    def _spin(self) -> None:
        if self.activity != "idle" or self.sandbox == "compiling":
            self._frame = (self._frame + 1) % len(SPINNER)

    def render(self) -> Text:
        narrow = self.size.width < 90
        busy = self.activity != "idle"
        # (part, may it be left out when the bar is full?) in the order shown after the model
        parts: list[tuple[Text, bool]] = []
        activity = Text(f"{SPINNER[self._frame]} {self.activity}" if busy else "● idle", style="bold" if busy else "")
        parts.append((activity, False))
        if self.tokens_per_s:
            parts.append((Text(f"{self.tokens_per_s:.0f} tok/s"), True))
        short_ctx: Text | None = None
        ctx_index = 0
        if self.context_window:
            share = self.context_used / self.context_window
            style = "red" if share > 0.9 else "yellow" if share > 0.7 else ""
            short_ctx = Text(f"ctx {share:.0%}", style=style)
            label = f"ctx {share:.0%}" if narrow else f"ctx {_k(self.context_used)}/{_k(self.context_window)} ({share:.0%})"
            ctx_index = len(parts)
            parts.append((Text(label, style=style), False))
        sandbox_style = {"ready": "green", "compiling": "yellow", "failed": "red", "busy": "cyan"}.get(self.sandbox, "")
        parts.append((Text(f"sandbox {self.sandbox}", style=sandbox_style), False))
        if not narrow or self.approve_mode != "auto":
            parts.append((Text(f"approve {self.approve_mode}"), self.approve_mode == "auto"))
        if self.approvals:  # the activity says so too while the dialog is open
            parts.append((Text(f"{self.approvals} approval waiting", style="bold yellow"), "approval" in self.activity))
        # The context meter says only its share, then what may go is left out, last first, until
        # the model's name fits (up to MODEL_FULL_WIDTH); the name gets what is left, cut in the middle.
        name = model_label(self.model, max_width=len(self.model))
        wanted = min(len(name), MODEL_FULL_WIDTH)
        if short_ctx is not None and self.content_size.width - _width([p for p, _ in parts]) < wanted:
            parts[ctx_index] = (short_ctx, False)
        for index in range(len(parts) - 1, -1, -1):
            if self.content_size.width - _width([p for p, _ in parts]) >= wanted:
                break
            if parts[index][1]:
                del parts[index]
        shown = [part for part, _ in parts]
        room = self.content_size.width - _width(shown)
        shown.insert(0, Text(model_label(self.model, max_width=max(MODEL_MIN_WIDTH, room)), style="bold"))
        line = Text(SEPARATOR, style="dim").join(shown)
        line.no_wrap, line.overflow = True, "ellipsis"  # one row: never wrap out of sight
        return line


MODEL_FULL_WIDTH = 24
"""Optional meters give way until the model's name has this many cells (or all it needs)."""

MODEL_MIN_WIDTH = 8
"""The model's label may always take this many cells, however narrow the bar."""

_PATH_LIKE = re.compile(r"^(?:[/~.]|[A-Za-z]:[\\/])|\.gguf$", re.IGNORECASE)
"""A model given as a file (a GGUF path), not as a server's model name like `qwen2.5-coder:7b`."""


def model_label(label: str, *, max_width: int) -> str:
    """Shorten `backend:model[ · profile][ (note)]` for the status bar so the meters after it
    stay visible.

    A model given as a file shows its name without folder and `.gguf`; a label wider than
    `max_width` drops the profile first, then is cut in the middle, where the two ends (backend,
    size or quantisation) survive.
    """
    backend, sep, rest = label.partition(":")
    if not sep:
        backend, rest = "", label
    note = ""
    if rest.endswith(")") and " (" in rest:
        rest, _, note = rest.rpartition(" (")
        note = " (" + note
    rest, dot, profile = rest.rpartition(" · ") if " · " in rest else (rest, "", "")
    if _PATH_LIKE.search(rest):
        name = re.split(r"[\\/]", rest.rstrip("/\\"))[-1]
        rest = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE) or rest
    text = f"{backend}{sep}{rest}{dot}{profile}{note}"
    if len(text) <= max_width:
        return text
    text = f"{backend}{sep}{rest}{note}"
    if len(text) <= max_width:
        return text
    keep = max(max_width - 1, 2)
    return text[: (keep + 1) // 2] + "…" + text[len(text) - keep // 2 :]


def _width(parts: list[Text]) -> int:
    """Cells the parts take on the bar, with the separator before each."""
    return sum(part.cell_len + len(SEPARATOR) for part in parts)


def _k(tokens: int) -> str:
    return f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)


class SandboxProgress(Horizontal):
    """Shown only during the first-ever sandbox compile; the rest of the app stays usable."""

    DEFAULT_CSS = """
    SandboxProgress {
        height: 1;
        background: $warning 15%;
        padding: 0 1;
        display: none;
    }
    SandboxProgress.-active { display: block; }
    SandboxProgress > Static { width: 1fr; }
    SandboxProgress > ProgressBar { width: 30; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="sandbox-label")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False)

    def show(self, elapsed_s: float) -> None:
        """Show the elapsed time of the compile (about a minute, once per installation)."""
        self.add_class("-active")
        self.query_one("#sandbox-label", Static).update(
            f"Preparing the sandbox — one time only, about a minute: {elapsed_s:.0f}s (you can type meanwhile)"
        )

    def hide(self) -> None:
        """The compile ended."""
        self.remove_class("-active")
