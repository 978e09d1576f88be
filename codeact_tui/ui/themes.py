"""Themes from TOML files: the shipped `themes/` folder, then the user's `themes/` config folder.

A theme file holds `name`, `dark` and Textual's colour names (`primary`, `background`, ...);
a `[variables]` table sets other theme variables. A broken user file is skipped and reported,
never fatal.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import BUILTIN_THEMES, Theme

from .. import paths
from ..resources import ResourceMissing, resource_dir

COLOUR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background", "surface", "panel", "boost")
DEFAULT_THEME = "codeact-dark"
BUILTIN_THEME_NAMES = frozenset(BUILTIN_THEMES)
"""The themes Textual itself ships (read from Textual, so a new release cannot make it stale)."""


def theme_from_file(path: Path) -> Theme:
    """Read one theme file (raises ValueError with the file's name when it is malformed)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    if not isinstance(data.get("primary"), str):
        raise ValueError(f"{path}: a theme needs at least `primary = \"#rrggbb\"`")
    colours = {key: str(data[key]) for key in COLOUR_FIELDS if key in data}
    variables = {str(k): str(v) for k, v in (data.get("variables") or {}).items()}
    try:
        return Theme(name=str(data.get("name") or path.stem), dark=bool(data.get("dark", True)), variables=variables, **colours)  # type: ignore[arg-type]
    except Exception as exc:
        raise ValueError(f"{path}: {exc}") from None


def user_theme_dir() -> Path:
    """Where the user's own theme files go."""
    return paths.config_dir() / "themes"


def load_themes() -> tuple[list[Theme], list[str]]:
    """All themes (shipped first, then the user's, which may replace shipped ones) and the
    problems with files that could not be read."""
    folders: list[Path] = []
    try:
        folders.append(resource_dir("themes"))
    except ResourceMissing:
        pass
    folders.append(user_theme_dir())
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_file(path)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems
