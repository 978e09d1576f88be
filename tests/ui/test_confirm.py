"""The confirmation dialog shows its title and detail as plain text: an entry summary holds code
and file names, and a `[` in them must neither break the dialog nor turn into styling."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Static

from codeact_tui.ui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.anyio

TITLE = "Undo #2: write data[/old].csv and [bold]notes[/bold].md?"
DETAIL = "Takes back [red]this[/red] action."


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def on_mount(self) -> None:
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
