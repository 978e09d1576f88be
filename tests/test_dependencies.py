"""Every declared runtime dependency is used by the package (none left over from old code)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import codeact_tui

REPO = Path(codeact_tui.__file__).parent.parent
PYPROJECT = REPO / "pyproject.toml"


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]


def _declared() -> list[str]:
    if not PYPROJECT.is_file():
        return []
    return [_requirement_name(r) for r in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]]


@pytest.mark.skipif(not PYPROJECT.is_file(), reason="needs the source checkout's pyproject.toml")
@pytest.mark.parametrize("distribution", _declared())
def test_each_runtime_dependency_is_imported(distribution: str) -> None:
    module = distribution.replace("-", "_").lower()
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "codeact_tui").rglob("*.py"))
    imported = re.search(rf"^\s*(?:import|from)\s+{module}\b", source, re.MULTILINE)
    loaded_by_name = re.search(rf"[\"']{module}[\"']", source)  # grammar modules are imported by name
    assert imported or loaded_by_name, f"{distribution} is declared in pyproject.toml but nothing imports {module}"
