"""Fixtures for history tests: a project folder and an open store (XDG dirs are per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codeact_tui.config import HistorySettings
from codeact_tui.history import HistoryStore


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder (not a git repository)."""
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def store(project: Path) -> Iterator[HistoryStore]:
    """The project's history store, closed after the test."""
    with HistoryStore.open(project, HistorySettings(lock_timeout_s=2.0)) as opened:
        yield opened
