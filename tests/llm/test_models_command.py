"""`codeact-tui models` and `codeact-tui pull` against the fake Ollama server."""

from __future__ import annotations

import json

import pytest
from fakes.ollama_server import FakeOllama, free_port

from codeact_tui import cli


def test_models_lists_installed(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "--host", fake_ollama.url]) == 0
    out = capsys.readouterr().out
    assert "codeact:7b" in out and "4.1 GB" in out and "Q4_K_M" in out


def test_models_json(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "--host", fake_ollama.url, "--json"]) == 0
    models = json.loads(capsys.readouterr().out)
    assert models[0]["name"] == "codeact:7b" and models[0]["size_bytes"] == 4_100_000_000


def test_models_server_down_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "--host", f"127.0.0.1:{free_port()}"]) == 2
    assert "cannot reach Ollama" in capsys.readouterr().err


def test_pull_shows_progress_and_installs(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pull", "tiny:1b", "--host", fake_ollama.url]) == 0
    captured = capsys.readouterr()
    assert "pulled tiny:1b" in captured.out
    assert "pulling manifest" in captured.err and "success" in captured.err and "3.0 MB" in captured.err
    assert "tiny:1b" in fake_ollama.models


def test_pull_unknown_model_exit_1(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pull", "no-such-model", "--host", fake_ollama.url]) == 1
    assert "file does not exist" in capsys.readouterr().err


def test_pull_server_down_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pull", "x", "--host", f"127.0.0.1:{free_port()}"]) == 2
    assert "ollama serve" in capsys.readouterr().err
