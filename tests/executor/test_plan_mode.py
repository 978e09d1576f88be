"""Plan mode for real: the agent runs the model's actions on a read-only sandbox mount."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.turns import kinds

from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.prompts import PromptLibrary
from codeact_tui.executor import SandboxExecutor
from codeact_tui.llm.scripted import ScriptedModel
from codeact_tui.resources import resource_dir

from .sandbox_helpers import tree_digest

pytestmark = pytest.mark.sandbox


def test_plan_mode_reads_runs_and_refuses_writes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "prices.csv").write_text("item,price\na,3\nb,4\n")
    (project / "test_total.py").write_text(
        "import unittest\nclass T(unittest.TestCase):\n    def test_sum(self):\n        self.assertEqual(3 + 4, 7)\n"
    )
    before = tree_digest(project)
    model = ScriptedModel(
        [
            "<execute>import pandas as pd\ndf = pd.read_csv('prices.csv')\nprint(df.price.sum())</execute>",
            "<execute>import unittest, test_total\nr = unittest.TextTestRunner().run(unittest.defaultTestLoader.loadTestsFromModule(test_total))\nprint(r.wasSuccessful())</execute>",
            "<execute>df.to_csv('total.csv')</execute>",
            "<solution>Plan: write total.csv with the sum (7).</solution>",
        ]
    )

    async def go() -> list[ev.Event]:
        async with SandboxExecutor(project, mount_mode="read-only") as executor:
            agent = Agent(
                model=model,
                executor=executor,
                history=None,
                prompts=PromptLibrary(resource_dir("prompts")),
                system_prompt="You act with <execute> blocks.",
                options=AgentOptions(approve="plan"),
            )
            return [event async for event in agent.run_turn("plan a total")]

    events = asyncio.run(go())
    finished = [e for e in events if isinstance(e, ev.ExecutionFinished)]
    assert [f.result.status for f in finished] == ["ok", "ok", "error"]
    assert finished[0].result.stdout == "7\n" and finished[1].result.stdout.strip().endswith("True")
    observations = [e.text for e in events if isinstance(e, ev.ObservationAdded)]
    assert "read-only (plan mode)" in observations[-1]
    assert "approval_requested" not in kinds(events)
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].answer.startswith("Plan:")
    assert tree_digest(project) == before


def test_run_approve_plan_builds_a_read_only_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakes.ollama_server import FakeOllama

    from codeact_tui import cli

    project = tmp_path / "project"
    project.mkdir()
    (project / "nums.txt").write_text("2\n4\n")
    before = tree_digest(project)
    replies = ["<execute>print(sum(map(int, open('nums.txt'))))\nopen('sum.txt', 'w').write('6')</execute>", "<solution>Plan: write 6 to sum.txt.</solution>"]
    with FakeOllama(replies=replies) as server:
        status = cli.main(["run", "sum", "--path", str(project), "--host", server.url, "--model", "codeact:7b", "--approve", "plan"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "6" in out and "Read-only file system" in out + err and "Plan: write 6" in out
    assert tree_digest(project) == before


def test_plan_mode_sandbox_runs_the_project_tests(tmp_path: Path) -> None:
    import dataclasses

    from codeact_tui.config import Settings
    from codeact_tui.wiring import build_executor

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_a.py").write_text("def test_a():\n    assert 1 + 1 == 2\n")
    before = tree_digest(project)
    settings = Settings()
    settings = dataclasses.replace(settings, agent=dataclasses.replace(settings.agent, approve="plan"))

    async def go() -> str:
        async with build_executor(project, settings) as executor:
            assert executor.mount_mode == "read-only"
            result = await executor.run("print(run_tests())")
            assert result.status == "ok" and not result.warnings, result
            return result.stdout

    assert "1 passed" in asyncio.run(go())
    assert tree_digest(project) == before
