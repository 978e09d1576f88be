"""Pilot tests: the chosen theme and the project's prompt history survive a restart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codeact_tui.ui.widgets.prompt import PromptInput
from tests.fakes.ollama_server import free_port

from .conftest import AppFactory, settings_for, settle

pytestmark = pytest.mark.anyio


async def _type(pilot: object, text: str) -> None:
    for key in text:
        await pilot.press({" ": "space", "(": "left_parenthesis", ")": "right_parenthesis"}.get(key, key))  # type: ignore[attr-defined]


async def test_a_theme_chosen_in_the_app_is_used_next_time(app_factory: AppFactory) -> None:
    settings = settings_for(f"http://127.0.0.1:{free_port()}")
    app = app_factory(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.theme == "codeact-dark"
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        chosen = app.theme
        assert chosen != "codeact-dark"
    again = app_factory(settings)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot, again)
        assert again.theme == chosen
    # a theme set in the config file afterwards wins over the remembered choice
    edited = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, theme="nord"))
    third = app_factory(edited)
    async with third.run_test(size=(100, 30)) as pilot:
        await settle(pilot, third)
        assert third.theme == "nord"


async def test_up_recalls_prompts_of_an_earlier_session_of_this_project(app_factory: AppFactory, project: Path, tmp_path: Path) -> None:
    settings = settings_for(f"http://127.0.0.1:{free_port()}")
    app = app_factory(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        for prompt in ("!print(1)", "!print(2)"):
            await _type(pilot, prompt)
            await pilot.press("enter")
            await settle(pilot, app)
    again = app_factory(settings)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot, again)
        box = again.screen.query_one(PromptInput)
        box.focus()
        await pilot.press("up")
        assert box.text == "!print(2)"
        await pilot.press("up")
        assert box.text == "!print(1)"
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = app_factory(settings, root=other)
    async with elsewhere.run_test(size=(100, 30)) as pilot:
        await settle(pilot, elsewhere)
        box = elsewhere.screen.query_one(PromptInput)
        box.focus()
        await pilot.press("up")
        assert box.text == ""
