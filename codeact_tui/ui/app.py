"""The Textual application: themes, the command palette, clipboard and editor, and the factory
shared by the CLI and the tests (`make_app`)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen

from ..config import Settings
from ..conversation import Conversation, Services
from ..remembered import PromptHistory, remember_theme, remembered_theme
from .themes import BUILTIN_THEME_NAMES as _BUILTIN_THEMES
from .themes import DEFAULT_THEME, load_themes


class CodeActApp(App[None]):
    """codeact-tui: a local model pair-programs by writing Python in a sandbox."""

    TITLE = "codeact-tui"
    BINDINGS = [Binding("f1", "help", "Help", show=False)]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, conversation: Conversation, *, theme: str | None = None) -> None:
        super().__init__()
        self.conversation = conversation
        self._configured_theme = conversation.settings.ui.theme or DEFAULT_THEME
        self._wanted_theme = theme or remembered_theme(self._configured_theme) or self._configured_theme
        self.prompt_history = PromptHistory(conversation.project)
        """The project's prompts across sessions (the prompt box recalls and extends it)."""
        self.theme_problems: list[str] = []
        self.pick_conversation_at_start = False
        """Open the conversation picker once the app is up (`--resume` without an id)."""
        self.start_notices: list[str] = []
        """Said once the app is up (what the command line asked for and could not have)."""

    def on_mount(self) -> None:
        themes, self.theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        if self._wanted_theme in self.available_themes:
            self.theme = self._wanted_theme
        else:
            self.theme = DEFAULT_THEME
            self.theme_problems.append(f"there is no theme {self._wanted_theme!r}; using {DEFAULT_THEME}")
        self.theme_changed_signal.subscribe(self, lambda chosen: remember_theme(chosen.name, configured=self._configured_theme))
        from .screens.main import MainScreen

        self.push_screen(MainScreen(self.conversation))
        for problem in self.theme_problems:
            self.notify(f"theme skipped: {problem}", severity="warning")
        for notice in self.start_notices:
            self.notify(notice, timeout=8)
        if self.pick_conversation_at_start:
            self.call_after_refresh(self.action_resume)

    async def on_unmount(self) -> None:
        await self.conversation.close()

    @property
    def main_screen(self) -> Screen[None] | None:
        """The main screen, wherever the user is."""
        from .screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # --- actions --------------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the key bindings."""
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_next_theme(self) -> None:
        """Switch to the next of our themes (and the user's)."""
        ours = [name for name in self.available_themes if name.startswith("codeact") or name not in _BUILTIN_THEMES]
        names = ours or list(self.available_themes)
        index = names.index(self.theme) + 1 if self.theme in names else 0
        self.theme = names[index % len(names)]
        self.notify(f"Theme: {self.theme}")

    def action_copy_answer(self) -> None:
        """Copy the newest answer to the clipboard."""
        screen = self.main_screen
        answer = screen.last_answer() if screen is not None else None  # type: ignore[attr-defined]
        if not answer:
            self.notify("No answer to copy yet.")
            return
        self.copy_to_clipboard(answer)
        self.notify("Answer copied to the clipboard.")

    def open_in_editor(self, relative: str) -> None:
        """Open a project file in `$VISUAL`/`$EDITOR` (the app is suspended meanwhile)."""
        path = (self.conversation.project / relative).resolve()
        editor = self.conversation.settings.ui.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.copy_to_clipboard(str(path))
            self.notify(escape(f"Set [ui] editor, $VISUAL or $EDITOR to open files here. Its path is copied: {path}"), severity="warning", timeout=8)
            return
        try:
            with self.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
        except Exception as exc:  # SuspendNotSupported in tests and some terminals
            self.notify(escape(f"could not open {relative}: {exc}"), severity="error")

    # --- the command palette ----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        if main is None:
            return

        def run(action: str) -> Callable[[], object]:
            return lambda: main.run_action(action)  # type: ignore[union-attr]

        yield SystemCommand("History", "Review every change: diffs, undo, redo, restore (Ctrl+R)", run("history"))
        yield SystemCommand("Undo last action", "Take back the newest action still in effect, keeping later work (asks first)", run("undo_last"))
        yield SystemCommand("Rewind to before a turn", "Files, conversation and variables back to before a user turn; undoable (Ctrl+G, asks first)", run("rewind"))
        yield SystemCommand("Redo", "Redo the newest undo, if no new work came after it (names the entry and asks first)", run("redo_last"))
        yield SystemCommand("Models", "Pick a model or pull one with progress (Ctrl+O)", run("models"))
        yield SystemCommand("Retry model connection", "Check the model server again (F5)", run("retry_model"))
        yield SystemCommand("Interrupt", "Stop generating or the running action; twice stops hard (Esc)", run("interrupt"))
        yield SystemCommand("New conversation", "Start over; the old conversation stays resumable (Ctrl+N)", run("new_conversation"))
        yield SystemCommand("Resume a conversation", "Continue an earlier conversation of this project", self.action_resume)
        yield SystemCommand("Copy last answer", "Copy the newest answer to the clipboard", self.action_copy_answer)
        yield SystemCommand("Next theme", "Cycle through the themes (Ctrl+T)", self.action_next_theme)
        yield SystemCommand("Help", "Every key, and how a turn works (F1)", self.action_help)
        if self.conversation.approve_mode == "ask" and self.conversation.always_approve:
            yield SystemCommand("Ask before each action again", "Stop approving actions automatically", self._ask_again)

    def _ask_again(self) -> None:
        self.conversation.set_always_approve(False)
        self.notify("Actions will ask for approval again.")

    def action_resume(self) -> None:
        """Pick an earlier conversation to continue."""
        from .screens.resume import ResumeScreen

        async def chosen(conversation: str | None) -> None:
            main = self.main_screen
            if conversation and main is not None:
                await main.resume(conversation)  # type: ignore[attr-defined]

        self.push_screen(ResumeScreen(self.conversation.conversations_dir), chosen)


def make_app(
    project: Path,
    settings: Settings,
    *,
    services: Services | None = None,
    resume: str | None = None,
    theme: str | None = None,
) -> CodeActApp:
    """The app for one project (the CLI and the tests build it the same way)."""
    conversation = Conversation(Path(project).resolve(), settings, services, resume=resume)
    conversation.load_resume()
    return CodeActApp(conversation, theme=theme)
