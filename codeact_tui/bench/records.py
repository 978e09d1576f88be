"""Per-episode records, one JSON object per line, appended as episodes finish.

The file is the run's memory: `--resume` reads it back, keeps every finished episode and runs
again only the missing ones and those that ended in an error (model server down, sandbox
failure). The last record of a task wins.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["correct", "incorrect", "error"]


@dataclass
class EpisodeRecord:
    """How one task's episode went."""

    task_id: str
    domain: str
    mode: str
    """`faithful` or `native` (M3ToolEval); `aider`, `native` or `oracle` (Exercism)."""
    action: str
    """`code`, `json` or `text` (native mode: `code`)."""
    model: str
    outcome: Outcome
    """`correct`, `incorrect` (counted as a failure), or `error` (not counted; resumable)."""
    turns: int
    """Model replies used (the final answering reply included)."""
    end_reason: str
    """`correct`, `limit` (out of turns), `context_limit`, or the error's kind."""
    lenient_correct: bool = False
    """Whether some answer matched under the lenient checker."""
    lenient_turns: int = 0
    """Turns up to that answer (or all turns when none matched)."""
    answers: list[dict[str, Any]] = field(default_factory=list)
    """Every answer given: text, turn, faithful and lenient verdicts."""
    expected: str = ""
    """The expected value's repr."""
    profile: str = ""
    """The model profile of a native episode (empty: faithful mode, or a record from before
    profiles)."""
    error: str = ""
    """What went wrong, for `error` episodes."""
    session_resets: int = 0
    """Times the sandbox session was reset (an action hit the deadline) and the task reloaded."""
    duration_s: float = 0.0
    messages: list[dict[str, str]] = field(default_factory=list)
    """The conversation (role, content), the prompt first."""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    """Exercism: each attempt's replies and the pristine tests' verdict on its solution."""
    tests_run_by_model: int = 0
    """Exercism: code actions whose output holds a unittest report (the model ran tests itself)."""
    malformed_replies: int = 0
    """Exercism: replies with neither a code action nor a tagged answer."""
    tests_run_by_agent: int = 0
    """Exercism: test runs the agent started after the model's changes (`auto_test`)."""
    fresh_attempts: int = 0
    """Exercism: times the agent started the exercise over (`fresh_attempts`)."""

    @property
    def counted(self) -> bool:
        """Whether it counts in the scores (errors do not)."""
        return self.outcome != "error"


class RecordFile:
    """Appends records to a JSON-lines file; safe to call from several tasks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: EpisodeRecord) -> None:
        line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_records(path: Path) -> dict[str, EpisodeRecord]:
    """The last record of each task in a records file; unreadable lines (a torn last write)
    are skipped."""
    latest: dict[str, EpisodeRecord] = {}
    if not path.is_file():
        return latest
    known = set(EpisodeRecord.__dataclass_fields__)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            record = EpisodeRecord(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError):
            continue
        latest[record.task_id] = record
    return latest
