"""Host side of one M3ToolEval task in the sandbox: a fresh session per episode, driving the
guest harness (`guest/m3_guest.py`) and reading its one-line JSON results."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..config import SandboxSettings
from ..core.ports import ExecutionResult

GUEST_DIR = Path(__file__).resolve().parent / "guest"
MARKER = "@@m3tooleval@@ "
ACTION_MODES = {"code": "code_as_action", "json": "json_as_action", "text": "text_as_action"}
TIMEOUT_OBSERVATION = (
    "---------------------------------------------------------------------------\n"
    "TimeoutError                              Traceback (most recent call last)\n\n"
    "TimeoutError: Timed out after {seconds} seconds.\n"
)
"""What the model sees when an action runs past the deadline (the original REPL's TimeoutError,
as IPython prints it)."""


class GuestError(RuntimeError):
    """The guest harness failed (not the model's code): the episode is an error, not a failure."""


class CodeRunner(Protocol):
    """What a guest task needs from an executor (`SandboxExecutor` is one)."""

    async def run(self, code: str, *, on_output: Any = None, deadline_s: float | None = None) -> ExecutionResult: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class TurnResult:
    """One model reply as the benchmark's harness handled it."""

    reply: str
    """The post-processed reply that goes into the conversation."""
    kind: str
    """`action`, `answer` or `invalid`."""
    feedback: str | None
    """The next user message; None when the episode ends (a correct answer)."""
    correct: bool
    answer: str | None
    timed_out: bool = False


def make_executor(project: Path, benchmark: Path, settings: SandboxSettings) -> CodeRunner:
    """A sandbox whose guest can import the benchmark's `tasks` package and our guest harness."""
    from ..executor import SandboxExecutor

    return SandboxExecutor(project, settings, import_dirs=[GUEST_DIR, benchmark])


def parse_payload(result: ExecutionResult) -> dict[str, Any]:
    """The guest harness's JSON result in an action's output.

    Raises:
        GuestError: It is missing (the guest failed; the message carries its last error line).
    """
    for line in reversed(result.stdout.split("\n")):
        if line.startswith(MARKER):
            payload = json.loads(line[len(MARKER):])
            if "error" in payload:
                raise GuestError(str(payload["error"]))
            return payload  # type: ignore[no-any-return]
    tail = (result.stderr.strip().rsplit("\n", 1)[-1] if result.stderr.strip() else "") or (result.stopped_by or result.status)
    raise GuestError(f"the benchmark harness failed in the sandbox: {tail}")


class GuestTask:
    """One task loaded in a sandbox session for one episode."""

    def __init__(self, runner: CodeRunner, task_id: str, action: str, *, action_timeout_s: float = 30.0) -> None:
        self._runner = runner
        self.task_id = task_id
        self.action = action
        self.action_timeout_s = action_timeout_s
        self.session_resets = 0
        self.prompt = ""
        self._native_tools = False

    async def load(self) -> str:
        """Import the benchmark in the session and load the task; returns its prompt."""
        mode = ACTION_MODES[self.action]
        payload = await self._call(f"import m3_guest; m3_guest.setup({self.task_id!r}, {mode!r})", 120)
        self.prompt = str(payload["prompt"])
        if self._native_tools:
            await self._call("import m3_guest; m3_guest.expose_tools()", 60)
        return self.prompt

    async def expose_tools(self) -> list[str]:
        """Put the task's tools into the session's globals (native mode)."""
        self._native_tools = True
        payload = await self._call("import m3_guest; m3_guest.expose_tools()", 60)
        return list(payload["tools"])

    async def turn(self, generation: str) -> TurnResult:
        """Hand one raw model reply to the benchmark's harness (parse, act, check)."""
        result = await self._runner.run(f"m3_guest.turn({generation!r})", deadline_s=self.action_timeout_s + 2)
        if result.status == "stopped" and result.stopped_by == "deadline":
            return await self._timed_out(generation)
        payload = parse_payload(result)
        return TurnResult(
            reply=str(payload["reply"]),
            kind=str(payload["kind"]),
            feedback=payload["feedback"],
            correct=bool(payload["correct"]),
            answer=payload["answer"],
        )

    async def check(self, answer: str) -> bool:
        """The benchmark's own checker on an answer (native mode)."""
        payload = await self._call(f"m3_guest.check({answer!r})", 30)
        return bool(payload["correct"])

    async def recover(self) -> None:
        """Reload the task after the session was reset (its tools' state starts afresh)."""
        self.session_resets += 1
        await self.load()

    async def _timed_out(self, generation: str) -> TurnResult:
        """The action ran past the deadline: the session is gone. Reload the task and answer as
        the original REPL did. The reply was an action (only actions run code)."""
        await self.recover()
        payload = await self._call(f"import m3_guest; m3_guest.reparse({generation!r})", 30)
        return TurnResult(
            reply=str(payload["reply"]),
            kind="action",
            feedback=TIMEOUT_OBSERVATION.format(seconds=int(self.action_timeout_s)) + str(payload.get("extra", "")),
            correct=False,
            answer=None,
            timed_out=True,
        )

    async def _call(self, code: str, deadline_s: float) -> dict[str, Any]:
        result = await self._runner.run(code, deadline_s=deadline_s)
        return parse_payload(result)
