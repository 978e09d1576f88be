"""Streamed text, batched per frame: a fast model's many small deltas become at most one
`CoreEvent` message (and one Markdown append) per ~33 ms, which keeps drawing ahead of the model
(benchmarks/ui/RESULTS.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ...core import events as ev
from .. import messages as m


class DeltaBatcher:
    """Coalesces streamed text into at most one message per frame's worth of time.

    A fast model sends hundreds of small deltas a second; one message (and one Markdown append)
    each would cost more than drawing. Text is held at most `interval_s`, and a pending batch is
    flushed by a timer so a pause in the stream never hides text.
    """

    def __init__(self, post: Callable[[m.CoreEvent], object], interval_s: float = 1 / 30) -> None:
        self._post = post
        self._interval_s = interval_s
        self._parts: list[str] = []
        self._first: ev.TextDelta | None = None
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, delta: ev.TextDelta) -> None:
        """Queue a delta; post the batch when the interval has passed."""
        if self._first is not None and delta.step != self._first.step:
            self.flush()
        if self._first is None:
            self._first = delta
        self._parts.append(delta.text)
        now = time.monotonic()
        if now - self._last >= self._interval_s:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval_s, self.flush)

    def flush(self) -> None:
        """Post what is queued (before any other message, and at the end)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._first is not None:
            self._post(m.CoreEvent(ev.TextDelta(self._first.turn_id, self._first.step, "".join(self._parts))))
            self._first = None
            self._parts = []
            self._last = time.monotonic()
