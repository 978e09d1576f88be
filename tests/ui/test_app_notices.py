"""Notices that carry settings names or paths show them as written (not eaten as markup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content

from tests.fakes.ollama_server import free_port

from .conftest import AppFactory, settings_for, settle

pytestmark = pytest.mark.anyio


async def test_no_editor_notice_names_the_setting(app_factory: AppFactory, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    (project / "[draft].py").write_text("x = 1\n")
    app = app_factory(settings_for(f"http://127.0.0.1:{free_port()}"))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        app.open_in_editor("[draft].py")
        await pilot.pause()
        notice = list(app._notifications)[-1]
        # what the toast shows: the message read as markup, as Textual's Toast reads it
        shown = Content.from_markup(notice.message).plain if notice.markup else notice.message
        assert "Set [ui] editor, $VISUAL or $EDITOR to open files here" in shown, shown  # all three, in the order they count
        from codeact_tui.ui.screens.help import HELP

        assert "your editor (`[ui] editor`, else `$VISUAL`, else `$EDITOR`)" in HELP  # as the README says
        assert shown.endswith(f"{(project / '[draft].py').resolve()}"), shown
