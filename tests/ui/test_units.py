"""Fast checks of the app's pure parts: themes, setup hints, messages, the CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codeact_tui import cli
from codeact_tui.ui import messages as m
from codeact_tui.ui.themes import load_themes, theme_from_file, user_theme_dir
from codeact_tui.ui.widgets.cards import setup_fix


def test_shipped_themes_load_and_user_themes_add_or_replace(tmp_path: Path) -> None:
    themes, problems = load_themes()
    names = {t.name for t in themes}
    assert {"codeact-dark", "codeact-light"} <= names and not problems
    assert {t.name: t.dark for t in themes}["codeact-light"] is False
    folder = user_theme_dir()
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\ndark = false\n')
    (folder / "broken.toml").write_text("primary = [")
    themes, problems = load_themes()
    assert "mine" in {t.name for t in themes}
    assert len(problems) == 1 and "broken.toml" in problems[0]


def test_theme_file_needs_a_primary_colour(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('name = "x"\n')
    with pytest.raises(ValueError, match="primary"):
        theme_from_file(path)


def test_setup_fix_names_the_exact_commands() -> None:
    unreachable = setup_fix("cannot reach Ollama at http://127.0.0.1:1: is it running?", "ollama", "qwen:7b", "http://127.0.0.1:1")
    assert unreachable[0].endswith("ollama serve") and "ollama pull qwen:7b" in unreachable[1]
    missing = setup_fix("the model 'x' is not installed on the Ollama server", "ollama", "x", "")
    assert "ollama pull x" in missing[0]
    assert "Ctrl+O" in setup_fix("no model chosen: pass --model", "ollama", "", "")[0]


def test_cli_treats_a_path_or_options_as_app_launch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    parser = cli.build_parser()
    assert cli._with_app_default(parser, []) == ["app"]
    assert cli._with_app_default(parser, [str(tmp_path), "--model", "m"]) == ["app", str(tmp_path), "--model", "m"]
    assert cli._with_app_default(parser, ["--continue"]) == ["app", "--continue"]
    assert cli._with_app_default(parser, ["history"]) == ["history"]
    assert cli._with_app_default(parser, ["--help"]) == ["--help"]
    launched: dict[str, object] = {}

    def fake_launch(args: object, settings: object) -> int:
        launched.update(vars(args))
        return 0

    monkeypatch.setattr("codeact_tui.ui.launch.cmd_app", fake_launch)
    parser = cli.build_parser()
    args = parser.parse_args(cli._with_app_default(parser, [str(tmp_path), "--backend", "openai", "--resume"]))
    assert args.path == tmp_path and args.backend == "openai" and args.resume == ""


def test_cli_app_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_messages_document_every_field() -> None:
    source = Path(m.__file__).read_text()
    for name, value in vars(m).items():
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == m.__name__:
            for field in dataclasses.fields(value):
                assert f"    {field.name}:" in source
    assert source.count('"""') >= 2 * len([v for v in vars(m).values() if isinstance(v, type) and v.__module__ == m.__name__])


def test_ui_settings_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    from codeact_tui.config import load_settings

    path = tmp_path / "config.toml"
    path.write_text('[ui]\ntheme = "codeact-light"\noutput_fold_lines = 5\n')
    settings = load_settings(path, env={"CODEACT_TUI_UI_EDITOR": "nano -w"})
    assert settings.ui.theme == "codeact-light" and settings.ui.output_fold_lines == 5
    assert settings.ui.editor == "nano -w"


def test_the_cli_imports_textual_only_when_the_app_starts() -> None:
    import subprocess
    import sys

    code = "import sys; from codeact_tui import cli; cli.build_parser(); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
