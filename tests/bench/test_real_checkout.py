"""Against a real checkout of xingyaoww/code-act, when one is named by `M3TOOLEVAL_SOURCE`
(skipped otherwise: the benchmark is not part of this repository)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from fakes.ollama_server import FakeOllama
from m3_helpers import bench, records

from codeact_tui.bench.catalog import load_catalog
from codeact_tui.bench.runner import default_runner_factory
from codeact_tui.bench.source import find_benchmark
from codeact_tui.config import SandboxSettings

SOURCE = os.environ.get("M3TOOLEVAL_SOURCE")
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not SOURCE, reason="set M3TOOLEVAL_SOURCE to a checkout of xingyaoww/code-act"),
]


def test_catalog_has_the_82_tasks_with_the_papers_values() -> None:
    benchmark = find_benchmark(Path(str(SOURCE)))
    tasks = asyncio.run(load_catalog(benchmark, default_runner_factory(SandboxSettings())))
    assert len(tasks) == 82
    assert {t.domain for t in tasks} == {
        "message_decoder", "cryptobotanists_plant_dna_sequencer", "trade_calculator",
        "travel_itinerary_planning", "web_browsing",
    }
    by_id = {t.task_id: t for t in tasks}
    assert by_id["web_browsing/total_price_of_selected_items_2"].expected_repr == "380.41999999999996"


def test_scripted_episode_on_the_real_benchmark(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.replies = [
        "Action:\nprint(caesar_decode(reverse_string(convert_hex_to_ascii('7a686b7a686d666d686b')), 5))\nEnd Action",
        "Answer: fchahcufcu",
    ]
    out = tmp_path / "r.jsonl"
    assert bench(fake_ollama, out, "--tasks", "full_alien", source=Path(str(SOURCE))) == 0
    record = records(out)["message_decoder/full_alien_message_decoding"]
    assert (record["outcome"], record["turns"]) == ("correct", 2)
