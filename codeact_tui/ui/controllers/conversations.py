"""Which conversation the main screen shows: the one it opened with (a resumed one redrawn, or
the welcome), a new one (Ctrl+N), an earlier one resumed from the picker, or a rewound branch.
The conversation service switches; this redraws the transcript and checks the model again."""

from __future__ import annotations

from .. import messages as m
from ..widgets.cards import Notice, Welcome
from .base import Part


class ConversationSwitch(Part):
    """Shows the conversation and switches to a new or an earlier one."""

    def show(self) -> None:
        """Draw the conversation: a resumed one's records, or the welcome."""
        conversation, transcript = self.conversation, self.screen.transcript
        if conversation.earlier_records:
            transcript.redraw(conversation.earlier_records, conversation.transcript.id if conversation.transcript else "")
        else:
            transcript.mount(Welcome(conversation.project))

    async def redraw(self) -> None:
        """Clear the transcript and draw the conversation (it was switched under it)."""
        await self.screen.transcript.clear()
        self.show()

    async def new(self) -> None:
        """Start a new conversation (the old one stays on disk; --continue resumes it)."""
        if self.screen.turns.refused_while_busy():
            return
        self.conversation.new()
        await self.screen.transcript.clear()
        await self.screen.add(Notice("New conversation."))
        self.screen.model_link.check()

    async def resume(self, conversation_id: str) -> None:
        """Continue an earlier conversation: redraw it and let the next turn build on it."""
        if self.screen.turns.refused_while_busy():
            return
        try:
            self.conversation.resume(conversation_id)
        except Exception as exc:  # noqa: BLE001 - an unreadable conversation is reported, the current one stays
            self.screen.notify(str(exc), severity="error")
            return
        await self.redraw()
        self.screen.post_message(m.HistoryChanged())
        self.screen.model_link.check()
        if self.conversation.executor.ready:
            self.screen.startup.restore_variables()
