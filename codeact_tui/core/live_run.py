"""Run code in the executor while its live output becomes events (shared by model and manual runs)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from . import events as ev
from .ports import Executor, StreamName

_DONE = object()


async def run_with_live_output(
    executor: Executor,
    code: str,
    turn_id: str,
    step: int,
    deadline_s: float | None,
    on_started: Callable[[], None] | None = None,
    *,
    runner: Callable[..., Awaitable[Any]] | None = None,
) -> AsyncGenerator[ev.ExecutionOutput | Any, None]:
    """Run `code` in a task; yield its live output (maybe sent from the sandbox's thread) as
    events, then its result — or the exception when the executor itself failed.

    `on_started` is called once the run is under way (e.g. to honour an interrupt that came
    first). `runner` runs the code instead of `executor.run` (same arguments; e.g. a preview,
    whose result is a `PreviewRun`). If the consumer stops early, the run is interrupted and
    given time to end.
    """
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def on_output(stream: StreamName, text: str) -> None:
        if threading.get_ident() == loop_thread:
            queue.put_nowait((stream, text))
        else:
            loop.call_soon_threadsafe(queue.put_nowait, (stream, text))

    run = runner if runner is not None else executor.run
    task = asyncio.create_task(run(code, on_output=on_output, deadline_s=deadline_s))
    task.add_done_callback(lambda _: queue.put_nowait(_DONE))
    try:
        if on_started is not None:
            on_started()
        while (item := await queue.get()) is not _DONE:
            yield ev.ExecutionOutput(turn_id, step, item[0], item[1])
        while not queue.empty():  # output that raced the end
            item = queue.get_nowait()
            if item is not _DONE:
                yield ev.ExecutionOutput(turn_id, step, item[0], item[1])
        try:
            yield task.result()
        except Exception as exc:
            yield exc
    finally:
        if not task.done():  # the consumer went away mid-run: stop it and let it end
            executor.interrupt()
            await asyncio.wait({task}, timeout=10)
