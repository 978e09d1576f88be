"""Model profiles as data: parsing, validation, loading from folders, choosing by name/family."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.core.ports import ModelSetupError, Sampling
from codeact_tui.core.profiles import GENERIC, ProfileError, choose_profile, load_profiles, parse_profile
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.resources import resource_dir

SHIPPED = resource_dir("prompts") / "profiles"


def test_shipped_profiles_load_and_are_documented() -> None:
    profiles = load_profiles(SHIPPED)
    assert set(profiles) == {"generic", "codeactagent", "qwen2.5-coder"}
    readme = (SHIPPED / "README.md").read_text()
    for key in ("name", "description", "match", "stop", "[sampling]", "[templates]"):
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
        ("sampling = 0.7", "`\\[sampling\\]` must be a table"),
        ("[sampling]\ntemp = 0.7", "unknown sampling keys \\['temp'\\]"),
        ("[sampling]\ntemperature = -1", "temperature must be a number from 0.0 to 5.0, not -1"),
        ("[sampling]\ntop_p = 1.5", "top_p must be a number from 0.0 to 1.0"),
        ("[sampling]\ntop_k = 2.5", "top_k must be a whole number"),
        ('[sampling]\nmin_p = "0.1"', "min_p must be a number"),
        ("[sampling]\nrepeat_penalty = true", "repeat_penalty must be a number"),
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


def test_sampling_table_and_precedence() -> None:
    profile = parse_profile("[sampling]\ntemperature = 1\ntop_k = 40\nmin_p = 0\n", "mine.toml")
    assert profile.sampling == Sampling(temperature=1.0, top_k=40, min_p=0.0)
    assert isinstance(profile.sampling.temperature, float) and isinstance(profile.sampling.top_k, int)
    assert parse_profile("", "plain.toml").sampling == Sampling()
    user = Sampling(temperature=0.0, repeat_penalty=1.1)
    assert user.over(profile.sampling).given() == {"temperature": 0.0, "top_k": 40, "min_p": 0.0, "repeat_penalty": 1.1}
    assert Sampling().over(profile.sampling) == profile.sampling


def test_shipped_sampling_defaults() -> None:
    profiles = load_profiles(SHIPPED)
    assert profiles["generic"].sampling == Sampling(temperature=0.0)
    assert profiles["codeactagent"].sampling == Sampling(temperature=0.0, top_p=1.0)
    assert profiles["qwen2.5-coder"].sampling == Sampling(temperature=0.7, top_p=0.8, top_k=20, min_p=0.0, repeat_penalty=1.05)
