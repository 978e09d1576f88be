"""Model profiles as data: parsing, validation, loading from folders, choosing by name/family."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.core.ports import ModelSetupError
from codeact_tui.core.profiles import GENERIC, ProfileError, choose_profile, load_profiles, parse_profile
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.resources import resource_dir

SHIPPED = resource_dir("prompts") / "profiles"


def test_shipped_profiles_load_and_are_documented() -> None:
    profiles = load_profiles(SHIPPED)
    assert set(profiles) == {"generic", "codeactagent", "qwen2.5-coder"}
    readme = (SHIPPED / "README.md").read_text()
    for key in ("name", "description", "match", "stop", "[templates]"):
        assert f"`{key}`" in readme


@pytest.mark.parametrize(
    ("model", "family", "expected"),
    [
        ("qwen2.5-coder:1.5b", "qwen2", "qwen2.5-coder"),
        ("qwen2.5-coder-0.5b-instruct-q8_0.gguf", "Qwen2.5 Coder 0.5B Instruct", "qwen2.5-coder"),
        ("xingyaow/codeact-agent-mistral:latest", "llama", "codeactagent"),
        ("model.gguf", "CodeActAgent Mistral 7b v0.1", "codeactagent"),
        ("qwen2.5:7b", "qwen2", "generic"),
        ("llama3.2:1b", "llama", "generic"),
    ],
)
def test_profile_is_chosen_from_name_or_family(model: str, family: str, expected: str) -> None:
    assert choose_profile(load_profiles(SHIPPED), model=model, family=family).name == expected


def test_requested_profile_wins_and_an_unknown_one_says_the_fix() -> None:
    profiles = load_profiles(SHIPPED)
    assert choose_profile(profiles, "generic", model="qwen2.5-coder:1.5b").name == "generic"
    with pytest.raises(ProfileError, match="choose one of codeactagent, generic, qwen2.5-coder") as caught:
        choose_profile(profiles, "mistral")
    assert isinstance(caught.value, ModelSetupError)  # the front-ends report it as a setup error


def test_user_profiles_replace_shipped_ones_and_are_tried_first(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('match = ["qwen"]\nstop = ["</execute>", "<|endoftext|>"]\n')
    (tmp_path / "generic.toml").write_text('name = "generic"\nstop = ["END"]\n')
    profiles = load_profiles(SHIPPED, tmp_path, tmp_path / "absent")
    chosen = choose_profile(profiles, model="qwen2.5-coder:1.5b")
    assert chosen.name == "mine" and chosen.stop == ("</execute>", "<|endoftext|>")
    assert choose_profile(profiles, model="llama3").stop == ("END",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stop = ", "not valid TOML"),
        ("stops = []", "unknown keys"),
        ('match = "qwen"', "list of regular expressions"),
        ('match = ["qwen("]', "bad `match` pattern"),
        ('stop = [""]', "non-empty strings"),
        ('[templates]\n"system.md" = 3', "template file names"),
    ],
)
def test_invalid_profiles_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(text, "bad.toml")


def test_generic_profile_builds_todays_system_prompt(tmp_path: Path) -> None:
    generic = choose_profile(load_profiles(SHIPPED), GENERIC)
    assert generic.templates == {} and generic.stop == ("</execute>",)
    plain = build_system_prompt(PromptLibrary(resource_dir("prompts")), project=tmp_path, code_tools=True)
    profiled = build_system_prompt(PromptLibrary(resource_dir("prompts"), overrides=generic.templates), project=tmp_path, code_tools=True)
    assert profiled == plain


def test_profile_templates_replace_only_their_files(tmp_path: Path) -> None:
    profile = load_profiles(SHIPPED)["codeactagent"]
    library = PromptLibrary(resource_dir("prompts"), overrides=profile.templates)
    assert library.text("observation.md").startswith("Execution Output:")
    assert library.text("repo_map.md") == (resource_dir("prompts") / "repo_map.md").read_text()
    prompt = build_system_prompt(library, project=tmp_path)
    assert "!pip install" not in prompt and "Tool function available (already imported in <execute> environment):" in prompt
