"""A code action in the transcript: its code, state, elapsed time, live output, exit status and
the files it changed, with keys to fold the output, copy, open the diff or a file."""

from __future__ import annotations

import time

from rich.text import Text
from rich.console import Group, RenderableType
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from ...core.ports import ExecutionResult, FileChange, HistoryEntry, StreamName
from ..highlight import highlight
from ..messages import ShowEntry

FOLDED_LINES = 12
"""Output lines shown while the output is folded (the newest ones)."""
MAX_SHOWN_LINES = 4000
"""Output lines shown when unfolded (the rest is in the history and the model's observation)."""

STATE_LOOK = {
    "proposed": ("◇", "proposed"),
    "waiting": ("◇", "waiting for approval"),
    "previewing": ("◈", "previewing on a copy (nothing written)"),
    "running": ("▶", "running"),
    "done": ("✓", "done"),
    "failed": ("✗", "failed"),
    "stopped": ("■", "stopped"),
    "skipped": ("–", "skipped"),
}
CHANGE_MARK = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R"}


def change_text(change: FileChange) -> str:
    """`M path`, `R old → new`."""
    mark = CHANGE_MARK.get(change.change, "?")
    return f"{mark} {change.old_path} → {change.path}" if change.old_path else f"{mark} {change.path}"


class ActionCard(Widget, can_focus=True):
    """One code action (agent or manual) and how it went.

    One widget that renders its parts as one group: a transcript holds hundreds of these, and
    layout costs grow with the number of widgets.
    """

    DEFAULT_CSS = """
    ActionCard {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border: round $border-blurred;
        background: $surface;
    }
    ActionCard:focus { border: round $primary; }
    ActionCard.-running { border: round $accent; }
    ActionCard.-failed { border: round $error; }
    ActionCard.-stopped { border: round $warning; }
    ActionCard.-undone { opacity: 70%; }
    """

    BINDINGS = [
        Binding("enter", "toggle_output", "Fold/unfold output"),
        Binding("d", "show_diff", "Diff"),
        Binding("y", "copy_code", "Copy code"),
        Binding("o", "copy_output", "Copy output"),
        Binding("e", "open_file", "Open file"),
    ]

    clock = staticmethod(time.monotonic)
    """Where elapsed time comes from (snapshot tests freeze it)."""

    state: reactive[str] = reactive("proposed")
    expanded: reactive[bool] = reactive(False)

    def __init__(
        self,
        code: str,
        *,
        step: int,
        turn_id: str | None,
        manual: bool = False,
        theme_dark: bool = True,
        fold_lines: int = FOLDED_LINES,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.title = title or ("manual action" if manual else f"action {step}")
        """What its header calls it: `action 3`, `manual action`, `tests after action 3`."""
        self.fold_lines = max(1, fold_lines)
        self.code = code
        self.step = step
        self.turn_id = turn_id
        self.manual = manual
        self.result: ExecutionResult | None = None
        self.entry: HistoryEntry | None = None
        self.entry_id: int | None = None
        """Its history entry's number (known before the entry itself on a resumed card)."""
        self.recorded = False
        self.undone = False
        """True while its history entry is undone."""
        self._chunks: list[tuple[StreamName, str]] = []
        self._output_dirty = False
        self._started: float | None = None
        self._ended: float | None = None
        self._notes: list[str] = []
        self._interrupting = False
        """Esc was pressed while it ran: the header says a second Esc stops it hard."""
        self._files: tuple[FileChange, ...] = ()
        self._theme_dark = theme_dark
        self._code_text = self._syntax()
        self._output_cache: tuple[Text, int] = (Text(), 0)
        self._ticker: Timer | None = None
        self._version = 0
        """Bumped whenever the rendered height may change (it keys the height cache)."""
        self._height_cache: tuple[tuple[int, int], int] | None = None

    def _syntax(self) -> Text:
        return Text.assemble(highlight(self.code.rstrip("\n") or " ", "python", dark=self._theme_dark), no_wrap=False)  # wrap long lines, never cut

    # --- state changes (called by the screen on the event loop) --------------------------------

    def set_code(self, code: str) -> None:
        """Show the code actually run (it may have been edited in the approval modal)."""
        if code != self.code:
            self.code = code
            self._code_text = self._syntax()
            self._relayout()

    def set_dark(self, dark: bool) -> None:
        """Colour the code for a dark or a light theme."""
        if dark != self._theme_dark:
            self._theme_dark = dark
            self._code_text = self._syntax()
            self.refresh()

    def begin(self, code: str | None = None) -> None:
        """The action started running (elapsed time and output refresh five times a second)."""
        if code is not None:
            self.set_code(code)
        self._started = self.clock()
        self.state = "running"
        if self._ticker is None:
            self._ticker = self.set_interval(0.2, self._tick)

    def interrupt_asked(self) -> None:
        """The user pressed Esc while it runs: until it stops, say what a second Esc does."""
        if self.state == "running" and not self._interrupting:
            self._interrupting = True
            self._relayout()  # the header may take another line

    def add_output(self, stream: StreamName, text: str) -> None:
        """Live output arrived (rendered at the next tick)."""
        first = not self._chunks
        self._chunks.append((stream, text))
        self._output_dirty = True
        if first:  # the output section appears now; later output shows at the next tick
            self._relayout()

    def finish(self, result: ExecutionResult) -> None:
        """The action ended: show the authoritative output and the exit status."""
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.result = result
        self._interrupting = False
        self._ended = self.clock()
        self._chunks = [("stdout", result.stdout)] if result.stdout else []
        if result.stderr:
            self._chunks.append(("stderr", result.stderr))
        if result.truncated:
            self._notes.append(f"output cut at the limit ({', '.join(result.truncated)})")
        if result.state_reset and not any("session was reset" in warning for warning in result.warnings):
            # The sandbox says it in its own warning; a runner that does not gets this note.
            self._notes.append("the Python session was reset: its variables are gone; files written so far stay (undo them from the history)")
        self._notes.extend(result.warnings)
        self._files = result.changed_files
        self._output_dirty = True
        self.state = {"ok": "done", "error": "failed"}.get(result.status, "stopped")
        self._relayout()

    def record(self, entry: HistoryEntry | None) -> None:
        """The history recorded it (entry None: no file changed)."""
        self.entry = entry
        self.entry_id = entry.id if entry is not None else None
        self.recorded = True
        if entry is not None:
            self._files = entry.files
        self._relayout()

    def restore(self, result: ExecutionResult | None, entry_id: int | None, *, output_cut: bool = False) -> None:
        """Show a run from a resumed conversation: its recorded result and history number (the
        entry itself follows once the history is open: `record`)."""
        if result is None:
            self.state = "failed"
            self._notes.append("the sandbox failed before the action ended")
        else:
            self.finish(result)
            if output_cut:
                self._notes.append("only the end of the output was kept in the saved conversation")
        self.entry_id = entry_id
        self.recorded = True
        self._relayout()

    def set_undone(self, undone: bool) -> None:
        """Its change was undone (or redone) from the history."""
        if undone != self.undone:
            self.undone = undone
            self.set_class(undone, "-undone")
            self.refresh()

    def skip(self, reason: str) -> None:
        """The user declined it."""
        self.state = "skipped"
        if reason:
            self._notes.append(f"skipped: {reason}")
            self._relayout()

    def wait_for_approval(self) -> None:
        """The approval modal is open for it."""
        self.state = "waiting"

    def preview(self) -> None:
        """It runs on a copy of the project (the preview dialog shows how it goes)."""
        self.state = "previewing"

    @property
    def notes(self) -> tuple[str, ...]:
        """The lines shown under the action (warnings, why it was skipped, ...)."""
        return tuple(self._notes)

    def note(self, text: str) -> None:
        """Add a line under the action (e.g. why a preview was not applied)."""
        self._notes.append(text)
        self._relayout()

    def abandon(self) -> None:
        """The turn ended before the action ran."""
        if self.state in ("proposed", "waiting", "previewing"):
            self.state = "skipped"
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    # --- rendering ------------------------------------------------------------------------------

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")
        self._relayout()

    def watch_expanded(self) -> None:
        self._output_dirty = True
        self._relayout()

    @property
    def elapsed(self) -> float | None:
        """Seconds it ran (so far)."""
        if self.result is not None and self.result.duration_s:
            return self.result.duration_s
        if self._started is None:
            return None
        return (self._ended or self.clock()) - self._started

    def _tick(self) -> None:
        if self._output_dirty:
            self._relayout()
        else:
            self.refresh()

    def _relayout(self) -> None:
        self._version += 1
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Measured once per content change and width: measuring renders the whole card, and a
        long transcript is laid out again on every frame while a reply streams."""
        key = (width, self._version)
        if self._height_cache is not None and self._height_cache[0] == key:
            return self._height_cache[1]
        height = super().get_content_height(container, viewport, width)
        self._height_cache = (key, height)
        return height

    def _state_colour(self) -> str | None:
        theme = self.app.current_theme
        return {
            "running": theme.accent,
            "done": theme.success,
            "failed": theme.error,
            "stopped": theme.warning,
            "waiting": theme.warning,
            "previewing": theme.accent,
        }.get(self.state)

    def _header(self) -> Text:
        icon, label = STATE_LOOK[self.state]
        header = Text(style=self._state_colour() or "")
        header.append(f"{icon} {self.title}", style="bold")
        header.append(f"  {label}")
        elapsed = self.elapsed
        if elapsed is not None:
            header.append(f"  {elapsed:.1f}s", style="dim")
        if self.result is not None:
            if self.result.status == "stopped":
                header.append(f"  · {self.result.stopped_by or 'stopped'}", style="dim")
            elif self.result.exit_code is not None:
                header.append(f"  · exit {self.result.exit_code}", style="dim")
        if self._interrupting and self.state == "running":
            header.append("  · interrupting: Esc again stops it hard (its variables are lost, files stay)", style="bold")
        if self.entry_id is not None:
            header.append(f"  · history #{self.entry_id}", style="dim")
            if self.undone:
                header.append("  · undone", style="bold italic")
        return header

    def _output_text(self) -> tuple[Text, int]:
        if not self._output_dirty:
            return self._output_cache
        self._output_dirty = False
        lines: list[tuple[str, StreamName]] = []
        for stream, text in self._chunks:
            parts = text.split("\n")
            if lines and lines[-1][1] == stream:
                lines[-1] = (lines[-1][0] + parts.pop(0), stream)
            lines.extend((part, stream) for part in parts)
        while lines and lines[-1][0] == "":
            lines.pop()
        total = len(lines)
        limit = MAX_SHOWN_LINES if self.expanded else self.fold_lines
        shown = lines[-limit:] if total > limit else lines
        out = Text()
        if total > len(shown):
            hint = "Enter folds" if self.expanded else "Enter shows all"
            out.append(f"… {total - len(shown)} earlier lines ({total} in all; {hint})\n", style="dim italic")
        elif self.expanded and total > self.fold_lines:  # all shown: say how to fold it again
            out.append(f"{total} lines (Enter folds)\n", style="dim italic")
        for index, (line, stream) in enumerate(shown):
            out.append(line, style="red" if stream == "stderr" else "")
            if index < len(shown) - 1:
                out.append("\n")
        self._output_cache = (out, total)
        return self._output_cache

    def render(self) -> RenderableType:
        parts: list[RenderableType] = [self._header(), self._code_text]
        output, total = self._output_text()
        if total:
            parts += [Text(), output]
        if self._files:
            shown = "  ".join(change_text(c) for c in self._files[:8])
            more = f"  … and {len(self._files) - 8} more" if len(self._files) > 8 else ""
            parts += [Text(), Text(f"changed: {shown}{more}   (d diff · e open)", style="dim")]
        if self._notes:
            parts.append(Text("\n".join(f"! {note}" for note in self._notes), style=self.app.current_theme.warning or "yellow"))
        return Group(*parts)

    # --- actions ----------------------------------------------------------------------------

    def action_toggle_output(self) -> None:
        """Fold or unfold long output (short output says it is all shown)."""
        _, total = self._output_text()
        if total <= self.fold_lines:
            self.app.notify("All of its output is shown: there is nothing to fold." if total else "This action printed nothing.")
            return
        self.expanded = not self.expanded

    def action_show_diff(self) -> None:
        """Open this action's entry in the history view."""
        if self.entry_id is not None:
            self.post_message(ShowEntry(self.entry_id))
        else:
            self.app.notify("This action changed no file (nothing to diff).", severity="information")

    def output_text(self) -> str:
        """All output, plain."""
        return "".join(text for _, text in self._chunks)

    def action_copy_code(self) -> None:
        """Copy the code to the clipboard."""
        self.app.copy_to_clipboard(self.code)
        self.app.notify("Code copied to the clipboard.")

    def action_copy_output(self) -> None:
        """Copy the output to the clipboard."""
        if not self.output_text():
            self.app.notify("This action printed nothing: nothing copied.")
            return
        self.app.copy_to_clipboard(self.output_text())
        self.app.notify("Output copied to the clipboard.")

    def changed_paths(self) -> list[str]:
        """Files it changed that still exist (added, modified or renamed)."""
        files = self.entry.files if self.entry is not None else (self.result.changed_files if self.result else ())
        return [c.path for c in files if c.change != "deleted" and not c.path.endswith("/")]

    def action_open_file(self) -> None:
        """Open the first changed file in $EDITOR."""
        changed = self.changed_paths()
        if not changed:
            self.app.notify("This action changed no file to open.")
            return
        open_file = getattr(self.app, "open_in_editor", None)
        if open_file is not None:
            open_file(changed[0])
