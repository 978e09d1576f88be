"""The history view: a timeline of entries, a syntax-coloured diff per entry and per file, and
undo / redo / restore with confirmation; refused changes show their conflicts."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...conversation import Conversation, HistoryVerb
from ...core.ports import HistoryChange, HistoryEntry
from .. import messages as m
from ..controllers.history_ops import report_change
from ..highlight import highlight
from ..widgets.action_card import change_text
from ..workers import ReportsWorkerFailures
from .confirm import ConfirmScreen

MAX_DIFF_LINES = 6000
"""Diff lines rendered at once (a very large diff is cut with a note)."""
KIND_STYLE = {"agent": "cyan", "manual": "yellow", "user": "magenta", "undo": "red", "redo": "green", "restore": "blue"}


def utc_now() -> datetime:
    """The current time in UTC (entry times are UTC); replaced in tests to freeze the timeline."""
    return datetime.now(timezone.utc)


def entry_label(entry: HistoryEntry, undone: bool, now: datetime) -> Text:
    """One timeline row, two lines so the summary stays readable in a narrow timeline: id, kind,
    an `undone` mark, time (clock time today, date and time before); then the summary and file
    count (struck through while undone)."""
    stamp = entry.time.replace("T", " ")
    today = now.strftime("%Y-%m-%d")
    when = stamp[11:19] if stamp.startswith(today) else f"{stamp[5:10]} {stamp[11:16]}"
    files = f"{len(entry.files)} file" + ("" if len(entry.files) == 1 else "s")
    head = Text.assemble((f"#{entry.id:<3} ", "bold"), (f"{entry.kind:<7} ", KIND_STYLE.get(entry.kind, "")), no_wrap=True, overflow="ellipsis")
    if undone:
        head.append("undone ", style="bold italic red")
    head.append(when, style="dim")
    body = Text.assemble("  ", (entry.summary, "strike dim" if undone else ""), (f"  [{files}]", "dim"), no_wrap=True, overflow="ellipsis")
    return Text("\n", no_wrap=True, overflow="ellipsis").join([head, body])


def overlap_advice(result: HistoryChange, entries: list[HistoryEntry]) -> str | None:
    """What overlaps a refused undo or redo, named by its cause: the user's own edit (a `user`
    entry, recorded when they asked) or later actions; None when no later entry touches the
    conflicting files."""
    target = result.target
    if target is None or not result.conflicts:
        return None
    paths = {conflict.path for conflict in result.conflicts}
    later = [e for e in entries if e.id > target.id and e.kind != "undo" and any(f.path in paths or f.old_path in paths for f in e.files)]
    if not later:
        return None
    yours = [e for e in later if e.kind == "user"]
    if len(yours) == len(later):
        ids = ", ".join(f"#{e.id}" for e in yours)
        return (
            f"The overlap is your own edit, made outside the app ({ids}, recorded when you asked). "
            "Keep it and change the file by hand, or undo it first (u on it), then try again."
        )
    ids = ", ".join(f"#{e.id} {e.kind}" for e in reversed(later))
    return f"Later entries change the same lines: {ids}. Undo them first (newest first), or edit by hand."


def conflict_text(result: HistoryChange, advice: str | None = None) -> Text:
    """The conflicts of a refused undo/redo/restore: file, why, each overlapping hunk, and what
    overlaps it."""
    out = Text()
    out.append(f"{result.message}\n", style="bold red")
    if advice:
        out.append(f"{advice}\n", style="bold")
    for conflict in result.conflicts:
        out.append(f"\n{conflict.path}", style="bold")
        out.append(f" — {conflict.reason}\n")
        for hunk in conflict.hunks:
            out.append(f"  at line {hunk.line}, the file now has:\n", style="dim")
            for line in hunk.current.splitlines() or [""]:
                out.append(f"    │ {line}\n", style="yellow")
            out.append("  the change wants:\n", style="dim")
            for line in hunk.wanted.splitlines() or [""]:
                out.append(f"    │ {line}\n", style="green")
    for warning in result.warnings:
        out.append(f"\nwarning: {warning}\n", style="yellow")
    return out


class HistoryScreen(ReportsWorkerFailures, Screen[None]):
    """Review what every action changed, and take changes back."""

    CSS_PATH = "history.tcss"
    clock = staticmethod(utc_now)
    """What "now" is for the timeline's times (a class attribute so tests can freeze it)."""
    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("u", "undo", "Undo entry"),
        Binding("r", "redo", "Redo"),
        Binding("s", "restore", "Restore to here"),
        Binding("right_square_bracket", "file(1)", "Next file", show=False),
        Binding("left_square_bracket", "file(-1)", "Prev file", show=False),
        Binding("t", "turn", "Go to turn"),
        Binding("w", "rewind", "Rewind before turn"),
        Binding("e", "open_file", "Open file", show=False),
        Binding("y", "copy_diff", "Copy diff", show=False),
        Binding("tab", "switch_focus", "Timeline/diff", show=False),
        Binding("f5", "reload", "Reload", show=False),
    ]

    def __init__(self, conversation: Conversation, *, select: int | None = None, refused: tuple[str, HistoryChange] | None = None) -> None:
        super().__init__()
        self.conversation = conversation
        self.select = select
        self._refused = refused
        """An undo or redo refused elsewhere, whose conflicts to show once the timeline is up."""
        self.entries: list[HistoryEntry] = []
        self.undone: set[int] = set()
        self.file_index = -1
        """-1: all files of the entry; else the index of the one file shown."""
        self.diff_text = ""
        self._shown_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(" History  ·  every change to the project, newest first", id="title")
        with Horizontal(id="body"):
            yield OptionList(id="timeline")
            with Vertical(id="detail"):
                yield Static(id="entry-info")
                with VerticalScroll(id="diff-scroll"):
                    yield Static(id="conflicts")
                    yield Static(id="diff")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#timeline", OptionList).border_title = "Timeline"
        self.query_one("#diff-scroll").border_title = "Diff"
        self.reload()

    def on_history_changed(self, message: m.HistoryChanged) -> None:
        self.reload()

    # --- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="history-load", name="reading the history", exit_on_error=False)
    async def reload(self) -> None:
        """Read the entries (in a thread: the log is a file) and fill the timeline."""
        entries = await self.conversation.entries()
        self.entries = entries
        self.undone = await self.conversation.undone_ids(entries)
        timeline = self.query_one("#timeline", OptionList)
        current = self.current_entry()
        wanted = self.select if self.select is not None else (current.id if current else None)
        self.select = None
        timeline.clear_options()
        if not entries:
            self.query_one("#entry-info", Static).update("No history yet: every action (and every change you make between actions) will appear here.")
            self.query_one("#diff", Static).update("")
            return
        timeline.add_options([Option(entry_label(e, e.id in self.undone, self.clock()), id=str(e.id)) for e in reversed(entries)])
        index = 0
        if wanted is not None:
            for i, entry in enumerate(reversed(entries)):
                if entry.id == wanted:
                    index = i
        timeline.highlighted = index
        timeline.focus()
        self.show_entry()
        if self._refused is not None:
            verb, result = self._refused
            self._refused = None
            self._show_conflicts(verb, result)

    def current_entry(self) -> HistoryEntry | None:
        """The highlighted entry."""
        timeline = self.query_one("#timeline", OptionList)
        if timeline.highlighted is None or timeline.option_count == 0:
            return None
        option = timeline.get_option_at_index(timeline.highlighted)
        for entry in self.entries:
            if str(entry.id) == option.id:
                return entry
        return None

    def _entry_for(self, doing: str) -> HistoryEntry | None:
        """The highlighted entry; with none (an empty history) say so, rather than ignore the key."""
        entry = self.current_entry()
        if entry is None:
            self.notify(f"Nothing to {doing}: the history has no entries yet.")
        return entry

    @on(OptionList.OptionHighlighted, "#timeline")
    def _highlighted(self) -> None:
        self.file_index = -1
        self.show_entry()

    @on(OptionList.OptionSelected, "#timeline")
    def _selected(self) -> None:
        self.query_one("#diff-scroll").focus()

    def show_entry(self) -> None:
        """Show the highlighted entry's details and load its diff."""
        entry = self.current_entry()
        if entry is None:
            return
        if entry.id != self._shown_id:  # conflicts belong to the entry they were shown with
            self._shown_id = entry.id
            self.query_one("#conflicts", Static).update("")
            self.query_one("#conflicts", Static).remove_class("-shown")
        info = Text()
        info.append(f"#{entry.id} {entry.kind}", style=f"bold {KIND_STYLE.get(entry.kind, '')}")
        info.append(f"  {entry.time.replace('T', ' ')[:19]} UTC\n", style="dim")
        info.append(entry.summary + "\n")
        if entry.target is not None:
            info.append(f"acts on #{entry.target}\n", style="dim")
        if entry.id in self.undone:
            info.append("this change is undone (r brings it back)\n", style="italic red")
        for index, change in enumerate(entry.files):
            marker = "▸ " if index == self.file_index else "  "
            info.append(marker + change_text(change) + "\n", style="bold" if index == self.file_index else "")
        if entry.untracked:
            info.append(f"not snapshotted (too large): {', '.join(entry.untracked)}\n", style="yellow")
        info.append("u undo · r redo · s restore to here · w rewind to before its turn · [ ] one file · t go to turn · e open · Esc back", style="dim")
        self.query_one("#entry-info", Static).update(info)
        path = entry.files[self.file_index].path if 0 <= self.file_index < len(entry.files) else None
        self.load_diff(entry.id, path)

    @work(exclusive=True, group="diff", name="reading the diff", exit_on_error=False)
    async def load_diff(self, entry_id: int, path: str | None) -> None:
        """Read one entry's diff in a thread."""
        try:
            text = await self.conversation.diff(entry_id, [path] if path else None)
        except Exception as exc:
            text = f"# the diff could not be read: {exc}"
        self.post_message(m.DiffLoaded(entry_id, path, text))

    def on_diff_loaded(self, message: m.DiffLoaded) -> None:
        entry = self.current_entry()
        if entry is None or entry.id != message.entry_id:
            return
        self.diff_text = message.text
        lines = message.text.splitlines()
        shown = "\n".join(lines[:MAX_DIFF_LINES])
        renderables: list[RenderableType] = []
        if not message.text.strip():
            renderables.append(Text("no differences in the files' text (a mode change, an empty folder, or nothing at all)", style="dim"))
        else:
            dark = self.app.current_theme.dark
            renderables.append(highlight(shown, "diff", dark=dark))
            if len(lines) > MAX_DIFF_LINES:
                renderables.append(Text(f"… {len(lines) - MAX_DIFF_LINES} more lines (y copies the whole diff)", style="dim"))
        self.query_one("#diff", Static).update(Group(*renderables))
        self.query_one("#diff-scroll").scroll_home(animate=False)

    # --- actions ----------------------------------------------------------------------------------

    def action_close(self) -> None:
        """Back to the transcript."""
        self.dismiss()

    def action_switch_focus(self) -> None:
        """Move between the timeline and the diff."""
        timeline = self.query_one("#timeline", OptionList)
        (self.query_one("#diff-scroll") if timeline.has_focus else timeline).focus()

    def action_reload(self) -> None:
        """Read the history again."""
        self.reload()

    def action_file(self, step: int) -> None:
        """Show one file of the entry at a time (cycling back to all files)."""
        entry = self._entry_for("step through")
        if entry is None:
            return
        if not entry.files:
            self.notify(f"#{entry.id} changed no file.")
            return
        count = len(entry.files)
        self.file_index = (self.file_index + 1 + step) % (count + 1) - 1
        self.show_entry()

    def _confirm(self, title: str, detail: str, verb: HistoryVerb, entry_id: int) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.change_history(verb, entry_id)

        self.app.push_screen(ConfirmScreen(title, detail, yes=verb.capitalize()), answered)

    def action_undo(self) -> None:
        """Take back the highlighted entry, keeping later work (asks first)."""
        entry = self._entry_for("undo")
        if entry is None:
            return
        files = ", ".join(c.path for c in entry.files[:4]) + (" …" if len(entry.files) > 4 else "")
        self._confirm(
            f"Undo #{entry.id}: {entry.summary}?",
            f"Files: {files or 'none'}. Later changes are kept; if they overlap, nothing is changed and the conflicts are shown.",
            "undo",
            entry.id,
        )

    def action_redo(self) -> None:
        """Bring back an undone entry (asks first, naming it): the highlighted one when it is
        undone (or is an undo in effect), else the newest undo unless new work came after it."""
        named = self._undone_here()
        if named is not None:
            self._confirm_redo(named, by_name=True)
        else:
            self.find_redo_target()

    def _undone_here(self) -> HistoryEntry | None:
        """The entry the highlighted row names for a redo: itself when it is undone, or what it
        took back when it is an undo still in effect; None otherwise."""
        entry = self.current_entry()
        if entry is None:
            return None
        if entry.kind != "undo":
            return entry if entry.id in self.undone else None
        if entry.id in self.undone:  # an undo that was itself taken back: nothing to redo here
            return None
        return next((e for e in self.entries if e.id == entry.target), None)

    @work(exclusive=True, group="history-op", name="reading the redo target", exit_on_error=False)
    async def find_redo_target(self) -> None:
        """What a plain redo would bring back; when nothing, the store's reason why."""
        target = await self.conversation.change_target("redo")
        if target is None:  # the store says why (new work dropped the redo stack)
            self.post_message(m.HistoryOpDone("redo", await self.conversation.change("redo")))
        else:
            self._confirm_redo(target, by_name=False)

    def _confirm_redo(self, entry: HistoryEntry, *, by_name: bool) -> None:
        detail = "Brings back what its undo took away, keeping later work."
        if by_name:
            detail = "Brings back this undone entry, even past newer work (its undo is taken back); later work is kept."
        self._confirm(f"Redo #{entry.id}: {entry.summary}?", detail, "redo", entry.id)

    def action_restore(self) -> None:
        """Make the project equal to the state after the highlighted entry (asks first)."""
        entry = self._entry_for("restore to")
        if entry is None:
            return
        self._confirm(
            f"Restore the project to after #{entry.id}?",
            "Every file becomes what it was after this entry. Nothing is lost: the restore is itself an entry you can undo.",
            "restore",
            entry.id,
        )

    @work(exclusive=True, group="history-op", name="changing the history", exit_on_error=False)
    async def change_history(self, verb: HistoryVerb, entry_id: int) -> None:
        """Run an undo, redo or restore (the conversation runs it in a thread) and report it."""
        self.post_message(m.HistoryOpDone(verb, await self.conversation.change(verb, entry_id)))

    def on_history_op_done(self, message: m.HistoryOpDone) -> None:
        result = message.result
        if report_change(self, message.verb, result):
            self.select = result.entry.id if result.entry is not None else None
            self.reload()
            main = getattr(self.app, "main_screen", None)
            if main is not None:
                main.post_message(m.HistoryChanged())
            return
        if result.conflicts:
            # Asking recorded the user's own edits as an entry: read the timeline again, then show
            # the conflicts with what overlaps them.
            self._refused = (message.verb, result)
            self.reload()
        else:
            self._show_conflicts(message.verb, result)

    def _show_conflicts(self, verb: str, result: HistoryChange) -> None:
        """Show why an undo, redo or restore was refused: each file, region, reason and what
        overlaps it."""
        conflicts = self.query_one("#conflicts", Static)
        conflicts.update(conflict_text(result, overlap_advice(result, self.entries)))
        conflicts.add_class("-shown")
        self.query_one("#diff-scroll").scroll_home(animate=False)

    def action_turn(self) -> None:
        """Back to the transcript, at the card of this entry's turn."""
        entry = self._entry_for("go to")
        if entry is None:
            return
        if not entry.turn_id:
            self.notify("This entry belongs to no conversation turn.")
            return
        turn_id = entry.turn_id
        self.dismiss()
        show_turn = getattr(self.app.screen, "show_turn", None)
        if show_turn is not None:
            self.app.call_later(show_turn, turn_id)

    def action_rewind(self) -> None:
        """Rewind files, conversation and variables to before this entry's user turn (the main
        screen shows what changes and asks first)."""
        entry = self._entry_for("rewind to")
        if entry is None:
            return
        number = self.conversation.turn_number(entry.turn_id)
        if number is None and entry.kind == "manual":
            self.notify("A manual action is no request to rewind to: u undoes its changes; Ctrl+G picks a request.")
            return
        if number is None:
            self.notify("This entry belongs to no user turn of this conversation: pick one with Ctrl+G on the main screen.")
            return
        self.dismiss()
        rewind = getattr(self.app.screen, "action_rewind", None)
        if rewind is not None:
            self.app.call_later(rewind, number)

    def action_open_file(self) -> None:
        """Open the shown (or first) file of the entry in $EDITOR."""
        entry = self._entry_for("open")
        if entry is None:
            return
        if not entry.files:
            self.notify(f"#{entry.id} changed no file.")
            return
        change = entry.files[self.file_index if self.file_index >= 0 else 0]
        if change.change == "deleted":
            self.notify(f"{change.path} was deleted by this entry.")
            return
        open_file = getattr(self.app, "open_in_editor", None)
        if open_file is not None:
            open_file(change.path)

    def action_copy_diff(self) -> None:
        """Copy the diff shown."""
        if self._entry_for("copy") is None:
            return
        if not self.diff_text.strip():
            self.notify("This entry's diff is empty: nothing copied.")
            return
        self.app.copy_to_clipboard(self.diff_text)
        self.notify("Diff copied to the clipboard.")
