"""`rewind TURN`: return the project to before a user turn — files, conversation, variables.

The files go back as one `restore` history entry (undo it to take the rewind back); the
conversation continues on a new branch (the old one stays resumable with `--resume ID`); the
Python session's variables of that point come back on the next `run --continue` or app resume.

Exit status: 0 done, 1 refused (files not in the history would be overwritten, the history is
busy or pruned), 2 bad input (no such turn or conversation).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from ..config import Settings
from ..conversation import Conversation
from ..conversation.rewind import RewindError, RewindOutcome
from ..core.transcript import TranscriptError
from .terminal_text import printable

OK, REFUSED, BAD_INPUT = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add `rewind` to the CLI."""
    p = subparsers.add_parser(
        "rewind",
        help="return files, conversation and variables to before a user turn (undoable)",
        description="Return the project to the state before a user turn of a conversation: the files "
        "(one undoable `restore` history entry), the conversation (a new branch; the old one stays "
        "resumable) and the Python session's variables (restored on the next resume).",
    )
    p.add_argument("turn", type=int, nargs="?", help="the user turn to go back before (1 = the first; see --list)")
    p.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: the current one)")
    p.add_argument("--conversation", metavar="ID", default="latest", help="the conversation to rewind (default: the latest)")
    p.add_argument("--list", action="store_true", help="list the conversation's user turns and exit")
    p.add_argument("--force", action="store_true", help="rewind even over files changed since the last snapshot (they are recorded first, so undo brings them back)")
    p.set_defaults(handler=cmd_rewind)


def _error(message: str) -> None:
    print(f"codeact-tui: {printable(message)}", file=sys.stderr)


def cmd_rewind(args: argparse.Namespace, settings: Settings) -> int:
    """Rewind (or list the turns); see the module docstring."""
    project = args.path.resolve()
    if not project.is_dir():
        _error(f"{args.path} is not a folder")
        return BAD_INPUT
    if not args.list and args.turn is None:
        _error("name the turn to rewind to (see `codeact-tui rewind --list`)")
        return BAD_INPUT
    return asyncio.run(_rewind(project, settings, args))


async def _rewind(project: Path, settings: Settings, args: argparse.Namespace) -> int:
    conversation = Conversation(project, settings, resume=args.conversation)
    try:
        try:
            conversation.load_resume()
        except TranscriptError as exc:
            _error(str(exc))
            return BAD_INPUT
        if args.list:
            return _list(conversation)
        await asyncio.to_thread(conversation.open_history)
        try:
            outcome = await conversation.rewind(args.turn, force=args.force)
        except RewindError as exc:
            _error(str(exc))
            return BAD_INPUT
        return _report(outcome)
    finally:
        await conversation.close()


def _list(conversation: Conversation) -> int:
    turns = conversation.user_turns()
    transcript = conversation.transcript
    print(f"conversation {transcript.id if transcript else '?'}: {len(turns)} user turn(s)")
    for turn in turns:
        first = turn.request.strip().splitlines()[0] if turn.request.strip() else ""
        print(printable(f"{turn.number:4}  {first[:90]}"))
    return OK


def _report(outcome: RewindOutcome) -> int:
    if not outcome.ok:
        _error(outcome.message)
        for path in outcome.unrecorded:
            print(printable(f"  {path}"), file=sys.stderr)
        for conflict in outcome.conflicts:
            print(printable(f"  {conflict.path}: {conflict.reason}"), file=sys.stderr)
        return REFUSED
    print(printable(outcome.message))
    if outcome.files is not None:
        for warning in outcome.files.warnings:
            print(printable(f"warning: {warning}"))
    session = outcome.session_text  # the app says the same
    if not outcome.state_where:  # no sandbox runs here: say where the session gets its state
        session += " The session starts from there when the conversation continues (`codeact-tui run --continue`, or the app's resume)."
    print(printable(session))
    print(f"Undo the file changes with `codeact-tui undo`; continue with `codeact-tui run --continue ...`; the old conversation: `--resume {outcome.from_id}`.")
    return OK
