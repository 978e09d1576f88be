"""Shell completion scripts for bash, zsh and fish, generated from the command line's spec.

Each script completes the commands (also nested ones: `bench m3tooleval`), each command's own
options, the values of options with choices, folders for `--path`-like options and the app's
PATH, and files for file options. `codeact-tui [PATH] [options]` is the `app` command.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable

from ..resources import ResourceMissing, resource_dir
from .spec import DEFAULT_COMMAND, Argument, Command, Option

PROG = "codeact-tui"


def shipped_themes() -> tuple[str, ...]:
    """The names of the themes in the shipped `themes/` folder (offered for `--theme`)."""
    try:
        folder = resource_dir("themes")
    except ResourceMissing:
        return ()
    names = []
    for path in sorted(folder.glob("*.toml")):
        try:
            names.append(str(tomllib.loads(path.read_text(encoding="utf-8")).get("name") or path.stem))
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return tuple(names)


def value_words(option: Option) -> tuple[str, ...]:
    """Words offered for an option's value: its choices, or known names (themes)."""
    if option.choices:
        return option.choices
    if "--theme" in option.flags:
        return shipped_themes()
    return ()


def _top_options(program: Command) -> tuple[Option, ...]:
    """At the top level: the program's own options and those of the default command."""
    default = program.find(DEFAULT_COMMAND)
    own = {flag for option in program.options for flag in option.flags}
    return program.options + tuple(o for o in default.options if not set(o.flags) & own)


# --- bash ---------------------------------------------------------------------------------------


def _bash_words(words: tuple[str, ...]) -> str:
    return " ".join(words)


def bash(program: Command) -> str:
    """A bash completion script (`complete -F _codeact_tui codeact-tui`)."""
    commands = [c for c in program.walk() if c.path]

    def case_arms(render: Callable[[Command], str | None], top: str | None) -> str:
        arms = [f'        "") {top} ;;'] if top is not None else []
        for command in commands:
            body = render(command)
            if body is not None:
                arms.append(f'        "{command.name}") {body} ;;')
        return "\n".join(arms)

    def subcommands(command: Command) -> str | None:
        return f'echo "{_bash_words(tuple(c.path[-1] for c in command.subcommands))}"' if command.subcommands else None

    def options(command: Command) -> str:
        return f'echo "{_bash_words(tuple(f for o in command.options for f in o.flags))}"'

    def valued(command: Command) -> str | None:
        flags = tuple(f for o in command.options if o.takes_value and not o.value_optional for f in o.flags)
        return f'echo "{_bash_words(flags)}"' if flags else None

    value_arms = []
    for command in [program, *commands]:
        chosen = _top_options(program) if not command.path else command.options
        for option in chosen:
            if not option.takes_value:
                continue
            pattern = "|".join(f'"{command.name}|{flag}"' for flag in option.flags)
            if not command.path:  # the top level is the default command
                pattern += "|" + "|".join(f'"{DEFAULT_COMMAND}|{flag}"' for flag in option.flags)
            value_arms.append(f"        {pattern}) {_bash_value(option)} ;;")

    positional_arms = []
    for command in [program, *commands]:
        arguments = program.find(DEFAULT_COMMAND).arguments if not command.path else command.arguments
        body = _bash_argument(arguments[0]) if arguments and not command.subcommands else None
        if body:
            positional_arms.append(f'        "{command.name}") {body} ;;')

    top_options = f'echo "{_bash_words(tuple(f for o in _top_options(program) for f in o.flags))}"'
    top_valued = _bash_words(tuple(f for o in _top_options(program) if o.takes_value and not o.value_optional for f in o.flags))
    top_subcommands = f'echo "{_bash_words(tuple(c.path[-1] for c in program.subcommands))}"'
    return f"""# bash completion for {PROG} (generated from its argparse definitions by packaging/generate.py;
# do not edit). Install: `{PROG} completions bash > ~/.local/share/bash-completion/completions/{PROG}`,
# or source it from ~/.bashrc.

_codeact_tui_subcommands() {{
    case "$1" in
{case_arms(subcommands, top_subcommands)}
    esac
}}

_codeact_tui_options() {{
    case "$1" in
{case_arms(options, top_options)}
    esac
}}

_codeact_tui_valued() {{
    case "$1" in
        "") echo "{top_valued}" ;;
{case_arms(valued, None)}
    esac
}}

_codeact_tui_value() {{
    local cur="$3"
    case "$1|$2" in
{chr(10).join(value_arms)}
        *) COMPREPLY=() ;;
    esac
}}

_codeact_tui_positional() {{
    local cur="$2"
    case "$1" in
{chr(10).join(positional_arms)}
        *) COMPREPLY=() ;;
    esac
}}

_codeact_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmd="" word i skip=0 subs
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if ((skip)); then skip=0; continue; fi
        subs=" $(_codeact_tui_subcommands "$cmd") "
        if [[ "$word" != -* && "$subs" == *" $word "* ]]; then
            cmd="${{cmd:+$cmd }}$word"
            continue
        fi
        [[ -z "$cmd" ]] && cmd="{DEFAULT_COMMAND}"  # `{PROG} [PATH] [options]` is the app
        if [[ " $(_codeact_tui_valued "$cmd") " == *" $word "* ]]; then skip=1; fi
    done
    if [[ "$cur" != -* && " $(_codeact_tui_valued "$cmd") " == *" $prev "* ]]; then
        _codeact_tui_value "$cmd" "$prev" "$cur"
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_codeact_tui_options "$cmd")" -- "$cur"))
        return 0
    fi
    subs="$(_codeact_tui_subcommands "$cmd")"
    if [[ -n "$subs" ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        [[ -z "$cmd" ]] && _codeact_tui_dirs "$cur"
        return 0
    fi
    _codeact_tui_positional "$cmd" "$cur"
}}

_codeact_tui_dirs() {{
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -d -- "$1"))
}}

_codeact_tui_files() {{
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -f -- "$1"))
}}

complete -F _codeact_tui {PROG}
"""


def _bash_value(option: Option) -> str:
    words = value_words(option)
    if words:
        return f'COMPREPLY=($(compgen -W "{_bash_words(words)}" -- "$cur"))'
    if option.kind == "dir":
        return '_codeact_tui_dirs "$cur"'
    if option.kind == "file":
        return '_codeact_tui_files "$cur"'
    return "COMPREPLY=()"


def _bash_argument(argument: Argument) -> str | None:
    if argument.choices:
        return f'COMPREPLY=($(compgen -W "{_bash_words(argument.choices)}" -- "$cur"))'
    if argument.kind == "dir":
        return '_codeact_tui_dirs "$cur"'
    if argument.kind == "file":
        return '_codeact_tui_files "$cur"'
    return None


# --- zsh ----------------------------------------------------------------------------------------


def _zsh_text(text: str) -> str:
    """Help text safe inside a single-quoted `_arguments` spec's [...] and _describe entries."""
    text = re.sub(r"[\[\]]", "", text).replace("'", "’").replace(":", "\\:")
    return text[:120]


def _zsh_action(kind: str, words: tuple[str, ...], metavar: str) -> str:
    label = metavar.lower() or "value"
    if words:
        return f"{label}:({' '.join(words)})"
    if kind == "dir":
        return f"{label}:_files -/"
    if kind == "file":
        return f"{label}:_files"
    return f"{label}: "


def _zsh_option(option: Option) -> str:
    help_text = _zsh_text(option.help)
    flags = option.flags
    exclusive = "" if option.repeatable else "(" + " ".join(flags) + ")"
    prefix = "*" if option.repeatable else ""
    if not option.takes_value:
        value = ""
    else:
        action = _zsh_action(option.kind, value_words(option), option.metavar)
        value = ":" + (":" + action if option.value_optional else action)
    if len(flags) == 1:
        return f"'{exclusive}{prefix}{flags[0]}[{help_text}]{value}'"
    return f"'{exclusive}'{prefix}{{{','.join(flags)}}}'[{help_text}]{value}'"


def _zsh_argument(position: int, argument: Argument) -> str:
    colon = "::" if argument.optional else ":"
    return f"'{position}{colon}{_zsh_action(argument.kind, argument.choices, argument.name)}'"


def _zsh_function(command: Command) -> str:
    name = "_codeact_tui_" + "_".join(command.path)
    specs = [_zsh_option(o) for o in command.options]
    joiner = " \\\n        "
    if command.subcommands:
        entries = " ".join(f"'{c.path[-1]}:{_zsh_text(c.summary)}'" for c in command.subcommands)
        cases = "\n".join(f"                {c.path[-1]}) _codeact_tui_{'_'.join(c.path)} ;;" for c in command.subcommands)
        body = f"""    local curcontext="$curcontext" state line
    typeset -A opt_args
    _arguments -C \\
        {joiner.join(specs)} \\
        '1: :->command' \\
        '*:: :->args' && return
    case $state in
        command)
            local -a commands=({entries})
            _describe -t commands '{command.name} command' commands ;;
        args)
            case $line[1] in
{cases}
            esac ;;
    esac"""
    else:
        specs += [_zsh_argument(i, a) for i, a in enumerate(command.arguments, 1)]
        body = "    _arguments -s" + joiner + joiner.join(specs)
    return f"{name}() {{\n{body}\n}}"


def zsh(program: Command) -> str:
    """A zsh completion function (`#compdef codeact-tui`; put it on $fpath as `_codeact-tui`)."""
    functions = [_zsh_function(c) for c in program.walk() if c.path]
    default = program.find(DEFAULT_COMMAND)
    entries = " ".join(f"'{c.path[-1]}:{_zsh_text(c.summary)}'" for c in program.subcommands)
    joiner = " \\\n        "
    top_specs = joiner.join([*(_zsh_option(o) for o in _top_options(program)), *(_zsh_argument(i, a) for i, a in enumerate(default.arguments, 1))])
    commands = " ".join(c.path[-1] for c in program.subcommands)
    dispatch = "\n".join(f'            {c.path[-1]}) {"_codeact_tui_" + c.path[-1]} ;;' for c in program.subcommands)
    return f"""#compdef {PROG}
# zsh completion for {PROG} (generated from its argparse definitions by packaging/generate.py;
# do not edit). Install: `{PROG} completions zsh > ~/.zfunc/_{PROG}` with ~/.zfunc on $fpath
# before `compinit`.

{chr(10).join(functions)}

_codeact_tui() {{
    local -a commands=({entries})
    if (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then
        _describe -t commands '{PROG} command' commands
        _files -/
        return
    fi
    local -a names=({commands})
    if (( ${{names[(Ie)$words[2]]}} )); then
        shift words
        (( CURRENT-- ))
        case $words[1] in
{dispatch}
        esac
        return
    fi
    # `{PROG} [PATH] [options]` is the {DEFAULT_COMMAND} command
    _arguments -s \\
        {top_specs}
}}

_codeact_tui "$@"
"""


# --- fish ---------------------------------------------------------------------------------------


def _fish_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")[:120]


def _fish_option(condition: str, option: Option) -> str:
    parts = [f"complete -c {PROG} -n '{condition}'"]
    for flag in option.flags:
        parts.append(f"-s {flag[1:]}" if not flag.startswith("--") else f"-l {flag[2:]}")
    words = value_words(option)
    if option.takes_value and not option.value_optional:
        if words:
            parts.append(f"-x -a '{' '.join(words)}'")
        elif option.kind == "dir":
            parts.append("-x -a '(__fish_complete_directories)'")
        elif option.kind == "file":
            parts.append("-r -F")
        else:
            parts.append("-x")
    parts.append(f"-d '{_fish_text(option.help)}'")
    return " ".join(parts)


def fish(program: Command) -> str:
    """A fish completion script (put it in ~/.config/fish/completions/codeact-tui.fish)."""
    top_names = " ".join(c.path[-1] for c in program.subcommands)
    lines = [
        f"# fish completion for {PROG} (generated from its argparse definitions by packaging/generate.py;",
        f"# do not edit). Install: `{PROG} completions fish > ~/.config/fish/completions/{PROG}.fish`.",
        "",
        f"complete -c {PROG} -f",
        "",
        f"# {PROG} [PATH] [options]: the {DEFAULT_COMMAND} command",
        f"complete -c {PROG} -n '__fish_use_subcommand' -a '(__fish_complete_directories)'",
    ]
    top_condition = f"not __fish_seen_subcommand_from {top_names}"
    lines += [_fish_option(top_condition, o) for o in _top_options(program)]
    for command in program.walk():
        if not command.subcommands:
            continue
        names = " ".join(c.path[-1] for c in command.subcommands)
        if command.path:
            condition = f"__fish_seen_subcommand_from {command.path[-1]}; and not __fish_seen_subcommand_from {names}"
        else:
            condition = "__fish_use_subcommand"
        lines.append("")
        for sub in command.subcommands:
            lines.append(f"complete -c {PROG} -n '{condition}' -a {sub.path[-1]} -d '{_fish_text(sub.summary)}'")
    for command in program.walk():
        if not command.path:
            continue
        lines.append("")
        lines.append(f"# {PROG} {command.name}")
        inner = " ".join(c.path[-1] for c in command.subcommands)
        condition = f"__fish_seen_subcommand_from {command.path[-1]}"
        if inner:
            condition += f"; and not __fish_seen_subcommand_from {inner}"
        lines += [_fish_option(condition, o) for o in command.options]
        if command.arguments and not command.subcommands:
            first = command.arguments[0]
            if first.choices:
                lines.append(f"complete -c {PROG} -n '{condition}' -a '{' '.join(first.choices)}'")
            elif first.kind == "dir":
                lines.append(f"complete -c {PROG} -n '{condition}' -a '(__fish_complete_directories)'")
            elif first.kind == "file":
                lines.append(f"complete -c {PROG} -n '{condition}' -F")
    return "\n".join(lines) + "\n"


SHELLS: dict[str, Callable[[Command], str]] = {"bash": bash, "zsh": zsh, "fish": fish}
"""Generators by shell name."""
