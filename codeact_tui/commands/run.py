"""`codeact-tui run TASK`: run the CodeAct loop headless on one task.

Exit status: 0 the model gave an answer (or, with `--approve plan`, proposed an action); 1 the
turn failed or hit the turn limit; 2 setup error (server unreachable, model missing, sandbox or
history unusable), with the fix in the message; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import paths
from ..config import ModelSettings, Settings
from ..core import events as ev
from ..core.agent import Agent, AgentOptions
from ..core.ports import ChatModel, Executor, History, ModelSetupError
from ..core.prompts import PromptLibrary, build_system_prompt
from ..core.transcript import (
    Transcript,
    TranscriptError,
    find_transcript,
    load_messages,
)
from ..resources import resource_dir
from ..wiring import repo_map_text
from .run_output import JsonLinesRenderer, TranscriptRenderer

ANSWERED, FAILED, SETUP_ERROR, INTERRUPTED = 0, 1, 2, 130


class SetupError(RuntimeError):
    """The run cannot start; the message says why and what to do."""


Workspace = tuple[Executor, History | None]
WorkspaceOpener = Callable[[Path, Settings, bool], AbstractAsyncContextManager[Workspace]]


@asynccontextmanager
async def open_sandbox_workspace(project: Path, settings: Settings, execute: bool) -> AsyncIterator[Workspace]:
    """The real sandbox and history store of a project (the sandbox only when actions run)."""
    from ..executor import SandboxUnavailable
    from ..history import HistoryError, HistoryStore
    from ..wiring import build_executor

    try:
        history = HistoryStore.open(project, settings.history)
    except HistoryError as exc:
        raise SetupError(f"the history store could not be used: {exc}") from None
    with history:
        if not execute:
            yield _NoExecutor(), history
            return
        from .exec_code import ensure_warm_sandbox

        try:
            ensure_warm_sandbox(quiet=not sys.stderr.isatty())
            executor = build_executor(project, settings)
            await executor.start()
        except SandboxUnavailable as exc:
            raise SetupError(str(exc)) from None
        try:
            yield executor, history
        finally:
            await executor.close()


def _make_model(settings: ModelSettings) -> ChatModel:
    from ..llm.factory import make_chat_model

    return make_chat_model(settings)


@dataclass
class RunServices:
    """How `run` builds what it talks to; tests replace these with fakes."""

    make_model: Callable[[ModelSettings], ChatModel] = field(default=_make_model)
    open_workspace: WorkspaceOpener = field(default=open_sandbox_workspace)
    repo_map: Callable[[Path, Settings, int], str | None] | None = None
    """Builds the repo map for the system prompt (project, settings, token budget); None: the
    code-intelligence map."""
    code_tools: bool = True
    """Whether the workspace offers the code tools (so the system prompt describes them)."""


SERVICES = RunServices()
"""The services `run` uses (the composition root's default)."""


class _NoExecutor:
    """The executor of `--approve plan`: nothing ever runs."""

    async def run(self, code: str, *, on_output: Any = None, deadline_s: float | None = None) -> Any:
        raise RuntimeError("plan mode never runs code")

    def interrupt(self) -> None:
        pass

    async def close(self) -> None:
        pass


def register(subparsers: Any) -> None:
    """Add `run` to the CLI."""
    p = subparsers.add_parser(
        "run",
        help="run the agent headless on one task",
        description="Give the model a task; it acts by writing Python that runs in the project's "
        "sandbox, reads the output and keeps going until it answers. Every action is recorded "
        "in the history (diff and undo it later). Exit status: 0 answered, 1 the turn failed "
        "or hit the turn limit, 2 setup error (server unreachable, model missing), 130 "
        "interrupted.",
    )
    p.add_argument("task", help="what the model should do; '-' reads it from standard input")
    p.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: the current one)")
    p.add_argument("--backend", choices=["ollama", "openai", "embedded"], help="the model backend (default: [model] backend)")
    p.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    p.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")
    p.add_argument("--max-turns", type=int, metavar="N", help="the most model replies before giving up (default: [agent] max_turns)")
    p.add_argument(
        "--approve",
        choices=["auto", "ask", "plan"],
        help="auto runs every action; ask asks on the terminal before each; plan shows the first action and runs nothing",
    )
    p.add_argument("--resume", nargs="?", const="latest", metavar="ID", help="continue the latest conversation of this project, or the one with this id")
    p.add_argument("--json", action="store_true", help="print one JSON object per event instead of a transcript")
    p.set_defaults(handler=cmd_run)


def apply_overrides(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with the command line's choices applied."""
    model_changes = {k: v for k, v in (("backend", args.backend), ("host", args.host), ("model", args.model)) if v is not None}
    agent_changes = {k: v for k, v in (("max_turns", args.max_turns), ("approve", args.approve)) if v is not None}
    return dataclasses.replace(
        settings,
        model=dataclasses.replace(settings.model, **model_changes),
        agent=dataclasses.replace(settings.agent, **agent_changes),
    )


async def run_task(
    task: str,
    project: Path,
    settings: Settings,
    render: Callable[[ev.Event], None],
    *,
    services: RunServices | None = None,
    resume: str | None = None,
) -> int:
    """Run one task to its end, rendering every event; returns the exit status."""
    services = services or SERVICES
    conversations = paths.project_data_dir(project) / "conversations"
    earlier = []
    transcript: Transcript | None = None
    if resume is not None:
        try:
            path = find_transcript(conversations, resume)
        except TranscriptError as exc:
            raise SetupError(str(exc)) from None
        earlier = load_messages(path)
        transcript = Transcript.open(path)
    model = services.make_model(settings.model)
    try:
        try:
            info = await model.prepare()  # fail fast, before the sandbox starts
        except ModelSetupError as exc:
            raise SetupError(str(exc)) from None
        budget = min(settings.codeintel.map_tokens, info.context_window // 8)
        make_map = services.repo_map or repo_map_text
        repo_map = make_map(project, settings, budget) if budget > 0 else None
        prompts = PromptLibrary(resource_dir("prompts"))
        system_prompt = build_system_prompt(
            prompts,
            project=project,
            instructions_file=settings.agent.instructions_file,
            repo_map=repo_map,
            code_tools=services.code_tools and settings.agent.approve != "plan",
        )
        if transcript is None:
            transcript = Transcript.create(conversations, project=str(project.resolve()), model=f"{info.backend}:{info.name}")
        execute = settings.agent.approve != "plan"
        async with services.open_workspace(project, settings, execute) as (executor, history):
            agent = Agent(
                model=model,
                executor=executor,
                history=history,
                prompts=prompts,
                system_prompt=system_prompt,
                options=AgentOptions(
                    max_turns=settings.agent.max_turns,
                    approve=settings.agent.approve,
                    observation_limit_lines=settings.agent.observation_limit_lines,
                    stuck_after=settings.agent.stuck_after,
                ),
                transcript=transcript,
                resume=earlier,
            )
            return await _drive(agent, task, render)
    finally:
        await model.close()
        if transcript is not None:
            transcript.close()


APPROVAL_PROMPT = "Run this action? [Y]es / [n]o, skip it / [s]top the turn: "


def parse_approval(answer: str) -> ev.Approval | None:
    """The decision a typed answer means, or None when it means nothing."""
    word = answer.strip().lower()
    if word in ("", "y", "yes", "r", "run"):
        return ev.Approval("run")
    if word in ("n", "no", "skip"):
        return ev.Approval("skip", reason="The user declined.")
    if word in ("s", "stop", "q", "quit"):
        return ev.Approval("stop")
    return None


async def ask_on_terminal(future: asyncio.Future[ev.Approval], stream_in: TextIO, stream_err: TextIO) -> None:
    """Resolve an approval from lines typed on `stream_in` (read without blocking the loop,
    so Ctrl-C, which resolves the future itself, still works)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    fd = stream_in.fileno()
    loop.add_reader(fd, lambda: lines.put_nowait(stream_in.readline() or "stop\n"))
    try:
        while not future.done():
            stream_err.write(APPROVAL_PROMPT)
            stream_err.flush()
            line = await lines.get()
            approval = parse_approval(line)
            if approval is not None and not future.done():
                future.set_result(approval)
    finally:
        loop.remove_reader(fd)


async def _drive(agent: Agent, task: str, render: Callable[[ev.Event], None]) -> int:
    """Consume the turn; Ctrl-C interrupts it (a second Ctrl-C stops an action hard). In `ask`
    mode each action waits for an answer typed on the terminal."""
    loop = asyncio.get_running_loop()
    interrupted = False
    asking: set[asyncio.Task[None]] = set()

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        agent.interrupt()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        installed = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        installed = False
    status = FAILED
    try:
        async for event in agent.run_turn(task):
            render(event)
            if isinstance(event, ev.ApprovalRequested):
                asking.add(asyncio.create_task(ask_on_terminal(event.future, sys.stdin, sys.stderr)))
            elif isinstance(event, ev.TurnFinished):
                status = ANSWERED
            elif isinstance(event, ev.TurnFailed):
                status = SETUP_ERROR if event.kind == "setup" else INTERRUPTED if event.kind == "interrupted" and interrupted else FAILED
    finally:
        for waiting in asking:
            waiting.cancel()
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
    return status


def cmd_run(args: argparse.Namespace, settings: Settings, services: RunServices | None = None) -> int:
    """The `run` handler."""
    project: Path = args.path
    if not project.is_dir():
        print(f"codeact-tui run: {project} is not a folder; pass a project folder with --path", file=sys.stderr)
        return SETUP_ERROR
    if args.max_turns is not None and args.max_turns < 1:
        print("codeact-tui run: --max-turns must be at least 1", file=sys.stderr)
        return SETUP_ERROR
    task = sys.stdin.read() if args.task == "-" else args.task
    if not task.strip():
        print("codeact-tui run: the task is empty", file=sys.stderr)
        return SETUP_ERROR
    settings = apply_overrides(args, settings)
    if settings.agent.approve == "ask" and (args.json or not sys.stdin.isatty() or args.task == "-"):
        print(
            "codeact-tui run: approve = ask needs answers typed on a terminal; "
            "use --approve auto or --approve plan here",
            file=sys.stderr,
        )
        return SETUP_ERROR
    render: Callable[[ev.Event], None] = (
        JsonLinesRenderer(sys.stdout) if args.json else TranscriptRenderer(sys.stdout, sys.stderr)
    )
    try:
        return asyncio.run(run_task(task, project, settings, render, services=services, resume=args.resume))
    except SetupError as exc:
        if args.json:
            render(ev.TurnFailed("", "setup", str(exc), 0))
        else:
            print(f"codeact-tui run: {exc}", file=sys.stderr)
        return SETUP_ERROR
