"""Fixtures for the benchmark tests: a fake Ollama server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.ollama_server import FakeOllama


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server

