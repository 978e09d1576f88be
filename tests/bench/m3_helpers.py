"""Helpers for the benchmark tests: the miniature benchmark, running the command, reading records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakes.ollama_server import FakeOllama

from codeact_tui import cli

FIXTURE = Path(__file__).parent / "fixture"
"""A checkout-shaped folder holding the miniature benchmark (scripts/eval/m3tooleval)."""


def bench(server: FakeOllama, out: Path, *extra: str, source: Path = FIXTURE) -> int:
    """Run `codeact-tui bench m3tooleval` on the fixture against the fake server."""
    return cli.main(
        ["bench", "m3tooleval", "--source", str(source), "--host", server.url, "--model", "codeact:7b", "--out", str(out), *extra]
    )


def records(out: Path) -> dict[str, dict[str, Any]]:
    """The last record per task in a records file."""
    found: dict[str, dict[str, Any]] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        found[data["task_id"]] = data
    return found


def user_messages(server: FakeOllama, request: int) -> list[str]:
    """The user messages of one chat request sent to the server."""
    return [m["content"] for m in server.chat_requests()[request]["messages"] if m["role"] == "user"]
