"""Model profiles: how to speak to one family of local models, as data files.

A profile (`prompts/profiles/NAME.toml`, or the user's own in the config folder's `profiles/`)
names the stop sequences and the sampling defaults sent with every request (the user's own
settings win over the latter), and replaces any of the prompt templates (`system.md`,
`observation.md`, `sandbox_helpers.md`, …) with text of its own; what it does not replace comes
from the shared templates. `generic` replaces no template. The format is described in
`prompts/profiles/README.md`; the core reads files from folders it is given.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .ports import ModelSetupError, Sampling

GENERIC = "generic"
"""The profile used when no other matches: today's prompt and requests."""


class ProfileError(ModelSetupError):
    """A profile file is invalid, or a requested profile does not exist; the message says the
    fix (a setup error: the front-ends report it like a missing model)."""


@dataclass(frozen=True)
class Profile:
    """How to prompt one family of models."""

    name: str
    description: str = ""
    match: tuple[str, ...] = ()
    """Regular expressions (case-insensitive) searched in the model's name and family."""
    stop: tuple[str, ...] = ("</execute>",)
    """Stop sequences sent with every request."""
    sampling: Sampling = Sampling()
    """Sampling defaults (the `[sampling]` table); values the user sets win over them."""
    templates: dict[str, str] = field(default_factory=dict)
    """Prompt templates this profile replaces, by file name (`system.md` → its text)."""
    source: str = ""
    """Where it was read from (for `doctor` and error messages)."""

    def matches(self, *names: str) -> bool:
        """Whether any of the patterns is found in any of the names."""
        return any(re.search(pattern, name, re.IGNORECASE) for pattern in self.match for name in names if name)


def parse_profile(text: str, source: str) -> Profile:
    """A profile from the text of its TOML file (raises ProfileError saying what is wrong)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {source} is not valid TOML: {exc}") from None
    name = data.get("name") or Path(source).stem
    unknown = set(data) - {"name", "description", "match", "stop", "sampling", "templates"}
    if unknown:
        raise ProfileError(f"profile {source}: unknown keys {sorted(unknown)} (see prompts/profiles/README.md)")
    match, stop, templates = data.get("match", []), data.get("stop", ["</execute>"]), data.get("templates", {})
    if not isinstance(match, list) or not all(isinstance(p, str) for p in match):
        raise ProfileError(f"profile {source}: `match` must be a list of regular expressions")
    for pattern in match:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ProfileError(f"profile {source}: bad `match` pattern {pattern!r}: {exc}") from None
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise ProfileError(f"profile {source}: `stop` must be a list of non-empty strings")
    if not isinstance(templates, dict) or not all(isinstance(v, str) for v in templates.values()):
        raise ProfileError(f"profile {source}: `[templates]` maps template file names to their text")
    return Profile(
        name=str(name),
        description=str(data.get("description", "")),
        match=tuple(match),
        stop=tuple(stop),
        sampling=parse_sampling(data.get("sampling", {}), source),
        templates=dict(templates),
        source=source,
    )


_SAMPLING_RANGES: dict[str, tuple[type, float, float]] = {
    "temperature": (float, 0.0, 5.0),
    "top_p": (float, 0.0, 1.0),
    "top_k": (int, 0, 1_000_000),
    "min_p": (float, 0.0, 1.0),
    "repeat_penalty": (float, 0.0, 10.0),
}
"""Each sampling value's type and the range it must lie in."""


def parse_sampling(table: object, source: str) -> Sampling:
    """The `[sampling]` table of a profile (raises ProfileError naming the bad key or value)."""
    if not isinstance(table, dict):
        raise ProfileError(f"profile {source}: `[sampling]` must be a table of {', '.join(_SAMPLING_RANGES)}")
    unknown = sorted(set(table) - set(_SAMPLING_RANGES))
    if unknown:
        raise ProfileError(f"profile {source}: unknown sampling keys {unknown} (known: {', '.join(_SAMPLING_RANGES)})")
    values: dict[str, float | int] = {}
    for key, value in table.items():
        kind, low, high = _SAMPLING_RANGES[key]
        number = isinstance(value, int) if kind is int else isinstance(value, (int, float))
        if isinstance(value, bool) or not number or not low <= value <= high:
            what = "a whole number" if kind is int else "a number"
            raise ProfileError(f"profile {source}: sampling {key} must be {what} from {low} to {high}, not {value!r}")
        values[key] = kind(value)
    return Sampling(**values)  # type: ignore[arg-type]


def load_profiles(*folders: Path) -> dict[str, Profile]:
    """Every `*.toml` profile in the folders, by name; a later folder's profile replaces an
    earlier one of the same name (the user's own override the shipped ones)."""
    found: dict[str, Profile] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            profile = parse_profile(path.read_text(encoding="utf-8"), str(path))
            found.pop(profile.name, None)  # a replaced profile is tried where the new one is
            found[profile.name] = profile
    return found


def choose_profile(profiles: dict[str, Profile], requested: str = "", *, model: str = "", family: str = "") -> Profile:
    """The requested profile, else one whose patterns match the model's name or family (the
    user's own and the last loaded are tried first), else `generic` (raises ProfileError for an
    unknown requested name)."""
    if requested:
        if requested not in profiles:
            raise ProfileError(
                f"no model profile named {requested!r}: choose one of {', '.join(sorted(profiles))} "
                "(--profile NAME or [model] profile), or add NAME.toml to the config folder's profiles/"
            )
        return profiles[requested]
    for profile in reversed(profiles.values()):
        if profile.name != GENERIC and profile.matches(model, family):
            return profile
    return profiles.get(GENERIC) or Profile(GENERIC)
