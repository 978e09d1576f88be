"""Helpers shared by tests in several folders: files written into a test project, the host
never stalling on hostile input (the red-team tests), and a model stream read to its end."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

from codeact_tui.core.ports import GenerationDone, TextChunk

T = TypeVar("T")

BROKEN = "def add(a, b):\n    return a - b\n"
"""`calc.py` of the demo project: `add` subtracts, the bug every scripted turn fixes."""
FIXED = "def add(a, b):\n    return a + b\n"
"""`calc.py` once fixed."""


def calc_project(tmp_path: Path) -> Path:
    """A project folder holding only the broken `calc.py`."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(BROKEN)
    return root


def write(root: Path, rel: str, content: str | bytes) -> Path:
    """Write a file under `root` (text as UTF-8), creating its folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def finishes_within(seconds: float, work: Callable[[], T]) -> T:
    """Run `work` in a thread and return its result; fail the test if it is still running after
    `seconds` (hostile input made the host hang), and re-raise what it raised."""
    box: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (the host hung)"
    if errors:
        raise errors[0]
    return box[0]


async def read_stream(stream: AsyncIterator[TextChunk | GenerationDone]) -> tuple[str, GenerationDone]:
    """Read a chat model's stream to its end: the whole text and the closing `GenerationDone`."""
    text: list[str] = []
    done = None
    async for item in stream:
        if isinstance(item, TextChunk):
            text.append(item.text)
        else:
            done = item
    assert done is not None, "the stream ended without a GenerationDone"
    return "".join(text), done
