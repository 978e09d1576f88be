"""`codeact-tui exec CODE`: run one code action in the project's sandbox, recorded in history.

Exit status: 0 success, 1 the code raised (or exited non-zero), 3 stopped by a limit or an
interrupt, 2 usage or setup error, 4 a preview could not be applied (the project changed
underneath, or the code did not finish).

`--preview` runs the code over a copy-on-write overlay of the project and prints the diff it
would make; the project and its history are unchanged. `--apply` (or "y" at the question asked
on a terminal) then writes exactly that change set as one history entry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..executor import SandboxUnavailable
from ..executor import compile_cache
from .terminal_text import printable

if TYPE_CHECKING:
    from ..conversation import ManualActionOutcome

OK, RAISED, SETUP_ERROR, STOPPED, NOT_APPLIED = 0, 1, 2, 3, 4


def register(subparsers: Any) -> None:
    """Add `exec` to the CLI."""
    p = subparsers.add_parser(
        "exec",
        help="run Python code in the project's sandbox (recorded in history as a manual entry)",
        description="Run one code action in the WebAssembly sandbox, in the project folder. Its "
        "stdout and stderr are printed as they happen. Ctrl-C interrupts softly; a second "
        "Ctrl-C stops it hard. Exit status: 0 success, 1 the code raised, 3 stopped by a limit "
        "or an interrupt, 2 usage or setup error.",
    )
    p.add_argument("code", help="the Python code to run; '-' reads it from standard input")
    p.add_argument("--path", type=Path, default=Path("."), help="the project folder (default: the current one)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="stop the action after this many seconds (default: [sandbox] deadline_s)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the outcome instead of streaming output")
    p.add_argument("--preview", action="store_true", help="run the code over a copy-on-write overlay and print the diff it would make; the project and the history stay unchanged")
    p.add_argument("--apply", action="store_true", help="with --preview: then write exactly the previewed changes as one history entry (refused if the project changed meanwhile); on a terminal, without it, you are asked")
    p.set_defaults(handler=cmd_exec)


def _fail(message: str) -> int:
    print(f"codeact-tui: {message}", file=sys.stderr)
    return SETUP_ERROR


def compile_progress_printer(stream: Any = sys.stderr) -> Any:
    """A progress callback that shows the one-time compile's elapsed time on `stream`."""
    tty = stream.isatty()

    def show(elapsed: float) -> None:
        if tty:
            stream.write(f"\rPreparing the sandbox (one time only, about a minute)… {elapsed:4.0f}s")
            stream.flush()
        elif int(elapsed) % 10 == 0:
            stream.write(f"Preparing the sandbox (one time only)… {elapsed:.0f}s\n")
            stream.flush()

    return show


def ensure_warm_sandbox(quiet: bool = False) -> None:
    """Compile the sandbox module now, with progress on stderr, when the cache is cold."""
    state = compile_cache.cache_state()
    if state.warm:
        compile_cache.prune_stale(state.directory)  # caches of older versions: 280 MiB each
        return
    if not quiet:
        print("Preparing the sandbox: compiling the WebAssembly interpreter (one time only).", file=sys.stderr)
    took = compile_cache.warm(on_progress=None if quiet else compile_progress_printer())
    if not quiet:
        print(f"\rSandbox ready after {took:.0f}s.{' ' * 40}", file=sys.stderr)


def outcome_json(outcome: ManualActionOutcome) -> dict[str, Any]:
    """The JSON form of an exec outcome."""
    result = outcome.result
    return {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "status": result.status,
        "exit_code": result.exit_code,
        "stopped_by": result.stopped_by,
        "state_reset": result.state_reset,
        "truncated": list(result.truncated),
        "duration_s": round(result.duration_s, 4),
        "changed_files": [
            {"path": c.path, "change": c.change, **({"old_path": c.old_path} if c.old_path else {})}
            for c in result.changed_files
        ],
        "warnings": list(result.warnings),
        "history_entry": outcome.entry.id if outcome.entry else None,
    }


def exit_status(outcome: ManualActionOutcome) -> int:
    """Map an outcome to the documented exit status."""
    return {"ok": OK, "error": RAISED, "stopped": STOPPED}[outcome.result.status]


async def _run(code: str, project: Path, settings: Settings, timeout: float | None, as_json: bool) -> ManualActionOutcome:
    """Run the code as one manual action of a conversation; raises SetupError when the sandbox
    or the history cannot be used, or the run itself failed.

    The sandbox session (0.4 s of starting the interpreter, mostly outside Python) opens on its
    own thread while the conversation is imported and the history is opened.
    """
    from ..wiring import build_executor

    executor = build_executor(project, settings)
    opening = asyncio.ensure_future(executor.start())
    # A failure is reported by `start_sandbox` below, which tries once more.
    opening.add_done_callback(lambda task: task.cancelled() or task.exception())
    await asyncio.sleep(0)  # let the session's thread begin before the imports below
    from ..conversation import Conversation, ManualActionOutcome, Services, SetupError
    from ..core import events as ev

    conversation = Conversation(project, settings, Services(make_executor=lambda _project, _settings: executor))
    loop = asyncio.get_running_loop()
    presses = 0

    def on_sigint() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            print("\ncodeact-tui: interrupting… (Ctrl-C again stops it hard)", file=sys.stderr)
        conversation.interrupt()

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        await asyncio.to_thread(conversation.open_history)
        if conversation.history_error is not None:
            raise SetupError(f"the history store could not be used: {conversation.history_error}")
        await conversation.start_sandbox()
        result = entry = None
        async for event in conversation.manual(code, deadline_s=timeout):
            match event:
                case ev.ExecutionOutput(stream=stream, text=text) if not as_json:
                    target = sys.stdout if stream == "stdout" else sys.stderr
                    target.write(printable(text, keep_newlines=True))
                    target.flush()
                case ev.ExecutionFinished(result=finished):
                    result = finished
                case ev.SnapshotTaken(entry=recorded):
                    entry = recorded
                case ev.TurnFailed(message=message):
                    raise SetupError(message)
        assert result is not None
        return ManualActionOutcome(result, entry)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await conversation.close()
        await executor.close()  # if the history failed, the conversation never took it over


def cmd_exec(args: argparse.Namespace, settings: Settings) -> int:
    """Run the action and report it."""
    project: Path = args.path
    if not project.is_dir():
        return _fail(f"{project} is not a folder; pass a project folder with --path")
    code = sys.stdin.read() if args.code == "-" else args.code
    if args.timeout is not None and args.timeout <= 0:
        return _fail("--timeout must be a positive number of seconds")
    if args.apply and not args.preview:
        return _fail("--apply goes with --preview (a plain exec writes the project already)")
    if args.preview:
        from .exec_preview import cmd_preview

        return cmd_preview(code, project, settings, args)
    try:
        ensure_warm_sandbox(quiet=args.json)
        outcome = asyncio.run(_run(code, project, settings, args.timeout, args.json))
    except SandboxUnavailable as exc:
        return _fail(str(exc))
    except RuntimeError as exc:
        from ..conversation import SetupError  # imported by the run already

        if not isinstance(exc, SetupError):
            raise
        return _fail(str(exc))
    result = outcome.result
    if args.json:
        print(json.dumps(outcome_json(outcome), ensure_ascii=False))
        return exit_status(outcome)
    for warning in result.warnings:
        print(f"codeact-tui: warning: {printable(warning)}", file=sys.stderr)
    if result.status == "stopped":
        print(f"codeact-tui: stopped by {result.stopped_by}", file=sys.stderr)
    if outcome.entry is not None:
        files = ", ".join(printable(c.path) for c in outcome.entry.files[:5])
        more = f" and {len(outcome.entry.files) - 5} more" if len(outcome.entry.files) > 5 else ""
        print(
            f"codeact-tui: changed {files}{more} — history entry {outcome.entry.id} "
            f"(`codeact-tui diff {outcome.entry.id}`, `codeact-tui undo {outcome.entry.id}`)",
            file=sys.stderr,
        )
    return exit_status(outcome)
