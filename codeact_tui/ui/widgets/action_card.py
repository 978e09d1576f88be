"""A code action in the transcript: its code, state, elapsed time, live output, exit status and
the files it changed, with keys to fold the output, copy, open the diff or a file."""

from __future__ import annotations

import time

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

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


class ActionCard(Vertical, can_focus=True):
    """One code action (agent or manual) and how it went."""

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
    ActionCard.-undone > #code { text-style: strike; }
    ActionCard > #header { color: $text-muted; }
    ActionCard.-running > #header { color: $accent; }
    ActionCard.-done > #header { color: $success; }
    ActionCard.-failed > #header { color: $error; }
    ActionCard.-stopped > #header, ActionCard.-waiting > #header { color: $warning; }
    ActionCard > #code { height: auto; max-height: 30; overflow-y: auto; }
    ActionCard > #output { height: auto; margin-top: 1; color: $text; display: none; }
    ActionCard.-has-output > #output { display: block; }
    ActionCard > #files { height: auto; color: $text-muted; display: none; margin-top: 1; }
    ActionCard.-has-files > #files { display: block; }
    ActionCard > #notes { height: auto; color: $warning; display: none; }
    ActionCard.-has-notes > #notes { display: block; }
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
        self, code: str, *, step: int, turn_id: str | None, manual: bool = False, theme_dark: bool = True, fold_lines: int = FOLDED_LINES
    ) -> None:
        super().__init__()
        self.fold_lines = max(1, fold_lines)
        self.code = code
        self.step = step
        self.turn_id = turn_id
        self.manual = manual
        self.result: ExecutionResult | None = None
        self.entry: HistoryEntry | None = None
        self.recorded = False
        self.undone = False
        """True while its history entry is undone."""
        self._chunks: list[tuple[StreamName, str]] = []
        self._output_dirty = False
        self._started: float | None = None
        self._ended: float | None = None
        self._notes: list[str] = []
        self._theme_dark = theme_dark

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="header")
        yield Static(self._syntax(), id="code")
        yield Static(id="output")
        yield Static(id="files")
        yield Static(id="notes")

    def on_mount(self) -> None:
        self._render_header()
        self.set_interval(0.2, self._tick)

    def _syntax(self) -> Text:
        return highlight(self.code.rstrip("\n") or " ", "python", dark=self._theme_dark)

    # --- state changes (called by the screen on the event loop) --------------------------------

    def set_code(self, code: str) -> None:
        """Show the code actually run (it may have been edited in the approval modal)."""
        if code != self.code:
            self.code = code
            self.query_one("#code", Static).update(self._syntax())

    def begin(self, code: str | None = None) -> None:
        """The action started running."""
        if code is not None:
            self.set_code(code)
        self._started = self.clock()
        self.state = "running"

    def add_output(self, stream: StreamName, text: str) -> None:
        """Live output arrived (rendered at most five times a second)."""
        self._chunks.append((stream, text))
        self._output_dirty = True

    def finish(self, result: ExecutionResult) -> None:
        """The action ended: show the authoritative output and the exit status."""
        self.result = result
        self._ended = self.clock()
        self._chunks = [("stdout", result.stdout)] if result.stdout else []
        if result.stderr:
            self._chunks.append(("stderr", result.stderr))
        if result.truncated:
            self._notes.append(f"output cut at the limit ({', '.join(result.truncated)})")
        if result.state_reset:
            self._notes.append("the Python session was reset: its variables are gone; files written so far stay (undo them from the history)")
        self._notes.extend(result.warnings)
        self.state = {"ok": "done", "error": "failed"}.get(result.status, "stopped")
        self._output_dirty = True
        self._render_output()
        self._render_files(result.changed_files)
        self._render_notes()

    def record(self, entry: HistoryEntry | None) -> None:
        """The history recorded it (entry None: no file changed)."""
        self.entry = entry
        self.recorded = True
        if entry is not None:
            self._render_files(entry.files)
        self._render_header()

    def set_undone(self, undone: bool) -> None:
        """Its change was undone (or redone) from the history."""
        if undone != self.undone:
            self.undone = undone
            self.set_class(undone, "-undone")
            self._render_header()

    def skip(self, reason: str) -> None:
        """The user declined it."""
        self.state = "skipped"
        if reason:
            self._notes.append(f"skipped: {reason}")
            self._render_notes()

    def wait_for_approval(self) -> None:
        """The approval modal is open for it."""
        self.state = "waiting"

    def abandon(self) -> None:
        """The turn ended before the action ran."""
        if self.state in ("proposed", "waiting"):
            self.state = "skipped"

    # --- rendering ------------------------------------------------------------------------------

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")
        if self.is_mounted:
            self._render_header()

    def watch_expanded(self) -> None:
        if self.is_mounted:
            self._render_output()

    @property
    def elapsed(self) -> float | None:
        """Seconds it ran (so far)."""
        if self.result is not None and self.result.duration_s:
            return self.result.duration_s
        if self._started is None:
            return None
        return (self._ended or self.clock()) - self._started

    def _tick(self) -> None:
        if self.state == "running":
            self._render_header()
        if self._output_dirty:
            self._render_output()

    def _render_header(self) -> None:
        icon, label = STATE_LOOK[self.state]
        title = "manual action" if self.manual else f"action {self.step}"
        header = Text(f"{icon} ", style="bold")
        header.append(title, style="bold")
        header.append(f"  {label}")
        elapsed = self.elapsed
        if elapsed is not None:
            header.append(f"  {elapsed:.1f}s", style="dim")
        if self.result is not None:
            if self.result.status == "stopped":
                header.append(f"  · {self.result.stopped_by or 'stopped'}", style="dim")
            elif self.result.exit_code is not None:
                header.append(f"  · exit {self.result.exit_code}", style="dim")
        if self.entry is not None:
            header.append(f"  · history #{self.entry.id}", style="dim")
            if self.undone:
                header.append("  · undone", style="bold italic")
        self.query_one("#header", Static).update(header)

    def _output_text(self) -> tuple[Text, int]:
        lines: list[tuple[str, StreamName]] = []
        for stream, text in self._chunks:
            parts = text.split("\n")
            if lines and not lines[-1][0].endswith("\n") and lines[-1][1] == stream:
                first = parts.pop(0)
                lines[-1] = (lines[-1][0] + first, stream)
            lines.extend((part, stream) for part in parts)
        while lines and lines[-1][0] == "":
            lines.pop()
        total = len(lines)
        limit = MAX_SHOWN_LINES if self.expanded else self.fold_lines
        shown = lines[-limit:] if total > limit else lines
        out = Text(no_wrap=False)
        if total > len(shown):
            hint = "Enter folds" if self.expanded else "Enter shows all"
            out.append(f"… {total - len(shown)} earlier lines ({total} in all; {hint})\n", style="dim italic")
        for index, (line, stream) in enumerate(shown):
            out.append(line, style="red" if stream == "stderr" else "")
            if index < len(shown) - 1:
                out.append("\n")
        return out, total

    def _render_output(self) -> None:
        self._output_dirty = False
        text, total = self._output_text()
        self.set_class(total > 0, "-has-output")
        self.query_one("#output", Static).update(text)

    def _render_files(self, files: tuple[FileChange, ...]) -> None:
        if not files:
            return
        shown = "  ".join(change_text(c) for c in files[:8])
        more = f"  … and {len(files) - 8} more" if len(files) > 8 else ""
        hint = "   (d diff · e open)" if self.entry is not None or files else ""
        self.query_one("#files", Static).update(Text(f"changed: {shown}{more}{hint}"))
        self.add_class("-has-files")

    def _render_notes(self) -> None:
        self.set_class(bool(self._notes), "-has-notes")
        self.query_one("#notes", Static).update("\n".join(f"! {note}" for note in self._notes))

    # --- actions ----------------------------------------------------------------------------

    def action_toggle_output(self) -> None:
        """Fold or unfold long output."""
        self.expanded = not self.expanded

    def action_show_diff(self) -> None:
        """Open this action's entry in the history view."""
        if self.entry is not None:
            self.post_message(ShowEntry(self.entry.id))
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
