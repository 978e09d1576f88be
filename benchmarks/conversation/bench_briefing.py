"""First-token latency of a follow-up user turn with a real model: the conversation's way (the
system prompt stays byte-stable; what changed goes into the user message) against rebuilding
the system prompt with a fresh repo map (what a per-turn map in the system prompt would cost).

    python benchmarks/conversation/bench_briefing.py MODEL.gguf [--runs N]

Each variant runs in a fresh process with the embedded llama.cpp backend (its prompt cache is
per process): turn 1, then the user edits a file, then turn 2, whose first token is timed.
Measured and recorded in RESULTS.md, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TEST = "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"


def _project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="codeact-brief-"))
    (root / "calc.py").write_text(CALC)
    (root / "test_calc.py").write_text(TEST)
    return root


async def _episode(model_path: str, rebuild: bool) -> dict[str, float | int | None]:
    from codeact_tui.config import Settings
    from codeact_tui.conversation import Conversation, Services
    from codeact_tui.core import events as ev
    from tests.fakes.executor import InProcessExecutor

    project = _project()
    base = Settings()
    settings = dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, backend="embedded", model=model_path, max_reply_tokens=24, num_ctx=4096),
        agent=dataclasses.replace(base.agent, max_turns=1, approve="plan"),
        codeintel=dataclasses.replace(base.codeintel, disk_cache=False),
    )
    services = dataclasses.replace(Services(), make_executor=lambda p, s: InProcessExecutor(p), sandbox_is_warm=lambda: True, open_history=lambda p, s: None)
    conversation = Conversation(project, settings, services)
    timings: list[float | None] = []
    prompt_tokens: list[int | None] = []
    try:
        await conversation.connect()
        for n, request in enumerate(("What does calc.py contain? One sentence.", "And now? One sentence.")):
            if n == 1:
                (project / "util.py").write_text("def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n")
                if rebuild:  # the system prompt rebuilt with the fresh map: the model re-reads it all
                    await conversation.connect()
            started = time.perf_counter()
            first: float | None = None
            async for event in conversation.turn(request):
                if isinstance(event, ev.TextDelta) and first is None:
                    first = time.perf_counter() - started
                elif isinstance(event, ev.AssistantMessage):
                    prompt_tokens.append(event.stats.prompt_tokens)
            timings.append(first)
    finally:
        await conversation.close()
    return {"turn1_first_token_s": timings[0], "turn2_first_token_s": timings[1], "turn2_prompt_tokens": prompt_tokens[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a GGUF file")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", choices=["stable", "rebuild"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_episode(args.model, args.child == "rebuild"))))
        return
    results: dict[str, list[dict[str, float | int | None]]] = {"stable": [], "rebuild": []}
    for _ in range(args.runs):
        for variant in results:
            out = subprocess.run(
                [sys.executable, __file__, args.model, "--child", variant],
                capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {
        variant: {
            "turn2_first_token_median_s": round(statistics.median(r["turn2_first_token_s"] or 0.0 for r in runs), 2),  # type: ignore[misc]
            "turn1_first_token_median_s": round(statistics.median(r["turn1_first_token_s"] or 0.0 for r in runs), 2),  # type: ignore[misc]
            "runs": runs,
        }
        for variant, runs in results.items()
    }
    from codeact_tui.bench.machine import machine_facts

    print(json.dumps({"machine": machine_facts(), **summary}, indent=2))


if __name__ == "__main__":
    main()
