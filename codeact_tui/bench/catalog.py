"""The benchmark's task list, read by importing the checkout's task package in the sandbox."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .guest_task import CodeRunner, GuestError, parse_payload


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the original prompt shows it."""

    name: str
    description: str
    signature: str


@dataclass(frozen=True)
class TaskInfo:
    """One benchmark task."""

    task_id: str
    """`domain/name`, e.g. `web_browsing/email_of_alice`."""
    domain: str
    instruction: str
    expected_repr: str
    """The expected value's repr, computed by the benchmark's own code."""
    expected_type: str
    single_tool: bool
    tools: tuple[ToolInfo, ...]


async def load_catalog(benchmark: Path, make_runner: Callable[[Path, Path], CodeRunner]) -> list[TaskInfo]:
    """Every task of the benchmark, in its original order.

    Raises:
        GuestError: The task package could not be imported in the sandbox.
    """
    with tempfile.TemporaryDirectory(prefix="m3tooleval-catalog-") as project:
        runner = make_runner(Path(project), benchmark)
        await runner.start()
        try:
            result = await runner.run("import m3_guest; m3_guest.catalog()", deadline_s=180)
        finally:
            await runner.close()
    payload = parse_payload(result)
    tasks = [
        TaskInfo(
            task_id=row["task_id"],
            domain=row["domain"],
            instruction=row["instruction"],
            expected_repr=row["expected_repr"],
            expected_type=row["expected_type"],
            single_tool=bool(row["single_tool"]),
            tools=tuple(ToolInfo(t["name"], t["description"], t["signature"]) for t in row["tools"]),
        )
        for row in payload["tasks"]
    ]
    if not tasks:
        raise GuestError("the benchmark registered no tasks")
    return tasks


def select_tasks(tasks: Sequence[TaskInfo], pattern: str | None = None, limit: int | None = None) -> list[TaskInfo]:
    """The tasks whose id matches `pattern` (a regular expression, searched), at most `limit`."""
    chosen = [t for t in tasks if pattern is None or re.search(pattern, t.task_id)]
    return chosen[:limit] if limit is not None else chosen
