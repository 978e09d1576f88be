"""Composition root: parse arguments, load settings, dispatch to a subcommand."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands
from .config import ConfigError, Settings, load_settings


COMMAND_MODULES: dict[str, str] = {
    "app": "codeact_tui.ui.launch",
    "bench": "codeact_tui.commands.bench",
    "completions": "codeact_tui.clidocs.command",
    "conversations": "codeact_tui.commands.conversations",
    "diff": "codeact_tui.commands.history_cmds",
    "doctor": "codeact_tui.commands.doctor",
    "exec": "codeact_tui.commands.exec_code",
    "history": "codeact_tui.commands.history_cmds",
    "map": "codeact_tui.commands.map",
    "models": "codeact_tui.commands.models",
    "pull": "codeact_tui.commands.models",
    "redo": "codeact_tui.commands.history_cmds",
    "restore": "codeact_tui.commands.history_cmds",
    "rewind": "codeact_tui.commands.rewind",
    "run": "codeact_tui.commands.run",
    "undo": "codeact_tui.commands.history_cmds",
}
"""Which module registers each subcommand, so a run of one command imports only its module
(importing all of them took a third of a second of every start). `tests/test_cli_lazy.py`
checks it against the full registration."""


def _command_modules() -> list[str]:
    """Every module that registers subcommands, in registration order (the app's last)."""
    found = [
        f"{commands.__name__}.{info.name}" for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)
    ]
    return [*found, "codeact_tui.clidocs.command", "codeact_tui.ui.launch"]  # textual is imported only on launch


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand module in `codeact_tui.commands` registered.

    `only`, a subcommand name, registers just the module that defines it: the same parser for
    that command, without importing the others (the help and the docs use the full one).
    """
    parser = argparse.ArgumentParser(
        prog="codeact-tui",
        usage="codeact-tui [PATH] [--model M] [--backend B] [--host URL] [--continue | --resume [ID]]\n"
        "       codeact-tui COMMAND ...",
        description="A terminal pair-programmer: a local model acts by writing Python that runs "
        "in a WebAssembly sandbox inside your project; every action can be diffed and undone. "
        "Without a command it opens the terminal app in PATH (default: the current folder); "
        "`codeact-tui app --help` lists the app's options.",
    )
    parser.add_argument("--version", action="version", version=f"codeact-tui {__version__}")
    # `prog` keeps the main usage text out of each command's usage and error lines.
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", prog=parser.prog)
    names = [COMMAND_MODULES[only]] if only in COMMAND_MODULES else _command_modules()
    for name in names:
        register = getattr(importlib.import_module(name), "register", None)
        if register is not None:
            register(subparsers)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name (none when it has no subcommands)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _subcommand_names(parser: argparse.ArgumentParser) -> set[str]:
    return set(_subcommands(parser))


def _chosen_parser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The innermost (sub)command parser that `argv` selects, e.g. the one of `bench m3tooleval`."""
    for index, token in enumerate(argv):
        sub = _subcommands(parser).get(token)
        if sub is not None:
            return _chosen_parser(sub, argv[index + 1 :])
    return parser


def _with_app_default(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`codeact-tui [PATH] [options]` means `codeact-tui app [PATH] [options]`."""
    if argv and (argv[0] in ("-h", "--help", "--version") or argv[0] in _subcommand_names(parser)):
        return argv
    return ["app", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status (0 ok, 2 usage or setup error)."""
    given = list(sys.argv[1:] if argv is None else argv)
    first = given[0] if given else "app"
    if first in ("-h", "--help", "--version"):
        parser = build_parser()
    else:  # a command, or the app's PATH and options
        parser = build_parser(only=first if first in COMMAND_MODULES else "app")
    arguments = _with_app_default(parser, given)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:  # said by the command they were given to, with its usage (exits with status 2)
        _chosen_parser(parser, arguments).error(f"unrecognized arguments: {' '.join(unknown)}")
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
