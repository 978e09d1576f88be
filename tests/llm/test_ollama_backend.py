"""The Ollama backend with the real `ollama` client against the fake server (real HTTP/NDJSON)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from fakes.ollama_server import FakeOllama, Fault, free_port

from codeact_tui.config import ModelSettings
from codeact_tui.core.ports import ChatMessage, GenerationDone, ModelSetupError, ModelStreamError, TextChunk
from codeact_tui.llm.ollama import OllamaChatModel, OllamaServer, choose_num_ctx, resolve_host, same_model
from tests.support import read_stream

MESSAGES = [ChatMessage("system", "sys"), ChatMessage("user", "hi")]


def settings(url: str, **overrides: object) -> ModelSettings:
    return dataclasses.replace(ModelSettings(host=url, model="codeact:7b", request_timeout_s=10, connect_timeout_s=2), **overrides)  # type: ignore[arg-type]



def test_prepare_pins_context_from_show(fake_ollama: FakeOllama) -> None:
    model = OllamaChatModel(settings(fake_ollama.url, max_ctx=16384))
    info = asyncio.run(model.prepare())
    assert info.context_window == 16384 and info.trained_context == 32768
    assert model.options["num_ctx"] == 16384


def test_stream_reply_and_stats(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["Hello there, friend."]
    model = OllamaChatModel(settings(fake_ollama.url))

    async def go() -> tuple[str, GenerationDone]:
        try:
            return await read_stream(model.stream(MESSAGES))
        finally:
            await model.close()

    text, done = asyncio.run(go())
    assert text == "Hello there, friend."
    stats = done.stats
    assert stats.prompt_tokens and stats.completion_tokens and stats.tokens_per_s
    assert stats.time_to_first_token_s is not None and stats.done_reason == "stop"


def test_stop_sequence_is_sent(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["<execute>print(1)</execute> trailing"]
    model = OllamaChatModel(settings(fake_ollama.url))
    text, _ = asyncio.run(read_stream(model.stream(MESSAGES, stop=("</execute>",))))
    assert text == "<execute>print(1)"
    assert fake_ollama.chat_requests()[-1]["options"]["stop"] == ["</execute>"]


def test_one_num_ctx_per_session_zero_reloads(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["a", "b", "c"]
    model = OllamaChatModel(settings(fake_ollama.url))

    async def session() -> None:
        await model.prepare()
        assert not await model.is_loaded()
        await model.load()
        assert await model.is_loaded()
        for _ in range(3):
            await read_stream(model.stream(MESSAGES, stop=("</execute>",)))

    asyncio.run(session())
    requests = fake_ollama.chat_requests()
    assert len(requests) == 4  # warm-up + three replies
    assert len({r["options"]["num_ctx"] for r in requests}) == 1
    assert fake_ollama.loads == 1  # the warm-up; no reloads after it


def test_is_loaded_false_when_loaded_with_another_num_ctx(fake_ollama: FakeOllama) -> None:
    fake_ollama.loaded = ("codeact:7b", 2048)
    model = OllamaChatModel(settings(fake_ollama.url))

    async def go() -> bool:
        await model.prepare()
        return await model.is_loaded()

    assert asyncio.run(go()) is False


def test_server_down_is_a_setup_error_with_hint() -> None:
    model = OllamaChatModel(settings(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ModelSetupError, match="cannot reach Ollama .*`ollama serve`"):
        asyncio.run(model.prepare())


def test_server_down_while_streaming_is_setup_error() -> None:
    model = OllamaChatModel(settings(f"http://127.0.0.1:{free_port()}"))
    model._info = object()  # type: ignore[assignment] # skip prepare: the failure must come from the stream
    with pytest.raises(ModelSetupError, match="cannot reach"):
        asyncio.run(read_stream(model.stream(MESSAGES)))


def test_missing_model_says_how_to_pull(fake_ollama: FakeOllama) -> None:
    model = OllamaChatModel(settings(fake_ollama.url, model="nope:1b"))
    with pytest.raises(ModelSetupError, match=r"ollama pull nope:1b"):
        asyncio.run(model.prepare())


def test_missing_model_at_chat_time(fake_ollama: FakeOllama) -> None:
    model = OllamaChatModel(settings(fake_ollama.url))

    async def go() -> None:
        await model.prepare()
        fake_ollama.faults.append(Fault("missing"))
        await read_stream(model.stream(MESSAGES))

    with pytest.raises(ModelSetupError, match="ollama pull codeact:7b"):
        asyncio.run(go())


def test_no_model_chosen(fake_ollama: FakeOllama) -> None:
    with pytest.raises(ModelSetupError, match="--model"):
        asyncio.run(OllamaChatModel(settings(fake_ollama.url, model="")).prepare())


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("error_mid_stream", message="out of memory"), "out of memory"),
        (Fault("cut_mid_stream"), "connection to Ollama .* broke"),
        (Fault("malformed_line"), "malformed"),
        (Fault("http_500", message="server busy"), "server busy"),
    ],
)
def test_mid_stream_faults_become_stream_errors(fake_ollama: FakeOllama, fault: Fault, message: str) -> None:
    fake_ollama.replies = ["a fairly long reply that streams in many pieces", "second"]
    model = OllamaChatModel(settings(fake_ollama.url))
    fake_ollama.faults.append(fault)

    async def go() -> tuple[str, GenerationDone]:
        with pytest.raises(ModelStreamError, match=message):
            await read_stream(model.stream(MESSAGES))
        return await read_stream(model.stream(MESSAGES))  # the next request works

    text, _ = asyncio.run(go())
    assert text  # a later reply streams normally


def test_slow_first_token_is_not_an_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["late"]
    fake_ollama.faults.append(Fault("slow_first_token", delay_s=0.3))
    text, done = asyncio.run(read_stream(OllamaChatModel(settings(fake_ollama.url)).stream(MESSAGES)))
    assert text == "late"
    assert done.stats.time_to_first_token_s is not None and done.stats.time_to_first_token_s >= 0.25


def test_first_token_slower_than_timeout_is_a_clear_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["late"]
    fake_ollama.faults.append(Fault("slow_first_token", delay_s=1.0))
    model = OllamaChatModel(settings(fake_ollama.url, request_timeout_s=0.3))
    with pytest.raises(ModelStreamError, match="sent nothing for 0.3s.*request_timeout_s"):
        asyncio.run(read_stream(model.stream(MESSAGES)))


def test_closing_the_stream_cancels_and_next_request_works(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = ["x" * 600, "fine"]
    fake_ollama.chunk_size = 2
    model = OllamaChatModel(settings(fake_ollama.url))

    async def go() -> str:
        stream = model.stream(MESSAGES)
        async for item in stream:
            assert isinstance(item, TextChunk)
            break
        await stream.aclose()
        text, _ = await read_stream(model.stream(MESSAGES))
        return text

    assert asyncio.run(go()) == "fine"


def test_list_and_pull(fake_ollama: FakeOllama) -> None:
    server = OllamaServer(settings(fake_ollama.url))

    async def go() -> tuple[list[str], list[int]]:
        progress = [p.completed async for p in server.pull("tiny:1b")]
        names = [m.name for m in await server.list_models()]
        return names, progress

    names, progress = asyncio.run(go())
    assert "tiny:1b" in names and "codeact:7b" in names
    assert progress[-1] == 0 and max(progress) == 3_000_000


def test_pull_unknown_model_is_an_error(fake_ollama: FakeOllama) -> None:
    server = OllamaServer(settings(fake_ollama.url))

    async def go() -> None:
        async for _ in server.pull("no-such"):
            pass

    with pytest.raises(ModelStreamError, match="file does not exist"):
        asyncio.run(go())


def test_resolve_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_host("") == "http://127.0.0.1:11434"
    assert resolve_host("example:8080") == "http://example:8080"
    assert resolve_host("https://box") == "https://box:11434"
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:9999")
    assert resolve_host("") == "http://127.0.0.1:9999"
    assert resolve_host("http://h:1") == "http://h:1"


def test_choose_num_ctx() -> None:
    base = ModelSettings(max_ctx=16384)
    assert choose_num_ctx(base, 131072, None) == 16384
    assert choose_num_ctx(base, 4096, None) == 4096
    assert choose_num_ctx(base, None, None) == 8192
    assert choose_num_ctx(base, 32768, 12000) == 12000
    assert choose_num_ctx(dataclasses.replace(base, num_ctx=3000), 32768, None) == 3000


def test_same_model() -> None:
    assert same_model("qwen", "qwen:latest") and not same_model("qwen:7b", "qwen:14b")
