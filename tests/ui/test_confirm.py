"""The confirmation dialog shows its title and detail as plain text: an entry summary holds code
and file names, and a `[` in them must neither break the dialog nor turn into styling."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Static

from codeact_tui.ui.screens.confirm import ConfirmScreen
from codeact_tui.ui.themes import load_themes

from .conftest import assert_buttons_stand_out

pytestmark = pytest.mark.anyio

TITLE = "Undo #2: write data[/old].csv and [bold]notes[/bold].md?"
DETAIL = "Takes back [red]this[/red] action."


class Host(App[None]):
    def __init__(self, theme: str | None = None) -> None:
        super().__init__()
        self.wanted_theme = theme
        self.answers: list[bool | None] = []

    def on_mount(self) -> None:
        if self.wanted_theme:
            for theme in load_themes()[0]:
                self.register_theme(theme)
            self.theme = self.wanted_theme
        self.push_screen(ConfirmScreen(TITLE, DETAIL, yes="Undo"), self.answers.append)


async def test_brackets_in_the_title_are_shown_as_typed() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert str(screen.query_one("#title", Static).render()) == TITLE
        assert str(screen.query_one("#detail", Static).render()) == DETAIL
        await pilot.press("y")
        await pilot.pause()
    assert app.answers == [True]


@pytest.mark.parametrize("theme", ["codeact-dark", "codeact-light"])
async def test_both_buttons_stand_out_from_the_dialog(theme: str) -> None:
    """Cancel once had no colour of its own and was drawn in the dialog's surface colour."""
    app = Host(theme)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        assert app.theme == theme
        assert_buttons_stand_out(app.screen, app.screen.query_one("ConfirmScreen > Vertical"))
