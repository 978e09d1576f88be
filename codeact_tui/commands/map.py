"""`codeact-tui map`: print the repo map the model would see (for users and prompt debugging)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Settings


def register(subparsers: Any) -> None:
    """Add the `map` subcommand."""
    parser = subparsers.add_parser(
        "map",
        help="print the repo map of a project",
        description="Print the ranked map of a project's files and definitions, cut to a token "
        "budget, as it fills the system prompt.",
    )
    parser.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: .)")
    parser.add_argument(
        "--tokens", type=int, default=None, help="the token budget (default: codeintel.map_tokens)"
    )
    parser.add_argument(
        "--mention",
        action="append",
        default=[],
        metavar="TEXT",
        help="a file, symbol or sentence to rank up, as if the conversation mentioned it (repeatable)",
    )
    parser.add_argument("--stats", action="store_true", help="also print size and timing to stderr")
    parser.set_defaults(handler=run_map)


def run_map(args: argparse.Namespace, settings: Settings) -> int:
    """Print the map; 2 when the folder or the budget is invalid."""
    # Imported here: tree-sitter and the grammars load only for this command.
    from ..codeintel.repomap import repo_map_from_settings

    project: Path = args.path
    if not project.is_dir():
        print(f"codeact-tui map: {project} is not a folder", file=sys.stderr)
        return 2
    budget = settings.codeintel.map_tokens if args.tokens is None else args.tokens
    if budget < 1:
        print("codeact-tui map: --tokens must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    repo_map = repo_map_from_settings(
        project, settings.codeintel, mentioned=args.mention, token_budget=budget
    )
    elapsed = time.perf_counter() - started
    sys.stdout.write(repo_map.text)
    if repo_map.files_pending:
        print(
            f"codeact-tui map: {repo_map.files_pending} files are not parsed yet "
            "(codeintel.map_parse_budget_s); run again for a fuller map",
            file=sys.stderr,
        )
    if not repo_map.text:
        print("codeact-tui map: no files to map (or the budget is too small)", file=sys.stderr)
    if args.stats:
        print(
            f"{repo_map.tokens} tokens, {repo_map.files_shown}/{repo_map.files_total} files, "
            f"{repo_map.definitions_shown} definitions, {elapsed:.3f} s",
            file=sys.stderr,
        )
    return 0
