"""Fixtures for the benchmark tests: a fake Ollama server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.ollama_server import FakeOllama


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server



collect_ignore = ["fixture"]
"""The miniature benchmarks' own files (Exercism's `*_test.py` unittest files among them) are
data for the harness, never tests of this project."""
