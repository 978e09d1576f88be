"""An executor whose sandbox starts in the background, so a front-end opens at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..core.ports import ExecutionResult, Executor, OutputCallback, PreviewRun, SessionState, StateRestore


class DeferredExecutor:
    """An Executor whose sandbox starts later; `run` waits until it is up.

    So the app opens at once (even during the one-time compile) and the first sandbox run simply
    waits for the sandbox instead of blocking the screen.
    """

    def __init__(self, make: Callable[[], Executor]) -> None:
        self._make = make
        self._inner: Executor | None = None
        self._ready = asyncio.Event()
        self._error: str | None = None
        self._mount_mode: str | None = None
        """A mount mode asked for before the sandbox was up (applied when it starts)."""

    @property
    def ready(self) -> bool:
        """Whether the sandbox is up."""
        return self._inner is not None

    @property
    def error(self) -> str | None:
        """Why it could not start, if it could not."""
        return self._error

    async def start(self) -> None:
        """Start the sandbox session (after the compile cache is warm); raises what it raised."""
        try:
            inner = self._make()
            start = getattr(inner, "start", None)
            if start is not None:
                await start()
            self._inner = inner
            if self._mount_mode is not None:
                self.set_mount_mode(self._mount_mode)
        except Exception as exc:
            self._error = str(exc) or type(exc).__name__
            raise
        finally:
            self._ready.set()

    def fail(self, message: str) -> None:
        """Give up on starting (e.g. the compile failed)."""
        self._error = message
        self._ready.set()

    async def run(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> ExecutionResult:
        """Run code once the sandbox is up."""
        await self._ready.wait()
        if self._inner is None:
            raise RuntimeError(f"the sandbox is not available: {self._error}")
        return await self._inner.run(code, on_output=on_output, deadline_s=deadline_s)

    async def preview_action(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> PreviewRun:
        """Preview code once the sandbox is up (see `core.ports.PreviewExecutor`)."""
        await self._ready.wait()
        preview = getattr(self._inner, "preview_action", None)
        if not callable(preview):
            raise RuntimeError(f"the sandbox cannot preview actions: {self._error or 'not available'}")
        return await preview(code, on_output=on_output, deadline_s=deadline_s)

    def apply_preview(self, preview: PreviewRun) -> None:
        """Write a preview's change set (blocking; see `core.ports.PreviewExecutor`)."""
        apply = getattr(self._inner, "apply_preview", None)
        if not callable(apply):
            raise RuntimeError("the sandbox cannot apply previews")
        apply(preview)

    def set_mount_mode(self, mode: str) -> None:
        """Switch how later sandbox runs see the project ("live" or "read-only"); before the
        sandbox is up, the mode is remembered and applied when it starts."""
        self._mount_mode = mode
        switch = getattr(self._inner, "set_mount_mode", None)
        if callable(switch):
            switch(mode)

    async def wait_ready(self) -> bool:
        """Wait until the sandbox is up (or failed); whether it is up."""
        await self._ready.wait()
        return self._inner is not None

    def keeps_state(self) -> bool:
        """Whether the sandbox can save and restore its variables (the real one can; fakes may not)."""
        return callable(getattr(self._inner, "save_state", None))

    async def _stateful(self, method: str) -> Any:
        await self._ready.wait()
        found = getattr(self._inner, method, None)
        if self._inner is None or not callable(found):
            raise RuntimeError(f"the sandbox cannot {method.replace('_', ' ')}: {self._error or 'it keeps no state'}")
        return found

    async def save_state(self, limit_bytes: int | None = None) -> SessionState:
        """Save the session's variables (see `SandboxExecutor.save_state`)."""
        return await (await self._stateful("save_state"))(limit_bytes)  # type: ignore[no-any-return]

    async def restore_state(self, state: SessionState, *, fresh: bool = False) -> StateRestore:
        """Bring saved variables back (see `SandboxExecutor.restore_state`)."""
        return await (await self._stateful("restore_state"))(state, fresh=fresh)  # type: ignore[no-any-return]

    async def clear_state(self) -> None:
        """Remove the variables actions made (the session stays)."""
        await (await self._stateful("clear_state"))()

    async def reset_session(self) -> None:
        """Start a fresh session (no variables)."""
        await (await self._stateful("reset_session"))()

    @property
    def mount_mode(self) -> str:
        """How later sandbox runs see the project (as asked for, before the sandbox is up)."""
        return str(getattr(self._inner, "mount_mode", None) or self._mount_mode or "live")

    def show_snapshot(self, history: Any, point: int) -> None:
        """Serve a history state read-only to later runs (see `SandboxExecutor.show_snapshot`)."""
        show = getattr(self._inner, "show_snapshot", None)
        if not callable(show):
            raise RuntimeError("the sandbox cannot show a history snapshot")
        show(history, point)

    def interrupt(self) -> None:
        """Soft on the first call, hard on the second (the executor's own policy)."""
        if self._inner is not None:
            self._inner.interrupt()

    async def close(self) -> None:
        """End the session."""
        if self._inner is not None:
            await self._inner.close()
