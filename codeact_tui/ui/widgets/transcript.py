"""The transcript: the user's messages, the model's streamed replies, action cards, answers and
notices. It shows core events directly: `show(event)` dispatches on the event with `match`.

Only the newest `KEEP_ENTRIES` entries stay on screen (layout cost grows with the number of
widgets); older ones leave in batches and stay in the conversation file and the history view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.widgets import TextArea
from textual.widget import Widget

from ...core import events as ev
from ...core.actions import reply_prose
from ...core.agent import AUTO_TEST_CODE
from ...core.briefing import user_request
from ...core.ports import HistoryEntry
from ...core.transcript import recorded_result
from .action_card import ActionCard
from .cards import AnswerCard, AssistantReply, EarlierNote, Notice, UserMessage, Welcome

KEEP_ENTRIES = 120
"""Transcript entries kept on screen; older ones leave it in batches."""
TRIM_BATCH = 30
"""How many entries past the limit before a batch leaves (so trimming is rare)."""


def failure_notice(kind: str, message: str) -> Notice:
    """Why a turn ended without an answer."""
    severity = "warning" if kind in ("interrupted", "limit", "stuck") else "error"
    label = {"interrupted": "Stopped", "limit": "Stopped at a limit", "stuck": "Stopped, stuck"}.get(kind, "The turn failed")
    return Notice(f"{label}: {message}", severity=severity)


class TranscriptView(VerticalScroll):
    """The scrolling conversation; one user turn at a time is live."""

    def __init__(self, *, fold_lines: int, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fold_lines = fold_lines
        """Output lines an action card shows before folding."""
        self.turn_id: str | None = None
        """The live user turn's id, once the core named it."""
        self.hidden_entries = 0
        """Older transcript entries no longer on screen."""
        self._reply: AssistantReply | None = None
        self._cards: dict[int, ActionCard] = {}
        self._tests_cards: dict[int, ActionCard] = {}
        """The test runs the agent started, by the step whose action changed the files."""
        self._manual = False

    @property
    def dark(self) -> bool:
        """Whether the app's theme is dark (code and answers are coloured for it)."""
        return bool(self.app.current_theme.dark)

    # --- entries ----------------------------------------------------------------------------------

    async def add(self, widget: Widget) -> Widget:
        """Append an entry (dropping the oldest ones past the limit)."""
        await self.mount(widget)
        await self.trim()
        return widget

    async def trim(self) -> None:
        """Let the oldest entries leave once there are a batch too many."""
        children = [w for w in self.children if not isinstance(w, EarlierNote)]
        if len(children) <= KEEP_ENTRIES + TRIM_BATCH:
            return
        old = children[: len(children) - KEEP_ENTRIES]
        live = self._live_cards()
        old = [w for w in old if w is not self._reply and w not in live]
        self.hidden_entries += len(old)
        await self.remove_children(old)
        notes = self.query(EarlierNote)
        if notes:
            notes.first().show(self.hidden_entries)
        else:
            note = EarlierNote()
            await self.mount(note, before=0)
            note.show(self.hidden_entries)

    async def clear(self) -> None:
        """Empty the transcript (a new or another conversation)."""
        self.hidden_entries = 0
        self._reply = None
        self._cards, self._tests_cards = {}, {}
        await self.remove_children()

    def redraw(self, records: Iterable[dict[str, Any]], conversation_id: str) -> None:
        """Show a resumed conversation as it looked live: the user's messages, the model's prose,
        action cards with their output and history numbers, answers and failures."""
        widgets: list[Widget] = [Notice(f"continuing conversation {conversation_id}")]
        reply: AssistantReply | None = None
        for record in records:
            kind = record.get("type")
            if kind == "message" and record.get("kind") == "user":
                widgets.append(UserMessage(user_request(str(record.get("content", ""))), turn_id=record.get("turn_id")))
                reply = None
            elif kind == "message" and record.get("kind") == "assistant":
                prose = reply_prose(str(record.get("content", "")), final=True)
                reply = AssistantReply(prose)
                if prose.strip():
                    widgets.append(reply)
            elif kind == "tests":
                title = record.get("title") or ev.tests_title(int(record.get("step") or 0))
                widgets.append(self._restored_card(record, title=str(title)))
            elif kind == "action":
                if record.get("manual"):  # the user's own code: their message, then its card
                    widgets.append(UserMessage(str(record.get("code", "")), manual=True, turn_id=record.get("turn_id")))
                    reply = None
                widgets.append(self._restored_card(record))
            elif kind == "compaction":
                widgets.append(Notice("Older messages were shortened to fit the context window."))
            elif kind == "turn":
                widgets.extend(self._turn_end(record, reply))
                reply = None
        if len(widgets) > KEEP_ENTRIES:
            self.hidden_entries = len(widgets) - KEEP_ENTRIES
            note = EarlierNote()
            note.show(self.hidden_entries)
            widgets = [note, *widgets[-KEEP_ENTRIES:]]
        self.mount_all(widgets)

    def _restored_card(self, record: dict[str, Any], *, title: str | None = None) -> ActionCard:
        card = ActionCard(
            str(record.get("code", "")),
            step=int(record.get("step") or 0),
            turn_id=record.get("turn_id"),
            manual=bool(record.get("manual")),
            theme_dark=self.dark,
            fold_lines=self.fold_lines,
            title=title,
        )
        if record.get("status") == "skipped":  # declined, or discarded after preview: never ran
            card.skip(str(record.get("skipped") or ""))
            return card
        entry = record.get("history_entry")
        failed = record.get("status") == "failed" and "stdout" not in record  # the sandbox broke: no result
        card.restore(None if failed else recorded_result(record), entry if isinstance(entry, int) else None, output_cut=bool(record.get("output_cut")))
        return card

    def _turn_end(self, record: dict[str, Any], reply: AssistantReply | None) -> list[Widget]:
        """What the live transcript showed when the turn ended."""
        reason, answer = record.get("reason"), str(record.get("answer") or "")
        if record.get("outcome") == "finished":
            if reason == "reply":
                if reply is not None and reply.text.strip():
                    reply.add_class("-final")
                return []
            if reason == "plan":
                return [AnswerCard(f"```python\n{answer}\n```", title="Proposed action (plan mode: nothing ran)", dark=self.dark)]
            return [AnswerCard(answer, dark=self.dark)] if answer.strip() else []
        if record.get("outcome") == "failed" and reason != "setup":
            return [failure_notice(str(reason), str(record.get("message", "")))]
        return []

    def attach_entries(self, entries: Iterable[HistoryEntry], undone: set[int]) -> None:
        """Give resumed cards their history entries (the files, for `d` and `e`) and mark the
        undone ones."""
        by_id = {entry.id: entry for entry in entries}
        for card in self.query(ActionCard):
            if card.entry is None and card.entry_id in by_id:
                card.record(by_id[card.entry_id])
        self.mark_undone(undone)

    # --- one user turn --------------------------------------------------------------------------

    async def begin_turn(self, text: str, *, manual: bool) -> None:
        """The user sent `text` (code to run themselves when `manual`): show it, and get ready
        for the turn's events."""
        for welcome in self.query(Welcome):
            await welcome.remove()
        self._manual = manual
        self._cards, self._tests_cards = {}, {}
        self._reply = None
        self.turn_id = None
        await self.add(UserMessage(text, manual=manual))

    def end_turn(self) -> None:
        """The turn is over however it ended: cards still waiting say so."""
        for card in self._live_cards():
            card.abandon()

    def _live_cards(self) -> list[ActionCard]:
        """The cards of the live turn: its actions and the agent's test runs."""
        return [*self._cards.values(), *self._tests_cards.values()]

    @property
    def action_running(self) -> bool:
        """Whether a sandbox run of this turn is going on."""
        return any(card.state == "running" for card in self._live_cards())

    def interrupt_asked(self) -> None:
        """Esc was pressed: the running action's card says what a second Esc does."""
        for card in self._live_cards():
            card.interrupt_asked()

    def card(self, step: int) -> ActionCard | None:
        """The action card of a model reply (step 0: the manual action)."""
        return self._cards.get(step)

    async def show(self, event: ev.TurnEvent) -> None:
        """Show one core event of the live turn."""
        match event:
            case ev.TurnStarted(turn_id=turn_id):
                self.turn_id = turn_id
                for widget in reversed(self.children):
                    if isinstance(widget, UserMessage):
                        widget.turn_id = turn_id
                        break
            case ev.ModelLoaded(model=model, load_s=seconds) if seconds >= 1.0:
                # Worth remembering: why the first answer took longer.
                await self.add(Notice(f"{model} loaded into memory in {seconds:.1f}s", severity="success"))
            case ev.GenerationStarted():
                self._reply = AssistantReply()
                await self.add(self._reply)
            case ev.TextDelta(text=text):
                if self._reply is not None:
                    await self._reply.feed(text)
            case ev.AssistantMessage():
                if self._reply is not None:
                    await self._reply.finish()
            case ev.CodeProposed(step=step, code=code):
                await self._new_card(code, step)
            case ev.ApprovalRequested(step=step):
                if (card := self.card(step)) is not None:
                    card.wait_for_approval()
            case ev.ActionSkipped(step=step, reason=reason):
                if (card := self.card(step)) is not None:
                    card.skip(reason)
            case ev.ExecutionStarted(step=step, code=code):
                card = self.card(step) or await self._new_card(code, step)
                card.begin(code)
            case ev.PreviewStarted(step=step):
                if (card := self.card(step)) is not None:
                    card.preview()
            case ev.PreviewRefused(step=step, message=message):
                if (card := self.card(step)) is not None:
                    card.note(f"not applied: {message}")
            case ev.ExecutionOutput(step=step, stream=stream, text=text):
                if (card := self.card(step)) is not None and card.state != "previewing":  # the dialog shows it
                    card.add_output(stream, text)
            case ev.ExecutionFinished(step=step, result=result):
                if (card := self.card(step)) is not None:
                    card.finish(result)
                if result.state_reset:
                    self.app.notify("The sandbox session was reset: variables are gone, files stay.", severity="warning")
            case ev.SnapshotTaken(step=step, entry=entry):
                if (card := self.card(step)) is not None:
                    card.record(entry)
            case ev.TestsStarted(step=step) as started:
                card = await self._new_card(AUTO_TEST_CODE, step, title=started.title)
                self._tests_cards[step] = card
                card.begin()
            case ev.TestsOutput(step=step, stream=stream, text=text):
                if (card := self._tests_cards.get(step)) is not None:
                    card.add_output(stream, text)
            case ev.TestsFinished(step=step, result=result, entry=entry):
                if (card := self._tests_cards.get(step)) is not None:
                    card.finish(result)
                    card.record(entry)
            case ev.AnswerHeld() as held:
                await self.add(Notice(held.summary, severity="warning"))
            case ev.SamplingRaised() | ev.AttemptKept():
                await self.add(Notice(event.summary))
            case ev.StartedOver():
                await self.add(Notice(event.summary, severity="warning"))
            case ev.ContextCompacted(before_tokens=before, after_tokens=after):
                await self.add(Notice(f"Older messages were shortened to fit the context window ({before} → {after} tokens)."))
            case ev.TurnFinished(reason="reply"):
                if self._reply is not None and self._reply.text.strip():
                    self._reply.add_class("-final")
            case ev.TurnFinished(reason="plan", answer=code):
                await self.add(AnswerCard(f"```python\n{code}\n```", title="Proposed action (plan mode: nothing ran)", dark=self.dark))
            case ev.TurnFinished(reason="solution", answer=answer) if answer.strip():
                await self.add(AnswerCard(answer, dark=self.dark))
            case ev.TurnFailed(kind=kind, message=message) if kind != "setup":
                await self.fail(kind, message)
            case _:
                pass  # the status bar shows the rest; observations are what the card shows

    async def fail(self, kind: str, message: str) -> None:
        """Say why the turn ended without an answer."""
        await self.add(failure_notice(kind, message))

    async def _new_card(self, code: str, step: int, *, title: str | None = None) -> ActionCard:
        """A card for the live turn: an action's (kept by its step), or, with a `title`, the
        agent's test run after it (kept by the caller)."""
        card = ActionCard(
            code,
            step=step,
            turn_id=self.turn_id,
            manual=self._manual,
            theme_dark=self.dark,
            fold_lines=self.fold_lines,
            title=title,
        )
        if title is None:
            self._cards[step] = card
        await self.add(card)
        return card

    # --- the whole transcript ---------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        """Re-colour code for a light or dark theme."""
        for card in self.query(ActionCard):
            card.set_dark(dark)

    def mark_undone(self, undone: set[int]) -> None:
        """Mark the cards whose changes are undone now (and unmark redone ones)."""
        for card in self.query(ActionCard):
            if card.entry_id is not None:
                card.set_undone(card.entry_id in undone)

    def show_turn(self, turn_id: str) -> bool:
        """Scroll to and focus the first entry of a turn; False when it is not on screen."""
        for widget in self.children:
            if getattr(widget, "turn_id", None) == turn_id:
                self.release_anchor()
                widget.focus()
                widget.scroll_visible(top=True)
                return True
        return False

    def on_key(self, event: events.Key) -> None:
        """Typing while an entry has the focus (after Alt+Up, or `t` in the history) goes to the
        prompt: a printable key no binding takes moves the focus there and types itself."""
        if not event.is_printable or not event.character or event.key in self.screen.active_bindings:
            return
        prompts = self.screen.query("#prompt")
        prompt = prompts.first() if prompts else None
        if not isinstance(prompt, TextArea) or prompt.read_only:
            return
        event.stop()
        event.prevent_default()
        prompt.focus()
        prompt.insert(event.character)
        self.anchor()

    def move_focus(self, direction: int) -> None:
        """Focus the previous (-1) or next (1) entry."""
        entries = [w for w in self.children if w.can_focus and w.display]
        if not entries:
            return
        focused = self.app.focused
        if focused in entries:
            index = entries.index(focused) + direction
        else:
            index = len(entries) - 1 if direction < 0 else 0
        index = max(0, min(index, len(entries) - 1))
        self.release_anchor()
        entries[index].focus()
        entries[index].scroll_visible()

    def last_answer(self) -> str | None:
        """The newest answer in the transcript."""
        for widget in reversed(self.children):
            if isinstance(widget, AnswerCard):
                return widget.answer
            if isinstance(widget, AssistantReply) and widget.has_class("-final"):
                return widget.text
        return None
