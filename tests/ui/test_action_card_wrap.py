"""A long code line in an action card wraps instead of being cut at the card's edge."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from codeact_tui.ui.widgets.action_card import ActionCard

pytestmark = pytest.mark.anyio

LONG = "x = '" + "abcdefghij" * 12 + "END'"


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ActionCard(LONG + "\nprint(x)", step=1, turn_id=None)


async def test_a_long_code_line_is_wrapped_whole() -> None:
    app = Host()
    async with app.run_test(size=(60, 14)) as pilot:
        await pilot.pause()
        lines = [strip.text.strip("│ ") for strip in app.screen._compositor.render_strips()]
        shown = "".join(line for line in lines if not line.startswith(("╭", "╰", "◇")))
        assert "abcdefghij" * 12 + "END'" in shown.replace(" ", ""), lines
        assert any(line.startswith("print(x)") for line in lines)
