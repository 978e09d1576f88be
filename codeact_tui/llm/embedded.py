"""The embedded backend: llama-cpp-python in this process, on a GGUF file. No server at all.

`llama_cpp` is an optional extra (`pip install 'codeact-tui[embedded]'`) and is imported only
when the backend is prepared, so nothing else pays for it. Generation runs in a worker thread
that hands tokens to the event loop; closing the stream sets a flag the thread checks between
tokens, and a lock keeps one generation at a time (llama.cpp contexts are not thread-safe).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ..config import ModelSettings
from ..core.context import estimate_tokens
from ..core.ports import (
    ChatMessage,
    GenerationDone,
    GenerationStats,
    ModelInfo,
    ModelSetupError,
    ModelStreamError,
    ModelStreamItem,
    Sampling,
    TextChunk,
)
from .gguf import GGUFError, read_metadata
from .sampling import request_sampling

FALLBACK_CONTEXT = 4096
INSTALL_HINT = (
    "install the embedded extra: CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install --no-cache-dir "
    "'codeact-tui[embedded]'"
)
_END = object()


def import_llama_cpp() -> Any:
    """The `llama_cpp` module, or ModelSetupError saying how to install it."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelSetupError(f"the embedded backend needs llama-cpp-python ({exc}); {INSTALL_HINT}") from None
    return llama_cpp


def trained_context(metadata: dict[str, Any]) -> int | None:
    """The context length a GGUF file declares (`<architecture>.context_length`)."""
    arch = metadata.get("general.architecture")
    for key in ([f"{arch}.context_length"] if arch else []) + [k for k in metadata if k.endswith(".context_length")]:
        try:
            return int(metadata[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


class EmbeddedChatModel:
    """A ChatModel running a GGUF file with llama.cpp in-process."""

    def __init__(self, settings: ModelSettings, *, threads: int | None = None) -> None:
        self.settings = settings
        self.path = Path(settings.model).expanduser() if settings.model else None
        self.name = self.path.name if self.path else ""
        self._threads = threads or max(os.cpu_count() or 1, 1)
        self._llm: Any = None
        self._info: ModelInfo | None = None
        self._lock = threading.Lock()

    async def prepare(self) -> ModelInfo:
        """Check llama-cpp-python and the file; read the trained context; pin the window."""
        if self._info is not None:
            return self._info
        if self.path is None:
            raise ModelSetupError("the embedded backend needs a GGUF file: pass --model PATH or set model.model")
        if not self.path.is_file():
            raise ModelSetupError(f"no GGUF model file at {self.path}")
        import_llama_cpp()  # fail now, before the conversation starts, if it is missing
        try:
            metadata = await asyncio.to_thread(read_metadata, self.path)
        except (GGUFError, OSError) as exc:
            raise ModelSetupError(f"cannot read the model file {self.path}: {exc}") from None
        trained = trained_context(metadata)
        if self.settings.num_ctx > 0:
            window = self.settings.num_ctx
        else:
            window = min(trained or FALLBACK_CONTEXT, self.settings.max_ctx)
        self._info = ModelInfo(self.name, "embedded", window, trained, family=str(metadata.get("general.name") or ""))
        return self._info

    async def is_loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._llm is not None

    async def load(self) -> float:
        """Load the weights with the pinned window (seconds to minutes for large files)."""
        info = await self.prepare()
        if self._llm is not None:
            return 0.0
        llama_cpp = import_llama_cpp()
        started = time.perf_counter()
        try:
            self._llm = await asyncio.to_thread(
                llama_cpp.Llama,
                model_path=str(self.path),
                n_ctx=info.context_window,
                n_threads=self._threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelSetupError(f"llama.cpp could not load {self.path}: {exc}") from None
        return time.perf_counter() - started

    def count_tokens(self, text: str) -> int:
        """The model's own tokenizer once loaded, else an estimate."""
        if self._llm is None or not text:
            return estimate_tokens(text)
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    async def stream(
        self, messages: Sequence[ChatMessage], *, stop: Sequence[str] = (), sampling: Sampling | None = None
    ) -> AsyncIterator[ModelStreamItem]:
        """Generate in a worker thread; closing this generator stops it between tokens. Sampling
        values are `create_chat_completion` arguments of the same names; what is unset keeps
        llama-cpp-python's default (temperature 0.2, top_p 0.95, top_k 40, min_p 0.05)."""
        if self._llm is None:
            await self.load()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()
        llm = self._llm
        payload = [{"role": m.role, "content": m.content} for m in messages]
        counts: dict[str, int] = {"completion": 0, "prompt": 0}
        finish: list[str | None] = [None]
        sample = request_sampling(self.settings, sampling)

        def work() -> None:
            with self._lock:
                try:
                    earlier = list(llm.input_ids[: llm.n_tokens])  # what llama.cpp holds from the last request
                    chunks = llm.create_chat_completion(
                        messages=payload,
                        stream=True,
                        stop=list(stop) or None,
                        **sample,
                        max_tokens=self.settings.max_reply_tokens if self.settings.max_reply_tokens > 0 else None,
                    )
                    try:
                        for chunk in chunks:
                            if cancelled.is_set():
                                finish[0] = "cancelled"
                                break
                            choice = chunk["choices"][0]
                            content = (choice.get("delta") or {}).get("content")
                            if content:
                                counts["completion"] += 1
                                loop.call_soon_threadsafe(queue.put_nowait, content)
                            finish[0] = choice.get("finish_reason") or finish[0]
                    finally:
                        close = getattr(chunks, "close", None)
                        if close is not None:
                            close()
                    counts["prompt"] = max(int(getattr(llm, "n_tokens", 0)) - counts["completion"], 0)
                    counts["cached"] = min(_common_prefix(earlier, llm.input_ids[: llm.n_tokens]), counts["prompt"])
                except BaseException as exc:  # handed to the event loop
                    loop.call_soon_threadsafe(queue.put_nowait, exc)
                finally:
                    loop.call_soon_threadsafe(queue.put_nowait, _END)

        started = time.perf_counter()
        first: float | None = None
        worker = loop.run_in_executor(None, work)
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, BaseException):
                    raise ModelStreamError(f"llama.cpp failed while generating: {type(item).__name__}: {item}")
                if first is None:
                    first = time.perf_counter()
                yield TextChunk(item)
        finally:
            cancelled.set()
            await asyncio.shield(worker)
        now = time.perf_counter()
        completion = counts["completion"] or None
        yield GenerationDone(
            GenerationStats(
                prompt_tokens=counts["prompt"] or None,
                completion_tokens=completion,
                time_to_first_token_s=None if first is None else first - started,
                tokens_per_s=(completion / (now - first)) if completion and first is not None and now > first else None,
                duration_s=now - started,
                done_reason=finish[0] or "stop",
                cached_prompt_tokens=counts.get("cached"),
            )
        )

    async def close(self) -> None:
        """Free the weights."""
        llm, self._llm = self._llm, None
        if llm is not None:
            close = getattr(llm, "close", None)
            if close is not None:
                await asyncio.to_thread(close)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences share (llama.cpp reuses that much of its cache)."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
