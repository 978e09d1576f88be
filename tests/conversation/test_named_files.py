"""The files a request names are quoted to the model ahead of the request: which files, how they
are shown, and (through the conversation service) that each is quoted again only when it changed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from fakes.executor import InProcessExecutor

from codeact_tui.config import Settings
from codeact_tui.conversation import Conversation, Services
from codeact_tui.conversation.named_files import MAX_LINES, read_named_files
from codeact_tui.core.briefing import named_files_note
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.llm.scripted import ScriptedModel
from codeact_tui.resources import resource_dir

PROMPTS = PromptLibrary(resource_dir("prompts"))


def test_only_text_files_inside_the_project_are_quoted(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "src").mkdir(parents=True)
    (project / ".git").mkdir()
    (project / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (project / "src" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (project / "blob.py").write_bytes(b"\x00\x01\x02")
    (project / ".git" / "hook.py").write_text("secret\n")
    (tmp_path / "outside.py").write_text("outside\n")
    os.symlink(tmp_path / "outside.py", project / "link.py")
    request = "Fix calc.py, src/long.py, blob.py, .git/hook.py, ../outside.py and link.py; missing.py too."
    files = read_named_files(project, request)
    # named_files gives at most three names: calc.py, src/long.py, blob.py (binary: left out)
    assert [(f.path, f.size) for f in files] == [("calc.py", "2 lines"), ("src/long.py", f"{MAX_LINES + 1} lines")]
    assert files[1].text is None
    assert read_named_files(project, "see .git/hook.py, ../outside.py and link.py") == []
    note = named_files_note(PROMPTS, files)
    assert note.startswith("[The files your request names, as they are now:\n`calc.py` (2 lines):\n```\ndef add(a, b):\n")
    assert f"`src/long.py` ({MAX_LINES + 1} lines: too long to show here; read it with `view_file`)]" in note
    assert named_files_note(PROMPTS, []) == ""


def test_a_file_holding_a_fence_gets_a_longer_fence(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text("x\n")
    (tmp_path / "gen.py").write_text('TEMPLATE = """\n```\ncode\n```\n"""\n')
    [file] = read_named_files(tmp_path, "update gen.py")
    assert "````\nTEMPLATE" in named_files_note(PROMPTS, [file])


def test_the_service_quotes_a_named_file_once_until_it_changes(tmp_path: Path) -> None:
    project = tmp_path / "calc"
    project.mkdir()
    (project / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    model = ScriptedModel(["<solution>a</solution>", "<solution>b</solution>", "<solution>c</solution>"])
    services = Services(
        make_model=lambda settings: model,
        make_executor=lambda project, settings: InProcessExecutor(project),  # type: ignore[return-value, arg-type]
        open_history=lambda project, settings: None,
        sandbox_is_warm=lambda: True,
        repo_map=lambda project, settings, budget: None,
    )

    async def go() -> None:
        conversation = Conversation(project, Settings(), services)
        await conversation.start_sandbox()
        try:
            for request in ("Fix the bug in calc.py.", "Is calc.py right?"):
                [_ async for _ in conversation.turn(request)]
            (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
            [_ async for _ in conversation.turn("And calc.py now?")]
        finally:
            await conversation.close()

    asyncio.run(go())
    first, second, third = (requests[-1].content for requests in model.requests)
    assert first.startswith("[The files your request names, as they are now:\n`calc.py` (2 lines):\n```\ndef add(a, b):\n    return a - b\n```]")
    assert first.endswith("[Request]\nFix the bug in calc.py.")
    assert second == "Is calc.py right?"  # seen as it is: not quoted again
    assert "return a + b" in third and third.endswith("[Request]\nAnd calc.py now?")
