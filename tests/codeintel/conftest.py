"""Fixtures for code-intelligence tests: a fresh copy of the polyglot project per test."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def polyglot(tmp_path: Path) -> Path:
    """A writable copy of `fixtures/polyglot` (Python, JS, TS, Go, Rust, Java, C, C++, Ruby)."""
    target = tmp_path / "polyglot"
    shutil.copytree(FIXTURES / "polyglot", target)
    # As after a fresh checkout: every file equally old, whatever git did to the originals.
    old = time.time() - 3600
    for path in [target, *target.rglob("*")]:
        os.utime(path, (old, old))
    return target

