"""The built-in theme list comes from Textual; Ctrl+T cycles our themes and the user's only."""

from __future__ import annotations

import pytest
from textual.app import App

from codeact_tui.ui.themes import BUILTIN_THEME_NAMES, user_theme_dir
from tests.fakes.ollama_server import free_port

from .conftest import AppFactory, settings_for, settle

pytestmark = pytest.mark.anyio


async def test_the_builtin_names_are_textuals_own() -> None:
    app: App[None] = App()
    async with app.run_test():
        assert set(BUILTIN_THEME_NAMES) == set(app.available_themes)
    assert {"ansi-dark", "ansi-light"} <= BUILTIN_THEME_NAMES and "textual-ansi" not in BUILTIN_THEME_NAMES


async def test_ctrl_t_cycles_only_our_themes_and_the_users(app_factory: AppFactory) -> None:
    user_theme_dir().mkdir(parents=True)
    (user_theme_dir() / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\n')
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        seen = []
        for _ in range(8):
            await pilot.press("ctrl+t")
            await pilot.pause()
            seen.append(app.theme)
        assert set(seen) == {"codeact-dark", "codeact-light", "mine"}
