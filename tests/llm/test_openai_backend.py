"""The OpenAI-compatible backend against an in-memory server (httpx transport) speaking SSE."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fakes.ollama_server import free_port

from codeact_tui.config import ModelSettings
from codeact_tui.core.ports import ChatMessage, GenerationDone, ModelSetupError, ModelStreamError
from codeact_tui.llm.openai_compat import OpenAICompatChatModel, resolve_base_url
from tests.support import read_stream

MESSAGES = [ChatMessage("user", "hi")]


def sse(parts: list[dict[str, Any]], *, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(p)}\n\n" for p in parts]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


class Server:
    """Routes of a llama.cpp-like server; `chat` builds the chat response per request."""

    def __init__(self, chat: Callable[[dict[str, Any]], httpx.Response]) -> None:
        self.chat = chat
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "local", "meta": {"n_ctx_train": 131072}}]})
        if request.url.path == "/props":
            return httpx.Response(200, json={"default_generation_settings": {"n_ctx": 8192}})
        if request.url.path == "/v1/chat/completions":
            body = json.loads(request.content)
            self.bodies.append(body)
            return self.chat(body)
        return httpx.Response(404, json={"error": {"message": "no route"}})


def model_for(server: Server, **overrides: Any) -> OpenAICompatChatModel:
    settings = ModelSettings(backend="openai", host="http://llm.local:8080/v1", model=overrides.pop("model", ""), **overrides)
    return OpenAICompatChatModel(settings, transport=httpx.MockTransport(server))


async def collect(model: OpenAICompatChatModel) -> tuple[str, GenerationDone]:
    return await read_stream(model.stream(MESSAGES, stop=("</execute>",)))


def test_stream_with_usage_and_server_window() -> None:
    parts = [delta("Hel"), delta("lo"), delta("", "stop"), {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 2}}]
    server = Server(lambda body: httpx.Response(200, content=sse(parts), headers={"content-type": "text/event-stream"}))
    model = model_for(server)

    async def go() -> tuple[Any, str, GenerationDone]:
        info = await model.prepare()
        text, done = await collect(model)
        await model.close()
        return info, text, done

    info, text, done = asyncio.run(go())
    assert info.name == "local" and info.context_window == 8192  # the server's real n_ctx
    assert text == "Hello"
    assert done.stats.prompt_tokens == 12 and done.stats.completion_tokens == 2 and done.stats.done_reason == "stop"
    assert server.bodies[0]["stop"] == ["</execute>"] and server.bodies[0]["stream"] is True


def test_missing_model_is_setup_error() -> None:
    server = Server(lambda body: httpx.Response(404, json={"error": {"message": "The model `x` does not exist."}}))
    with pytest.raises(ModelSetupError, match="does not exist"):
        asyncio.run(collect(model_for(server, model="x")))


def test_error_event_mid_stream() -> None:
    parts = [delta("a"), {"error": {"message": "context overflow"}}]
    server = Server(lambda body: httpx.Response(200, content=sse(parts, done=False)))
    with pytest.raises(ModelStreamError, match="context overflow"):
        asyncio.run(collect(model_for(server)))


def test_stream_ending_early_is_an_error() -> None:
    server = Server(lambda body: httpx.Response(200, content=sse([delta("a")], done=False)))
    with pytest.raises(ModelStreamError, match="ended early"):
        asyncio.run(collect(model_for(server)))


def test_connection_cut_mid_stream() -> None:
    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse([delta("a")], done=False)
            raise httpx.RemoteProtocolError("peer closed connection")

    server = Server(lambda body: httpx.Response(200, stream=Cut()))
    with pytest.raises(ModelStreamError, match="broke"):
        asyncio.run(collect(model_for(server)))


def test_malformed_line() -> None:
    server = Server(lambda body: httpx.Response(200, content=b"data: {not json\n\n"))
    with pytest.raises(ModelStreamError, match="malformed"):
        asyncio.run(collect(model_for(server)))


def test_server_down_is_setup_error() -> None:
    model = OpenAICompatChatModel(ModelSettings(backend="openai", host=f"127.0.0.1:{free_port()}", model="m", connect_timeout_s=2))
    with pytest.raises(ModelSetupError, match="cannot reach"):
        asyncio.run(model.prepare())


def test_resolve_base_url() -> None:
    assert resolve_base_url("") == "http://127.0.0.1:8080"
    assert resolve_base_url("localhost:1234/v1/") == "http://localhost:1234"


def test_over_real_http_stream_cut_and_cancel() -> None:
    from fakes.openai_server import FakeOpenAI

    with FakeOpenAI(replies=["Hello from llama-server.", "x" * 400, "cut here, please", "after"]) as server:
        model = OpenAICompatChatModel(ModelSettings(backend="openai", host=server.url + "/v1", request_timeout_s=10))

        async def go() -> list[str]:
            info = await model.prepare()
            assert info.name == "local.gguf" and info.context_window == 8192 and info.trained_context == 32768
            texts = [(await collect(model))[0]]
            stream = model.stream(MESSAGES)
            async for _ in stream:
                break
            await stream.aclose()  # cancel mid-reply
            server.cut_after = 1
            with pytest.raises(ModelStreamError, match="broke|ended early"):
                await collect(model)
            texts.append((await collect(model))[0])
            await model.close()
            return texts

        texts = asyncio.run(go())
    assert texts == ["Hello from llama-server.", "after"]
    assert all(body["max_tokens"] == 2048 and body["model"] == "local.gguf" for body in server.bodies)
