"""Choosing a backend from settings; the embedded backend without llama-cpp-python."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codeact_tui.config import ModelSettings
from codeact_tui.core.ports import ModelSetupError
from codeact_tui.llm.embedded import EmbeddedChatModel, trained_context
from codeact_tui.llm.factory import make_chat_model
from codeact_tui.llm.ollama import OllamaChatModel
from codeact_tui.llm.openai_compat import OpenAICompatChatModel


def test_factory_picks_backend() -> None:
    assert isinstance(make_chat_model(ModelSettings(backend="ollama", model="m")), OllamaChatModel)
    assert isinstance(make_chat_model(ModelSettings(backend="openai")), OpenAICompatChatModel)
    assert isinstance(make_chat_model(ModelSettings(backend="embedded", model="x.gguf")), EmbeddedChatModel)


def test_embedded_missing_file(tmp_path: Path) -> None:
    model = EmbeddedChatModel(ModelSettings(backend="embedded", model=str(tmp_path / "none.gguf")))
    with pytest.raises(ModelSetupError, match="no GGUF model file"):
        asyncio.run(model.prepare())


def test_embedded_without_path() -> None:
    with pytest.raises(ModelSetupError, match="--model PATH"):
        asyncio.run(EmbeddedChatModel(ModelSettings(backend="embedded")).prepare())


def test_embedded_without_llama_cpp_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setitem(__import__("sys").modules, "llama_cpp", None)  # import fails
    with pytest.raises(ModelSetupError, match="GGML_NATIVE=OFF"):
        asyncio.run(EmbeddedChatModel(ModelSettings(backend="embedded", model=str(gguf))).prepare())


def test_trained_context_from_metadata() -> None:
    assert trained_context({"general.architecture": "llama", "llama.context_length": "8192"}) == 8192
    assert trained_context({"qwen2.context_length": 32768}) == 32768
    assert trained_context({}) is None


def test_every_sampling_name_is_a_llama_cpp_argument() -> None:
    """The embedded backend passes what `request_sampling` makes of `Sampling` to llama-cpp-python
    unchanged (the retry floor becomes `temperature`)."""
    import dataclasses
    import inspect

    llama_cpp = pytest.importorskip("llama_cpp")
    from codeact_tui.config import ModelSettings
    from codeact_tui.core.ports import Sampling
    from codeact_tui.llm.sampling import request_sampling

    accepted = inspect.signature(llama_cpp.Llama.create_chat_completion).parameters
    every = Sampling(**{f.name: 1 for f in dataclasses.fields(Sampling)})
    sent = request_sampling(ModelSettings(), every)
    assert len(sent) == len(dataclasses.fields(Sampling)) - 2 and set(sent) <= set(accepted)
