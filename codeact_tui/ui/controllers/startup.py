"""Start-up: open the history, then start the sandbox and check the model side by side.

The app is usable at once: each step runs in a worker and reports by message (the sandbox's
one-time compile shows its progress), and a resumed conversation gets its Python variables
back as soon as the sandbox is ready.
"""

from __future__ import annotations

import asyncio

from ...conversation import SetupError
from .. import messages as m
from ..widgets.cards import Notice
from ..widgets.status import SandboxProgress
from .base import Part


class StartUp(Part):
    """Opens the history and the sandbox, and restores a resumed conversation's variables."""

    def begin(self) -> None:
        """Open the history, then start the sandbox and check the model."""
        self.start(self._open_history, name="opening the history", group="startup")

    async def _open_history(self) -> None:
        conversation = self.conversation
        await asyncio.to_thread(conversation.open_history)
        if conversation.history_error:
            await self.screen.transcript.fail("history", f"the history could not be opened: {conversation.history_error}")
        else:
            self.screen.post_message(m.HistoryChanged())  # a resumed conversation's cards get their entries
        self.start(self._start_sandbox, name="starting the sandbox", group="sandbox")
        self.screen.model_link.check()

    async def _start_sandbox(self) -> None:
        """Compile the sandbox once if needed (progress shown), then open its session."""
        try:
            # Progress is reported from the compile's helper thread: post, never touch widgets.
            took = await self.conversation.start_sandbox(lambda elapsed_s: self.screen.post_message(m.SandboxWarming(elapsed_s)))
        except SetupError as exc:
            self.screen.post_message(m.SandboxFailed(str(exc)))
            return
        self.screen.post_message(m.SandboxReady(took))

    def warming(self, message: m.SandboxWarming) -> None:
        """Show the compile's progress."""
        self.screen.query_one(SandboxProgress).show(message.elapsed_s)
        self.screen.status.sandbox = "compiling"

    def ready(self, message: m.SandboxReady) -> None:
        """The sandbox runs code: say so, and bring back a resumed conversation's variables."""
        self.screen.query_one(SandboxProgress).hide()
        self.screen.status.sandbox = "ready"
        if message.took_s is not None:
            self.screen.notify(f"The sandbox is ready (compiled once in {message.took_s:.0f}s).")
        if self.conversation.restore_pending:
            self.restore_variables()

    async def failed(self, message: m.SandboxFailed) -> None:
        """Say why the sandbox cannot start (the rest of the app still works)."""
        self.screen.query_one(SandboxProgress).hide()
        self.screen.status.sandbox = "failed"
        await self.screen.add(Notice(f"The sandbox could not start: {message.message}  (try `codeact-tui doctor`)", severity="error"))

    def restore_variables(self) -> None:
        """Bring the conversation's variables back into the Python session, if it expects any."""
        self.start(self._restore_variables, name="restoring the Python session", group="session-state", exclusive=True)

    async def _restore_variables(self) -> None:
        conversation, status = self.conversation, self.screen.status
        if not conversation.restore_pending:
            return
        status.activity = "restoring variables"
        try:
            restored = await conversation.restore_session()
        finally:
            status.activity = "idle" if not self.screen.busy else status.activity
        said = conversation.restore_text(restored)
        if said is not None:
            await self.screen.add(Notice(said))
