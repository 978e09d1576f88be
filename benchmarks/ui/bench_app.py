"""Benchmarks of the terminal app (measured and recorded in RESULTS.md, never asserted).

    python benchmarks/ui/bench_app.py launch    # process start → first frame, warm (median of N)
    python benchmarks/ui/bench_app.py stream    # frame gaps streaming 500 tok/s over 500 actions
    python benchmarks/ui/bench_app.py memory    # RSS and Python heap after a long session
    python benchmarks/ui/bench_app.py all

Runs headless (Textual's compositor does all its work; only the terminal write is skipped). The
model is the scripted backend, the executor the in-process test double, so only the UI is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from codeact_tui.config import Settings  # noqa: E402
from codeact_tui.core.ports import ExecutionResult, FileChange, HistoryEntry  # noqa: E402
from codeact_tui.llm.scripted import ScriptedModel  # noqa: E402
from codeact_tui.ui.app import CodeActApp, make_app  # noqa: E402
from codeact_tui.conversation import Services  # noqa: E402
from tests.fakes.executor import InProcessExecutor  # noqa: E402

ACTION = "Let me check.\n<execute>\nfor i in range(40):\n    print('line', i)\n</execute>"
ANSWER = "All good.\n<solution>Done: printed forty lines.</solution>"


def _isolated_env() -> dict[str, str]:
    base = Path(tempfile.mkdtemp(prefix="codeact-bench-"))
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        (base / var).mkdir()
        env[var] = str(base / var)
        os.environ[var] = str(base / var)
    return env


def _services(model: ScriptedModel) -> Services:
    return dataclasses.replace(
        Services(),
        make_model=lambda s: model,
        make_executor=lambda p, s: InProcessExecutor(p),
        sandbox_is_warm=lambda: True,
        open_history=lambda p, s: None,
        repo_map=lambda p, s, b: None,
    )


def _project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="codeact-bench-project-"))
    (root / "main.py").write_text("print('hello')\n")
    return root


# --- launch → first frame ------------------------------------------------------------------------

_CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.ui.bench_app import child_first_frame
child_first_frame({project!r})
"""


def child_first_frame(project: str) -> None:
    """In a fresh process: build the app like the CLI does, print seconds to the first frame."""
    model = ScriptedModel([])
    app = make_app(Path(project), Settings(), services=_services(model))
    shown: list[float] = []
    original = CodeActApp._display

    def display(self: CodeActApp, screen: object, renderable: object) -> None:
        if renderable is not None and not shown and type(screen).__name__ == "MainScreen":
            shown.append(time.time())
            self.exit()
        original(self, screen, renderable)  # type: ignore[arg-type]

    CodeActApp._display = display  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 36))
    print(json.dumps({"first_frame_wall": shown[0] if shown else None}))


def bench_launch(runs: int = 7) -> dict[str, float]:
    """Wall time from spawning `python` to the main screen's first composed frame."""
    env = _isolated_env()
    project = str(_project())
    code = _CHILD.format(root=str(ROOT), project=project)
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)  # warm the OS caches
    times = []
    for _ in range(runs):
        started = time.time()
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out, _ = proc.communicate()
        data = json.loads(out.decode().strip().splitlines()[-1])
        times.append(data["first_frame_wall"] - started)  # the wall clock is shared by both processes
    return {"launch_to_first_frame_median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "max_s": round(max(times), 3), "runs": runs}


# --- streaming over a long transcript -------------------------------------------------------------


def _long_transcript_widgets(actions: int) -> list[object]:
    from codeact_tui.ui.widgets.action_card import ActionCard
    from codeact_tui.ui.widgets.cards import AnswerCard, UserMessage

    widgets: list[object] = []
    output = "".join(f"line {i}\n" for i in range(40))
    for n in range(actions):
        widgets.append(UserMessage(f"request number {n}: please print forty lines"))
        card = ActionCard("for i in range(40):\n    print('line', i)\n", step=1, turn_id=f"t/{n}")
        card.finish(ExecutionResult(output, "", "ok", changed_files=(FileChange("out.txt", "modified"),), duration_s=0.01))
        card.record(HistoryEntry(n + 1, "agent", "2026-11-25T09:00:00Z", "print lines", (FileChange("out.txt", "modified"),)))
        widgets.append(card)
        widgets.append(AnswerCard("Done: printed forty lines."))
    return widgets


class PacedModel(ScriptedModel):
    """Streams on a wall-clock schedule like a server whose chunks queue in the socket: when the
    UI falls behind, the chunks that are due arrive at once instead of slowing the producer."""

    def __init__(self, replies: list[str], *, chunk_size: int, rate_tokens_per_s: float) -> None:
        super().__init__(replies, chunk_size=chunk_size)
        self._interval = (chunk_size / 4) / rate_tokens_per_s

    async def stream(self, messages, *, stop=(), sampling=None):  # type: ignore[no-untyped-def, override]
        from codeact_tui.core.ports import GenerationDone, GenerationStats, TextChunk

        text = self._next_reply(messages)
        cuts = [text.find(s) for s in stop if s and s in text]
        if cuts:
            text = text[: min(cuts)]
        started = self.started_at = time.perf_counter()
        for n, index in enumerate(range(0, len(text), self._chunk_size)):
            due = started + n * self._interval
            delay = due - time.perf_counter()
            if delay > 0:  # when behind, due chunks come out at once (no loop turn between them)
                await asyncio.sleep(delay)
            yield TextChunk(text[index : index + self._chunk_size])
        self.finished_at = time.perf_counter()
        yield GenerationDone(GenerationStats(completion_tokens=len(text) // 4, duration_s=time.perf_counter() - started, done_reason="stop"))


async def _stream(actions: int, tokens: int, rate: float) -> dict[str, float]:
    # A realistic reply: paragraphs of ~50 words (Markdown re-parses only the last block).
    # Tokens are counted as 4 characters, as the chunk pacing assumes.
    parts: list[str] = []
    size = 0
    while size < tokens * 4:
        word = f"word{len(parts)}" + ("\n\n" if len(parts) % 50 == 49 else " ")
        parts.append(word)
        size += len(word)
    words = "".join(parts) + "\n<solution>ok</solution>"
    chunk = 6  # ~1.5 tokens a chunk (4 chars a token): the delay below gives `rate` tokens/s
    model = PacedModel([words], chunk_size=chunk, rate_tokens_per_s=rate)
    app = make_app(_project(), Settings(), services=_services(model))
    frames: list[float] = []
    original = CodeActApp._display

    def display(self: CodeActApp, screen: object, renderable: object) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
        original(self, screen, renderable)  # type: ignore[arg-type]

    CodeActApp._display = display  # type: ignore[method-assign]
    stalls: list[float] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            main = app.screen
            started = time.perf_counter()
            await main.transcript.mount_all(_long_transcript_widgets(actions))  # type: ignore[attr-defined]
            await main.transcript.trim()  # type: ignore[attr-defined]  # what the transcript does as entries arrive
            await pilot.pause()
            mount_s = time.perf_counter() - started
            on_screen = len(main.transcript.children)  # type: ignore[attr-defined]
            widgets_total = len(main.query("*"))

            running = True

            async def sample() -> None:
                last = time.perf_counter()
                while running:
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    stalls.append(now - last - 0.005)
                    last = now

            sampler = asyncio.create_task(sample())
            frames.clear()
            begin = time.perf_counter()
            for key in "go":
                await pilot.press(key)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            stream_s = time.perf_counter() - begin
            running = False
            await sampler
    finally:
        CodeActApp._display = original  # type: ignore[method-assign]
    gaps = sorted(b - a for a, b in zip(frames, frames[1:]))
    return {
        "actions_in_transcript": actions,
        "tokens": tokens,
        "target_tokens_per_s": rate,
        "mount_and_trim_transcript_s": round(mount_s, 3),
        "transcript_entries_on_screen": on_screen,
        "widgets_on_screen": widgets_total,
        "stream_wall_s": round(stream_s, 3),
        "stream_ideal_s": round(tokens / rate, 3),
        "model_started_after_s": round(getattr(model, "started_at", begin) - begin, 3),
        "model_done_after_s": round(getattr(model, "finished_at", begin) - begin, 3),
        "frames": len(frames),
        "frame_gap_median_ms": round(1000 * statistics.median(gaps), 1) if gaps else 0.0,
        "frame_gap_p95_ms": round(1000 * gaps[int(0.95 * (len(gaps) - 1))], 1) if gaps else 0.0,
        "frame_gap_max_ms": round(1000 * gaps[-1], 1) if gaps else 0.0,
        "event_loop_stall_p95_ms": round(1000 * sorted(stalls)[int(0.95 * (len(stalls) - 1))], 1) if stalls else 0.0,
        "event_loop_stall_max_ms": round(1000 * max(stalls), 1) if stalls else 0.0,
    }


def bench_stream(actions: int = 500, tokens: int = 2000, rate: float = 500.0) -> dict[str, float]:
    """Frame gaps while a reply streams at `rate` tokens/s below a transcript of `actions` cards."""
    _isolated_env()
    return asyncio.run(_stream(actions, tokens, rate))


# --- memory after a long session --------------------------------------------------------------------


async def _session(turns: int) -> dict[str, float]:
    replies: list[str] = []
    for _ in range(turns):
        replies += [ACTION, ANSWER]
    model = ScriptedModel(replies, chunk_size=64)
    app = make_app(_project(), Settings(), services=_services(model))
    rss_before = _rss_mib()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        started = time.perf_counter()
        for n in range(turns):
            for key in f"t{n % 10}":
                await pilot.press(key)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        elapsed = time.perf_counter() - started
        gc.collect()
        rss_after = _rss_mib()
        objects = len(gc.get_objects())
        widgets = len(app.screen.query("*"))
        entries = len(app.screen.transcript.children)  # type: ignore[attr-defined]
    return {
        "turns": turns,
        "actions": turns,
        "session_wall_s": round(elapsed, 1),
        "transcript_entries_on_screen": entries,
        "widgets": widgets,
        "gc_objects": objects,
        "rss_after_startup_mib": rss_before,
        "rss_after_session_mib": rss_after,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _rss_mib() -> float:
    """The resident set size now, in MiB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def bench_memory(turns: int = 300) -> dict[str, float]:
    """Memory after `turns` turns of one action (40 output lines) and one answer each."""
    _isolated_env()
    return asyncio.run(_session(turns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["launch", "stream", "memory", "all"])
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, object] = {}
    if args.which in ("launch", "all"):
        results["launch"] = bench_launch()
    if args.which in ("stream", "all"):
        results["stream"] = bench_stream(actions=args.actions)
    if args.which in ("memory", "all"):
        results["memory"] = bench_memory(turns=args.turns)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
