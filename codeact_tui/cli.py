"""Composition root: parse arguments, load settings, dispatch to a subcommand."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands
from .config import ConfigError, Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand module in `codeact_tui.commands` registered."""
    parser = argparse.ArgumentParser(
        prog="codeact-tui",
        description="A terminal pair-programmer: a local model acts by writing Python that runs "
        "in a WebAssembly sandbox inside your project; every action can be diffed and undone.",
    )
    parser.add_argument("--version", action="version", version=f"codeact-tui {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status (0 ok, 2 usage or setup error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        settings: Settings = load_settings()
    except ConfigError as exc:
        print(f"codeact-tui: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(handler(args, settings))
    except KeyboardInterrupt:
        print("codeact-tui: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
