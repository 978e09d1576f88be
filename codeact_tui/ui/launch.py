"""`codeact-tui [PATH]`: the app's command-line options and its launch (textual is imported
only when the app really starts, so the other subcommands stay quick)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..conversation.overrides import apply_overrides

if TYPE_CHECKING:
    from .app import CodeActApp


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the app launch (shared by `codeact-tui [PATH]` and `codeact-tui app`)."""
    parser.add_argument("path", nargs="?", type=Path, default=Path("."), help="the project folder (default: the current one)")
    parser.add_argument("--backend", choices=["ollama", "openai", "embedded"], help="the model backend (default: [model] backend)")
    parser.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    parser.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")
    parser.add_argument("--profile", help="the model profile (default: [model] profile, else chosen from the model's name)")
    parser.add_argument("--temperature", type=float, metavar="T", help="the sampling temperature (default: [model] temperature, else the model profile's)")
    parser.add_argument(
        "--approve",
        choices=["auto", "ask", "plan", "preview"],
        help="run actions at once, ask before each, run them on a read-only project (plan), or preview each on a copy and apply it on a key press (preview)",
    )
    parser.add_argument(
        "--auto-test",
        action=argparse.BooleanOptionalAction,
        help="after the model changes Python files while the request speaks of tests, run the tests at once; also before an answer when they have not run in the turn (default: [agent] auto_test, on)",
    )
    parser.add_argument(
        "--fresh-attempts",
        type=int,
        metavar="N",
        help="when the model gives up or repeats itself while the tests fail, restore the turn's start and ask it afresh, up to N times (default: [agent] fresh_attempts, 2)",
    )
    parser.add_argument("--continue", dest="continue_", action="store_true", help="continue this project's latest conversation")
    parser.add_argument("--resume", nargs="?", const="", metavar="ID", help="pick an earlier conversation to continue (or give its id)")
    parser.add_argument("--theme", help="the theme (codeact-dark, codeact-light, a Textual theme, or one of your theme files)")


def register(subparsers: Any) -> None:
    """Add `app` (what `codeact-tui [PATH]` runs) to the CLI."""
    p = subparsers.add_parser(
        "app",
        help="open the terminal app (the default: `codeact-tui [PATH]`)",
        usage="codeact-tui [app] [PATH] [--model M] [--backend B] [--host URL] [--approve MODE]\n"
        "                         [--no-auto-test] [--continue | --resume [ID]] [--theme NAME]",
        description="Open the terminal app in a project: ask for changes, watch the model act in "
        "the sandbox, review every diff and undo it. F1 in the app lists the keys.",
    )
    add_app_arguments(p)
    p.set_defaults(handler=cmd_app)


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    """Launch the app; returns the exit status."""
    app = app_for(args, settings)
    if isinstance(app, int):
        return app
    app.run()
    return int(app.return_code or 0)


def app_for(args: argparse.Namespace, settings: Settings) -> CodeActApp | int:
    """The app the arguments ask for, or the exit status of why there is none (said on stderr)."""
    project: Path = args.path
    if not project.is_dir():
        print(f"codeact-tui: {project} is not a folder; pass a project folder", file=sys.stderr)
        return 2
    settings = apply_overrides(settings, args)
    from ..core.transcript import TranscriptError
    from .app import make_app

    resume: str | None = None
    pick = False
    if args.continue_:
        resume = "latest"
    elif args.resume is not None:
        resume = args.resume or None
        pick = not args.resume
    try:
        app = make_app(project, settings, resume=resume, theme=args.theme)
    except TranscriptError as exc:
        if args.continue_ and "no stored conversations" in str(exc):
            app = make_app(project, settings, theme=args.theme)
            app.start_notices.append("There is no earlier conversation in this project to continue: this one is new.")
        else:
            print(f"codeact-tui: {exc}", file=sys.stderr)
            return 2
    app.pick_conversation_at_start = pick
    return app
