"""Every declared runtime dependency is used by the package (none left over from old code)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import packages_distributions
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
    # the modules the installed distribution provides (google-re2 provides `re2`), else its name
    provided = {m for m, dists in packages_distributions().items() if any(d.lower() == distribution.lower() for d in dists)}
    modules = provided or {distribution.replace("-", "_").lower()}
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "codeact_tui").rglob("*.py"))
    used = [
        m
        for m in modules
        if re.search(rf"^\s*(?:import|from)\s+{m}\b", source, re.MULTILINE)
        or re.search(rf"[\"']{m}[\"']", source)  # grammar modules are imported by name
    ]
    assert used, f"{distribution} is declared in pyproject.toml but nothing imports {sorted(modules)}"
