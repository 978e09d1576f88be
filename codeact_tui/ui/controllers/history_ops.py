"""Undo and redo from the main screen (the command palette), asking first and naming the entry;
the history view opened at an entry or at a refusal's conflicts; and the transcript's cards kept
in step with the history (their entries, and which are undone)."""

from __future__ import annotations

from textual.dom import DOMNode

from ...conversation import HistoryVerb
from ...core.ports import HistoryChange
from .. import messages as m
from .base import Part


def report_change(node: DOMNode, verb: str, result: HistoryChange) -> bool:
    """Tell the user how an undo, redo or restore went, with its warnings; True when it was done
    (False: refused, maybe with conflicts to show)."""
    if result.ok and not result.conflicts:
        node.notify(result.message, title=verb.capitalize(), timeout=6)
        for warning in result.warnings:
            node.notify(warning, severity="warning")
        return True
    node.notify(result.message, title=f"{verb.capitalize()} refused", severity="error", timeout=8)
    return False


class HistoryOps(Part):
    """The history as the main screen uses it: the view, plain undo and redo, and the marks."""

    def available(self) -> bool:
        """Whether the history can be used now (if not, the user is told why)."""
        problem = self.conversation.history_problem
        if problem is not None:
            self.screen.notify(problem[0].upper() + problem[1:], severity="warning")
        return problem is None

    def open(self, entry_id: int | None = None, refused: tuple[str, HistoryChange] | None = None) -> None:
        """Open the history view (at one entry; with a refused change's conflicts)."""
        if not self.available():
            return
        from ..screens.history import HistoryScreen

        self.screen.app.push_screen(HistoryScreen(self.conversation, select=entry_id, refused=refused))

    def ask(self, verb: HistoryVerb) -> None:
        """Undo the newest action still in effect, or redo the newest undo (asks first)."""
        if self.available():
            self.start(self._confirm, verb, name="reading the history", group="history-op", exclusive=True)

    async def _confirm(self, verb: HistoryVerb) -> None:
        """Ask before an undo or redo, naming the entry it acts on; with none, say why."""
        from ..screens.confirm import ConfirmScreen

        target = await self.conversation.change_target(verb)
        if target is None:  # the store says why (nothing in effect; new work dropped the redo stack)
            self.screen.post_message(m.HistoryOpDone(verb, await self.conversation.change(verb)))
            return
        detail = (
            "Takes back this action, keeping later work."
            if verb == "undo"
            else "Brings back what its undo took away, keeping later work (an older undo: redo it by name in the history, Ctrl+R)."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(self._change, verb, target.id, name="changing the history", group="history-op", exclusive=True)

        self.screen.app.push_screen(ConfirmScreen(f"{verb.capitalize()} #{target.id}: {target.summary}?", detail, yes=verb.capitalize()), answered)

    async def _change(self, verb: HistoryVerb, entry_id: int) -> None:
        """Undo or redo one entry; the screen routes the outcome back to `done`."""
        self.screen.post_message(m.HistoryOpDone(verb, await self.conversation.change(verb, entry_id)))

    def done(self, message: m.HistoryOpDone) -> None:
        """Report an undo or redo; a refusal with conflicts opens the history at them."""
        result = message.result
        if report_change(self.screen, message.verb, result):
            self.screen.post_message(m.HistoryChanged())
        elif result.conflicts and result.target is not None:
            self.open(result.target.id, refused=(message.verb, result))

    def refresh(self) -> None:
        """Give resumed cards their entries; mark the cards whose changes are undone now (and
        unmark redone ones)."""
        self.start(self._refresh, name="reading the history", group="undone", exclusive=True)

    async def _refresh(self) -> None:
        if self.conversation.history is not None:
            entries = await self.conversation.entries()
            self.screen.transcript.attach_entries(entries, await self.conversation.undone_ids(entries))
