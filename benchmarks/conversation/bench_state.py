"""Interpreter state and rewind: what keeping the variables after each action costs, and how
long a rewind takes on a 10,000-file project. Real sandbox, real git, a scripted model.

Measures
- state kept per action (guest pickling + transfer + one git blob), its size, and restoring it
  into a fresh session, for sessions of growing weight: a few small variables; a dict of 200,000
  entries plus a list of 1,000,000 ints; a 4,000,000-row pandas DataFrame (~61 MiB, under the
  default 64 MiB limit); the same frame at 9,000,000 rows (past the limit: skipped by its size
  estimate, not pickled) — median of 3 each;
- a trivial action (`x = 1`) through the conversation service with states kept vs not, median
  of 20;
- rewind on a generated 10,000-file tree: plan (what it would change) and the whole rewind
  (files restored as one entry, the branch written, variables restored), after a turn that
  edited 100 files.

Usage: python benchmarks/conversation/bench_state.py [--out FILE]  (run under the heavy lock)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent / "history"))

from bench_snapshots import generate_tree  # type: ignore[import-not-found]  # noqa: E402

from codeact_tui.bench.machine import machine_facts  # noqa: E402
from codeact_tui.config import HistorySettings, SandboxSettings, Settings  # noqa: E402
from codeact_tui.conversation import Conversation, Services  # noqa: E402
from codeact_tui.executor import SandboxExecutor  # noqa: E402
from codeact_tui.history import HistoryStore  # noqa: E402
from codeact_tui.history.states import StateArchive  # noqa: E402
from codeact_tui.llm.scripted import ScriptedModel  # noqa: E402

RUNS = 3
TRIVIAL_RUNS = 20
SESSIONS = {
    "small: 5 variables (ints, a short list, a dict, a function)": "a, b = 1, 2\nitems = list(range(50))\nconfig = {'k': 'v'}\ndef f(x):\n    return x + a\n",
    "larger: a 200,000-entry dict and a 1,000,000-int list": "big = {f'k{i}': i for i in range(200_000)}\nnumbers = list(range(1_000_000))\n",
    "pandas: a 4,000,000-row DataFrame (2 float columns, ~61 MiB)": "import numpy as np, pandas as pd\ndf = pd.DataFrame({'a': np.arange(4_000_000, dtype=float), 'b': np.ones(4_000_000)})\n",
    "pandas past the limit: 9,000,000 rows (~137 MiB, skipped)": "import numpy as np, pandas as pd\ndf = pd.DataFrame({'a': np.arange(9_000_000, dtype=float), 'b': np.ones(9_000_000)})\n",
}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(size: int) -> str:
    return f"{size / (1 << 20):.2f} MiB" if size >= 1 << 16 else f"{size / 1024:.1f} KiB"


async def state_rows(root: Path) -> list[str]:
    rows = []
    store = HistoryStore.open(root, HistorySettings())
    archive = StateArchive(store.git)
    async with SandboxExecutor(root, SandboxSettings()) as executor:
        for label, code in SESSIONS.items():
            save, put, restore, sizes, skipped = [], [], [], [], ""
            for run in range(RUNS):
                await executor.reset_session()
                done = await executor.run(code)
                assert done.status == "ok", done.stderr
                await executor.save_state()  # the session's first save imports cloudpickle (~0.1 s, once)
                started = time.perf_counter()
                state = await executor.save_state()
                save.append(time.perf_counter() - started)
                started = time.perf_counter()
                ref = await asyncio.to_thread(archive.put, "bench", 0, state.data)
                put.append(time.perf_counter() - started)
                sizes.append(state.size)
                skipped = ", ".join(name for name, _ in state.skipped)
                started = time.perf_counter()
                data = await asyncio.to_thread(archive.get, ref)
                restored = await executor.restore_state(dataclasses.replace(state, data=data), fresh=True)
                restore.append(time.perf_counter() - started)
                assert restored.ok, restored.failed
            rows.append(
                f"| {label} | {ms(statistics.median(save))} | {ms(put[0])} / {ms(statistics.median(put[1:]))} | {mib(int(statistics.median(sizes)))} "
                f"| {ms(statistics.median(restore))} | {skipped or '—'} |"
            )
    store.close()
    return rows


def services(model: ScriptedModel) -> Services:
    return Services(
        make_model=lambda settings: model,
        open_history=lambda project, settings: HistoryStore.open(project, settings.history),
        sandbox_is_warm=lambda: True,
        repo_map=lambda project, settings, budget: None,
    )


async def trivial_rows(root: Path) -> list[str]:
    """Both conversations open side by side; their actions alternate, so load hits both alike."""
    conversations = {}
    for keep in (False, True):
        base = Settings()
        settings = dataclasses.replace(base, sandbox=dataclasses.replace(base.sandbox, state_limit_mib=64 if keep else 0))
        conversation = Conversation(root, settings, services(ScriptedModel(["<solution>ok</solution>"])))
        await asyncio.to_thread(conversation.open_history)
        await conversation.start_sandbox()
        await conversation.connect()
        conversations[keep] = conversation
    samples: dict[bool, list[float]] = {False: [], True: []}
    for run in range(TRIVIAL_RUNS + 2):
        for keep, conversation in conversations.items():
            started = time.perf_counter()
            async for _event in conversation.manual("x = 1"):
                pass
            if run >= 2:  # the first runs warm up (imports, the first snapshot)
                samples[keep].append(time.perf_counter() - started)
    kept = [r for r in conversations[True].transcript.records() if r.get("type") == "state" and r.get("ref")]  # type: ignore[union-attr]
    assert len(kept) == TRIVIAL_RUNS + 2, "a state per action"
    for conversation in conversations.values():
        await conversation.close()
    rows = []
    for keep, taken in samples.items():
        label = "states kept" if keep else "states off (`state_limit_mib = 0`)"
        rows.append(f"| a trivial manual action (`x = 1`) through the service, {label} | {ms(statistics.median(taken))} (p90 {ms(sorted(taken)[int(len(taken) * 0.9) - 1])}) |")
    return rows


async def rewind_rows(root: Path) -> list[str]:
    started = time.perf_counter()
    paths = generate_tree(root, 10_000)
    generated = time.perf_counter() - started
    edits = "\n".join(f"open({str(p.relative_to(root))!r}, 'a').write('# edited\\n')" for p in paths[::100])
    turn1 = "<execute>\nimport pandas as pd\nsummary = {'files': 10_000}\n</execute>"
    turn2 = f"<execute>\nsummary['edited'] = 100\n{edits}\n</execute>"
    model = ScriptedModel([turn1, "<solution>ok</solution>", turn2, "<solution>ok</solution>"])
    conversation = Conversation(root, Settings(), services(model))
    started = time.perf_counter()
    await asyncio.to_thread(conversation.open_history)
    first_snapshot = time.perf_counter() - started
    await conversation.start_sandbox()
    await conversation.connect()
    for text in ("look around", "edit 100 files"):
        async for _event in conversation.turn(text):
            pass
    started = time.perf_counter()
    plan = await conversation.plan_rewind(2)
    planned = time.perf_counter() - started
    started = time.perf_counter()
    outcome = await conversation.rewind(2)
    rewound = time.perf_counter() - started
    assert outcome.ok and len(plan.files) == 100, outcome.message
    assert outcome.state is not None and "summary" in outcome.state.restored
    await conversation.close()
    return [
        f"| generate the tree / first snapshot (`HistoryStore.open`) | {generated:.2f} s / {first_snapshot:.2f} s |",
        f"| plan the rewind (what it would change: 100 files) | {ms(planned)} |",
        f"| rewind: files restored (one entry), branch written, variables restored | {ms(rewound)} |",
        f"| … of which the variables (a fresh session; `pd` comes back by re-importing pandas) | {ms(outcome.state.seconds)} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="append the Markdown report here")
    args = parser.parse_args()
    facts = machine_facts()
    with tempfile.TemporaryDirectory() as scratch:
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(Path(scratch) / var.lower())
        for name in ("state", "trivial", "rewind"):
            (Path(scratch) / name).mkdir()
        states = asyncio.run(state_rows(Path(scratch) / "state"))
        trivial = asyncio.run(trivial_rows(Path(scratch) / "trivial"))
        rewind = asyncio.run(rewind_rows(Path(scratch) / "rewind"))
    lines = [
        f"## Interpreter state and rewind — {facts['date']}",
        "",
        f"Machine: {facts['cpu']}, {facts['cores']} cores, {facts['ram']} RAM; {facts['os']}; Python {facts['python']}",
        f"Load average when it started: {facts['load average (1, 5, 15 min)']}",
        "",
        f"State kept per action (median of {RUNS}; default limit `state_limit_mib = 64`):",
        "",
        "| session | save (guest pickle + transfer; a session's first save also imports cloudpickle, ~0.1 s once) | store: a new state / the same state again (git blob + ref) | bytes kept | restore into a fresh session | skipped |",
        "|---|---|---|---|---|---|",
        *states,
        "",
        "| measure | time |",
        "|---|---|",
        *trivial,
        *rewind,
        "",
        "Run it: `python benchmarks/conversation/bench_state.py [--out FILE]` (under the heavy lock).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as out:
            out.write("\n" + report)


if __name__ == "__main__":
    main()
