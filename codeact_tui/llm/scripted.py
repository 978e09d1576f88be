"""A scripted chat model: replays prepared replies like a real streaming backend.

Used by tests, benchmarks and demos (`--backend scripted` is not offered to users). It honours
stop sequences the way servers do (the reply ends before the stop string, which is dropped),
so the core's tag repair is exercised, and it records every request it receives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence

from ..core.context import estimate_tokens
from ..core.ports import (
    ChatMessage,
    GenerationDone,
    GenerationStats,
    ModelInfo,
    ModelStreamError,
    ModelStreamItem,
    Sampling,
    TextChunk,
)

Reply = str | Callable[[Sequence[ChatMessage]], str] | BaseException
"""A scripted reply: fixed text, a function of the conversation, or an error to raise."""


class ScriptedModel:
    """Replays `replies` in order, one per request, streamed in chunks.

    Args:
        replies: What to answer, in order; an exception is raised while streaming.
        chunk_size: Characters per streamed chunk.
        context_window: The window reported by `prepare`.
        loaded: Whether the model starts loaded (False makes the agent emit ModelLoading).
        delay_s: Pause before each chunk (to test interrupts; 0 for speed).
        name: The model's name.
    """

    def __init__(
        self,
        replies: Sequence[Reply],
        *,
        chunk_size: int = 16,
        context_window: int = 8192,
        loaded: bool = True,
        delay_s: float = 0.0,
        name: str = "scripted",
    ) -> None:
        self._replies = list(replies)
        self._chunk_size = max(chunk_size, 1)
        self._window = context_window
        self._loaded = loaded
        self._delay_s = delay_s
        self.name = name
        self.requests: list[list[ChatMessage]] = []
        """Every conversation sent, in order."""
        self.stops: list[tuple[str, ...]] = []
        """The stop sequences of every request."""
        self.samplings: list[Sampling] = []
        """The sampling values of every request (as the caller asked; there are no settings)."""
        self.loads = 0
        """How many times the model was loaded."""
        self.closed_streams = 0
        """Streams closed before their end (cancellations)."""

    async def prepare(self) -> ModelInfo:
        """Report the scripted window."""
        return ModelInfo(self.name, "scripted", self._window, self._window)

    async def is_loaded(self) -> bool:
        """Whether `load` ran (or the model started loaded)."""
        return self._loaded

    async def load(self) -> float:
        """Pretend to load."""
        self.loads += 1
        self._loaded = True
        return 0.0

    def count_tokens(self, text: str) -> int:
        """The core's estimate."""
        return estimate_tokens(text)

    async def close(self) -> None:
        """Nothing to release."""

    def _next_reply(self, messages: Sequence[ChatMessage]) -> str:
        if not self._replies:
            raise ModelStreamError("the scripted model has no more replies")
        reply = self._replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply(messages) if callable(reply) else reply

    async def stream(
        self, messages: Sequence[ChatMessage], *, stop: Sequence[str] = (), sampling: Sampling | None = None
    ) -> AsyncIterator[ModelStreamItem]:
        """Stream the next reply, cut at the first stop sequence."""
        self.requests.append(list(messages))
        self.stops.append(tuple(stop))
        self.samplings.append(sampling or Sampling())
        started = time.perf_counter()
        text = self._next_reply(messages)
        cuts = [text.find(s) for s in stop if s and s in text]
        if cuts:
            text = text[: min(cuts)]
        first: float | None = None
        chunks = 0
        finished = False
        try:
            for index in range(0, len(text), self._chunk_size):
                await asyncio.sleep(self._delay_s)  # yields to the loop, as a network stream does
                if first is None:
                    first = time.perf_counter()
                chunks += 1
                yield TextChunk(text[index : index + self._chunk_size])
            finished = True
        finally:
            if not finished:
                self.closed_streams += 1
        now = time.perf_counter()
        prompt = sum(estimate_tokens(m.content) + 4 for m in messages)
        yield GenerationDone(
            GenerationStats(
                prompt_tokens=prompt,
                completion_tokens=estimate_tokens(text),
                time_to_first_token_s=None if first is None else first - started,
                duration_s=now - started,
                done_reason="stop",
            )
        )
