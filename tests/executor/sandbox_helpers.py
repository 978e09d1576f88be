"""Helpers for tests that drive the real sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from codeact_tui.config import SandboxSettings
from codeact_tui.core.ports import ExecutionResult
from codeact_tui.executor import SandboxExecutor


def run_actions(
    project: Path,
    codes: Sequence[str],
    settings: SandboxSettings | None = None,
    during: Callable[[SandboxExecutor], object] | None = None,
    during_action: int = -1,
) -> list[ExecutionResult]:
    """Run each code action in one fresh executor and return the results; `during` is called
    0.5 s into action number `during_action` (default the last)."""

    async def go() -> list[ExecutionResult]:
        async with SandboxExecutor(project, settings) as executor:
            results = []
            target = during_action % len(codes)
            for index, code in enumerate(codes):
                if during is not None and index == target:
                    asyncio.get_running_loop().call_later(0.5, during, executor)
                results.append(await executor.run(code))
            return results

    return asyncio.run(go())


def tree_digest(root: Path) -> dict[str, str]:
    """Every path under `root` (links not followed) with a digest of what it is."""
    state: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest() + f":{path.stat().st_mode:o}"
            else:
                state[rel] = "dir"
    return state
