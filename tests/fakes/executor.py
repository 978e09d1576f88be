"""A test double of the Executor port: runs code in-process with `exec`, inside the project.

Not a sandbox. It keeps one namespace across actions (like the real session), streams output
through `on_output` as it is written, reports changed files by comparing the tree before and
after, and can be told to hang (to test interrupts) or to fail as infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import time
import traceback
from pathlib import Path

from codeact_tui.core.ports import ExecutionResult, FileChange, OutputCallback, StreamName


def tree_state(root: Path) -> dict[str, str]:
    """Relative path → content hash of every file under `root` (`.git` left out)."""
    state: dict[str, str] = {}
    for path in root.rglob("*"):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        state[path.relative_to(root).as_posix()] = hashlib.sha1(path.read_bytes()).hexdigest()
    return state


def diff_states(before: dict[str, str], after: dict[str, str]) -> tuple[FileChange, ...]:
    """The file changes between two tree states, sorted by path."""
    changes = [FileChange(p, "added") for p in after.keys() - before.keys()]
    changes += [FileChange(p, "deleted") for p in before.keys() - after.keys()]
    changes += [FileChange(p, "modified") for p in before.keys() & after.keys() if before[p] != after[p]]
    return tuple(sorted(changes, key=lambda c: c.path))


class _Tee(io.TextIOBase):
    def __init__(self, name: StreamName, buffer: list[str], callback: OutputCallback | None) -> None:
        self._name, self._buffer, self._callback = name, buffer, callback

    def write(self, text: str) -> int:
        self._buffer.append(text)
        if self._callback is not None and text:
            self._callback(self._name, text)
        return len(text)


class InProcessExecutor:
    """Runs actions with `exec` in one persistent namespace, in the project folder."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.namespace: dict[str, object] = {"__name__": "__main__"}
        self.codes: list[str] = []
        self.interrupts = 0
        self.closed = False
        self.hang = False
        """When True, the next action waits until interrupted (then reports it stopped)."""
        self.crash: Exception | None = None
        """When set, the next action raises it (an infrastructure failure)."""
        self._stop = asyncio.Event()

    async def run(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> ExecutionResult:
        self.codes.append(code)
        if self.crash is not None:
            crash, self.crash = self.crash, None
            raise crash
        started = time.perf_counter()
        if self.hang:
            self.hang = False
            self._stop.clear()
            if on_output is not None:
                on_output("stdout", "working...\n")
            await self._stop.wait()
            return ExecutionResult("working...\n", "KeyboardInterrupt\n", "stopped", None, "interrupt", duration_s=time.perf_counter() - started)
        before = tree_state(self.project)
        out: list[str] = []
        err: list[str] = []
        status = "ok"
        exit_code: int | None = 0
        cwd = os.getcwd()
        os.chdir(self.project)
        try:
            with contextlib.redirect_stdout(_Tee("stdout", out, on_output)), contextlib.redirect_stderr(_Tee("stderr", err, on_output)):
                try:
                    exec(compile(code, "<action>", "exec"), self.namespace)
                except SystemExit as exc:
                    exit_code = exc.code if isinstance(exc.code, int) else 1
                    status = "ok" if exit_code == 0 else "error"
                except BaseException:
                    traceback.print_exc()
                    status, exit_code = "error", 1
        finally:
            os.chdir(cwd)
        changes = diff_states(before, tree_state(self.project))
        return ExecutionResult("".join(out), "".join(err), status, exit_code, changed_files=changes, duration_s=time.perf_counter() - started)

    def interrupt(self) -> None:
        self.interrupts += 1
        self._stop.set()

    async def close(self) -> None:
        self.closed = True


class TrivialExecutor:
    """Runs nothing: every action succeeds at once with fixed output (for overhead benchmarks)."""

    def __init__(self, stdout: str = "ok\n") -> None:
        self.stdout = stdout
        self.runs = 0

    async def run(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> ExecutionResult:
        self.runs += 1
        if on_output is not None:
            on_output("stdout", self.stdout)
        return ExecutionResult(self.stdout, "", "ok")

    def interrupt(self) -> None:
        pass

    async def close(self) -> None:
        pass
