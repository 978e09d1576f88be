"""The status bar names a GGUF model by its file name, so the meters after it stay on screen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.status import StatusBar, model_label

from .conftest import AppFactory, settle, settings_for

GGUF = "/home/someone/.cache/codeact-tui/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        (f"embedded:{GGUF}", "embedded:qwen2.5-coder-1.5b-instruct-q4_k_m"),
        ("embedded:C:\\models\\Tiny.GGUF (unavailable)", "embedded:Tiny (unavailable)"),
        ("embedded:./tiny.gguf", "embedded:tiny"),
        ("ollama:qwen2.5-coder:7b", "ollama:qwen2.5-coder:7b"),
        ("ollama:hf.co/bartowski/Qwen2.5-Coder-1.5B-GGUF:Q4_K_M", "ollama:hf.co/bartowski/Qwen2.5-Coder-1.5B-GGUF:Q4_K_M"),
        ("openai:(none)", "openai:(none)"),
        ("no model", "no model"),
    ],
)
def test_model_label_shows_a_file_by_its_name(label: str, shown: str) -> None:
    assert model_label(label, max_width=80) == shown


@pytest.mark.anyio
async def test_a_long_name_gives_way_to_the_meters_on_a_narrow_bar() -> None:
    app = Bar()
    async with app.run_test(size=(60, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.model = "ollama:hf.co/bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M"
        bar.context_window, bar.context_used = 8192, 4096
        bar.sandbox, bar.approve_mode = "ready", "ask"
        await pilot.pause()
        line = app.screen._compositor.render_strips()[0].text
        assert "…" in line and "sandbox ready" in line and "approve ask" in line, line


def test_a_label_too_wide_is_cut_in_the_middle() -> None:
    label = model_label("ollama:hf.co/bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M", max_width=24)
    assert len(label) == 24 and label.startswith("ollama:") and label.endswith("Q4_K_M") and "…" in label


class Bar(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()


@pytest.mark.anyio
@pytest.mark.parametrize("width", [80, 120])
async def test_meters_stay_visible_with_a_gguf_model(width: int) -> None:
    app = Bar()
    async with app.run_test(size=(width, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.model = f"embedded:{GGUF}"
        bar.context_window, bar.context_used = 8192, 4096
        bar.sandbox, bar.approve_mode = "ready", "ask"
        await pilot.pause()
        line = app.screen._compositor.render_strips()[0].text
        assert "/home" not in line and ".gguf" not in line
        name = "embedded:qwen2.5-coder-1.5b-instruct-q4_k_m" if width >= 120 else "embedded:qwen2"
        assert "q4_k_m │" in line
        for part in (name, "ctx", "50%", "sandbox ready", "approve ask"):
            assert part in line, (part, line)


@pytest.mark.anyio
async def test_the_app_names_an_unavailable_gguf_by_its_file(app_factory: AppFactory, tmp_path: Path) -> None:
    base = settings_for("http://127.0.0.1:9")
    settings = dataclasses.replace(base, model=dataclasses.replace(base.model, backend="embedded", model=str(tmp_path / "models" / "tiny-q8.gguf")))
    app = app_factory(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, MainScreen)
        bar = app.screen.query_one(StatusBar)
        line = app.screen._compositor.render_strips()[bar.region.y].text
        assert "embedded:tiny-q8" in line and str(tmp_path) not in line, line


@pytest.mark.anyio
async def test_optional_meters_give_way_to_the_model_name() -> None:
    app = Bar()
    async with app.run_test(size=(104, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.model = "ollama:qwen2.5-coder:7b"
        bar.activity, bar.tokens_per_s, bar.approvals = "waiting for approval", 42.0, 1
        bar.context_window, bar.context_used = 16384, 1200
        bar.sandbox, bar.approve_mode = "ready", "ask"
        await pilot.pause()
        line = app.screen._compositor.render_strips()[0].text
        assert "ollama:qwen2.5-coder:7b" in line and "waiting for approval" in line, line
        assert "sandbox ready" in line and "approve ask" in line and "ctx" in line, line
        assert "approval waiting" not in line  # the activity says it already
        bar.activity = "idle"  # the dialog is closed but an approval still waits: keep saying so
        await pilot.pause()
        assert "1 approval waiting" in app.screen._compositor.render_strips()[0].text


@pytest.mark.anyio
async def test_the_context_meter_shortens_before_the_model_name_is_cut() -> None:
    """At 100 columns, waiting for approval, the name once showed as "ollama:code… · generic"."""
    app = Bar()
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.model = "ollama:codeact:7b · generic"
        bar.activity, bar.tokens_per_s = "waiting for approval", 42.0
        bar.context_window, bar.context_used = 16384, 956
        bar.sandbox, bar.approve_mode = "ready", "ask"
        await pilot.pause()
        line = app.screen._compositor.render_strips()[0].text
        assert "ollama:codeact:7b · generic" in line and "ctx 6%" in line and "sandbox ready" in line, line
        bar.activity, bar.tokens_per_s = "idle", None  # room again: the whole meter comes back
        await pilot.pause()
        assert "ctx 956/16.4k (6%)" in app.screen._compositor.render_strips()[0].text


def test_a_label_too_wide_drops_the_profile_before_it_is_cut() -> None:
    """At 80 columns, waiting for approval, the name once showed as "ollama:…eneric"."""
    assert model_label("ollama:codeact:7b · generic", max_width=27) == "ollama:codeact:7b · generic"
    assert model_label("ollama:codeact:7b · generic", max_width=20) == "ollama:codeact:7b"
    assert model_label("ollama:codeact:7b · generic", max_width=14) == "ollama:…act:7b"
    assert model_label(f"embedded:{GGUF} · qwen (unavailable)", max_width=80) == "embedded:qwen2.5-coder-1.5b-instruct-q4_k_m · qwen (unavailable)"
