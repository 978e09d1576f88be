"""A plain description of the command line, read from argparse: commands, options, arguments.

The generators work on this, not on argparse's private attributes, so only this module knows
how argparse stores things.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ValueKind = Literal["none", "choice", "dir", "file", "text"]
"""What an option's value or an argument is, for completion: nothing, one of `choices`, a
folder, a file, or free text."""


@dataclass(frozen=True)
class Option:
    """One option of a command, e.g. `-n/--last N`."""

    flags: tuple[str, ...]
    help: str
    kind: ValueKind
    metavar: str = ""
    choices: tuple[str, ...] = ()
    repeatable: bool = False
    value_optional: bool = False
    """`--resume [ID]`: the value may be left out (completion does not expect one)."""

    @property
    def takes_value(self) -> bool:
        """Whether a value follows the option (required or optional)."""
        return self.kind != "none"


@dataclass(frozen=True)
class Argument:
    """One positional argument."""

    name: str
    help: str
    kind: ValueKind
    optional: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command (the program itself has the empty path)."""

    path: tuple[str, ...]
    summary: str
    description: str
    usage: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...]
    subcommands: tuple[Command, ...]

    @property
    def name(self) -> str:
        """`bench m3tooleval`; empty for the program."""
        return " ".join(self.path)

    def walk(self) -> list[Command]:
        """This command and all below it, depth first."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found

    def find(self, *path: str) -> Command:
        """The command at `path` below this one (KeyError if there is none)."""
        command = self
        for part in path:
            command = next((c for c in command.subcommands if c.path[-1] == part), None)  # type: ignore[assignment]
            if command is None:
                raise KeyError(" ".join(path))
        return command


_DIR_NAMES = frozenset({"path", "source", "dir", "folder"})


def _kind(action: argparse.Action) -> ValueKind:
    if action.nargs == 0:
        return "none"
    if action.choices:
        return "choice"
    metavar = str(action.metavar or "").upper()
    if metavar in {"DIR", "FOLDER"} or (action.type is Path and action.dest in _DIR_NAMES):
        return "dir"
    if metavar == "FILE" or action.type is Path:
        return "file"
    return "text"


def _help(action: argparse.Action) -> str:
    text = action.help if action.help and action.help != argparse.SUPPRESS else ""
    return " ".join(text.split())


def _usage(parser: argparse.ArgumentParser) -> str:
    return " ".join(parser.format_usage().removeprefix("usage:").split())


def describe(parser: argparse.ArgumentParser, *, path: tuple[str, ...] = (), summary: str = "") -> Command:
    """The command that `parser` parses, with everything below it."""
    options: list[Option] = []
    arguments: list[Argument] = []
    subcommands: list[Command] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: _help(choice) for choice in action._choices_actions}
            for name, sub in action.choices.items():
                subcommands.append(describe(sub, path=(*path, name), summary=summaries.get(name, "")))
        elif action.option_strings:
            options.append(
                Option(
                    flags=tuple(action.option_strings),
                    help=_help(action),
                    kind=_kind(action),
                    metavar=str(action.metavar or action.dest.upper()) if action.nargs != 0 else "",
                    choices=tuple(str(c) for c in action.choices or ()),
                    repeatable=isinstance(action, argparse._AppendAction),
                    value_optional=action.nargs == "?",
                )
            )
        else:
            arguments.append(
                Argument(
                    name=str(action.metavar or action.dest),
                    help=_help(action),
                    kind=_kind(action),
                    optional=action.nargs in ("?", "*"),
                    choices=tuple(str(c) for c in action.choices or ()),
                )
            )
    description = " ".join((parser.description or "").split())
    return Command(
        path=path,
        summary=summary or description,
        description=description or summary,
        usage=_usage(parser),
        options=tuple(options),
        arguments=tuple(arguments),
        subcommands=tuple(subcommands),
    )


def program() -> Command:
    """The whole command line of codeact-tui."""
    from ..cli import build_parser

    return describe(build_parser())


DEFAULT_COMMAND = "app"
"""`codeact-tui [PATH] [options]` means `codeact-tui app [PATH] [options]` (see `cli`)."""
