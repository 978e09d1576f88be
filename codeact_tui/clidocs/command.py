"""`codeact-tui completions bash|zsh|fish`: print a shell completion script.

For installs without system folders (pipx, `uv tool`): the script is generated from this
installation's own command line, so it always matches it. Where to put it is in its first lines.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..config import Settings

# Registered by `cli.build_parser` itself (the composition root): this command reads the whole
# parser, so it lives beside the generators rather than among the headless commands.


def register(subparsers: Any) -> None:
    """Add `completions` to the CLI."""
    p = subparsers.add_parser(
        "completions",
        help="print the shell completion script for bash, zsh or fish",
        description="Print a completion script for your shell, generated from this installation's "
        "commands and options; its first lines say where to install it.",
    )
    p.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell")
    p.set_defaults(handler=cmd_completions)


def cmd_completions(args: argparse.Namespace, settings: Settings) -> int:
    """Print the script."""
    from ..clidocs.completion import SHELLS
    from ..clidocs.spec import program

    sys.stdout.write(SHELLS[args.shell](program()))
    return 0
