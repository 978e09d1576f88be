"""What the app talks to — model, sandbox, history, transcript — built by one factory.

`AppServices` is the seam tests use (the Posting `make_posting` habit): the CLI passes the real
services, Pilot tests pass a fake model server's settings or an in-process executor. Nothing here
imports textual; screens call these from workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..config import ModelSettings, Settings
from ..core.agent import Agent, AgentOptions
from ..core.context import ConversationMessage
from ..core.ports import ChatModel, ExecutionResult, Executor, ModelInfo, OutputCallback
from ..core.prompts import PromptLibrary, build_system_prompt
from ..core.transcript import Transcript, find_transcript, load_messages, read_records
from ..resources import resource_dir

# --- the default, real services -------------------------------------------------------------


def _make_model(settings: ModelSettings) -> ChatModel:
    from ..llm.factory import make_chat_model

    return make_chat_model(settings)


def _open_history(project: Path, settings: Settings) -> Any:
    from ..history import HistoryStore

    return HistoryStore.open(project, settings.history)


def _make_executor(project: Path, settings: Settings) -> Executor:
    from ..wiring import build_executor

    return build_executor(project, settings)


def _sandbox_is_warm() -> bool:
    from ..executor import compile_cache

    try:
        return compile_cache.cache_state().warm
    except Exception:
        return False


def _warm_sandbox(on_progress: Callable[[float], None]) -> float:
    from ..executor import compile_cache

    return compile_cache.warm(on_progress=on_progress)


def _repo_map(project: Path, settings: Settings, budget: int) -> str | None:
    from ..wiring import repo_map_text

    return repo_map_text(project, settings, budget)


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


@dataclass
class AppServices:
    """How the app builds what it talks to; tests replace single fields."""

    make_model: Callable[[ModelSettings], ChatModel] = field(default=_make_model)
    open_history: Callable[[Path, Settings], Any] = field(default=_open_history)
    """Opens the project's `HistoryStore` (None: no history is kept)."""
    make_executor: Callable[[Path, Settings], Executor] = field(default=_make_executor)
    sandbox_is_warm: Callable[[], bool] = field(default=_sandbox_is_warm)
    warm_sandbox: Callable[[Callable[[float], None]], float] = field(default=_warm_sandbox)
    """Runs the one-time compile (blocking; called from a thread) and reports elapsed seconds."""
    repo_map: Callable[[Path, Settings, int], str | None] = field(default=_repo_map)
    list_models: Callable[[ModelSettings], Any] = field(default=_list_models)
    """Async: the installed models."""
    pull_model: Callable[[ModelSettings, str], AsyncIterator[PullStep]] = field(default=_pull_model)


# --- the sandbox, started in the background ---------------------------------------------------


class DeferredExecutor:
    """An Executor whose sandbox starts in the background; `run` waits until it is up.

    So the app opens at once (even during the one-time compile) and the first action simply
    waits for the sandbox instead of blocking the screen.
    """

    def __init__(self, make: Callable[[], Executor]) -> None:
        self._make = make
        self._inner: Executor | None = None
        self._ready = asyncio.Event()
        self._error: str | None = None

    @property
    def ready(self) -> bool:
        """Whether the sandbox is up."""
        return self._inner is not None

    @property
    def error(self) -> str | None:
        """Why it could not start, if it could not."""
        return self._error

    async def start(self) -> None:
        """Start the sandbox session (after the compile cache is warm)."""
        try:
            inner = self._make()
            start = getattr(inner, "start", None)
            if start is not None:
                await start()
            self._inner = inner
        except Exception as exc:
            self._error = str(exc) or type(exc).__name__
            raise
        finally:
            self._ready.set()

    def fail(self, message: str) -> None:
        """Give up on starting (e.g. the compile failed)."""
        self._error = message
        self._ready.set()

    async def run(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> ExecutionResult:
        """Run code once the sandbox is up."""
        await self._ready.wait()
        if self._inner is None:
            raise RuntimeError(f"the sandbox is not available: {self._error}")
        return await self._inner.run(code, on_output=on_output, deadline_s=deadline_s)

    def interrupt(self) -> None:
        """Soft on the first call, hard on the second (the executor's own policy)."""
        if self._inner is not None:
            self._inner.interrupt()

    async def close(self) -> None:
        """End the session."""
        if self._inner is not None:
            await self._inner.close()


# --- the conversation -------------------------------------------------------------------------


@dataclass
class Session:
    """One project open in the app: settings, services, and (once the model answers) the agent."""

    project: Path
    settings: Settings
    services: AppServices
    resume: str | None = None
    """`latest` or a conversation id to continue; None starts a new conversation."""
    executor: DeferredExecutor = field(init=False)
    history: Any = None
    """The project's HistoryStore, or None when it could not be opened."""
    history_error: str | None = None
    model: ChatModel | None = None
    info: ModelInfo | None = None
    agent: Agent | None = None
    transcript: Transcript | None = None
    earlier: list[ConversationMessage] = field(default_factory=list)
    earlier_records: list[dict[str, Any]] = field(default_factory=list)
    """The resumed conversation's records, to redraw it."""
    always_approve: bool = False
    """In ask mode: the user chose "always" — further approvals are granted by the UI."""

    def __post_init__(self) -> None:
        self.executor = DeferredExecutor(lambda: self.services.make_executor(self.project, self.settings))

    @property
    def conversations_dir(self) -> Path:
        """Where this project's conversations are stored."""
        return paths.project_data_dir(self.project) / "conversations"

    def open_history(self) -> None:
        """Open the history store (blocking: call from a thread)."""
        try:
            self.history = self.services.open_history(self.project, self.settings)
        except Exception as exc:
            self.history_error = str(exc)

    def load_resume(self) -> None:
        """Read the conversation to continue, if one was asked for (raises TranscriptError)."""
        if self.resume is None:
            return
        path = find_transcript(self.conversations_dir, self.resume)
        self.earlier = load_messages(path)
        self.earlier_records = read_records(path)
        self.transcript = Transcript.open(path)

    async def connect(self) -> ModelInfo:
        """Check the model and build the agent (raises ModelSetupError with the fix)."""
        if self.model is None:
            self.model = self.services.make_model(self.settings.model)
        info = await self.model.prepare()
        budget = min(self.settings.codeintel.map_tokens, info.context_window // 8)
        repo_map = await asyncio.to_thread(self.services.repo_map, self.project, self.settings, budget) if budget > 0 else None
        prompts = PromptLibrary(resource_dir("prompts"))
        system_prompt = build_system_prompt(
            prompts,
            project=self.project,
            instructions_file=self.settings.agent.instructions_file,
            repo_map=repo_map,
            code_tools=self.settings.agent.approve != "plan",
        )
        if self.transcript is None:
            self.transcript = Transcript.create(
                self.conversations_dir, project=str(self.project.resolve()), model=f"{info.backend}:{info.name}"
            )
        resume = self.agent.messages if self.agent is not None else self.earlier
        agent_settings = self.settings.agent
        self.agent = Agent(
            model=self.model,
            executor=self.executor,
            history=self.history,
            prompts=prompts,
            system_prompt=system_prompt,
            options=AgentOptions(
                max_turns=agent_settings.max_turns,
                approve=agent_settings.approve,
                observation_limit_lines=agent_settings.observation_limit_lines,
                deadline_s=self.settings.sandbox.deadline_s,
            ),
            transcript=self.transcript,
            resume=resume,
        )
        self.info = info
        return info

    async def switch_model(self, name: str) -> None:
        """Use another model from the next turn on (the conversation continues)."""
        if self.model is not None:
            await self.model.close()
        self.settings = dataclasses.replace(self.settings, model=dataclasses.replace(self.settings.model, model=name))
        self.model = None
        self.info = None

    async def close(self) -> None:
        """Release the model, the sandbox, the history and the transcript."""
        if self.model is not None:
            try:
                await self.model.close()
            except Exception:
                pass
        try:
            await self.executor.close()
        except Exception:
            pass
        if self.history is not None:
            try:
                self.history.close()
            except Exception:
                pass
        if self.transcript is not None:
            self.transcript.close()
