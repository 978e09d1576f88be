"""The one place an `Agent` is composed.

A conversation (`service.Conversation`) and the benchmark harnesses (`bench.episodes`) drive the
same loop; they differ only in the ports they hand it — the conversation its sandbox session,
history store and transcript, a benchmark its guest-side runner, no history and no transcript —
and in the options. Both compose it here, so the system prompt and the loop are built one way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.agent import Agent, AgentOptions
from ..core.context import ConversationMessage
from ..core.ports import ChatModel, Executor, History
from ..core.prompts import PromptLibrary, build_system_prompt
from ..core.transcript import Transcript


def compose_agent(
    *,
    model: ChatModel,
    executor: Executor,
    prompts: PromptLibrary,
    project: Path,
    options: AgentOptions,
    history: History | None = None,
    instructions_file: str = "",
    repo_map: str | None = None,
    code_tools: bool = False,
    transcript: Transcript | None = None,
    resume: Sequence[ConversationMessage] = (),
) -> Agent:
    """The agent for `project`: the product's system prompt (its instructions file, repo map
    and code tools, when given) over the given ports.

    Args:
        model: The chat model, already prepared by the caller when it needs the window.
        executor: Runs the actions (the conversation's sandbox session, or a benchmark's runner).
        prompts: The prompt templates (the model profile's overrides applied).
        project: The folder the model works in (named in the system prompt).
        options: The loop's behaviour.
        history: Snapshots around each action; None records nothing (benchmarks' scratch folders).
        instructions_file: The project's instructions file to include ("" includes none).
        repo_map: The repo map for the system prompt, if any.
        code_tools: Whether the executor offers the code tools.
        transcript: Where the conversation is appended; None keeps it in memory.
        resume: Earlier messages to continue from.
    """
    system_prompt = build_system_prompt(
        prompts, project=project, instructions_file=instructions_file, repo_map=repo_map, code_tools=code_tools
    )
    return Agent(
        model=model,
        executor=executor,
        history=history,
        prompts=prompts,
        system_prompt=system_prompt,
        options=options,
        transcript=transcript,
        resume=resume,
    )
