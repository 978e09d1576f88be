"""Prefix-cache reuse per model request with a real model, over a multi-turn conversation.

    python benchmarks/conversation/bench_prefix_cache.py MODEL.gguf [--turns 5] [--num-ctx 2048]

One conversation in a small project (the real sandbox, the real history), with the embedded
llama.cpp backend: several user turns, each of up to two model replies. For every request to the
model it reports the prompt tokens, the tokens llama.cpp reused from the previous request (its
prefix cache), the time to the first token (prompt evaluation, mostly), and whether the request's
messages extend the previous request's unchanged (a *pure extension*: every earlier message
byte-identical, in the same order). A request that is not one is where the conversation was
compacted; with a small `--num-ctx` compaction happens during the run, and the report shows how
often and by how much it cut. Prints Markdown; measured, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TEST = "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
REQUESTS = (
    "Run the tests in test_calc.py and tell me what fails.",
    "Fix the bug in calc.py.",
    "Add a function sub(a, b) to calc.py.",
    "Print the contents of calc.py.",
    "Add a test for mul to test_calc.py and run the tests.",
    "Summarize what you changed, in one sentence.",
)


class RecordingModel:
    """Wraps the embedded model and keeps every request's messages, prompt tokens, tokens reused
    from llama.cpp's cache, and time to the first token. The agent stops reading a reply as
    soon as its action is complete, so most requests end without `GenerationDone`; the counts
    are therefore read from llama.cpp's own state before and after each request (what the
    backend reports when a reply runs to its end)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[tuple[tuple[tuple[str, str], ...], int | None, int | None, float | None]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def stream(self, messages: Sequence[Any], *, stop: Sequence[str] = (), **options: Any) -> AsyncIterator[Any]:
        from codeact_tui.core.ports import TextChunk

        sent = tuple((m.role, m.content) for m in messages)
        llm = self.inner._llm
        earlier = list(llm.input_ids[: llm.n_tokens]) if llm is not None else []
        started = time.perf_counter()
        first: float | None = None
        chunks = 0
        try:
            async for item in self.inner.stream(messages, stop=stop, **options):
                if isinstance(item, TextChunk):
                    chunks += 1
                    if first is None:
                        first = time.perf_counter() - started
                yield item
        finally:
            llm = self.inner._llm
            prompt = cached = None
            if llm is not None:
                now = list(llm.input_ids[: llm.n_tokens])
                prompt = max(len(now) - chunks, 0)
                common = 0
                for a, b in zip(earlier, now):
                    if a != b:
                        break
                    common += 1
                cached = min(common, prompt)
            self.requests.append((sent, prompt, cached, first))


async def conversation_run(model_path: str, turns: int, num_ctx: int, reply_tokens: int) -> tuple[list[tuple[Any, ...]], int, list[str]]:
    from codeact_tui.config import Settings
    from codeact_tui.conversation import Conversation, Services
    from codeact_tui.llm.embedded import EmbeddedChatModel

    project = Path(tempfile.mkdtemp(prefix="codeact-prefix-"))
    (project / "calc.py").write_text(CALC)
    (project / "test_calc.py").write_text(TEST)
    base = Settings()
    settings = dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, backend="embedded", model=model_path, max_reply_tokens=reply_tokens, num_ctx=num_ctx),
        agent=dataclasses.replace(base.agent, max_turns=2, approve="auto"),
        codeintel=dataclasses.replace(base.codeintel, disk_cache=False),
    )
    recorder = RecordingModel(EmbeddedChatModel(settings.model, threads=2))
    services = dataclasses.replace(Services(), make_model=lambda _settings: recorder)
    conversation = Conversation(project, settings, services)
    compactions = 0
    endings: list[str] = []
    try:
        conversation.open_history()
        await conversation.start_sandbox()
        await conversation.connect()
        for number, request in enumerate(REQUESTS[:turns], 1):
            async for event in conversation.turn(request):
                name = type(event).__name__
                if name == "ContextCompacted":
                    compactions += 1
                elif name == "TurnFinished":
                    endings.append(f"turn {number}: {event.reason}")
                elif name == "TurnFailed":
                    endings.append(f"turn {number}: failed ({event.kind}): {event.message}")
    finally:
        await conversation.close()
    rows = []
    previous: tuple[tuple[str, str], ...] | None = None
    for sent, prompt, cached, first in recorder.requests:
        extends = previous is None or sent[: len(previous)] == previous
        rows.append((len(sent), prompt, cached, first, extends))
        previous = sent
    return rows, compactions, endings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a GGUF file (e.g. from ../shared/models/get-model qwen2.5-coder-0.5b)")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--num-ctx", type=int, default=2048)
    parser.add_argument("--reply-tokens", type=int, default=160)
    args = parser.parse_args()
    started = time.perf_counter()
    rows, compactions, endings = asyncio.run(conversation_run(args.model, args.turns, args.num_ctx, args.reply_tokens))
    print(f"model {Path(args.model).name}, num_ctx {args.num_ctx}, {args.turns} user turns, "
          f"{time.perf_counter() - started:.0f} s, load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| request | messages | prompt tokens | reused from the cache | new tokens read | first token | pure extension |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for n, (count, prompt, cached, first, extends) in enumerate(rows, 1):
        fresh = (prompt - cached) if prompt is not None and cached is not None else None
        shown = "—" if first is None else f"{first:.2f} s"
        print(f"| {n} | {count} | {prompt} | {cached} | {fresh} | {shown} | {'yes' if extends else '**no (compacted)**'} |")
    total_fresh = sum(row[1] - row[2] for row in rows if row[1] is not None and row[2] is not None)
    print(f"\nnew tokens read over all requests: {total_fresh}")
    breaks = sum(1 for row in rows if not row[4])
    print(f"\n{len(rows)} requests; {breaks} not a pure extension; compaction events: {compactions}")
    print("\n" + "\n".join(f"- {ending}" for ending in endings))


if __name__ == "__main__":
    main()
