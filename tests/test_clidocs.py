"""Shell completions and the man page are generated from the CLI and work in the real shells."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from codeact_tui import cli
from codeact_tui.clidocs.completion import SHELLS
from codeact_tui.clidocs.manpage import manpage
from codeact_tui.clidocs.spec import program

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
needs_packaging = pytest.mark.skipif(not (PACKAGING / "generate.py").is_file(), reason="packaging/ is not part of this installation")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("packaging_generate", PACKAGING / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_packaging
def test_the_shipped_files_are_what_the_cli_generates() -> None:
    stale = [str(p.relative_to(REPO)) for p, text in _generator().generated().items() if not p.is_file() or p.read_text() != text]
    assert not stale, f"out of date with the CLI: {stale}; run `python packaging/generate.py`"


def test_every_command_and_option_is_covered() -> None:
    spec = program()
    assert {c.path[0] for c in spec.subcommands} == cli._subcommand_names(cli.build_parser())
    outputs = {name: make(spec) for name, make in SHELLS.items()} | {"man": manpage(spec)}
    for command in spec.walk():
        for option in command.options:
            long_flag = next((f for f in option.flags if f.startswith("--")), option.flags[0])
            for name, text in outputs.items():
                shown = long_flag.replace("-", "\\-") if name == "man" else long_flag
                if name == "fish":
                    shown = f"-l {long_flag[2:]}"
                assert shown in text, f"{name} lacks {command.name or 'codeact-tui'} {long_flag}"
        if command.path:
            for name, text in outputs.items():
                assert command.path[-1] in text, f"{name} lacks the command {command.name}"


def test_the_completions_command_prints_the_same_script(capsys: pytest.CaptureFixture[str]) -> None:
    for shell, make in SHELLS.items():
        assert cli.main(["completions", shell]) == 0
        assert capsys.readouterr().out == make(program())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    return tmp_path


BASH_CASES = [
    (["codeact-tui", "do"], ["doctor"]),
    (["codeact-tui", "doctor", "--"], ["--help", "--warm", "--backend", "--host", "--model", "--json"]),
    (["codeact-tui", "doctor", "--backend", ""], ["ollama", "openai", "embedded"]),
    (["codeact-tui", "bench", ""], ["exercism", "m3tooleval"]),
    (["codeact-tui", "bench", "m3tooleval", "--so"], ["--source"]),
    (["codeact-tui", "bench", "m3tooleval", "--source", ""], ["src"]),
    (["codeact-tui", "--th"], ["--theme"]),
    (["codeact-tui", "--theme", ""], ["codeact-dark", "codeact-light"]),
    (["codeact-tui", "--model", "x", ""], ["src"]),  # the app's PATH after an option's value
    (["codeact-tui", "s"], ["src"]),
    (["codeact-tui", "history", "-n", "3", "--p"], ["--path", "--prune"]),
    (["codeact-tui", "run", "--approve", ""], ["auto", "ask", "plan", "preview"]),
    (["codeact-tui", "undo", "--path", ""], ["src"]),
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(("words", "expected"), BASH_CASES, ids=[" ".join(w) for w, _ in BASH_CASES])
def test_bash_completes(words: list[str], expected: list[str], project: Path) -> None:
    script = SHELLS["bash"](program())
    driver = 'source /dev/stdin; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _codeact_tui; printf "%s\\n" "${COMPREPLY[@]}"'
    out = subprocess.run(["bash", "-c", driver, "bash", *words], input=script, capture_output=True, text=True, cwd=project, check=True)
    assert sorted(set(out.stdout.split())) == sorted(expected), out.stderr


FISH_CASES = [
    ("codeact-tui doctor --b", ["--backend"]),
    ("codeact-tui doctor --backend ", ["embedded", "ollama", "openai"]),
    ("codeact-tui bench ", ["exercism", "m3tooleval"]),
    ("codeact-tui history -", ["--files", "--help", "--json", "--last", "--path", "--prune", "-h", "-n"]),
    ("codeact-tui --the", ["--theme"]),
]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
@pytest.mark.parametrize(("line", "expected"), FISH_CASES)
def test_fish_completes(line: str, expected: list[str], tmp_path: Path) -> None:
    script = tmp_path / "codeact-tui.fish"
    script.write_text(SHELLS["fish"](program()))
    out = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"], capture_output=True, text=True, check=True)
    assert sorted(row.split("\t")[0] for row in out.stdout.splitlines()) == expected, out.stderr


ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='%% '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w -n z "codeact-tui $2"$'\t'
out=""
for i in {1..100}; do
    sleep 0.1
    while zpty -r -t z chunk; do out+=$chunk; done
    [[ $out == *"$3"* ]] && break
done
zpty -d z
print -r -- "$out"
"""

ZSH_CASES = [("doctor --b", "doctor --backend "), ("bench m", "bench m3tooleval "), ("bench m3tooleval --so", "--source "), ("--the", "--theme ")]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
@pytest.mark.parametrize(("typed", "completed"), ZSH_CASES)
def test_zsh_completes(typed: str, completed: str, tmp_path: Path) -> None:
    (tmp_path / "_codeact-tui").write_text(SHELLS["zsh"](program()))
    done = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER, "zsh", str(tmp_path), typed, completed.strip()], capture_output=True, text=True, timeout=60)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout).replace("\b", "")
    line = screen.rsplit("% ", 1)[-1]  # the last prompt's line: what completion made of the input
    assert f"codeact-tui {typed.rsplit(' ', 1)[0]}" in line and f"{completed.strip()} " in line, screen[-500:]
    assert "bad substitution" not in screen and "parse error" not in screen


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses(tmp_path: Path) -> None:
    script = tmp_path / "_codeact-tui"
    script.write_text(SHELLS["zsh"](program()))
    subprocess.run(["zsh", "-n", str(script)], check=True)


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_the_man_page_renders_without_warnings(tmp_path: Path) -> None:
    page = tmp_path / "codeact-tui.1"
    page.write_text(manpage(program()))
    done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-P-cbou", str(page)], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0 and not done.stderr, done.stderr
    text = done.stdout.replace("\u2010", "-").replace("\u2212", "-")
    for command in program().walk():
        if command.path:
            assert f"codeact-tui {command.name}" in " ".join(text.split()), command.name


def test_the_generator_runs_with_this_python() -> None:
    if not (PACKAGING / "generate.py").is_file():
        pytest.skip("packaging/ is not part of this installation")
    done = subprocess.run([sys.executable, str(PACKAGING / "generate.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_packaging
def test_the_desktop_entry_starts_the_installed_command_in_a_terminal() -> None:
    import configparser
    import tomllib

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "codeact-tui.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert desktop["Type"] == "Application" and desktop["Terminal"] == "true"
    assert desktop["Exec"].split()[0] in scripts and desktop["Exec"].split()[1] in ("%f", "%F")
    assert "inode/directory;" in desktop["MimeType"]
