"""`codeact-tui bench m3tooleval|exercism --source DIR`: score a model on M3ToolEval (beside the
paper) or on the Exercism Python exercises (beside aider).

Exit status: 0 every selected task ran to an outcome; 1 some episodes ended in an error (model
server or sandbox failure; rerun with --resume to finish them); 2 usage or setup error (not the
benchmark, server unreachable, model missing); 130 interrupted (finished episodes are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..config import ModelSettings, Settings
from ..conversation.services import make_model
from ..core.ports import ChatModel, ModelError, ModelSetupError

OK, EPISODE_ERRORS, SETUP_ERROR = 0, 1, 2
FAITHFUL_TEMPERATURE = 0.0
FAITHFUL_REPLY_TOKENS = 512


def _make_runner_factory(settings: Settings) -> Any:
    from ..bench.runner import default_runner_factory

    return default_runner_factory(settings.sandbox)


@dataclass
class BenchServices:
    """How `bench` builds what it talks to; tests replace these."""

    make_model: Callable[[ModelSettings], ChatModel] = field(default=make_model)
    make_runner_factory: Callable[[Settings], Any] = field(default=_make_runner_factory)
    warm_sandbox: bool = True


SERVICES = BenchServices()


def register(subparsers: Any) -> None:
    """Add `bench` to the CLI."""
    p = subparsers.add_parser(
        "bench",
        help="benchmark a model (M3ToolEval beside the CodeAct paper; Exercism Python beside aider)",
        description="Benchmarks of the model you use.",
    )
    sub = p.add_subparsers(title="benchmarks", metavar="BENCHMARK")
    m = sub.add_parser(
        "m3tooleval",
        help="the CodeAct paper's 82 multi-tool tasks",
        description="Run M3ToolEval (Wang et al., ICML 2024) on your model. Its code comes from a "
        "checkout of https://github.com/xingyaoww/code-act (--source) and runs unchanged in the "
        "sandbox, one fresh session per task. 'faithful' reproduces the paper's loop (its prompt, "
        "parser, observations and answer checker; 10 turns, temperature 0, 512 tokens per reply); "
        "'native' runs codeact-tui's own agent loop with the same tools. Records go to --out as "
        "JSON lines; --resume continues a run from them. Exit status: 0 done, 1 some episodes "
        "ended in an error (rerun with --resume), 2 usage or setup error, 130 interrupted.",
    )
    m.add_argument("--source", type=Path, required=True, metavar="DIR", help="a checkout of xingyaoww/code-act (or its scripts/eval/m3tooleval folder)")
    m.add_argument("--backend", choices=["ollama", "openai", "embedded"], help="the model backend (default: [model] backend)")
    m.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    m.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")
    m.add_argument("--profile", help="the model profile of --mode native (default: [model] profile, else chosen from the model's name)")
    m.add_argument("--mode", choices=["faithful", "native"], default="faithful", help="the paper's loop (default) or codeact-tui's own")
    m.add_argument("--action", choices=["code", "json", "text"], default="code", help="faithful mode's action format (default: code)")
    m.add_argument("--tasks", metavar="REGEX", help="only tasks whose id (domain/name) matches this regular expression")
    m.add_argument("--limit", type=int, metavar="N", help="at most N tasks (after --tasks)")
    m.add_argument("--concurrency", type=int, default=1, metavar="N", help="episodes run at once (default 1; each needs its own sandbox)")
    m.add_argument("--max-turns", type=int, default=10, metavar="N", help="model replies per task (default 10, as in the paper)")
    m.add_argument("--action-timeout", type=float, default=30.0, metavar="SECONDS", help="per code action (default 30, as in the paper)")
    m.add_argument("--out", type=Path, metavar="FILE", help="the records file (JSON lines; default: in the data folder)")
    m.add_argument("--resume", action="store_true", help="continue the run recorded in --out: keep finished episodes, rerun missing and failed-by-error ones")
    m.add_argument("--paper", type=Path, metavar="FILE", help="the paper's results as JSON (paper_results.json), when the checkout has none")
    m.add_argument("--json", action="store_true", help="print the report as one JSON object")
    m.set_defaults(handler=cmd_m3tooleval)
    _register_exercism(sub)
    p.set_defaults(handler=lambda args, settings: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return SETUP_ERROR


def _fail(message: str, benchmark: str = "m3tooleval") -> int:
    print(f"codeact-tui bench {benchmark}: {message}", file=sys.stderr)
    return SETUP_ERROR


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(text).name if "/" in text and text.endswith(".gguf") else text).strip("_") or "model"


def cmd_m3tooleval(args: argparse.Namespace, settings: Settings, services: BenchServices | None = None) -> int:
    """The `bench m3tooleval` handler."""
    from ..bench.source import SourceError, find_benchmark, load_paper_results

    services = services or SERVICES
    for name in ("limit", "concurrency", "max_turns"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return _fail(f"--{name.replace('_', '-')} must be at least 1")
    if args.tasks is not None:
        try:
            re.compile(args.tasks)
        except re.error as exc:
            return _fail(f"--tasks is not a valid regular expression: {exc}")
    if args.mode == "native" and args.action != "code":
        return _fail("native mode acts with code only; --action json/text needs --mode faithful")
    try:
        benchmark = find_benchmark(args.source)
        paper = load_paper_results(benchmark, args.paper)
    except SourceError as exc:
        return _fail(str(exc))
    changes: dict[str, Any] = {k: v for k, v in (("backend", args.backend), ("host", args.host), ("model", args.model)) if v is not None}
    changes["temperature"] = FAITHFUL_TEMPERATURE
    if args.mode == "faithful":
        changes["max_reply_tokens"] = FAITHFUL_REPLY_TOKENS
    settings = dataclasses.replace(settings, model=dataclasses.replace(settings.model, **changes))
    if not settings.model.model:
        return _fail("no model chosen: pass --model (or set [model] model in the config file)")
    action = args.action if args.mode == "faithful" else "code"
    model_label = f"{settings.model.backend}:{Path(settings.model.model).name if settings.model.backend == 'embedded' else settings.model.model}"
    out: Path = args.out or paths.data_dir() / "bench" / f"m3tooleval-{_slug(settings.model.model)}-{args.mode}-{action}.jsonl"
    if args.resume and not out.is_file():
        return _fail(f"--resume: there is no records file {out} to continue")
    if not args.resume and out.is_file() and out.stat().st_size > 0:
        return _fail(f"{out} already holds records: pass --resume to continue that run, or choose another --out")
    concurrency = args.concurrency
    if settings.model.backend == "embedded" and concurrency > 1:
        print("codeact-tui bench: the embedded backend generates one reply at a time; running with --concurrency 1", file=sys.stderr)
        concurrency = 1
    try:
        return asyncio.run(_run(args, settings, services, benchmark, paper, out, action, model_label, concurrency))
    except _SetupFailure as exc:
        return _fail(str(exc))


class _SetupFailure(RuntimeError):
    """The run could not start."""


async def _prepare(model: ChatModel | None, services: BenchServices) -> None:
    """Check and load the model (when there is one) and warm the sandbox; raises _SetupFailure
    with what to do."""
    if model is not None:
        try:
            info = await model.prepare()
            if not await model.is_loaded():
                print(f"loading {info.name}…", file=sys.stderr, flush=True)
                await model.load()
        except ModelSetupError as exc:
            raise _SetupFailure(str(exc)) from None
        except ModelError as exc:
            raise _SetupFailure(f"the model could not be loaded: {exc}") from None
    if services.warm_sandbox:
        from ..executor import SandboxUnavailable
        from .exec_code import ensure_warm_sandbox

        try:
            ensure_warm_sandbox(quiet=False)
        except SandboxUnavailable as exc:
            raise _SetupFailure(str(exc)) from None


async def _run(
    args: argparse.Namespace,
    settings: Settings,
    services: BenchServices,
    benchmark: Path,
    paper: Any,
    out: Path,
    action: str,
    model_label: str,
    concurrency: int,
) -> int:
    from ..bench.episodes import EpisodeConfig
    from ..conversation.profiles import profile_for, sampling_summary
    from ..bench.guest_task import GuestError
    from ..bench.report import render_text, report_json, score
    from ..bench.runner import BenchPlan, run_benchmark

    model = services.make_model(settings.model)
    try:
        await _prepare(model, services)
        try:
            profile = profile_for(await model.prepare(), args.profile or settings.model.profile)
        except ModelSetupError as exc:
            raise _SetupFailure(str(exc)) from None
        plan = BenchPlan(
            benchmark=benchmark,
            config=EpisodeConfig(
                mode=args.mode, action=action, model_name=model_label, max_turns=args.max_turns,
                action_timeout_s=args.action_timeout, profile=profile,
            ),
            out=out,
            pattern=args.tasks,
            limit=args.limit,
            concurrency=concurrency,
            resume=args.resume,
        )
        print(f"M3ToolEval from {benchmark}; records in {out}", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            run = await run_benchmark(plan, model, services.make_runner_factory(settings))
        except GuestError as exc:
            raise _SetupFailure(f"the benchmark's tasks could not be loaded in the sandbox: {exc}") from None
    finally:
        await model.close()
    if not run.records:
        return _fail(f"no task matches --tasks {args.tasks!r}" if args.tasks else "the benchmark has no tasks")
    header = {
        "benchmark": "m3tooleval",
        "model": model_label,
        "mode": args.mode,
        "profile": profile.name if args.mode == "native" else "",
        "sampling": sampling_summary(profile, settings.model) if args.mode == "native" else "",
        "action": action,
        "max_turns": args.max_turns,
        "temperature": settings.model.temperature,
        "max_reply_tokens": settings.model.max_reply_tokens,
        "tasks": len(run.records),
        "ran": run.ran,
        "resumed": run.skipped,
        "records": str(out),
        "seconds": round(time.monotonic() - started, 1),
    }
    scores = score(run.records)
    if args.json:
        print(json.dumps(report_json(scores, header, paper, action), indent=2))
    else:
        sys.stdout.write(render_text(scores, header, paper, action))
    return EPISODE_ERRORS if run.errors else OK


# --- exercism ---------------------------------------------------------------------------------


def _register_exercism(sub: Any) -> None:
    e = sub.add_parser(
        "exercism",
        help="the Exercism Python practice exercises (aider's code-editing benchmark)",
        description="Run the Exercism Python practice exercises from a checkout of "
        "https://github.com/exercism/python (--source), each in a fresh temporary project and sandbox "
        "session; the verdict always comes from the exercise's pristine test file run on a copy of the "
        "solution. 'aider' follows aider's benchmark (instructions and stub, no tests; the harness runs "
        "the tests and a second attempt sees their output; pass@1 and pass@2); 'native' puts the agent "
        "in the exercise folder with the tests and run_tests(). --oracle checks the harness with the "
        "reference solutions (no model). Records go to --out as JSON lines; --resume continues a run. "
        "Exit status: 0 done, 1 some episodes ended in an error (rerun with --resume), 2 usage or setup "
        "error, 130 interrupted.",
    )
    e.add_argument("--source", type=Path, required=True, metavar="DIR", help="a checkout of exercism/python (or its exercises/practice folder)")
    e.add_argument("--protocol", choices=["native", "aider"], default="native", help="codeact-tui's own loop with the tests (default) or aider's two-attempt protocol")
    e.add_argument("--oracle", action="store_true", help="score the reference solutions instead of a model (checks the harness; needs no model)")
    e.add_argument("--backend", choices=["ollama", "openai", "embedded"], help="the model backend (default: [model] backend)")
    e.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    e.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")
    e.add_argument("--profile", help="the model profile of our agent (default: [model] profile, else chosen from the model's name)")
    e.add_argument("--exercises", metavar="REGEX", help="only exercises whose slug matches this regular expression")
    e.add_argument("--limit", type=int, metavar="N", help="at most N exercises (alphabetically, after --exercises)")
    e.add_argument("--concurrency", type=int, default=1, metavar="N", help="episodes run at once (default 1; each needs its own sandbox)")
    e.add_argument("--max-turns", type=int, default=10, metavar="N", help="model replies per exercise (native) or per attempt (aider); default 10")
    e.add_argument("--action-timeout", type=float, default=60.0, metavar="SECONDS", help="per code action (default 60)")
    e.add_argument("--test-timeout", type=float, default=60.0, metavar="SECONDS", help="for the pristine tests (default 60, as aider's harness)")
    e.add_argument("--out", type=Path, metavar="FILE", help="the records file (JSON lines; default: in the data folder)")
    e.add_argument("--resume", action="store_true", help="continue the run recorded in --out: keep finished episodes, rerun missing and failed-by-error ones")
    e.add_argument("--json", action="store_true", help="print the report as one JSON object")
    e.set_defaults(handler=cmd_exercism)


def cmd_exercism(args: argparse.Namespace, settings: Settings, services: BenchServices | None = None) -> int:
    """The `bench exercism` handler."""
    from ..bench.exercism.exercises import find_practice
    from ..bench.source import SourceError

    services = services or SERVICES
    fail = lambda message: _fail(message, "exercism")  # noqa: E731
    for name in ("limit", "concurrency", "max_turns"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return fail(f"--{name.replace('_', '-')} must be at least 1")
    if args.exercises is not None:
        try:
            re.compile(args.exercises)
        except re.error as exc:
            return fail(f"--exercises is not a valid regular expression: {exc}")
    try:
        practice = find_practice(args.source)
    except SourceError as exc:
        return fail(str(exc))
    protocol = "oracle" if args.oracle else args.protocol
    changes: dict[str, Any] = {k: v for k, v in (("backend", args.backend), ("host", args.host), ("model", args.model)) if v is not None}
    changes["temperature"] = FAITHFUL_TEMPERATURE
    settings = dataclasses.replace(settings, model=dataclasses.replace(settings.model, **changes))
    if protocol == "oracle":
        model_label = "reference solutions"
        slug = "oracle"
    elif not settings.model.model:
        return fail("no model chosen: pass --model (or set [model] model in the config file), or --oracle")
    else:
        name = Path(settings.model.model).name if settings.model.backend == "embedded" else settings.model.model
        model_label = f"{settings.model.backend}:{name}"
        slug = _slug(settings.model.model)
    out: Path = args.out or paths.data_dir() / "bench" / f"exercism-{slug}-{protocol}.jsonl"
    if args.resume and not out.is_file():
        return fail(f"--resume: there is no records file {out} to continue")
    if not args.resume and out.is_file() and out.stat().st_size > 0:
        return fail(f"{out} already holds records: pass --resume to continue that run, or choose another --out")
    concurrency = args.concurrency
    if protocol != "oracle" and settings.model.backend == "embedded" and concurrency > 1:
        print("codeact-tui bench: the embedded backend generates one reply at a time; running with --concurrency 1", file=sys.stderr)
        concurrency = 1
    try:
        return asyncio.run(_run_exercism(args, settings, services, practice, out, protocol, model_label, concurrency))
    except _SetupFailure as exc:
        return fail(str(exc))


async def _run_exercism(
    args: argparse.Namespace,
    settings: Settings,
    services: BenchServices,
    practice: Path,
    out: Path,
    protocol: str,
    model_label: str,
    concurrency: int,
) -> int:
    from ..bench.exercism.episodes import ExercismConfig
    from ..bench.exercism.report import render_text, report_json, score
    from ..bench.exercism.run import ExercismPlan, run_exercism
    from ..bench.exercism.verdict import project_runner
    from ..conversation.profiles import profile_for
    from ..core.profiles import GENERIC, Profile

    model = None if protocol == "oracle" else services.make_model(settings.model)
    try:
        await _prepare(model, services)
        profile = Profile(GENERIC)
        code_intel = None
        if model is not None:
            try:
                info = await model.prepare()
                profile = profile_for(info, args.profile or settings.model.profile)
            except ModelSetupError as exc:
                raise _SetupFailure(str(exc)) from None
            if protocol == "native":  # the repo map sized as a conversation sizes it; no cache of throwaway folders
                budget = min(settings.codeintel.map_tokens, info.context_window // 8)
                code_intel = dataclasses.replace(settings.codeintel, map_tokens=budget, disk_cache=False)
        plan = ExercismPlan(
            practice=practice,
            config=ExercismConfig(
                protocol=protocol, model_name=model_label, max_turns=args.max_turns,
                action_timeout_s=args.action_timeout, test_timeout_s=args.test_timeout, profile=profile,
                code_intel=code_intel,
            ),
            out=out,
            pattern=args.exercises,
            limit=args.limit,
            concurrency=concurrency,
            resume=args.resume,
        )
        print(f"Exercism from {practice}; records in {out}", file=sys.stderr, flush=True)
        started = time.monotonic()
        run = await run_exercism(plan, model, project_runner(settings.sandbox))
    finally:
        if model is not None:
            await model.close()
    if not run.records:
        return _fail(f"no exercise matches --exercises {args.exercises!r}" if args.exercises else "the checkout has no usable exercise", "exercism")
    header = {
        "benchmark": "exercism",
        "model": model_label,
        "protocol": protocol,
        "profile": "" if protocol == "oracle" else profile.name,
        "max_turns": args.max_turns,
        "temperature": settings.model.temperature,
        "repo_map_tokens": code_intel.map_tokens if code_intel is not None else 0,
        "exercises": len(run.records),
        "ran": run.ran,
        "resumed": run.skipped,
        "unusable": run.unusable,
        "records": str(out),
        "seconds": round(time.monotonic() - started, 1),
    }
    result = score(run.records)
    if args.json:
        print(json.dumps(report_json(result, header), indent=2))
    else:
        sys.stdout.write(render_text(result, header))
    return EPISODE_ERRORS if run.errors else OK
