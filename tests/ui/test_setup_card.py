"""The setup card names the first real problem: an unreachable server before "no model chosen"."""

from __future__ import annotations

import pytest

from codeact_tui.ui.widgets.cards import SetupCard
from tests.fakes.ollama_server import FakeOllama, free_port

from .conftest import AppFactory, settings_for, settle

pytestmark = pytest.mark.anyio


async def test_no_model_and_no_server_says_the_server_is_unreachable(app_factory: AppFactory) -> None:
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}", model=""))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        card = app.screen.query_one(SetupCard)
        assert "cannot reach Ollama" in card.message and "no model chosen" not in card.message
        assert card.fix[0].startswith("Start Ollama") and "ollama serve" in card.fix[0]


async def test_no_model_with_a_running_server_lists_the_installed_ones(app_factory: AppFactory) -> None:
    with FakeOllama() as server:
        app = app_factory(settings_for(server.url, model=""))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            card = app.screen.query_one(SetupCard)
            assert card.message.startswith("no model chosen") and "installed: codeact:7b" in card.message
            assert any("Ctrl+O" in line for line in card.fix)


def test_a_long_fix_command_wraps_under_itself_not_under_its_label() -> None:
    from rich.console import Console

    from codeact_tui.ui.widgets.cards import fix_steps, setup_fix

    steps = setup_fix("cannot reach Ollama", "ollama", "codeact:7b", "http://127.0.0.1:11434")
    console = Console(width=76, record=True, color_system=None)
    console.print(fix_steps(steps))
    lines = console.export_text().splitlines()
    start = lines[2].index("codeact-tui --backend")  # "Or use another server:   codeact-tui …"
    assert lines[3][:start].strip() == "" and lines[3][start:].startswith("http://127.0.0.1:8080"), lines
    assert lines[0].startswith("Start Ollama:") and lines[4].startswith("Server now:"), lines


@pytest.mark.parametrize("width", [60, 72])  # 72: the welcome card's text width at 80 columns
def test_the_welcome_cards_key_lines_wrap_under_their_text(width: int) -> None:
    """The Esc line once wrapped "commands" back to the card's left edge, under the keys."""
    from rich.console import Console

    from codeact_tui.ui.widgets.cards import Welcome

    console = Console(width=width, record=True, color_system=None)
    console.print(Welcome("/tmp/project").content)
    lines = console.export_text().splitlines()
    rows = [i for i, line in enumerate(lines) if line.split()[:1] in (["Enter"], ["!code"], ["Esc"])]
    assert len(rows) == 3 and rows[-1] + 1 < len(lines), lines  # the Esc line wraps at these widths
    start = lines[rows[0]].index("send")
    for row, end in zip(rows, [*rows[1:], len(lines)]):
        assert lines[row][start - 2 : start] == "  ", lines  # every description starts in one column
        for line in lines[row + 1 : end]:
            assert line[:start].strip() == "" and line[start:].strip(), lines
