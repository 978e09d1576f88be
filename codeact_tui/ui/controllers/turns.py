"""One user turn at a time: start it from the prompt, stream its core events to the screen (text
batched per frame), interrupt it (softly, then hard), and free the prompt when it ends."""

from __future__ import annotations

from ...core import events as ev
from .. import messages as m
from ..widgets.prompt import PromptInput
from .base import Part
from .deltas import DeltaBatcher


class TurnRunner(Part):
    """Runs the user turns (and the user's own `!code`) of the main screen, one at a time."""

    busy = False
    """A user turn (or manual action) is running."""
    _interrupts = 0
    """Esc presses during this turn (the first stops softly, the next hard)."""

    def refused_while_busy(self) -> bool:
        """While a turn runs, say that it must be interrupted first (True: refused)."""
        if self.busy:
            self.screen.notify("Interrupt the running turn first (Esc).", severity="warning")
        return self.busy

    async def submit(self, message: m.UserSubmitted) -> None:
        """Start a user turn for what the user sent (while one runs: put the text back)."""
        if self.busy:
            self.screen.notify("A turn is running: wait for it, or press Esc to interrupt it.", severity="warning")
            self.screen.query_one(PromptInput).load_text(("!" if message.manual else "") + message.text)
            return
        self.busy = True
        self._interrupts = 0
        self.screen.refresh_bindings()  # the footer's Esc now interrupts
        await self.screen.transcript.begin_turn(message.text, manual=message.manual)
        self.start(self._run, message.text, message.manual, name="the turn", group="turn", exclusive=True)

    async def _run(self, text: str, manual: bool) -> None:
        """Run one user turn (or the user's own code), posting each core event."""
        conversation, post = self.conversation, self.screen.post_message
        try:
            if manual:
                turn = conversation.manual(text)
            elif await self.screen.model_link.connect_for_turn():
                turn = conversation.turn(text)
            else:
                return
            deltas = DeltaBatcher(post)
            try:
                async for event in turn:
                    if isinstance(event, ev.TextDelta):
                        deltas.add(event)
                    else:
                        deltas.flush()
                        post(m.CoreEvent(event))
            finally:
                deltas.flush()
        finally:  # however it ended, the prompt is free again
            post(m.TurnOver())

    def interrupt(self) -> None:
        """Esc: stop generation or the running action — softly first, then hard (idle: back to
        the prompt)."""
        screen = self.screen
        if not self.busy:
            screen.query_one(PromptInput).focus()
            return
        self._interrupts += 1
        self.conversation.interrupt()
        running = screen.transcript.action_running
        if self._interrupts == 1:
            screen.status.activity = "interrupting"
            if running:  # the card says what a second Esc does, for as long as it runs
                screen.transcript.interrupt_asked()
        elif running:
            screen.status.activity = "stopping hard"
            screen.notify("Stopping the action hard: the Python session will be reset.", severity="warning")

    def over(self) -> None:
        """The turn ended: free the prompt (and focus it, unless the user went elsewhere)."""
        screen = self.screen
        self.busy = False
        self._interrupts = 0
        screen.refresh_bindings()
        screen.transcript.end_turn()
        screen.status.activity = "idle"
        if isinstance(screen.app.focused, (PromptInput, type(None))) or screen.app.screen is screen:
            screen.query_one(PromptInput).focus()
