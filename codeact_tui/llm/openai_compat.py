"""An OpenAI-compatible backend: streaming `/v1/chat/completions` over httpx (server-sent events).

For llama.cpp's `llama-server`, LM Studio, vLLM and the like. These servers own their context
window, so we read it (llama.cpp `/props`, vLLM `max_model_len`, `n_ctx_train`) instead of
setting it, and count against it. They load their model themselves: `load` is a no-op.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from ..config import ModelSettings
from ..core.context import estimate_tokens
from ..core.ports import (
    ChatMessage,
    GenerationDone,
    GenerationStats,
    ModelError,
    ModelInfo,
    ModelSetupError,
    ModelStreamError,
    ModelStreamItem,
    Sampling,
    TextChunk,
)
from .errors import translate
from .sampling import request_sampling

DEFAULT_HOST = "http://127.0.0.1:8080"
FALLBACK_CONTEXT = 8192
SERVER = "the OpenAI-compatible server"
HINT = "Start it (e.g. `llama-server -m model.gguf`), or point --host / model.host at it."


def resolve_base_url(configured: str) -> str:
    """The server's base URL without a trailing `/v1`."""
    host = (configured or DEFAULT_HOST).strip().rstrip("/")
    if "://" not in host:
        host = "http://" + host
    return host.removesuffix("/v1")


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or data)[:500]


def _context_from_model_entry(entry: dict[str, Any]) -> int | None:
    for key in ("max_model_len", "context_length", "max_context_length"):
        if isinstance(entry.get(key), int):
            return int(entry[key])
    meta = entry.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("n_ctx_train"), int):
        return int(meta["n_ctx_train"])
    return None


class OpenAICompatChatModel:
    """A ChatModel on any server with OpenAI's streaming chat completions API."""

    def __init__(self, settings: ModelSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.host = resolve_base_url(settings.host)
        self.name = settings.model
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.request_timeout_s,
            write=settings.request_timeout_s,
            pool=settings.connect_timeout_s,
        )
        self._client = httpx.AsyncClient(base_url=self.host, timeout=self.timeout, headers=headers, transport=transport)
        self._info: ModelInfo | None = None

    def _error(self, exc: BaseException, during: str) -> ModelError:
        return translate(exc, server=SERVER, host=self.host, during=during, hint=HINT, timeout_s=self.settings.request_timeout_s)

    def _status_error(self, response: httpx.Response, during: str) -> ModelError:
        text = _error_text(response)
        if response.status_code == 404:
            return ModelSetupError(
                f"{SERVER} at {self.host} has no model {self.name!r} (or no /v1/chat/completions): {text}. "
                "Check the name with `codeact-tui models --backend openai`."
            )
        if response.status_code in (401, 403):
            return ModelSetupError(f"{SERVER} at {self.host} refused the request ({response.status_code}): {text}; set model.api_key")
        return ModelStreamError(f"{SERVER} at {self.host} answered {response.status_code} while {during}: {text}")

    async def _get_json(self, path: str) -> Any | None:
        try:
            response = await self._client.get(path)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self._error(exc, "connecting") from exc
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def list_models(self) -> list[str]:
        """Model ids the server offers (`/v1/models`)."""
        data = await self._get_json("/v1/models")
        entries = data.get("data", []) if isinstance(data, dict) else []
        return [str(e.get("id")) for e in entries if isinstance(e, dict) and e.get("id")]

    async def prepare(self) -> ModelInfo:
        """Reach the server, pick the model, read its window."""
        if self._info is not None:
            return self._info
        models = await self._get_json("/v1/models")
        entries = [e for e in (models.get("data", []) if isinstance(models, dict) else []) if isinstance(e, dict)]
        if not self.name:
            if not entries:
                raise ModelSetupError(f"no model chosen and {SERVER} at {self.host} lists none: pass --model NAME")
            self.name = str(entries[0].get("id"))
        trained = next((_context_from_model_entry(e) for e in entries if e.get("id") == self.name), None)
        props = await self._get_json("/props")
        served = None
        if isinstance(props, dict):
            settings = props.get("default_generation_settings")
            if isinstance(settings, dict) and isinstance(settings.get("n_ctx"), int):
                served = int(settings["n_ctx"])
        if self.settings.num_ctx > 0:
            window = self.settings.num_ctx
        elif served:
            window = served  # the server's real window; we cannot change it
        else:
            window = min(trained or FALLBACK_CONTEXT, self.settings.max_ctx)
        self._info = ModelInfo(self.name, "openai", window, trained or served, self.host)
        return self._info

    async def is_loaded(self) -> bool:
        """The server loads its model itself."""
        return True

    async def load(self) -> float:
        """Nothing to warm up from here."""
        return 0.0

    def count_tokens(self, text: str) -> int:
        """An estimate."""
        return estimate_tokens(text)

    async def stream(
        self, messages: Sequence[ChatMessage], *, stop: Sequence[str] = (), sampling: Sampling | None = None
    ) -> AsyncIterator[ModelStreamItem]:
        """Stream one reply from server-sent events; closing this generator closes the response.
        Sampling values are top-level request fields (`top_k`, `min_p`, `repeat_penalty` are
        llama.cpp's extensions, which LM Studio shares)."""
        await self.prepare()
        body: dict[str, Any] = {
            "model": self.name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            **request_sampling(self.settings, sampling),
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        if self.settings.max_reply_tokens > 0:
            body["max_tokens"] = self.settings.max_reply_tokens
        started = time.perf_counter()
        first: float | None = None
        usage: dict[str, Any] = {}
        timings: dict[str, Any] = {}
        finish: str | None = None
        chunks = 0
        done = False
        try:
            async with self._client.stream("POST", "/v1/chat/completions", json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise self._status_error(response, "streaming a reply")
                async for line in response.aiter_lines():
                    line = line.strip()
                    if not line or line.startswith(":") or not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    part = json.loads(data)
                    if "error" in part:
                        error = part["error"]
                        raise ModelStreamError(f"{SERVER} reported an error: {error.get('message') if isinstance(error, dict) else error}")
                    usage = part.get("usage") or usage
                    timings = part.get("timings") or timings
                    for choice in part.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            if first is None:
                                first = time.perf_counter()
                            chunks += 1
                            yield TextChunk(content)
                        finish = choice.get("finish_reason") or finish
        except GeneratorExit:
            raise
        except ModelError:
            raise
        except Exception as exc:
            raise self._error(exc, "streaming a reply") from exc
        if not done and finish is None:
            raise ModelStreamError(f"the stream from {SERVER} at {self.host} ended early")
        now = time.perf_counter()
        completion = usage.get("completion_tokens") or timings.get("predicted_n") or (chunks or None)
        speed = timings.get("predicted_per_second")
        if speed is None and completion and first is not None and now > first:
            speed = completion / (now - first)
        yield GenerationDone(
            GenerationStats(
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=completion,
                time_to_first_token_s=None if first is None else first - started,
                tokens_per_s=speed,
                duration_s=now - started,
                done_reason=finish or "stop",
            )
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
