"""Settings: defaults, TOML file, environment overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui import paths
from codeact_tui.config import ConfigError, Settings, load_settings


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml", env={})
    assert settings == Settings()
    assert settings.sandbox.deadline_s == 300.0
    assert settings.sandbox.memory_mib == 2048


def test_file_then_environment(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('[sandbox]\ndeadline_s = 30\n[agent]\napprove = "ask"\n')
    settings = load_settings(file, env={"CODEACT_TUI_SANDBOX_DEADLINE_S": "12.5"})
    assert settings.sandbox.deadline_s == 12.5
    assert settings.agent.approve == "ask"


def test_sampling_settings_are_unset_until_given(tmp_path: Path) -> None:
    """Unset (None) lets the model profile decide; a value in the file or environment wins."""
    assert load_settings(tmp_path / "missing.toml", env={}).model.temperature is None
    file = tmp_path / "config.toml"
    file.write_text("[model]\ntemperature = 0\ntop_p = 1\n")
    model = load_settings(file, env={"CODEACT_TUI_MODEL_TOP_K": "20"}).model
    assert (model.temperature, model.top_p, model.top_k, model.min_p, model.repeat_penalty) == (0.0, 1.0, 20, None, None)
    assert isinstance(model.temperature, float)


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ("[sandbox]\ndeadline = 3\n", {}, "unknown setting sandbox.deadline"),
        ("[nope]\n", {}, "unknown section [nope]"),
        ("[sandbox]\nmemory_mib = 'lots'\n", {}, "sandbox.memory_mib: expected int"),
        ("[agent]\napprove = 'sometimes'\n", {}, "is not one of auto, ask, plan, preview"),
        ("this is = = not toml", {}, "not valid TOML"),
        ("", {"CODEACT_TUI_SANDBOX_MEMORY_MIB": "x"}, "CODEACT_TUI_SANDBOX_MEMORY_MIB"),
        ("[model]\ntemperature = 'warm'\n", {}, "model.temperature: expected float, got 'warm'"),
        ("", {"CODEACT_TUI_MODEL_TOP_K": "0.5"}, "CODEACT_TUI_MODEL_TOP_K: expected int"),
    ],
)
def test_errors_say_where(tmp_path: Path, text: str, env: dict[str, str], needle: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(file, env=env)
    assert needle in str(info.value)


def test_default_file_follows_xdg(isolated_dirs: Path) -> None:
    paths.config_dir().mkdir(parents=True)
    paths.config_file().write_text("[model]\nmodel = 'qwen2.5-coder:7b'\n")
    assert str(paths.config_file()).startswith(str(isolated_dirs))
    assert load_settings().model.model == "qwen2.5-coder:7b"


def test_project_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    a, b = tmp_path / "a b", tmp_path / "c"
    a.mkdir()
    b.mkdir()
    assert paths.project_id(a) == paths.project_id(a)
    assert paths.project_id(a) != paths.project_id(b)
    assert paths.project_id(a).startswith("a_b-")
