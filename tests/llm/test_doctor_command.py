"""`codeact-tui doctor` with `--backend`, `--host` and `--model`, against the fake servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.ollama_server import FakeOllama, free_port
from fakes.openai_server import FakeOpenAI

from codeact_tui import cli


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    status = cli.main(["doctor", "--json", *args])
    checks = json.loads(capsys.readouterr().out)
    return status, {c["name"]: c for c in checks}


def test_an_installed_model_is_ok_with_its_context_window(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    status, checks = doctor(capsys, "--host", fake_ollama.url, "--model", "codeact:7b")
    assert status == 0
    assert checks["model server"]["level"] == "ok" and fake_ollama.url.split("//")[-1] in checks["model server"]["detail"]
    assert checks["model (ollama)"]["level"] == "ok"
    assert "codeact:7b" in checks["model (ollama)"]["detail"] and "context window" in checks["model (ollama)"]["detail"]


def test_a_configured_but_missing_model_is_a_problem_with_the_fix(
    fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEACT_TUI_MODEL_MODEL", "qwen2.5-coder:1.5b")  # configured, not on the command line
    status, checks = doctor(capsys, "--host", fake_ollama.url)
    model = checks["model (ollama)"]
    assert model["level"] == "warn"
    assert "'qwen2.5-coder:1.5b' is not installed" in model["detail"]
    assert "codeact-tui pull qwen2.5-coder:1.5b" in model["fix"] and "codeact:7b" in model["fix"]
    assert status == 0  # the sandbox and history still work


def test_no_model_chosen_names_the_installed_ones(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    _, checks = doctor(capsys, "--host", fake_ollama.url)
    assert checks["model (ollama)"]["level"] == "warn" and checks["model (ollama)"]["detail"] == "no model chosen"
    assert "--model NAME (one of: codeact:7b)" in checks["model (ollama)"]["fix"]


def test_an_unreachable_host_is_the_one_problem_reported(capsys: pytest.CaptureFixture[str]) -> None:
    status, checks = doctor(capsys, "--host", f"http://127.0.0.1:{free_port()}", "--model", "codeact:7b")
    assert status == 0
    assert checks["model server"]["level"] == "warn" and "cannot reach Ollama" in checks["model server"]["detail"]
    assert "ollama serve" in checks["model server"]["fix"]
    assert "model (ollama)" not in checks


def test_other_backends_take_the_same_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        status, checks = doctor(capsys, "--backend", "openai", "--host", server.url, "--model", "tiny")
    assert status == 0 and checks["model (openai)"]["level"] == "ok" and "8192" in checks["model (openai)"]["detail"]
    _, checks = doctor(capsys, "--backend", "embedded", "--model", str(tmp_path / "none.gguf"))
    embedded = checks["model (embedded)"]
    assert embedded["level"] == "warn" and "none.gguf" in embedded["detail"] and "--model PATH.gguf" in embedded["fix"]


def test_the_text_report_prints_each_fix(fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "--host", fake_ollama.url, "--model", "missing:1b"]) == 0
    out = capsys.readouterr().out
    assert "[warn] model (ollama): the model 'missing:1b' is not installed" in out
    assert "fix: `codeact-tui pull missing:1b`" in out
