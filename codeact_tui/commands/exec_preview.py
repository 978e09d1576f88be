"""`codeact-tui exec --preview CODE [--apply]`: what an action would do, then maybe do exactly that.

The code runs over a copy-on-write overlay (writes stay in memory, bounded by the guest's memory
size); its output streams as usual, then the diff it would make is printed on stdout. The project
and the history are unchanged — unless `--apply` is given (or the user answers "y" on a
terminal), which writes exactly the previewed change set as one `manual` history entry, refused
when a file it changes was changed meanwhile or when the code did not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core.actions import summarize_code
from ..core.ports import ExecutionResult, HistoryEntry
from ..executor import ApplyFailed, ChangeSet, PreviewStale, SandboxUnavailable, render_diff
from ..history import HistoryError, HistoryStore
from ..wiring import build_executor
from .exec_code import NOT_APPLIED, OK, RAISED, SETUP_ERROR, STOPPED, ensure_warm_sandbox
from .terminal_text import printable


def _ask(question: str) -> bool:
    """A y/N question on the terminal; anything but y/yes is no."""
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


async def _preview_and_apply(code: str, project: Path, settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """Run the preview; then, when wanted and possible, apply it. Returns the outcome's parts."""

    def stream(name: str, text: str) -> None:
        target = sys.stdout if name == "stdout" else sys.stderr
        target.write(printable(text, keep_newlines=True))
        target.flush()

    executor = build_executor(project, settings)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, executor.interrupt)
    try:
        async with executor:
            result, changes = await executor.preview(code, on_output=None if args.json else stream, deadline_s=args.timeout)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    diff = render_diff(project, changes)
    outcome: dict[str, Any] = {"result": result, "changes": changes, "diff": diff, "entry": None, "refused": None}
    if not args.json:
        _show(result, changes, diff)
    wanted = args.apply
    if not wanted and not args.json and not changes.empty and sys.stdin.isatty() and sys.stdout.isatty() and args.code != "-":
        wanted = _ask("Apply these changes to the project? [y/N] ")
    if not wanted or changes.empty:
        return outcome
    if result.status != "ok":
        outcome["refused"] = f"the previewed code did not finish ({result.status}); nothing was applied"
        return outcome
    try:
        with HistoryStore.open(project, settings.history) as history:
            applied = await asyncio.to_thread(
                executor.apply_changes, changes, history, "apply preview: " + summarize_code(code)
            )
        outcome["entry"] = applied.entry
    except (PreviewStale, ApplyFailed) as exc:
        outcome["refused"] = str(exc)
    return outcome


def _show(result: ExecutionResult, changes: ChangeSet, diff: str) -> None:
    """The human form: warnings on stderr, the diff on stdout."""
    for warning in result.warnings:
        print(f"codeact-tui: warning: {printable(warning)}", file=sys.stderr)
    if result.status == "stopped":
        print(f"codeact-tui: stopped by {result.stopped_by}", file=sys.stderr)
    print(f"codeact-tui: preview: {changes.summary()} (the project is unchanged)", file=sys.stderr)
    if diff:
        sys.stdout.write(printable(diff, keep_newlines=True))
        sys.stdout.flush()


def cmd_preview(code: str, project: Path, settings: Settings, args: argparse.Namespace) -> int:
    """`exec --preview`: run, show, and apply when asked (see the module docstring)."""
    try:
        ensure_warm_sandbox(quiet=args.json)
        outcome = asyncio.run(_preview_and_apply(code, project, settings, args))
    except SandboxUnavailable as exc:
        print(f"codeact-tui: {exc}", file=sys.stderr)
        return SETUP_ERROR
    except HistoryError as exc:
        print(f"codeact-tui: the history store could not be used: {exc}", file=sys.stderr)
        return SETUP_ERROR
    result: ExecutionResult = outcome["result"]
    entry: HistoryEntry | None = outcome["entry"]
    refused: str | None = outcome["refused"]
    if args.json:
        print(json.dumps(_json(outcome), ensure_ascii=False))
    elif refused:
        print(f"codeact-tui: {printable(refused)}", file=sys.stderr)
    elif entry is not None:
        print(
            f"codeact-tui: applied as history entry {entry.id} (`codeact-tui undo {entry.id}` reverts it)",
            file=sys.stderr,
        )
    if refused:
        return NOT_APPLIED
    return {"ok": OK, "error": RAISED, "stopped": STOPPED}[result.status]


def _json(outcome: dict[str, Any]) -> dict[str, Any]:
    result: ExecutionResult = outcome["result"]
    changes: ChangeSet = outcome["changes"]
    entry: HistoryEntry | None = outcome["entry"]
    return {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "status": result.status,
        "exit_code": result.exit_code,
        "stopped_by": result.stopped_by,
        "warnings": list(result.warnings),
        "changes": [
            {"path": c.path, "change": c.change, "folder": c.is_dir, "bytes": None if c.data is None else len(c.data)}
            for c in changes.changes
        ],
        "overlay_bytes": changes.overlay_bytes,
        "diff": outcome["diff"],
        "applied_entry": entry.id if entry else None,
        "refused": outcome["refused"],
    }
