"""Where model profiles come from (shipped, then the user's config folder) and which one a
model gets; shared by the conversation, `bench` and `doctor`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from .. import paths
from ..config import ModelSettings
from ..core.ports import ModelInfo
from ..core.profiles import Profile, ProfileError, choose_profile, load_profiles
from ..llm.sampling import request_sampling, user_sampling
from ..resources import resource_dir


def profile_folders() -> tuple[Path, Path]:
    """The shipped profiles' folder and the user's (`profiles/` in the config folder)."""
    return resource_dir("prompts") / "profiles", paths.config_dir() / "profiles"


def available_profiles() -> dict[str, Profile]:
    """Every profile by name, the user's replacing shipped ones (raises ProfileError for a bad file)."""
    return load_profiles(*profile_folders())


def profile_for(info: ModelInfo, requested: str = "") -> Profile:
    """The requested profile, or the one the model's name and family choose (raises ProfileError)."""
    return choose_profile(available_profiles(), requested, model=info.name, family=info.family)


def sampling_summary(profile: Profile, settings: ModelSettings) -> str:
    """The sampling values requests will carry, those the settings set marked (for `doctor` and
    `bench`): "temperature 0 (settings), top_p 0.8"; "server defaults" when nothing is set."""
    overridden = user_sampling(settings).given()
    sent = request_sampling(settings, profile.sampling)
    marked = (f"{name} {value:g}" + (" (settings)" if name in overridden else "") for name, value in sent.items())
    return ", ".join(marked) or "server defaults"


def profile_check(settings: ModelSettings) -> tuple[Literal["ok", "warn"], str, str]:
    """For `doctor`: (level, detail, fix) about the profile the configured model would get
    (chosen from its name alone: the family needs the server) and the profiles there are."""
    user_folder = profile_folders()[1]
    try:
        profiles = available_profiles()
        chosen = choose_profile(profiles, settings.profile, model=Path(settings.model).name)
    except ProfileError as exc:
        return "warn", str(exc), f"fix or remove the profile file (your own are in {user_folder})"
    how = "[model] profile" if settings.profile else f"chosen from the name {settings.model!r}" if settings.model else "no model set"
    return "ok", f"{chosen.name} ({how}; sampling: {sampling_summary(chosen, settings)}); available: {', '.join(profiles)}; your own go in {user_folder}", ""
