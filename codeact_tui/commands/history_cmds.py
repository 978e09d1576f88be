"""`history`, `diff`, `undo`, `redo`, `restore`: review and revert what actions did.

Exit status: 0 done, 1 refused (a conflict, nothing to undo, the store is busy), 2 bad input
(an unknown entry id, a path that is not a directory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..conversation import Conversation
from ..core.ports import HistoryBusy, HistoryChange, HistoryEntry, HistoryError, UnknownEntry
from ..history.journal import entry_to_json
from .terminal_text import printable

OK, REFUSED, BAD_INPUT = 0, 1, 2
_FILES_SHOWN = 8


def register(subparsers: Any) -> None:
    """Add the history commands to the CLI."""
    p = subparsers.add_parser("history", help="list what every action changed (newest last)")
    _path_arg(p)
    p.add_argument("--json", action="store_true", help="print a JSON array of entries")
    p.add_argument("--files", action="store_true", help="list every changed file under each entry")
    p.add_argument("-n", "--last", type=int, metavar="N", help="show only the newest N entries")
    p.add_argument("--prune", action="store_true", help="drop entries older than [history] keep_days")
    p.set_defaults(handler=cmd_history)

    p = subparsers.add_parser("diff", help="show the diff of an entry, or between two points")
    p.add_argument("id", type=int, help="the entry id (see `history`)")
    p.add_argument("to", type=int, nargs="?", help="a second id: diff from the state after ID to after TO (0 = the start)")
    _path_arg(p)
    p.set_defaults(handler=cmd_diff)

    p = subparsers.add_parser("undo", help="take back an entry, keeping later work (default: the last action)")
    p.add_argument("id", type=int, nargs="?", help="the entry to undo (default: newest agent or manual entry)")
    _path_arg(p)
    p.set_defaults(handler=cmd_undo)

    p = subparsers.add_parser(
        "redo",
        help="take back the last undo (new work since drops it; name an older undone entry to redo it)",
    )
    p.add_argument("id", type=int, nargs="?", help="an undone entry (or its undo) to bring back, even past newer work")
    _path_arg(p)
    p.set_defaults(handler=cmd_redo)

    p = subparsers.add_parser("restore", help="make the project equal to the state after an entry")
    p.add_argument("id", type=int, help="the entry whose result to restore (0 = the start)")
    _path_arg(p)
    p.set_defaults(handler=cmd_restore)


def _path_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: the current one)")


def _write(text: str, stream: Any = None) -> None:
    """Print text whose paths may hold non-UTF-8 bytes (kept as surrogates) losslessly."""
    stream = stream or sys.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    else:
        buffer.write(text.encode("utf-8", "surrogateescape"))
        buffer.flush()


def _error(message: str) -> None:
    _write(f"codeact-tui: {message}\n", sys.stderr)


def _with_history(args: argparse.Namespace, settings: Settings, body: Callable[[Conversation], Awaitable[int]]) -> int:
    """Open the project's history through the conversation service (the app's path), run
    `body`, and map errors to messages and exit statuses."""
    path: Path = args.path
    if not path.is_dir():
        _error(f"{path} is not a directory; pass a project folder with --path")
        return BAD_INPUT
    conversation = Conversation(path, settings)

    async def run() -> int:
        try:
            return await body(conversation)
        finally:
            await conversation.close()

    conversation.open_history()
    if conversation.history is None:
        _error(conversation.history_error or "the history could not be opened")
        return REFUSED
    try:
        return asyncio.run(run())
    except UnknownEntry as exc:
        _error(f"{exc}")
        return BAD_INPUT
    except HistoryBusy as exc:
        _error(f"{exc}")
        return REFUSED
    except HistoryError as exc:
        _error(f"{exc}")
        return REFUSED


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """List the entries, newest last (or as JSON)."""
    if not args.path.is_dir():
        _error(f"{args.path} is not a directory; pass a project folder with --path")
        return BAD_INPUT
    if not args.prune and not Conversation(args.path, settings).history_exists():
        _write("[]\n" if args.json else f"no history yet for {args.path.resolve()}\n")
        return OK

    async def body(conversation: Conversation) -> int:
        if args.prune:
            removed = await conversation.prune()
            days = settings.history.keep_days
            _write(f"pruned {removed} entries older than {days} days\n" if days else "nothing pruned: [history] keep_days is 0 (keep everything)\n")
            return OK
        entries = await conversation.entries()
        undone = await conversation.undone_ids(entries)
        if args.last is not None:
            entries = entries[-args.last :] if args.last > 0 else []
        if args.json:
            data = [{**entry_to_json(e), "undone": e.id in undone} for e in entries]
            _write(json.dumps(data, indent=2) + "\n")
            return OK
        if not entries:
            _write(f"no history yet for {conversation.project.resolve()}\n")
            return OK
        for entry in entries:
            _write(_entry_line(entry, entry.id in undone) + "\n")
            if args.files:
                for change in entry.files:
                    _write(f"      {_change_text(change)}\n")
        _write("\nshow one with `codeact-tui diff ID`; take one back with `codeact-tui undo ID`\n")
        report = conversation.history_size()
        if report is not None:
            _write(f"history store: {report[0] / (1 << 20):.1f} MiB\n")
            if report[1]:
                _error(f"warning: {report[1]}")
        return OK

    return _with_history(args, settings, body)


def _local_time(iso: str) -> str:
    """An entry's UTC time as local wall-clock time, to the second."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _entry_line(entry: HistoryEntry, undone: bool) -> str:
    when = _local_time(entry.time)
    files = f"{len(entry.files)} file" + ("" if len(entry.files) == 1 else "s")
    notes = []
    if entry.target is not None:
        notes.append(f"of #{entry.target}")
    if undone:
        notes.append("undone")
    if entry.untracked:
        notes.append(f"{len(entry.untracked)} not snapshotted")
    extra = f"  ({', '.join(notes)})" if notes else ""
    return f"{entry.id:>4}  {entry.kind:<7}  {when}  {printable(entry.summary)}  [{files}]{extra}"


def _change_text(change: Any) -> str:
    if change.old_path:
        return f"{change.change:<8} {printable(change.old_path)} -> {printable(change.path)}"
    return f"{change.change:<8} {printable(change.path)}"


def cmd_diff(args: argparse.Namespace, settings: Settings) -> int:
    """Print an entry's diff, or the diff between two points."""

    async def body(conversation: Conversation) -> int:
        text = await (conversation.diff(args.id) if args.to is None else conversation.diff_between(args.id, args.to))
        if args.to is None:
            entry = await conversation.entry(args.id)
            untracked = [f"# not snapshotted (too large, unreadable or ignored): {p}\n" for p in entry.untracked]
            dirs = [f"# empty folder {c.change}: {c.path}\n" for c in entry.files if c.path.endswith("/")]
            text = "".join(untracked + dirs) + text
        if sys.stdout.isatty():  # piped, the patch keeps its exact bytes
            text = printable(text, keep_newlines=True)
        _write(text if text else "no differences\n")
        return OK

    return _with_history(args, settings, body)


def _report(result: HistoryChange) -> int:
    """Print an undo/redo/restore result; its exit status."""
    _write(printable(result.message) + "\n", sys.stdout if result.ok else sys.stderr)
    for conflict in result.conflicts:
        _write(f"  {printable(conflict.path)}: {conflict.reason}\n", sys.stderr)
        for hunk in conflict.hunks:
            _write(f"    at line {hunk.line}, now:\n", sys.stderr)
            _write("".join(f"      | {printable(line)}\n" for line in hunk.current.splitlines() or [""]), sys.stderr)
            _write("    the change wants:\n", sys.stderr)
            _write("".join(f"      | {printable(line)}\n" for line in hunk.wanted.splitlines() or [""]), sys.stderr)
    for warning in result.warnings:
        _write(f"warning: {printable(warning)}\n", sys.stderr)
    if result.entry is not None:
        for change in result.entry.files[:_FILES_SHOWN]:
            _write(f"  {_change_text(change)}\n")
        if len(result.entry.files) > _FILES_SHOWN:
            _write(f"  … and {len(result.entry.files) - _FILES_SHOWN} more\n")
    return OK if result.ok else REFUSED


async def _reported(change: Awaitable[HistoryChange]) -> int:
    return _report(await change)


def cmd_undo(args: argparse.Namespace, settings: Settings) -> int:
    """Undo one entry (default: the newest agent or manual one)."""
    return _with_history(args, settings, lambda conversation: _reported(conversation.undo(args.id)))


def cmd_redo(args: argparse.Namespace, settings: Settings) -> int:
    """Redo the last undo, or the named one."""
    return _with_history(args, settings, lambda conversation: _reported(conversation.redo(args.id)))


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Make the project equal to the state after an entry."""
    if args.id < 0:
        _error("entry ids are 0 (the start) or positive")
        return BAD_INPUT
    return _with_history(args, settings, lambda conversation: _reported(conversation.restore(args.id)))
