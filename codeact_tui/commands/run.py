"""`codeact-tui run TASK`: run the CodeAct loop headless on one task.

Exit status: 0 the model gave an answer (with `--approve plan`, its plan); 1 the
turn failed or hit the turn limit; 2 setup error (server unreachable, model missing, sandbox or
history unusable), with the fix in the message; 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..config import Settings
from ..conversation import Conversation, Services, SetupError, apply_overrides
from ..core import events as ev
from ..core.agent import PREVIEW_DISCARDED
from ..core.ports import ModelSetupError
from ..core.transcript import TranscriptError
from .exec_code import compile_progress_printer
from .run_output import JsonLinesRenderer, TranscriptRenderer

ANSWERED, FAILED, SETUP_ERROR, INTERRUPTED = 0, 1, 2, 130

SERVICES = Services()
"""The services `run` uses (the composition root's default; tests replace it)."""


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
    p.add_argument("--profile", help="the model profile (default: [model] profile, else chosen from the model's name)")
    p.add_argument("--temperature", type=float, metavar="T", help="the sampling temperature (default: [model] temperature, else the model profile's)")
    p.add_argument("--max-turns", type=int, metavar="N", help="the most model replies before giving up (default: [agent] max_turns)")
    p.add_argument(
        "--approve",
        choices=["auto", "ask", "plan", "preview"],
        help="auto runs every action; ask asks on the terminal before each; plan runs actions on a read-only project (reads, analyses, tests; every write refused) and ends with a plan; preview runs each on a copy of the project, shows its output and diff, and applies it when you answer y",
    )
    p.add_argument(
        "--auto-test",
        action=argparse.BooleanOptionalAction,
        help="after the model changes Python files while the task speaks of tests, run the tests at once and show it their report; also before an answer when they have not run in the turn (default: [agent] auto_test, on)",
    )
    p.add_argument(
        "--fresh-attempts",
        type=int,
        metavar="N",
        help="when the model gives up or repeats itself while the tests fail after its changes, restore the project to the turn's start and ask it afresh, up to N times; the best attempt's files are kept (default: [agent] fresh_attempts, 2; 0: never)",
    )
    p.add_argument("--resume", nargs="?", const="latest", metavar="ID", help="continue the latest conversation of this project, or the one with this id")
    p.add_argument("--continue", dest="resume", action="store_const", const="latest", help="continue the latest conversation of this project (its variables come back too)")
    p.add_argument("--json", action="store_true", help="print one JSON object per event instead of a transcript")
    p.set_defaults(handler=cmd_run)


def _sandbox_progress(quiet: bool) -> Callable[[float], None] | None:
    """Progress of the one-time sandbox compile on stderr (nothing when `quiet`)."""
    if quiet:
        return None
    show = compile_progress_printer()

    def progress(elapsed_s: float) -> None:
        if elapsed_s == 0.0:
            print("Preparing the sandbox: compiling the WebAssembly interpreter (one time only).", file=sys.stderr)
        show(elapsed_s)

    return progress


async def run_task(
    task: str,
    project: Path,
    settings: Settings,
    render: Callable[[ev.Event], None],
    *,
    services: Services | None = None,
    resume: str | None = None,
) -> int:
    """Run one user turn to its end, rendering every event; returns the exit status."""
    conversation = Conversation(project, settings, services or SERVICES, resume=resume)
    try:
        try:
            conversation.load_resume()
        except TranscriptError as exc:
            raise SetupError(str(exc)) from None
        try:
            await conversation.prepare_model()  # fail fast, before the sandbox starts
        except ModelSetupError as exc:
            raise SetupError(str(exc)) from None
        await asyncio.to_thread(conversation.open_history)
        if conversation.history_error is not None:
            raise SetupError(f"the history store could not be used: {conversation.history_error}")
        took = await conversation.start_sandbox(_sandbox_progress(quiet=not sys.stderr.isatty()))
        if took is not None and sys.stderr.isatty():
            print(f"\rSandbox ready after {took:.0f}s.{' ' * 40}", file=sys.stderr)
        await conversation.connect()
        return await _drive(conversation, task, render)
    finally:
        await conversation.close()


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


PREVIEW_PROMPT = "Apply these changes to the project? [y]es / [N]o, discard them / [s]top the turn: "


def parse_preview_answer(answer: str) -> ev.Approval | None:
    """The decision a typed answer to a preview means (no by default), or None."""
    word = answer.strip().lower()
    if word in ("y", "yes", "a", "apply"):
        return ev.Approval("run")
    if word in ("", "n", "no", "d", "discard"):
        return ev.Approval("skip", reason=PREVIEW_DISCARDED)
    if word in ("s", "stop", "q", "quit"):
        return ev.Approval("stop")
    return None


async def ask_on_terminal(
    future: asyncio.Future[ev.Approval],
    stream_in: TextIO,
    stream_err: TextIO,
    *,
    prompt: str = APPROVAL_PROMPT,
    parse: Callable[[str], ev.Approval | None] = parse_approval,
) -> None:
    """Resolve an approval from lines typed on `stream_in` (read without blocking the loop,
    so Ctrl-C, which resolves the future itself, still works)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    fd = stream_in.fileno()
    loop.add_reader(fd, lambda: lines.put_nowait(stream_in.readline() or "stop\n"))
    try:
        while not future.done():
            stream_err.write(prompt)
            stream_err.flush()
            line = await lines.get()
            approval = parse(line)
            if approval is not None and not future.done():
                future.set_result(approval)
    finally:
        loop.remove_reader(fd)


async def _drive(conversation: Conversation, task: str, render: Callable[[ev.Event], None]) -> int:
    """Consume the turn; Ctrl-C interrupts it (a second Ctrl-C stops an action hard). In `ask`
    mode each action waits for an answer typed on the terminal."""
    loop = asyncio.get_running_loop()
    interrupted = False
    asking: set[asyncio.Task[None]] = set()

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        conversation.interrupt()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        installed = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        installed = False
    status = FAILED
    try:
        async for event in conversation.turn(task):
            render(event)
            if isinstance(event, ev.ApprovalRequested):
                asking.add(asyncio.create_task(ask_on_terminal(event.future, sys.stdin, sys.stderr)))
            elif isinstance(event, ev.PreviewReady):
                asking.add(
                    asyncio.create_task(
                        ask_on_terminal(event.future, sys.stdin, sys.stderr, prompt=PREVIEW_PROMPT, parse=parse_preview_answer)
                    )
                )
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


def cmd_run(args: argparse.Namespace, settings: Settings, services: Services | None = None) -> int:
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
    settings = apply_overrides(settings, args)
    if settings.agent.approve in ("ask", "preview") and (args.json or not sys.stdin.isatty() or args.task == "-"):
        print(
            f"codeact-tui run: approve = {settings.agent.approve} needs answers typed on a terminal "
            "(standard input is not one here); use --approve auto to run every action, or "
            "--approve plan to run them on a read-only project",
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
