"""The background-started executor passes a mount-mode switch on, whenever it is asked for."""

from __future__ import annotations

import asyncio

from codeact_tui.conversation.deferred import DeferredExecutor
from codeact_tui.core.ports import ExecutionResult


class ModalExecutor:
    """An executor with mount modes that records the switches it got."""

    def __init__(self) -> None:
        self.modes: list[str] = []

    async def start(self) -> None:
        await asyncio.sleep(0)

    def set_mount_mode(self, mode: str) -> None:
        self.modes.append(mode)

    async def run(self, code: str, **_: object) -> ExecutionResult:  # pragma: no cover - not run here
        raise AssertionError("not called")


def test_a_mode_chosen_before_the_sandbox_is_up_applies_when_it_starts() -> None:
    inner = ModalExecutor()
    deferred = DeferredExecutor(lambda: inner)  # type: ignore[arg-type, return-value]

    deferred.set_mount_mode("read-only")
    assert inner.modes == []
    asyncio.run(deferred.start())
    assert inner.modes == ["read-only"]

    deferred.set_mount_mode("live")
    assert inner.modes == ["read-only", "live"]


def test_an_executor_without_modes_is_left_alone() -> None:
    class Plain:
        async def start(self) -> None:
            return None

    deferred = DeferredExecutor(lambda: Plain())  # type: ignore[arg-type, return-value]
    deferred.set_mount_mode("read-only")
    asyncio.run(deferred.start())
    assert deferred.ready
