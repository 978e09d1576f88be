"""Stuck-loop detection: notice when the model repeats itself without making progress.

Small local models often send the same failing action again and again until the turn limit
(measured: Qwen2.5-Coder-1.5B six times, SmolLM2 ten times). Each step leaves a *signature*:
the normalised code with how it failed, the normalised code with its unchanged output, or the
text of a reply that could not run. The second time a signature appears, the observation says
so and asks for another approach; at `stuck_after` the turn ends with reason `stuck`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from .ports import ExecutionResult

RepeatKind = Literal["failure", "no_progress", "reply"]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TURN_NAME = re.compile(r"<turn \d+>")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning|Found)\b:?")
_DURATION = re.compile(r"\d+(?:\.\d+)?\s?(?:s|ms|seconds?)\b")
"""Timings ("in 0.12s") differ between two runs of the same code that otherwise print the same."""


def _output_key(result: ExecutionResult) -> str:
    """What an action printed, with timings and memory addresses left out."""
    return "\0".join(_DURATION.sub("#s", _ADDRESS.sub("0x…", text)) for text in (result.stdout, result.stderr))


def normalise_code(code: str) -> str:
    """The code without comment lines, blank lines and differences in spacing."""
    lines = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append(" ".join(stripped.split()))
    return "\n".join(lines)


def failure_line(result: ExecutionResult) -> str:
    """How an action failed, in one line: the last line of its error output (memory addresses
    and the sandbox's per-run file names left out, so equal failures compare equal)."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    # The exception's own line (a message may go on over more lines after it).
    raised = [line for line in lines if _EXCEPTION_LINE.match(line)]
    last = raised[-1] if raised else lines[-1] if lines else f"{result.status} {result.stopped_by or ''}".strip()
    return _TURN_NAME.sub("<turn>", _ADDRESS.sub("0x…", last))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Repeat:
    """A step that repeated an earlier one of the same turn."""

    kind: RepeatKind
    """`failure` (same code, same error), `no_progress` (same code, same output, no file
    changed), `reply` (the same reply that could not run)."""
    count: int
    """How many times this signature has now been seen (2 or more; 1 for the same action sent
    right after itself, whose first run changed files). `stuck_after` counts these."""
    detail: str
    """The error line for failures; empty otherwise."""
    runs: int
    """How many times this code (or reply) has been sent this turn, progress or not (what the
    notes about runs without progress say; a failure's note says `count`, the failing runs)."""


@dataclass
class ProgressTracker:
    """Counts step signatures within one user turn."""

    seen: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    """Per normalised action or reply text: how many times it was sent this turn."""
    last_code: str | None = None
    """The last action's normalised code."""
    again: bool = False
    """Whether the last action was the one before it again, word for word (normalised)."""
    wrote: bool = False
    """Whether the last action changed files."""

    def reset(self) -> None:
        """Forget everything (a new user turn)."""
        self.seen.clear()
        self.runs.clear()
        self.last_code, self.again, self.wrote = None, False, False

    def _count(self, kind: RepeatKind, key: str, runs: int, detail: str = "") -> Repeat | None:
        signature = _digest(kind, key, detail)
        self.seen[signature] += 1
        count = self.seen[signature]
        return Repeat(kind, count, detail, runs) if count >= 2 else None

    def action(self, code: str, result: ExecutionResult, *, changed_content: bool = True) -> Repeat | None:
        """Record an executed action; a `Repeat` when it repeats an earlier one without progress.

        `changed_content` is False when the history saw no file's content change although the
        action wrote files (it wrote back what was there): that is no progress either.
        """
        if result.stopped_by == "interrupt":
            self.again = self.wrote = False
            return None  # the user stopped it: not the model's doing
        normal = normalise_code(code)
        wrote_before = self.wrote
        self.again, self.last_code = normal == self.last_code, normal
        self.wrote = bool(result.changed_files) and changed_content
        self.runs[normal] += 1
        runs = self.runs[normal]
        if result.status != "ok":
            return self._count("failure", normal, runs, failure_line(result))
        if not self.wrote:
            repeat = self._count("no_progress", normal + "\0" + _digest(_output_key(result)), runs)
            if repeat is None and self.again and wrote_before:
                # Sent right after itself, whose run wrote the files this one wrote again.
                return Repeat("no_progress", 1, "", runs)
            return repeat
        return None

    def reply(self, text: str) -> Repeat | None:
        """Record a reply that could not run (cut, looping, reasoning only)."""
        key = " ".join(text.split())
        self.runs[key] += 1
        return self._count("reply", key, self.runs[key])
