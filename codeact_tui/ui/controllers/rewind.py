"""Rewind from the main screen: pick the user turn (the focused card's is offered first), show
what going back to before it changes — files, conversation, variables — worked out without
writing anything, ask, rewind through the conversation service, and show the new branch."""

from __future__ import annotations

from ...conversation.rewind import RewindError
from ...core.ports import HistoryError
from .. import messages as m
from ..widgets.cards import Notice
from .base import Part


class RewindFlow(Part):
    """Picks, plans, confirms and reports a rewind to before a user turn."""

    def pick(self, turn: int | None = None) -> None:
        """Offer the user turns (`turn`, else the focused card's, highlighted); a choice is planned
        and confirmed next."""
        if self.screen.turns.refused_while_busy():
            return
        turns = self.conversation.user_turns()
        if not turns:
            self.screen.notify("No user turn to rewind to yet.")
            return
        if turn is None:
            turn = self.conversation.turn_number(getattr(self.screen.app.focused, "turn_id", None))
        from ..screens.rewind import RewindPicker

        def chosen(number: int | None) -> None:
            if number:
                self.start(self._confirm, number, name="planning the rewind", group="history-op", exclusive=True)

        self.screen.app.push_screen(RewindPicker(turns, turn), chosen)

    async def _confirm(self, number: int) -> None:
        """Ask before a rewind, listing what it changes."""
        from ..screens.confirm import ConfirmScreen
        from ..screens.rewind import plan_text

        try:
            plan = await self.conversation.plan_rewind(number)
        except (RewindError, HistoryError) as exc:
            self.screen.notify(str(exc), title="Rewind", severity="error", timeout=8)
            return
        force = bool(plan.unrecorded)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(self._rewind, number, force, name="rewinding", group="history-op", exclusive=True)

        title = f"Rewind to before turn {number}: {plan.turn.request.strip()[:50]}?"
        self.screen.app.push_screen(ConfirmScreen(title, plan_text(plan), yes="Rewind anyway" if force else "Rewind"), answered)

    async def _rewind(self, number: int, force: bool) -> None:
        try:
            outcome = await self.conversation.rewind(number, force=force)
        except RewindError as exc:
            self.screen.notify(str(exc), title="Rewind", severity="error", timeout=8)
            return
        self.screen.post_message(m.RewindDone(outcome))

    async def done(self, message: m.RewindDone) -> None:
        """Show the rewound conversation (a new branch) and what the Python session holds."""
        outcome = message.outcome
        if not outcome.ok:
            self.screen.notify(outcome.message, title="Rewind refused", severity="error", timeout=10)
            return
        await self.screen.switch.redraw()
        await self.screen.add(Notice(f"{outcome.message}.\n{outcome.session_text}"))
        self.screen.notify(outcome.message, title="Rewound", timeout=8)
        self.screen.post_message(m.HistoryChanged())
        self.screen.model_link.check()
