"""Fixtures for core tests: the shipped prompts and a project folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.resources import resource_dir


@pytest.fixture
def prompts() -> PromptLibrary:
    return PromptLibrary(resource_dir("prompts"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "data.txt").write_text("3\n4\n5\n")
    return root
