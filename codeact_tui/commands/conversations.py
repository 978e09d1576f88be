"""`conversations`: a project's stored conversations, the most recently active first, with the
ids that `run --resume ID`, `rewind --conversation ID` and the app's `--resume ID` take.

Each is titled as in the app's resume picker: the user's first request, else the first line of
their own code ("manual: …"); a rewound branch says where it was rewound to. Conversations in
which nothing happened (the app opened and closed) are left out, as they are for `--continue`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..config import Settings
from ..conversation import conversations_dir
from ..core.transcript import list_transcripts
from .terminal_text import printable


def register(subparsers: Any) -> None:
    """Add `conversations` to the CLI."""
    p = subparsers.add_parser(
        "conversations",
        help="list the project's stored conversations (the ids --resume takes), latest first",
        description="List the stored conversations of a project, the most recently active first: "
        "id, start time and title (the first request). `run --resume ID`, `rewind --conversation ID` "
        "and the app's `--resume ID` take the id or a unique prefix of it.",
    )
    p.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: the current one)")
    p.set_defaults(handler=cmd_conversations)


def cmd_conversations(args: argparse.Namespace, settings: Settings) -> int:
    """Print one line per conversation; 2 when the folder is not one."""
    project = args.path.resolve()
    if not project.is_dir():
        print(f"codeact-tui: {printable(str(args.path))} is not a folder", file=sys.stderr)
        return 2
    infos = list_transcripts(conversations_dir(project))
    if not infos:
        print(f"no stored conversations in {printable(str(project))}")
        return 0
    for info in infos:
        print(printable(f"{info.id}  {info.created.replace('T', ' ')[:16]}  {info.title or '(no request)'}"))
    return 0
