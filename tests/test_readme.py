"""The README stays true to the code: every command line it shows parses, every default it
names is the setting's default, and every key of its key table is bound where it says."""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

import pytest

from codeact_tui import cli
from codeact_tui.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
needs_readme = pytest.mark.skipif(not README.is_file(), reason="README.md is not part of this installation")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def _command_lines(text: str) -> list[str]:
    """Each `codeact-tui ...` command of the README's shell blocks, continuations joined (a
    backslash at the end, or a synopsis line that goes on indented), with the trailing comment, any pipe
    and any redirection cut off."""
    found = []
    for block in _shell_blocks(text):
        for line in re.sub(r"\\\n|\n\s+(?=\[)", " ", block).splitlines():
            line = re.split(r" \| (?!-)| > ", re.sub(r"\s#\s.*$", "", line))[0].strip()
            if line.startswith("codeact-tui"):
                found.append(line)
    return found


@needs_readme
def test_every_command_line_in_the_readme_parses() -> None:
    parser = cli.build_parser()
    lines = _command_lines(_text())
    assert len(lines) > 30, lines  # the scan found the examples
    for line in lines:
        argv = shlex.split(line)[1:]
        if any(arg.startswith("[") for arg in argv):  # a synopsis: its options are checked below
            continue
        try:
            parser.parse_args(cli._with_app_default(parser, argv))
        except SystemExit as exc:
            pytest.fail(f"the README's `{line}` does not parse (exit {exc.code})")


@needs_readme
def test_a_synopsis_in_the_readme_names_exactly_the_commands_options() -> None:
    parser = cli.build_parser()
    synopses = [line for line in _command_lines(_text()) if "[" in line]
    assert len(synopses) >= 2, synopses
    for line in synopses:
        words = line.split()
        command = words[1] if words[1] in cli._subcommand_names(parser) else "app"
        sub = cli._subcommands(parser)[command]
        known = {option for action in sub._actions for option in action.option_strings}
        named = set(re.findall(r"\[(--[\w-]+)", line) + re.findall(r"\|\s*(--[\w-]+)", line))
        assert named <= known, f"the README's `{line}` names {named - known}, which `{command}` does not have"
        missing = {option for option in known - named if option.startswith("--")} - {"--help"}
        assert not missing, f"the README's synopsis of `{command}` leaves out {missing}"


DEFAULT = re.compile(r"`(?:\[(\w+)\]\s+)?(\w+)`,?\s+\(?(\d[\d,]*(?:\.\d+)?)\b")
"""A setting named with its default: "`deadline_s` (300)", "`[agent] stuck_after`, 3"."""


@needs_readme
def test_every_default_the_readme_names_is_the_settings_default() -> None:
    settings = Settings()
    fields: dict[str, list[tuple[str, object]]] = {}
    for section in dataclasses.fields(settings):
        for field in dataclasses.fields(getattr(settings, section.name)):
            fields.setdefault(field.name, []).append((section.name, getattr(getattr(settings, section.name), field.name)))
    checked = []
    for match in DEFAULT.finditer(" ".join(_text().split())):
        section, name, value = match.groups()
        candidates = [(s, v) for s, v in fields.get(name, []) if section in (None, s)]
        if not candidates:
            continue
        assert len(candidates) == 1, f"`{name}` is in several sections; name one in the README"
        (where, default), number = candidates[0], float(value.replace(",", ""))
        assert default == number, f"the README says [{where}] {name} defaults to {value}; config.py says {default}"
        checked.append(name)
    assert {"deadline_s", "memory_mib", "map_tokens", "max_ctx", "stuck_after", "lock_timeout_s"} <= set(checked), checked


KEY_NAMES = {
    "esc": "escape", "enter": "enter", "tab": "tab", "[": "left_square_bracket", "]": "right_square_bracket",
    "↑": "up", "↓": "down",
}
"""The README's spelling of a key → Textual's name for it (Ctrl+X and F1 are lower-cased)."""

NOT_BINDINGS = {("prompt", "enter")}
"""Keys the widget handles in its own key handler rather than through a binding (Enter sends)."""


def _table_keys(cell: str) -> list[str]:
    keys = []
    for word in re.split(r"[,/]\s*|\s+", cell.replace("`", " ").replace("↑↓", "↑ ↓")):
        if not word or word.startswith("!"):
            continue
        keys.append(KEY_NAMES.get(word.lower(), word.lower()))
    return keys


def _bound_keys(*classes: type) -> set[str]:
    bound = set()
    for cls in classes:
        for klass in cls.__mro__:
            for binding in vars(klass).get("BINDINGS", []):
                keys = binding.key if hasattr(binding, "key") else binding[0]
                bound.update(key.strip() for key in keys.split(","))
    return bound


@needs_readme
def test_every_key_of_the_readme_table_is_bound_where_it_says() -> None:
    pytest.importorskip("textual")
    from textual.app import App

    from codeact_tui.ui.app import CodeActApp
    from codeact_tui.ui.screens.approval import ApprovalScreen
    from codeact_tui.ui.screens.history import HistoryScreen
    from codeact_tui.ui.screens.main import MainScreen
    from codeact_tui.ui.screens.preview import PreviewScreen
    from codeact_tui.ui.widgets.action_card import ActionCard
    from codeact_tui.ui.widgets.prompt import PromptInput

    anywhere = _bound_keys(CodeActApp) | {App.COMMAND_PALETTE_BINDING}
    where = {
        "prompt": _bound_keys(PromptInput),
        "main": _bound_keys(MainScreen) | anywhere,
        "action card": _bound_keys(ActionCard),
        "history": _bound_keys(HistoryScreen),
        "approval": _bound_keys(ApprovalScreen),
        "preview": _bound_keys(PreviewScreen),
        "anywhere": anywhere,
    }
    rows = re.findall(r"^\| (.+?) \| (\w[\w ]*?) \| .+\|$", _text(), flags=re.M)
    rows = [(keys, place) for keys, place in rows if place in where]
    assert len(rows) >= 10, rows
    for keys, place in rows:
        for key in _table_keys(keys):
            if (place, key) not in NOT_BINDINGS:
                assert key in where[place], f"the README's key table says {key!r} works in {place}; it is not bound there"


@needs_readme
def test_the_help_screen_names_every_key_of_the_readme_table() -> None:
    """F1 is where a user looks first; it once left out Ctrl+C."""
    pytest.importorskip("textual")
    from codeact_tui.ui.screens.help import HELP

    cells = re.findall(r"^\| (.+?) \| \w[\w ]*? \| .+\|$", _text(), flags=re.M)
    keys = {key for cell in cells for key in re.findall(r"\b(?:Ctrl|Alt|Shift)\+\w+|\bF\d+\b", cell)}
    assert len(keys) >= 12, keys
    missing = sorted(key for key in keys if key.lower() not in HELP.lower())
    assert not missing, f"the help screen does not name {missing}"


@needs_readme
def test_every_file_the_readme_points_to_exists() -> None:
    root = README.parent
    named = set(re.findall(r"[`(]\.?/?((?:benchmarks|tests|prompts|packaging|docs|codeact_tui|themes|sandbox|\.ci)/[\w./-]*|SECURITY\.md)", _text()))
    assert len(named) > 20, named
    missing = sorted(path for path in named if not (root / path).exists())
    assert not missing, f"the README points to files that are not there: {missing}"


def test_compose_agent_is_the_one_place_an_agent_is_built() -> None:
    """The README's architecture: `compose.compose_agent` builds every `Agent`."""
    import ast

    package = Path(cli.__file__).parent
    builders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Agent":
                builders.append(path.relative_to(package).as_posix())
    assert builders == ["conversation/compose.py"], builders


@needs_readme
def test_every_screenshot_in_the_readme_is_made_by_the_screenshots_script() -> None:
    """So each can be made again from the real app when the app changes; and the script makes
    (and the checkout keeps) no picture the README does not show."""
    script = README.parent / "packaging" / "screenshots.py"
    made = set(re.findall(r'OUT / "([\w-]+\.svg)"', script.read_text(encoding="utf-8")))
    shown = set(re.findall(r"\]\(docs/screenshots/([\w-]+\.svg)\)", _text()))
    kept = {path.name for path in (README.parent / "docs" / "screenshots").glob("*.svg")}
    assert len(shown) >= 5 and shown == made == kept, (shown, made, kept)


def _constant(relative: str, name: str) -> int:
    """An integer constant of a module, read from its source (guest modules do not import on
    the host)."""
    source = (README.parent / relative).read_text(encoding="utf-8")
    match = re.search(rf"^{name}(?:: int)?\s*=\s*([\d_]+)\s*$", source, flags=re.M)
    assert match, f"{name} is gone from {relative}, or is no longer a plain number"
    return int(match.group(1))


FIGURES = [
    (r"the last ([\d,]+)\s+sent in this project", "codeact_tui/remembered.py", "PROMPT_HISTORY_LIMIT"),
    (r"the newest ([\d,]+) transcript entries", "codeact_tui/ui/widgets/transcript.py", "KEEP_ENTRIES"),
    (r"cut to\s+about ([\d,]+) characters", "sandbox/codeact_tests.py", "MAX_CHARS"),
    (r"when it is short \(([\d,]+) lines in all\)", "sandbox/codeact_tests.py", "CODE_LINES"),
    (r"the first ([\d,]+) with their traceback", "sandbox/codeact_tests.py", "FULL_FAILURES"),
    (r"bodies, at most ([\d,]+) lines", "sandbox/codeact_tests.py", "STUB_TEMPLATE_LINES"),
    (r"repeated\s+calls show their first ([\d,]+) rounds", "sandbox/codeact_trace.py", "ROUNDS"),
    (r"a run over ([\d,]+) seconds", "sandbox/codeact_tests.py", "RERUN_SECONDS"),
    (r"tracing budget \(([\d,]+) lines", "sandbox/codeact_trace.py", "TOTAL_LINE_EVENTS"),
    (r"lines, ([\d,]+) calls or", "sandbox/codeact_trace.py", "TOTAL_CALLS"),
    (r"the trace at most ([\d,]+) lines", "sandbox/codeact_trace.py", "TRACE_LINES"),
    (r"tracing stops after ([\d,]+) lines of", "sandbox/codeact_trace.py", "LINE_EVENTS"),
    (r"each file cut at ([\d,]+) lines", "codeact_tui/executor/preview.py", "DIFF_LINES_PER_FILE"),
    (r"the whole diff at ([\d,]+);", "codeact_tui/executor/preview.py", "DIFF_LINES_TOTAL"),
    (r"up to (\w+) text files inside the project", "codeact_tui/conversation/named_files.py", "MAX_FILES"),
    (r"text files inside the project, ([\d,]+) lines", "codeact_tui/conversation/named_files.py", "MAX_LINES"),
    (r"lines or ([\d,]+) characters each", "codeact_tui/conversation/named_files.py", "MAX_CHARS"),
]
"""Figures the README gives: the phrase around it, and the constant in the code that sets it."""


@needs_readme
@pytest.mark.parametrize(("phrase", "module", "name"), FIGURES, ids=[name for _, _, name in FIGURES])
def test_a_figure_in_the_readme_is_the_codes(phrase: str, module: str, name: str) -> None:
    match = re.search(phrase, " ".join(_text().split()))
    assert match, f"the README no longer says {phrase!r}; update FIGURES"
    assert int(match.group(1).replace(",", "")) == _constant(module, name), f"the README's figure for {name} is stale"


@needs_readme
def test_an_option_default_the_readme_names_is_the_parsers() -> None:
    """The README's "`--test-timeout` (60 s)": every command with that option defaults to it
    (an option without a default of its own takes the setting's, checked above)."""

    def walk(parser: object) -> list[object]:
        return [parser, *(p for sub in cli._subcommands(parser).values() for p in walk(sub))]  # type: ignore[arg-type]

    defaults: dict[str, list[object]] = {}
    for parser in walk(cli.build_parser()):
        for action in parser._actions:  # type: ignore[attr-defined]
            for option in action.option_strings:
                defaults.setdefault(option, []).append(action.default)
    named = re.findall(r"`(--[\w-]+)`[^`(]{0,20}\((\d[\d,]*)", " ".join(_text().split()))
    assert len(named) >= 2, named
    for option, value in named:
        own = [d for d in defaults.get(option, []) if d is not None]
        assert own and all(d == float(value.replace(",", "")) for d in own), f"the README says {option} defaults to {value}; the CLI: {own}"
