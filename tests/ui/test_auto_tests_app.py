"""The app shows the test run the agent starts after a change as a card of its own, live and
again when the conversation is continued (in-process executor with a `run_tests` of its own)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codeact_tui.conversation import Services
from codeact_tui.ui.app import make_app
from codeact_tui.ui.screens.main import MainScreen
from codeact_tui.ui.widgets.action_card import ActionCard
from tests.fakes.executor import InProcessExecutor
from tests.fakes.ollama_server import FakeOllama

from .conftest import ANSWER_REPLY, WRITE_REPLY, send, settings_for, settle

pytestmark = pytest.mark.anyio


def executor_with_tests(project: Path) -> InProcessExecutor:
    executor = InProcessExecutor(project)

    def run_tests() -> str:
        fixed = "a + b" in (project / "calc.py").read_text()
        return "pytest: passed: 1 passed (0.1s)" if fixed else "pytest: FAILED: 0 passed, 1 failed (0.1s)"

    executor.namespace["run_tests"] = run_tests
    return executor


async def test_the_agent_s_test_run_has_its_own_card_live_and_on_resume(project: Path) -> None:
    services = dataclasses.replace(Services(), make_executor=lambda p, s: executor_with_tests(p), sandbox_is_warm=lambda: True)
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        app = make_app(project, settings_for(server.url), services=services)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await send(pilot, "fix add so the tests pass")
            await settle(pilot, app)
            main = app.screen
            assert isinstance(main, MainScreen)
            action, tests = main.query(ActionCard)
            assert action.title == "action 1" and tests.title == "tests after action 1"
            assert tests.state == "done" and tests.code == "print(run_tests())"
            assert "pytest: passed: 1 passed (0.1s)" in tests.output_text()
            assert "tests after action 1" in str(tests._header())
            assert main.status.activity == "idle" and main.status.sandbox == "ready"
            observation = server.chat_requests()[-1]["messages"][-1]["content"]
            assert "The tests ran after your change to `calc.py`:\npytest: passed: 1 passed (0.1s)" in observation

        again = make_app(project, settings_for(server.url), services=services, resume="latest")
        async with again.run_test(size=(100, 30)) as pilot:
            await settle(pilot, again)
            action, tests = again.screen.query(ActionCard)
            assert (action.title, tests.title) == ("action 1", "tests after action 1")
            assert tests.state == "done" and "1 passed" in tests.output_text()
