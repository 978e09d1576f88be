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


_CONCURRENCY_HELP = "episodes run at once (default 1; each needs its own sandbox)"
_JSON_HELP = "print the report as one JSON object"


def _model_arguments(parser: argparse.ArgumentParser, *, profile_help: str) -> None:
    """The model options both benchmarks take (the same names and meanings as the app's)."""
    parser.add_argument("--backend", choices=["ollama", "openai", "embedded"], help="the model backend (default: [model] backend)")
    parser.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    parser.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")
    parser.add_argument("--profile", help=profile_help)


def _records_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a run's records go and how a run continues from them."""
    parser.add_argument("--out", type=Path, metavar="FILE", help="the records file (JSON lines; default: in the data folder)")
    parser.add_argument("--resume", action="store_true", help="continue the run recorded in --out: keep finished episodes, rerun missing and failed-by-error ones")


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
    _model_arguments(m, profile_help="the model profile of --mode native (default: [model] profile, else chosen from the model's name)")
    m.add_argument("--mode", choices=["faithful", "native"], default="faithful", help="the paper's loop (default) or codeact-tui's own")
    m.add_argument("--action", choices=["code", "json", "text"], default="code", help="faithful mode's action format (default: code)")
    m.add_argument("--tasks", metavar="REGEX", help="only tasks whose id (domain/name) matches this regular expression")
    m.add_argument("--limit", type=int, metavar="N", help="at most N tasks (after --tasks)")
    m.add_argument("--concurrency", type=int, default=1, metavar="N", help=_CONCURRENCY_HELP)
    m.add_argument("--max-turns", type=int, default=10, metavar="N", help="model replies per task (default 10, as in the paper)")
    m.add_argument("--action-timeout", type=float, default=30.0, metavar="SECONDS", help="per code action (default 30, as in the paper)")
    _records_arguments(m)
    m.add_argument("--paper", type=Path, metavar="FILE", help="the paper's results as JSON (paper_results.json), when the checkout has none")
    m.add_argument("--json", action="store_true", help=_JSON_HELP)
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


def _option_problem(args: argparse.Namespace, pattern: str) -> str | None:
    """What is wrong with the counts and the selecting pattern (`--tasks`, `--exercises`), or None."""
    for name in ("limit", "concurrency", "max_turns"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    regex = getattr(args, pattern)
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            return f"--{pattern} is not a valid regular expression: {exc}"
    return None


def _model_settings(args: argparse.Namespace, settings: Settings, **extra: Any) -> Settings:
    """The settings with the command line's model options and the benchmarks' temperature 0."""
    changes: dict[str, Any] = {k: v for k, v in (("backend", args.backend), ("host", args.host), ("model", args.model)) if v is not None}
    changes.update(temperature=FAITHFUL_TEMPERATURE, **extra)
    return dataclasses.replace(settings, model=dataclasses.replace(settings.model, **changes))


def _records_problem(out: Path, resume: bool) -> str | None:
    """Why the records file cannot be used as asked (never overwrite a run), or None."""
    if resume and not out.is_file():
        return f"--resume: there is no records file {out} to continue"
    if not resume and out.is_file() and out.stat().st_size > 0:
        return f"{out} already holds records: pass --resume to continue that run, or choose another --out"
    return None


def _concurrency(asked: int, settings: Settings, *, uses_model: bool) -> int:
    """The episodes to run at once: one with the in-process model (it generates one reply at a time)."""
    if uses_model and settings.model.backend == "embedded" and asked > 1:
        print("codeact-tui bench: the embedded backend generates one reply at a time; running with --concurrency 1", file=sys.stderr)
        return 1
    return asked


def cmd_m3tooleval(args: argparse.Namespace, settings: Settings, services: BenchServices | None = None) -> int:
    """The `bench m3tooleval` handler."""
    from ..bench.source import SourceError, find_benchmark, load_paper_results

    services = services or SERVICES
    problem = _option_problem(args, "tasks")
    if problem:
        return _fail(problem)
    if args.mode == "native" and args.action != "code":
        return _fail("native mode acts with code only; --action json/text needs --mode faithful")
    try:
        benchmark = find_benchmark(args.source)
        paper = load_paper_results(benchmark, args.paper)
    except SourceError as exc:
        return _fail(str(exc))
    settings = _model_settings(args, settings, **({"max_reply_tokens": FAITHFUL_REPLY_TOKENS} if args.mode == "faithful" else {}))
    if not settings.model.model:
        return _fail("no model chosen: pass --model (or set [model] model in the config file)")
    action = args.action if args.mode == "faithful" else "code"
    model_label = f"{settings.model.backend}:{Path(settings.model.model).name if settings.model.backend == 'embedded' else settings.model.model}"
    out: Path = args.out or paths.data_dir() / "bench" / f"m3tooleval-{_slug(settings.model.model)}-{args.mode}-{action}.jsonl"
    problem = _records_problem(out, args.resume)
    if problem:
        return _fail(problem)
    concurrency = _concurrency(args.concurrency, settings, uses_model=True)
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
    _model_arguments(e, profile_help="the model profile of our agent (default: [model] profile, else chosen from the model's name)")
    e.add_argument("--exercises", metavar="REGEX", help="only exercises whose slug matches this regular expression")
    e.add_argument("--limit", type=int, metavar="N", help="at most N exercises (alphabetically, after --exercises)")
    e.add_argument("--concurrency", type=int, default=1, metavar="N", help=_CONCURRENCY_HELP)
    e.add_argument("--max-turns", type=int, default=10, metavar="N", help="model replies per exercise (native) or per attempt (aider); default 10")
    e.add_argument("--action-timeout", type=float, default=60.0, metavar="SECONDS", help="per code action (default 60)")
    e.add_argument("--test-timeout", type=float, default=60.0, metavar="SECONDS", help="for the pristine tests (default 60, as aider's harness)")
    _records_arguments(e)
    e.add_argument("--json", action="store_true", help=_JSON_HELP)
    e.set_defaults(handler=cmd_exercism)


def cmd_exercism(args: argparse.Namespace, settings: Settings, services: BenchServices | None = None) -> int:
    """The `bench exercism` handler."""
    from ..bench.exercism.exercises import find_practice
    from ..bench.source import SourceError

    services = services or SERVICES
    fail = lambda message: _fail(message, "exercism")  # noqa: E731
    problem = _option_problem(args, "exercises")
    if problem:
        return fail(problem)
    try:
        practice = find_practice(args.source)
    except SourceError as exc:
        return fail(str(exc))
    protocol = "oracle" if args.oracle else args.protocol
    settings = _model_settings(args, settings)
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
    problem = _records_problem(out, args.resume)
    if problem:
        return fail(problem)
    concurrency = _concurrency(args.concurrency, settings, uses_model=protocol != "oracle")
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
