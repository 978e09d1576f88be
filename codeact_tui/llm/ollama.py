"""The Ollama backend, on the official `ollama` client.

What it does about Ollama's known pain points (DESIGN.md §4):

- explicit timeouts (the client has none): connect from settings, read = the request timeout,
  which must cover a model load;
- `httpx` errors caught while iterating a stream, and every failure turned into a message that
  says what to do (a 404 means the model is missing: `ollama pull NAME`);
- the context window read with `/api/show` and ONE `num_ctx` pinned per session and sent with
  every request (changing it reloads the model);
- warm-up as its own step (`load`), checked with `/api/ps`, so "loading the model" is never
  reported as a slow or failed generation;
- time to first token and tokens per second measured per reply.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import ollama

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

DEFAULT_HOST = "http://127.0.0.1:11434"
FALLBACK_CONTEXT = 8192
"""The window used when the server does not say the model's context length."""
SERVER = "Ollama"
HINT = "Start it with `ollama serve`, or point --host / OLLAMA_HOST / model.host at it."


def resolve_host(configured: str = "") -> str:
    """The server URL: settings, then `OLLAMA_HOST`, then the default; scheme and port filled in."""
    host = (configured or os.environ.get("OLLAMA_HOST", "") or DEFAULT_HOST).strip().rstrip("/")
    if "://" not in host:
        host = "http://" + host
    scheme, _, rest = host.partition("://")
    hostport, slash, path = rest.partition("/")
    if hostport.startswith(":"):
        hostport = "127.0.0.1" + hostport
    if not re.search(r":\d+$", hostport):
        hostport += ":11434"
    if hostport.startswith("0.0.0.0:"):  # a bind address, not one to connect to
        hostport = "127.0.0.1" + hostport[7:]
    return f"{scheme}://{hostport}{slash}{path}".rstrip("/")


def missing_model_message(model: str, host: str) -> str:
    """What to say when the server does not have the model."""
    return (
        f"the model {model!r} is not installed on the Ollama server at {host}. "
        f"Pull it with: ollama pull {model}   (or: codeact-tui pull {model})"
    )


def same_model(a: str, b: str) -> bool:
    """Whether two Ollama model names mean the same model (`name` is `name:latest`)."""

    def norm(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"

    return norm(a) == norm(b)


@dataclass(frozen=True)
class LocalModel:
    """A model installed on the server."""

    name: str
    size_bytes: int
    modified: str
    parameter_size: str = ""
    quantization: str = ""


@dataclass(frozen=True)
class PullProgress:
    """One progress line of a pull."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


class OllamaServer:
    """The server-level API: show, list, running models, pull. One client per instance."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.host = resolve_host(settings.host)
        self.timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.request_timeout_s,
            write=settings.request_timeout_s,
            pool=settings.connect_timeout_s,
        )
        self.client = ollama.AsyncClient(host=self.host, timeout=self.timeout)

    def error(self, exc: BaseException, during: str, model: str = "") -> ModelError:
        """The ModelError for a failure; a 404 about a model becomes the pull hint."""
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404 and model:
                return ModelSetupError(missing_model_message(model, self.host))
            code = f" (HTTP {exc.status_code})" if exc.status_code > 0 else ""
            return ModelStreamError(f"Ollama reported an error while {during}{code}: {exc.error}")
        return translate(exc, server=SERVER, host=self.host, during=during, hint=HINT, timeout_s=self.settings.request_timeout_s)

    async def show(self, model: str) -> ollama.ShowResponse:
        """`/api/show` for one model."""
        try:
            return await self.client.show(model)
        except Exception as exc:
            raise self.error(exc, "reading the model's details", model) from exc

    async def running(self) -> list[Any]:
        """`/api/ps`: the models in memory."""
        try:
            return list((await self.client.ps()).models)
        except Exception as exc:
            raise self.error(exc, "listing running models") from exc

    async def list_models(self) -> list[LocalModel]:
        """`/api/tags`: the installed models, by name."""
        try:
            response = await self.client.list()
        except Exception as exc:
            raise self.error(exc, "listing models") from exc
        models = []
        for entry in response.models:
            details = entry.details
            models.append(
                LocalModel(
                    name=entry.model or "",
                    size_bytes=int(entry.size or 0),
                    modified=str(entry.modified_at or ""),
                    parameter_size=(details.parameter_size or "") if details else "",
                    quantization=(details.quantization_level or "") if details else "",
                )
            )
        return sorted(models, key=lambda m: m.name)

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """`/api/pull`, streamed: progress lines until `success`."""
        stream = None
        try:
            stream = await self.client.pull(model, stream=True)
            async for part in stream:
                yield PullProgress(part.status or "", part.digest or "", int(part.total or 0), int(part.completed or 0))
        except Exception as exc:
            raise self.error(exc, f"pulling {model}") from exc
        finally:
            await _close(stream)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.close()


async def _close(stream: object) -> None:
    """Close a client stream (an async generator) so its HTTP response is released."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def context_length(show: ollama.ShowResponse) -> int | None:
    """The trained context length from `/api/show` (`<architecture>.context_length`)."""
    info = show.modelinfo or {}
    arch = info.get("general.architecture")
    if arch and isinstance(info.get(f"{arch}.context_length"), int):
        return int(info[f"{arch}.context_length"])
    for key, value in info.items():
        if key.endswith(".context_length") and isinstance(value, int):
            return value
    return None


def modelfile_num_ctx(show: ollama.ShowResponse) -> int | None:
    """A `num_ctx` the model's Modelfile sets, if any."""
    match = re.search(r"^\s*num_ctx\s+(\d+)", show.parameters or "", re.MULTILINE)
    return int(match.group(1)) if match else None


def choose_num_ctx(settings: ModelSettings, trained: int | None, modelfile: int | None) -> int:
    """The session's one `num_ctx`: the setting, else the Modelfile's, else the trained length,
    capped at `max_ctx` (bigger windows cost memory) and never above the trained length."""
    if settings.num_ctx > 0:
        return settings.num_ctx
    chosen = modelfile or trained or FALLBACK_CONTEXT
    chosen = min(chosen, settings.max_ctx)
    if trained:
        chosen = min(chosen, trained)
    return max(chosen, 512)


class OllamaChatModel:
    """A ChatModel on an Ollama server; one instance is one session with one `num_ctx`."""

    def __init__(self, settings: ModelSettings, server: OllamaServer | None = None) -> None:
        self.settings = settings
        self.server = server or OllamaServer(settings)
        self.name = settings.model
        self._info: ModelInfo | None = None
        self._options: dict[str, Any] = {}

    @property
    def options(self) -> dict[str, Any]:
        """The request options pinned by `prepare` (a copy)."""
        return dict(self._options)

    async def prepare(self) -> ModelInfo:
        """Check the server and the model; pin `num_ctx` for the session (once)."""
        if self._info is not None:
            return self._info
        if not self.name:
            # Ask the server first: when it is down, that is the problem to report and fix first.
            installed = [m.name for m in await self.server.list_models()]
            listed = f"installed: {', '.join(installed[:5])}" if installed else "none installed yet: `codeact-tui pull NAME`"
            raise ModelSetupError(f"no model chosen: pass --model NAME or set model.model in the config ({listed})")
        show = await self.server.show(self.name)
        trained = context_length(show)
        num_ctx = choose_num_ctx(self.settings, trained, modelfile_num_ctx(show))
        self._options = {"num_ctx": num_ctx}
        if self.settings.max_reply_tokens > 0:
            self._options["num_predict"] = self.settings.max_reply_tokens
        family = (show.details.family or "") if show.details else ""
        self._info = ModelInfo(self.name, "ollama", num_ctx, trained, self.server.host, family)
        return self._info

    async def is_loaded(self) -> bool:
        """Whether the model is in memory with our `num_ctx` (else the next request loads it)."""
        for entry in await self.server.running():
            if same_model(entry.model or getattr(entry, "name", "") or "", self.name):
                loaded_ctx = getattr(entry, "context_length", None)
                return not (loaded_ctx and self._options and loaded_ctx != self._options["num_ctx"])
        return False

    async def load(self) -> float:
        """Warm the model up with an empty chat (Ollama loads it and returns); same options."""
        await self.prepare()
        started = time.perf_counter()
        try:
            await self.server.client.chat(
                model=self.name, messages=[], options=self._options, keep_alive=self.settings.keep_alive or None
            )
        except Exception as exc:
            raise self.server.error(exc, "loading the model", self.name) from exc
        return time.perf_counter() - started

    def count_tokens(self, text: str) -> int:
        """Ollama has no tokenize endpoint: a conservative estimate."""
        return estimate_tokens(text)

    async def stream(
        self, messages: Sequence[ChatMessage], *, stop: Sequence[str] = (), sampling: Sampling | None = None
    ) -> AsyncIterator[ModelStreamItem]:
        """Stream one reply; closing this generator closes the HTTP response. Sampling values
        travel in `options` beside the pinned `num_ctx` (changing them does not reload the model)."""
        await self.prepare()
        options = {**self._options, **request_sampling(self.settings, sampling)}
        if stop:
            options["stop"] = list(stop)
        started = time.perf_counter()
        first: float | None = None
        final: Any = None
        stream = None
        try:
            stream = await self.server.client.chat(
                model=self.name,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                options=options,
                keep_alive=self.settings.keep_alive or None,
            )
            async for part in stream:
                content = part.message.content if part.message else None
                if content:
                    if first is None:
                        first = time.perf_counter()
                    yield TextChunk(content)
                if part.done:
                    final = part
                    break
        except GeneratorExit:
            raise
        except Exception as exc:
            raise self.server.error(exc, "streaming a reply", self.name) from exc
        finally:
            await _close(stream)
        if final is None:
            raise self.server.error(httpx.RemoteProtocolError("the stream ended without its final line"), "streaming a reply")
        yield GenerationDone(self._stats(final, started, first))

    @staticmethod
    def _stats(final: Any, started: float, first: float | None) -> GenerationStats:
        now = time.perf_counter()
        eval_count = final.eval_count
        eval_s = (final.eval_duration or 0) / 1e9
        if eval_count and eval_s > 0:
            speed: float | None = eval_count / eval_s
        elif eval_count and first is not None and now > first:
            speed = eval_count / (now - first)
        else:
            speed = None
        return GenerationStats(
            prompt_tokens=final.prompt_eval_count,
            completion_tokens=eval_count,
            time_to_first_token_s=None if first is None else first - started,
            tokens_per_s=speed,
            load_s=(final.load_duration or 0) / 1e9,
            duration_s=now - started,
            done_reason=final.done_reason,
        )

    async def close(self) -> None:
        """Close the connections."""
        await self.server.close()
