"""Model profiles side by side on a benchmark (native M3ToolEval, or Exercism with our own loop):
the same GGUF models, the same tasks, each task run with every profile in turn (so an unfinished
run still compares the profiles on the same tasks).

    python benchmarks/profiles/compare.py run --benchmark m3tooleval --source code-act \
        --model 0.5b=$(../shared/models/get-model qwen2.5-coder-0.5b) \
        --profiles qwen2.5-coder,generic,codeactagent --tasks TASK_ID,TASK_ID --out-dir runs --budget 400
    python benchmarks/profiles/compare.py run --benchmark exercism --source exercism-python \
        --model 0.5b=... --tasks bob,leap --out-dir ex-runs
    python benchmarks/profiles/compare.py table --out-dir runs

Every episode is one call of the real CLI (`codeact-tui bench m3tooleval --mode native` or `bench
exercism --protocol native`, `--backend embedded --profile P` and that one task), its records
appended to `<model>-<profile>.jsonl` in --out-dir, so what is measured is what users run. A
piece starts no new episode after --budget seconds and exits 3; run it again (under the shared
lock) to continue. Model labels must not contain "-".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from codeact_tui.bench.machine import machine_facts  # noqa: E402
from codeact_tui.bench.records import EpisodeRecord, read_records  # noqa: E402


def _out(out_dir: Path, model: str, profile: str) -> Path:
    return out_dir / f"{model}-{profile}.jsonl"


def _done(out: Path, task: str) -> bool:
    record = read_records(out).get(task) if out.is_file() else None
    return record is not None and record.outcome != "error"


def _episode(args: argparse.Namespace, gguf: str, profile: str, task: str, out: Path) -> None:
    if args.benchmark == "m3tooleval":
        which = ["m3tooleval", "--mode", "native", "--tasks", f"^{task}$"]
    else:
        which = ["exercism", "--protocol", "native", "--exercises", f"^{task}$"]
    command = [
        sys.executable, "-m", "codeact_tui", "bench", which[0], "--source", str(args.source), *which[1:],
        "--backend", "embedded", "--model", gguf, "--profile", profile, "--max-turns", str(args.max_turns), "--out", str(out),
    ]
    if out.is_file() and out.stat().st_size:
        command.append("--resume")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["CODEACT_TUI_MODEL_NUM_CTX"] = str(args.n_ctx)
    env["CODEACT_TUI_MODEL_MAX_REPLY_TOKENS"] = str(args.max_tokens)
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)


def cmd_run(args: argparse.Namespace) -> int:
    """Task by task, model by model, every profile in turn; no new episode after --budget s."""
    models = dict(item.split("=", 1) for item in args.model)
    profiles = args.profiles.split(",")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for task in args.tasks.split(","):
        for label, gguf in models.items():
            for profile in profiles:
                out = _out(args.out_dir, label, profile)
                if _done(out, task):
                    continue
                if time.monotonic() - started > args.budget:
                    print("budget used; run again to continue", file=sys.stderr)
                    return 3
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"{time.strftime('%H:%M:%S')} load {load} {label} {profile}: {task}", file=sys.stderr, flush=True)
                _episode(args, gguf, profile, task, out)
    print("every episode is done", file=sys.stderr)
    return 0


def _acts(record: EpisodeRecord) -> tuple[int, int]:
    """(replies holding a code action, replies) of an episode."""
    replies = [m["content"] for m in record.messages if m.get("role") == "assistant"]
    return sum(1 for text in replies if "<execute>" in text or "```python" in text or "```py\n" in text), len(replies)


def _row(records: list[EpisodeRecord]) -> dict[str, object]:
    n = len(records)
    acts = [_acts(r) for r in records]
    solved = [r for r in records if r.outcome == "correct"]
    return {
        "tasks": n,
        "success": len(solved),
        "lenient": sum(1 for r in records if r.lenient_correct),
        "avg_turns": round(sum(r.turns for r in records) / n, 2) if n else 0.0,
        "s_per_task": round(sum(r.duration_s for r in records) / n) if n else 0,
        "code_replies": f"{sum(a for a, _ in acts)}/{sum(t for _, t in acts)}",
        "ran_tests": sum(1 for r in records if r.tests_run_by_model),
        "malformed": sum(r.malformed_replies for r in records),
        "ends": ", ".join(f"{k} {v}" for k, v in sorted(_count(r.end_reason for r in records).items())),
    }


def _count(values: object) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:  # type: ignore[attr-defined]
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def cmd_table(args: argparse.Namespace) -> int:
    runs = {path.stem: {k: r for k, r in read_records(path).items() if r.outcome != "error"} for path in sorted(args.out_dir.glob("*.jsonl"))}
    by_model: dict[str, list[str]] = {}
    for name in runs:
        by_model.setdefault(name.split("-", 1)[0], []).append(name)
    exercism = any(r.domain == "exercism" for recs in runs.values() for r in recs.values())
    if exercism:
        print("| model | profile | exercises | passed | avg turns | replies with code | s/exercise | ran the tests | malformed replies | how episodes ended |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    else:
        print("| model | profile | tasks | success | lenient | avg turns | replies with code | s/task | how episodes ended |")
        print("|---|---|---|---|---|---|---|---|---|")
    grid: dict[str, dict[str, str]] = {}
    for model, names in by_model.items():
        common = set.intersection(*(set(runs[name]) for name in names))
        for name in names:
            kept = [runs[name][task] for task in sorted(common)]
            row = _row(kept)
            head = f"| {model} | {name.split('-', 1)[1]} | {row['tasks']} | {row['success']}/{row['tasks']} | "
            if exercism:
                print(head + f"{row['avg_turns']} | {row['code_replies']} | {row['s_per_task']} | {row['ran_tests']}/{row['tasks']} | {row['malformed']} | {row['ends']} |")
            else:
                print(head + f"{row['lenient']}/{row['tasks']} | {row['avg_turns']} | {row['code_replies']} | {row['s_per_task']} | {row['ends']} |")
            for record in kept:
                mark = "✓" if record.outcome == "correct" else ("~" if record.lenient_correct else "✗")
                grid.setdefault(record.task_id, {})[name] = f"{mark} {record.turns}"
    names = [name for names in by_model.values() for name in names]
    print("\nPer task (✓ solved, ~ lenient only, ✗ not; then the turns):\n")
    print("| task | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for task, cells in grid.items():
        print(f"| {task} | " + " | ".join(cells.get(name, "—") for name in names) + " |")
    print()
    for key, value in machine_facts().items():
        print(f"- {key}: {value}")
    if args.json:
        print(json.dumps({name: {t: r.outcome for t, r in recs.items()} for name, recs in runs.items()}, indent=1))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(required=True)
    run = sub.add_parser("run", help="run the episodes not yet done")
    run.add_argument("--benchmark", choices=["m3tooleval", "exercism"], default="m3tooleval")
    run.add_argument("--source", type=Path, required=True, help="a checkout of xingyaoww/code-act, or of exercism/python")
    run.add_argument("--model", action="append", required=True, metavar="LABEL=GGUF", help="a model to run (repeatable)")
    run.add_argument("--profiles", default="qwen2.5-coder,generic,codeactagent", help="comma-separated profile names")
    run.add_argument("--tasks", required=True, help="comma-separated task ids (M3ToolEval domain/name, Exercism slugs), in this order")
    run.add_argument("--max-turns", type=int, default=10, help="model replies per task (default 10, as in the M3ToolEval paper)")
    run.add_argument("--max-tokens", type=int, default=512, help="tokens per reply (default 512, as in the M3ToolEval paper)")
    run.add_argument("--n-ctx", type=int, default=8192, help="the context window (default 8192)")
    run.add_argument("--out-dir", type=Path, required=True)
    run.add_argument("--budget", type=float, default=420, help="seconds after which no new episode starts")
    run.set_defaults(func=cmd_run)
    table = sub.add_parser("table", help="print the side-by-side table of the runs in --out-dir")
    table.add_argument("--out-dir", type=Path, required=True)
    table.add_argument("--json", action="store_true", help="also print every outcome as JSON")
    table.set_defaults(func=cmd_table)
    args = parser.parse_args()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
