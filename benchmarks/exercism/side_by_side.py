"""codeact-tui (native and aider protocols) and aider itself on the same Exercism exercises, the
same model and the same OpenAI-compatible server; one table.

    # 1. a server (llama-cpp-python's, with its `server` extra)
    python -m llama_cpp.server --model qwen2.5-coder-1.5b.gguf --model_alias qwen2.5-coder-1.5b \
        --n_ctx 8192 --port 8765 &
    # 2. aider in its own virtualenv
    python3 -m venv aider-venv && aider-venv/bin/pip install 'aider-chat==0.86.*'
    # 3. run the systems in pieces (a piece starts no new episode after --budget seconds; the
    #    next piece continues where it stopped), then print the table
    python benchmarks/exercism/side_by_side.py run --system aider,aider-protocol,native \
        --source exercism-python --host http://127.0.0.1:8765 --model qwen2.5-coder-1.5b \
        --limit 10 --aider-python aider-venv/bin/python --out-dir runs --budget 300
    python benchmarks/exercism/side_by_side.py table --out-dir runs

Every verdict is codeact-tui's: the pristine test file run in the sandbox on a copy of the
solution. Our systems run through the real CLI (`codeact-tui bench exercism`, one exercise per
call); aider through `aider_driver.py` in its own virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from codeact_tui.bench.exercism import prompts  # noqa: E402
from codeact_tui.bench.exercism.exercises import find_practice, list_exercises  # noqa: E402
from codeact_tui.bench.exercism.report import score  # noqa: E402
from codeact_tui.bench.machine import machine_facts  # noqa: E402
from codeact_tui.bench.records import read_records  # noqa: E402

OURS = {"native": "native", "aider-protocol": "aider"}
MAX_TOKENS = 2048
"""Default reply cap for every system (codeact-tui's default `max_reply_tokens`)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_ours(args: argparse.Namespace, system: str, slug: str, out: Path) -> None:
    command = [
        sys.executable, "-m", "codeact_tui", "bench", "exercism", "--source", str(args.source),
        "--protocol", OURS[system], "--backend", "openai", "--host", f"{args.host}/v1", "--model", args.model,
        "--exercises", f"^{slug}$", "--max-turns", str(args.max_turns if system == "native" else args.attempt_turns),
        "--out", str(out),
    ]
    if args.profile:
        command += ["--profile", args.profile]
    if out.is_file() and out.stat().st_size:
        command.append("--resume")
    env = _env()
    env["CODEACT_TUI_MODEL_NUM_CTX"] = str(args.n_ctx)
    env["CODEACT_TUI_MODEL_MAX_REPLY_TOKENS"] = str(args.max_tokens)
    env["CODEACT_TUI_MODEL_REQUEST_TIMEOUT_S"] = "1800"
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)


def run_aider(args: argparse.Namespace, exercise, out: Path) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="aider-exercism-") as scratch:
        workdir = Path(scratch) / exercise.slug
        workdir.mkdir()
        for name in exercise.solution_files:
            shutil.copyfile(exercise.folder / name, workdir / name)
        job = {
            "workdir": str(workdir),
            "solution_files": list(exercise.solution_files),
            "model": f"openai/{args.model}",
            "max_tokens": args.max_tokens,
            "tries": 2,
            "instructions": exercise.instructions() + prompts.INSTRUCTIONS_ADDENDUM.format(file_list=prompts.file_list(exercise.solution_files)),
            "retry_note": prompts.TEST_FAILURES.format(file_list=prompts.file_list(exercise.solution_files)),
            "verdict_command": [sys.executable, "-m", "codeact_tui.bench.exercism.verdict", str(exercise.folder), str(workdir)],
        }
        job["result_file"] = str(Path(scratch) / "result.json")
        job_file = Path(scratch) / "job.json"
        job_file.write_text(json.dumps(job))
        env = _env()
        env.update(OPENAI_API_BASE=f"{args.host}/v1", OPENAI_API_KEY="local", AIDER_ANALYTICS="false", AIDER_CHECK_UPDATE="false")
        started = time.monotonic()
        done = subprocess.run([args.aider_python, str(Path(__file__).with_name("aider_driver.py")), str(job_file)],
                              env=env, capture_output=True, text=True, cwd=workdir, check=False)
        try:
            result = json.loads(Path(job["result_file"]).read_text())
        except (OSError, ValueError):
            result = {"error": f"exit {done.returncode}: {(done.stderr or done.stdout)[-1000:]}"}
        result.update(slug=exercise.slug, wall_s=round(time.monotonic() - started, 1))
        with out.open("a") as handle:
            handle.write(json.dumps(result) + "\n")


def _aider_done(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    done: dict[str, dict] = {}  # type: ignore[type-arg]
    if out.is_file():
        for line in out.read_text().splitlines():
            row = json.loads(line)
            done[row["slug"]] = row
    return done


def _done(system: str, out: Path, slug: str) -> bool:
    if system == "aider":
        row = _aider_done(out).get(slug)
        return row is not None and "error" not in row
    record = read_records(out).get(slug)
    return record is not None and record.outcome != "error"


def cmd_run(args: argparse.Namespace) -> int:
    """Exercise by exercise, each system in turn (so an unfinished run still compares the systems
    on the same exercises); no new episode starts after --budget seconds."""
    exercises, _ = list_exercises(find_practice(args.source), args.exercises, args.limit)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    systems = [name.strip() for name in args.system.split(",")]
    started = time.monotonic()
    for exercise in exercises:
        for system in systems:
            out = args.out_dir / f"{system}.jsonl"
            if _done(system, out, exercise.slug):
                continue
            if time.monotonic() - started > args.budget:
                print("budget used; run again to continue", file=sys.stderr)
                return 3
            print(f"{time.strftime('%H:%M:%S')} {system}: {exercise.slug}", file=sys.stderr, flush=True)
            if system == "aider":
                run_aider(args, exercise, out)
            else:
                run_ours(args, system, exercise.slug, out)
    print(f"all {len(exercises)} exercises done for {', '.join(systems)}", file=sys.stderr)
    return 0


def _aider_row(rows: list[dict]) -> dict[str, object]:  # type: ignore[type-arg]
    counted = [r for r in rows if "error" not in r]
    n = len(counted)
    calls = sum(r["model_calls"] for r in counted)
    malformed = sum(r["num_malformed_responses"] for r in counted)
    return {
        "exercises": n,
        "pass_1": sum(bool(r["tests_outcomes"][:1] and r["tests_outcomes"][0]) for r in counted),
        "pass_2": sum(any(r["tests_outcomes"]) for r in counted),
        "replies": calls,
        "well_formed_pct": round(100 * (calls - malformed) / calls, 1) if calls else 0.0,
        "seconds": round(sum(r["wall_s"] for r in counted) / n, 1) if n else 0.0,
        "errors": len(rows) - n,
        "failed": [r["slug"] for r in counted if not any(r["tests_outcomes"])],
        "edit_format": ",".join(sorted({str(r["edit_format"]) for r in counted})),
    }


def _common(out_dir: Path) -> set[str]:
    """The exercises every present system has a verdict on (an unfinished run compares those)."""
    done: list[set[str]] = []
    for system in ("aider", "aider-protocol", "native"):
        out = out_dir / f"{system}.jsonl"
        if not out.is_file():
            continue
        if system == "aider":
            done.append({slug for slug, row in _aider_done(out).items() if "error" not in row})
        else:
            done.append({slug for slug, r in read_records(out).items() if r.outcome != "error"})
    return set.intersection(*done) if done else set()


def cmd_table(args: argparse.Namespace) -> int:
    common = _common(args.out_dir)
    print(f"Exercises every system finished ({len(common)}): {', '.join(sorted(common))}\n")
    rows = []
    for system, label in (("aider", "aider 0.86 (its own harness protocol)"), ("aider-protocol", "codeact-tui, aider protocol"), ("native", "codeact-tui, native")):
        out = args.out_dir / f"{system}.jsonl"
        if not out.is_file():
            continue
        if system == "aider":
            r = _aider_row([row for slug, row in _aider_done(out).items() if slug in common])
            n = r["exercises"]
            rows.append((label + f" [{r['edit_format']}]", n, r["pass_1"], r["pass_2"], r["well_formed_pct"], round(r["replies"] / n, 2) if n else 0, r["seconds"], r["errors"], r["failed"]))
        else:
            kept = [r for slug, r in read_records(out).items() if slug in common]
            s = score(kept)
            profiles = ",".join(sorted({r.profile or "generic" for r in kept}))
            rows.append((label + (f" [{profiles}]" if profiles else ""), s.exercises, s.pass_1, s.pass_2, s.well_formed_pct, s.replies_per_exercise, s.seconds_per_exercise, s.errors, list(s.failed)))
    print("| system | exercises | pass@1 | pass@2 | well-formed replies | replies/exercise | s/exercise | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for label, n, p1, p2, wf, rpe, sec, errors, _ in rows:
        pct = (lambda k: f"{100 * k / n:.0f}% ({k}/{n})") if n else (lambda k: "—")
        print(f"| {label} | {n} | {pct(p1)} | {pct(p2)} | {wf:.0f}% | {rpe} | {sec} | {errors} |")
    print()
    for label, *_, failed in rows:
        print(f"- {label}: not passed: {', '.join(failed) or 'none'}")
    print()
    for key, value in machine_facts().items():
        print(f"- {key}: {value}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(required=True)
    run = sub.add_parser("run", help="run one system on the exercises not yet done")
    run.add_argument("--system", required=True, help="native, aider-protocol, aider, or several, comma-separated")
    run.add_argument("--source", type=Path, required=True)
    run.add_argument("--host", required=True, help="the server's base URL, e.g. http://127.0.0.1:8765")
    run.add_argument("--model", required=True, help="the model's name on the server")
    run.add_argument("--exercises", help="regular expression on slugs")
    run.add_argument("--limit", type=int, help="the first N exercises alphabetically")
    run.add_argument("--max-turns", type=int, default=10, help="codeact-tui native: replies per exercise")
    run.add_argument("--attempt-turns", type=int, default=10, help="codeact-tui aider protocol: replies per attempt")
    run.add_argument("--profile", help="codeact-tui's model profile (default: chosen from the model's name)")
    run.add_argument("--max-tokens", type=int, default=MAX_TOKENS, help="reply cap for every system")
    run.add_argument("--n-ctx", type=int, default=8192, help="the server's context window")
    run.add_argument("--aider-python", default="aider-venv/bin/python")
    run.add_argument("--out-dir", type=Path, required=True)
    run.add_argument("--budget", type=float, default=540, help="seconds after which no new exercise starts")
    run.set_defaults(func=cmd_run)
    table = sub.add_parser("table", help="print the table of the runs in --out-dir")
    table.add_argument("--out-dir", type=Path, required=True)
    table.set_defaults(func=cmd_table)
    args = parser.parse_args()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
