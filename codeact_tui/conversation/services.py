"""How a conversation builds what it talks to: model, sandbox, history, repo map, model server.

`Services` is the seam tests use (the Posting `make_posting` habit): the CLI and the app use the
defaults (the real adapters, imported lazily so start-up stays quick); tests replace single
fields with fakes that speak the real protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ModelSettings, Settings
from ..core.ports import ChatModel, Executor, History


@dataclass(frozen=True)
class ModelChoice:
    """An installed model, for the picker."""

    name: str
    """The model's name."""
    size_bytes: int = 0
    """Its size on disk."""
    details: str = ""
    """Parameter count and quantization, when known."""
    context_length: int | None = None
    """The trained context length, when the server says."""


@dataclass(frozen=True)
class PullStep:
    """One progress report of a model pull."""

    status: str
    """The server's words ("pulling manifest", "success", ...)."""
    completed: int = 0
    """Bytes done of the current layer."""
    total: int = 0
    """Bytes of the current layer (0 when unknown)."""


def make_model(settings: ModelSettings) -> ChatModel:
    """The chat model the settings name (the one place the backends are chosen)."""
    from ..llm.factory import make_chat_model

    return make_chat_model(settings)


def _open_history(project: Path, settings: Settings) -> History:
    from ..history import HistoryStore

    return HistoryStore.open(project, settings.history)


def _history_exists(project: Path) -> bool:
    from ..history import HistoryStore

    return HistoryStore.exists(project)


def _history_size(project: Path, settings: Settings) -> tuple[int, str | None] | None:
    from ..history import HistoryStore

    return HistoryStore.size_report(project, settings.history)


def _make_executor(project: Path, settings: Settings) -> Executor:
    from ..wiring import build_executor

    return build_executor(project, settings)


def _sandbox_is_warm() -> bool:
    from ..executor import compile_cache

    try:
        state = compile_cache.cache_state()
    except Exception:
        return False
    if state.warm:
        compile_cache.prune_stale(state.directory)  # caches of older versions: 280 MiB each
    return state.warm


def _warm_sandbox(on_progress: Callable[[float], None] | None) -> float:
    from ..executor import compile_cache

    return compile_cache.warm(on_progress=on_progress)


def _repo_map(project: Path, settings: Settings, budget: int) -> str | None:
    from ..wiring import repo_map_text

    return repo_map_text(project, settings.codeintel, budget)


async def _list_models(settings: ModelSettings) -> list[ModelChoice]:
    if settings.backend != "ollama":
        return [ModelChoice(settings.model)] if settings.model else []
    from ..llm.ollama import OllamaServer, context_length

    server = OllamaServer(settings)
    try:
        choices = []
        for model in await server.list_models():
            try:
                trained = context_length(await server.show(model.name))
            except Exception:
                trained = None
            details = " ".join(part for part in (model.parameter_size, model.quantization) if part)
            choices.append(ModelChoice(model.name, model.size_bytes, details, trained))
        return choices
    finally:
        await server.close()


async def _pull_model(settings: ModelSettings, name: str) -> AsyncIterator[PullStep]:
    from ..llm.ollama import OllamaServer

    server = OllamaServer(settings)
    try:
        async for part in server.pull(name):
            yield PullStep(part.status, part.completed, part.total)
    finally:
        await server.close()


def _server_host(model: ChatModel | None, settings: ModelSettings) -> str:
    """The model server's address as the backend resolved it (for setup messages)."""
    return str(getattr(getattr(model, "server", None), "host", "") or settings.host)


@dataclass(frozen=True)
class Services:
    """How a conversation builds what it talks to; tests replace single fields."""

    make_model: Callable[[ModelSettings], ChatModel] = field(default=make_model)
    """Builds the chat model (not yet prepared)."""
    open_history: Callable[[Path, Settings], History | None] = field(default=_open_history)
    """Opens the project's history store (blocking; None: no history is kept)."""
    history_exists: Callable[[Path], bool] = field(default=_history_exists)
    """Whether the project has a history store yet (without creating one)."""
    history_size: Callable[[Path, Settings], tuple[int, str | None] | None] = field(default=_history_size)
    """(bytes, warning or None) of the project's history store without opening it; None: none."""
    make_executor: Callable[[Path, Settings], Executor] = field(default=_make_executor)
    """Builds the sandbox executor (started by the conversation, if it has `start`)."""
    sandbox_is_warm: Callable[[], bool] = field(default=_sandbox_is_warm)
    """Whether the one-time sandbox compile is done (blocking)."""
    warm_sandbox: Callable[[Callable[[float], None] | None], float] = field(default=_warm_sandbox)
    """Runs the one-time compile (blocking; called from a thread) and reports elapsed seconds."""
    repo_map: Callable[[Path, Settings, int], str | None] = field(default=_repo_map)
    """The repo map for the system prompt (project, settings, token budget); None when none."""
    code_tools: bool = True
    """Whether the executor offers the code tools (so the system prompt describes them)."""
    list_models: Callable[[ModelSettings], Awaitable[list[ModelChoice]]] = field(default=_list_models)
    """The models installed on the server."""
    pull_model: Callable[[ModelSettings, str], AsyncIterator[PullStep]] = field(default=_pull_model)
    """Downloads a model, reporting progress."""
    server_host: Callable[[ChatModel | None, ModelSettings], str] = field(default=_server_host)
    """The model server's address, for setup messages."""
