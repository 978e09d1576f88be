"""The conversation as the model sees it: token accounting and deliberate compaction.

Servers such as Ollama silently drop the start of a prompt that does not fit their window, and
the agent then "forgets" files and instructions. We count instead (the server's numbers when it
reports them, an estimate otherwise) and, when the conversation nears the window, shorten old
observations first (code is kept: it says what was done), then remove the oldest messages, and
tell the model so. If even that cannot make it fit, the turn fails with a clear message.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from .observations import clip_lines
from .ports import ChatMessage, Role
from .prompts import PromptLibrary

MessageKind = Literal["system", "user", "assistant", "observation", "note"]
TokenCounter = Callable[[str], int]

MESSAGE_OVERHEAD_TOKENS = 4
"""Tokens a chat template adds around each message (role markers), roughly."""
COMPACT_AT = 0.85
"""Compact when the prompt uses this share of the window minus the reply reserve."""
COMPACT_TO = 0.3
"""Compaction cuts what lies above the head (system prompt, note, current task) down to this
share of the room between the head and the high mark: a cut is rare and big, and the prompt
then grows for several requests as pure extensions the model server's prefix cache reads."""
KEEP_RECENT = 4
"""The newest messages are kept as they are unless the window is too small for them; the
newest action and its observation are never removed."""
OLD_OUTPUT_LINES = 12
"""Lines an old observation keeps after compaction."""


def estimate_tokens(text: str) -> int:
    """A conservative token estimate for when no tokenizer is at hand (~3.5 chars a token)."""
    return math.ceil(len(text) / 3.5) if text else 0


def reply_reserve(window: int, max_reply_tokens: int = 0) -> int:
    """Tokens to keep free for the reply: a quarter of the window, at most 4096, and no more
    than the reply may use when its length is capped (more would only make compaction cut
    sooner and more often)."""
    share = min(window // 4, 4096)
    return min(share, max_reply_tokens) if max_reply_tokens > 0 else share


@dataclass(frozen=True)
class ConversationMessage:
    """A message with what the core needs to know about it."""

    role: Role
    content: str
    kind: MessageKind
    turn_id: str | None = None
    compacted: bool = False
    """True when compaction shortened it."""

    def to_chat(self) -> ChatMessage:
        """The message as a model backend receives it."""
        return ChatMessage(self.role, self.content)


@dataclass(frozen=True)
class CompactionResult:
    """What one compaction did."""

    messages: list[ConversationMessage]
    before_tokens: int
    after_tokens: int
    shortened: int
    removed: int


class ContextBudget:
    """Counts the tokens of a conversation against a fixed window.

    Args:
        window: The session's pinned context window.
        counter: The model's token counter (or `estimate_tokens`).
        reserve: Tokens kept free for the model's reply; default `reply_reserve(window)`.
    """

    def __init__(self, window: int, counter: TokenCounter = estimate_tokens, reserve: int | None = None) -> None:
        self.window = window
        self.reserve = reserve if reserve is not None else reply_reserve(window)
        self._counter = counter
        self._cache: dict[str, int] = {}
        self._server_total: int | None = None
        self._estimate_at_server: int = 0

    @property
    def limit(self) -> int:
        """The most tokens a prompt may use."""
        return max(self.window - self.reserve, 1)

    def count_text(self, text: str) -> int:
        """Tokens of one text (cached: conversations are recounted every step)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._counter(text)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    def estimate(self, messages: Sequence[ConversationMessage]) -> int:
        """Tokens of a conversation by our own count."""
        return sum(self.count_text(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def record_server_count(self, messages: Sequence[ConversationMessage], prompt_tokens: int | None, completion_tokens: int | None) -> None:
        """Calibrate with the server's counts for the conversation that now ends with its reply."""
        if prompt_tokens is None:
            return
        self._server_total = prompt_tokens + (completion_tokens or 0)
        self._estimate_at_server = self.estimate(messages)

    def forget_server_count(self) -> None:
        """Drop the calibration (after compaction the server's numbers no longer apply)."""
        self._server_total = None

    def used(self, messages: Sequence[ConversationMessage]) -> int:
        """Tokens the conversation uses: the larger of our estimate and the server's count plus
        what was added since (erring high keeps us from being truncated)."""
        estimate = self.estimate(messages)
        if self._server_total is None:
            return estimate
        return max(estimate, self._server_total + max(estimate - self._estimate_at_server, 0))

    def needs_compaction(self, messages: Sequence[ConversationMessage]) -> bool:
        """Whether the conversation is near the window."""
        return self.used(messages) > self.limit * COMPACT_AT

    def fits(self, messages: Sequence[ConversationMessage]) -> bool:
        """Whether a request with these messages leaves room for the reply."""
        return self.used(messages) <= self.limit

    def compact(self, messages: Sequence[ConversationMessage], library: PromptLibrary) -> CompactionResult:
        """Cut the conversation well below the high mark, so that several requests fit before
        the next cut (each cut makes the model server re-read everything after the cut point).

        The target is measured against what compaction can remove: the *head* (system prompt,
        the note about removed messages, the current task) always stays, and the rest is cut
        to `COMPACT_TO` of the room between the head and the high mark. In order, until under
        the target: shorten old observations (code is kept: it says what was done); remove
        the oldest messages, an action always together with its observations; then, as a last
        resort, shorten and remove the `KEEP_RECENT` newest messages too, but never the newest
        action with its observation (nor the last exchange before a new task). The note is
        byte-identical every time, so a second cut in the same turn still finds the system
        prompt, the note and the task in the server's prefix cache.
        """
        before = self.used(messages)
        head = 1 if messages and messages[0].kind == "system" else 0
        task = next((m for m in reversed(messages) if m.kind == "user"), None)
        note = ConversationMessage("user", library.render("compacted_turns.md").strip(), "note")
        fixed = self.estimate([*messages[:head], note, *([task] if task is not None else [])])
        high = self.limit * COMPACT_AT
        target = int(fixed + max(high - fixed, 0) * COMPACT_TO)
        result = [m for m in messages if m.kind != "note"]  # earlier notes give way to the new one
        had_note = len(result) < len(messages)
        # The protected tails, counted from the end (removal happens before them).
        recent = len(result) - _unit_start(result, max(len(result) - KEEP_RECENT, head))
        newest_from = _unit_start(result, max(len(result) - 1, head))
        if newest_from > head and result[newest_from] is task:  # a new turn: keep the last exchange too
            newest_from = _unit_start(result, newest_from - 1)
        newest = len(result) - newest_from
        target -= self.count_text(note.content) + MESSAGE_OVERHEAD_TOKENS  # room for the note
        shortened = self._shorten_outputs(result, range(head, len(result) - recent), target, library)
        removed = self._remove_units(result, head, recent, task, target)
        shortened += self._shorten_outputs(result, range(head, len(result) - 1), target, library)
        removed += self._remove_units(result, head, newest, task, target)
        if removed or had_note:
            result.insert(head, note)
        self.forget_server_count()
        return CompactionResult(result, before, self.estimate(result), shortened, removed)

    def _remove_units(self, messages: list[ConversationMessage], head: int, keep_last: int, task: ConversationMessage | None, target: int) -> int:
        """Remove the oldest messages after `head`, a message always with the observations that
        follow it, keeping `task` and the last `keep_last` messages, until under `target`."""
        removed = 0
        index = head
        while self.estimate(messages) > target and index < len(messages) - keep_last:
            if messages[index] is task:
                index += 1
                continue
            end = _unit_end(messages, index)
            removed += end - index
            del messages[index:end]
        return removed

    def _shorten_outputs(self, messages: list[ConversationMessage], indices: range, target: int, library: PromptLibrary) -> int:
        """Shorten observations at `indices`, oldest first, until under `target`; how many."""
        shortened = 0
        for index in indices:
            if self.estimate(messages) <= target:
                break
            message = messages[index]
            if message.kind != "observation" or message.compacted:
                continue
            clipped = clip_lines(message.content, OLD_OUTPUT_LINES)
            if clipped.omitted_lines == 0 and len(message.content) < 2000:
                continue
            note = library.render("compacted_output.md", omitted=clipped.omitted_lines).strip()
            text = clipped.text if len(clipped.text) < 2000 else clipped.text[:2000] + "…"
            messages[index] = dataclasses.replace(message, content=f"{text}\n{note}", compacted=True)
            shortened += 1
        return shortened


def _unit_end(messages: Sequence[ConversationMessage], start: int) -> int:
    """Where the unit starting at `start` ends: a message and the observations right after it
    (an action and its result are removed together, never one without the other)."""
    end = start + 1
    while end < len(messages) and messages[end].kind == "observation":
        end += 1
    return end


def _unit_start(messages: Sequence[ConversationMessage], index: int) -> int:
    """The start of the unit that holds `index` (back over observations to their action)."""
    while index > 0 and messages[index].kind == "observation" and messages[index - 1].kind != "system":
        index -= 1
    return index
