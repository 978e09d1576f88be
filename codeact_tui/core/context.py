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
COMPACT_TO = 0.6
"""Compaction aims for this share."""
KEEP_RECENT = 4
"""The newest messages are never shortened or removed."""
OLD_OUTPUT_LINES = 12
"""Lines an old observation keeps after compaction."""


def estimate_tokens(text: str) -> int:
    """A conservative token estimate for when no tokenizer is at hand (~3.5 chars a token)."""
    return math.ceil(len(text) / 3.5) if text else 0


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
        reserve: Tokens kept free for the model's reply; default a quarter of the window, at
            most 4096.
    """

    def __init__(self, window: int, counter: TokenCounter = estimate_tokens, reserve: int | None = None) -> None:
        self.window = window
        self.reserve = reserve if reserve is not None else min(window // 4, 4096)
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
        """Shorten old observations, then remove the oldest messages, until under the target.

        The system prompt, the current task (the last user message) and the newest message are
        never touched; the other `KEEP_RECENT` newest messages are shortened only as a last
        resort.
        """
        before = self.used(messages)
        target = int(self.limit * COMPACT_TO)
        result = list(messages)
        protected_from = max(len(result) - KEEP_RECENT, 1)
        shortened = self._shorten_outputs(result, range(1, protected_from), target, library)
        removed = 0
        head = 1 if result and result[0].kind == "system" else 0
        task = next((m for m in reversed(result) if m.kind == "user"), None)
        index = head
        while self.estimate(result) > target and index < len(result) - KEEP_RECENT:
            if result[index] is task:
                index += 1
                continue
            if result[index].kind != "note":  # earlier notes go too, but are not counted
                removed += 1
            del result[index]
        if removed:
            note_text = library.render("compacted_turns.md", count=removed).strip()
            result.insert(head, ConversationMessage("user", note_text, "note"))
        # Last resort: shorten recent outputs too, all but the newest message.
        shortened += self._shorten_outputs(result, range(head, len(result) - 1), target, library)
        self.forget_server_count()
        return CompactionResult(result, before, self.estimate(result), shortened, removed)

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
