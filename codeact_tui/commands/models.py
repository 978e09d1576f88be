"""`codeact-tui models` lists the models a backend offers; `codeact-tui pull MODEL` fetches one
into Ollama with a progress bar.

Exit status: 0 done; 1 the pull failed (unknown model, server error); 2 setup error (server
unreachable, bad arguments), with the fix in the message.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from typing import Any, TextIO

from ..config import ModelSettings, Settings
from ..core.ports import ModelError, ModelSetupError
from .model_args import add_model_arguments, with_model_arguments

OK, FAILED, SETUP_ERROR = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add `models` and `pull` to the CLI."""
    p = subparsers.add_parser(
        "models",
        help="list the models the model server has",
        description="List the installed models of the Ollama server (or the models an "
        "OpenAI-compatible server offers). Exit status: 0 listed, 2 server unreachable.",
    )
    add_model_arguments(p, model=False)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(handler=cmd_models)

    q = subparsers.add_parser(
        "pull",
        help="download a model into Ollama, with progress",
        description="Pull a model into the Ollama server, showing progress. Exit status: 0 "
        "pulled, 1 the pull failed, 2 server unreachable.",
    )
    q.add_argument("model", help="the model name, e.g. qwen2.5-coder:7b")
    q.add_argument("--host", help="the Ollama server's URL (default: [model] host, then OLLAMA_HOST)")
    q.set_defaults(handler=cmd_pull)


def _model_settings(settings: Settings, args: argparse.Namespace) -> ModelSettings:
    return with_model_arguments(args, settings).model


def _fail(command: str, exc: ModelError) -> int:
    print(f"codeact-tui {command}: {exc}", file=sys.stderr)
    return SETUP_ERROR if isinstance(exc, ModelSetupError) else FAILED


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


async def _list(settings: ModelSettings) -> list[dict[str, Any]]:
    if settings.backend == "ollama":
        from ..llm.ollama import OllamaServer

        server = OllamaServer(settings)
        try:
            return [dataclasses.asdict(m) for m in await server.list_models()]
        finally:
            await server.close()
    if settings.backend == "openai":
        from ..llm.openai_compat import OpenAICompatChatModel

        model = OpenAICompatChatModel(settings)
        try:
            return [{"name": name} for name in await model.list_models()]
        finally:
            await model.close()
    return [{"name": settings.model or "(no GGUF file configured: set model.model)"}]


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """The `models` handler."""
    model_settings = _model_settings(settings, args)
    try:
        models = asyncio.run(_list(model_settings))
    except ModelError as exc:
        return _fail("models", exc)
    if args.json:
        print(json.dumps(models, ensure_ascii=False))
        return OK
    if not models:
        hint = " (pull one with: codeact-tui pull NAME)" if model_settings.backend == "ollama" else ""
        print(f"no models{hint}", file=sys.stderr)
        return OK
    width = max(len(m["name"]) for m in models)
    for m in models:
        extra = ""
        if "size_bytes" in m:
            extra = f"  {_human_size(m['size_bytes']):>9}  {m.get('parameter_size', ''):>6}  {m.get('quantization', '')}"
        print(f"{m['name']:<{width}}{extra}".rstrip())
    return OK


class ProgressBar:
    """One line of pull progress on a terminal; plain lines (one per status) otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_status = ""
        self._last_draw = 0.0

    def update(self, status: str, completed: int, total: int) -> None:
        """Show one progress line."""
        if self.tty:
            now = time.monotonic()
            if total and completed < total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            if total:
                filled = int(30 * completed / total) if total else 0
                bar = "█" * filled + "·" * (30 - filled)
                line = f"{status[:30]:<30} {bar} {completed / total:4.0%} {_human_size(completed)}/{_human_size(total)}"
            else:
                line = status
            self.stream.write("\r" + line[:100].ljust(100))
            self.stream.flush()
        elif status != self._last_status:
            size = f" ({_human_size(total)})" if total else ""
            self.stream.write(f"{status}{size}\n")
            self.stream.flush()
        self._last_status = status

    def finish(self) -> None:
        """End the line."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def _pull(settings: ModelSettings, name: str, bar: ProgressBar) -> None:
    from ..llm.ollama import OllamaServer

    server = OllamaServer(settings)
    try:
        async for progress in server.pull(name):
            bar.update(progress.status, progress.completed, progress.total)
    finally:
        bar.finish()
        await server.close()


def cmd_pull(args: argparse.Namespace, settings: Settings) -> int:
    """The `pull` handler."""
    model_settings = dataclasses.replace(_model_settings(settings, args), backend="ollama")
    try:
        asyncio.run(_pull(model_settings, args.model, ProgressBar(sys.stderr)))
    except ModelError as exc:
        return _fail("pull", exc)
    print(f"pulled {args.model}")
    return OK
