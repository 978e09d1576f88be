"""Find the shipped resource folders (`sandbox/`, `prompts/`, `themes/`).

In an installed wheel they live in `codeact_tui/_data/`; in a source checkout they sit beside
the package at the repository's top level. Both layouts are supported.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCE_NAMES = ("sandbox", "prompts", "themes")


class ResourceMissing(RuntimeError):
    """A shipped resource folder could not be found: the installation is broken."""


def resource_dir(name: str) -> Path:
    """The folder of one shipped resource kind.

    Args:
        name: One of "sandbox", "prompts" or "themes".

    Raises:
        ValueError: The name is not a known resource kind.
        ResourceMissing: Neither the wheel layout nor the checkout layout has it.
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(f"unknown resource {name!r}; expected one of {RESOURCE_NAMES}")
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise ResourceMissing(
        f"the {name}/ folder is missing from this installation of codeact-tui "
        f"(looked in {_PACKAGE_DIR / '_data'} and {_PACKAGE_DIR.parent}); reinstall it"
    )


def resource_file(name: str, relative: str) -> Path:
    """One file inside a shipped resource folder, e.g. `resource_file("prompts", "system.md")`."""
    path = resource_dir(name) / relative
    if not path.is_file():
        raise ResourceMissing(f"{name}/{relative} is missing from this installation")
    return path
