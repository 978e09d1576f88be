"""Where model profiles come from (shipped, then the user's config folder) and which one a
model gets; shared by the conversation, `bench` and `doctor`."""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..core.ports import ModelInfo
from ..core.profiles import Profile, choose_profile, load_profiles
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
