"""A run of one command builds its parser from that command's module alone, and that parser
is the full parser's for the command (so usage, errors and the generated docs agree)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from codeact_tui import cli


def _describe(parser: argparse.ArgumentParser) -> list[tuple[object, ...]]:
    """Everything argparse holds about a parser's arguments, recursively."""
    found: list[tuple[object, ...]] = [(parser.prog, parser.usage, parser.description, parser.epilog)]
    for action in parser._actions:
        found.append(
            (type(action).__name__, tuple(action.option_strings), action.dest, action.nargs, repr(action.default), action.help, action.metavar)
        )
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((name, tuple(_describe(sub))))
    return found


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    return cli._subcommands(parser)[name]


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    full = cli.build_parser()
    assert set(cli.COMMAND_MODULES) == cli._subcommand_names(full)
    for name, module in cli.COMMAND_MODULES.items():
        handler = _subparser(full, name).get_default("handler")
        assert name in cli._subcommand_names(cli.build_parser(only=name)), name
        assert handler.__module__ == module, name


@pytest.mark.parametrize("name", sorted(cli.COMMAND_MODULES))
def test_the_lazy_parser_of_a_command_is_the_full_one(name: str) -> None:
    full, lazy = cli.build_parser(), cli.build_parser(only=name)
    assert _describe(_subparser(lazy, name)) == _describe(_subparser(full, name))
    assert _subparser(lazy, name).format_help() == _subparser(full, name).format_help()


def test_exec_does_not_import_the_other_commands() -> None:
    code = (
        "import sys\n"
        "from codeact_tui import cli\n"
        "cli.build_parser(only='exec')\n"
        "print(sorted(m for m in sys.modules if m.startswith('codeact_tui.commands.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    assert "codeact_tui.commands.exec_code" in loaded
    assert "codeact_tui.commands.doctor" not in loaded and "codeact_tui.commands.bench" not in loaded
