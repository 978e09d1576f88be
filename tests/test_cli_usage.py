"""Usage errors are said by the command they concern, with that command's usage."""

from __future__ import annotations

import pytest

from codeact_tui import cli

COMMANDS = sorted(cli._subcommand_names(cli.build_parser()))


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(argv))
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_shows_the_commands_own_usage(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, command, "--no-such-option")
    shown = "[app]" if command == "app" else command
    assert err.startswith(f"usage: codeact-tui {shown}"), err
    assert f"codeact-tui {command}: error: " in err  # the unknown option, or a missing argument first
    assert "COMMAND ..." not in err  # not the main usage


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["diff"], "codeact-tui diff: error: the following arguments are required: id"),
        (["doctor", "--backend", "nope"], "codeact-tui doctor: error: argument --backend: invalid choice: 'nope'"),
        (["bench", "m3tooleval", "--source", ".", "--bogus"], "codeact-tui bench m3tooleval: error: unrecognized arguments: --bogus"),
        (["run", "fix it", "--bogus"], "codeact-tui run: error: unrecognized arguments: --bogus"),
        (["--bogus"], "codeact-tui app: error: unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_name_the_command(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, *argv)
    assert said in err and "COMMAND ..." not in err, err
