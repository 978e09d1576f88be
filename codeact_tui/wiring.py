"""Composition helpers shared by the CLI commands and the app: build services from settings.

Imports of the adapters happen inside the functions, so importing this module (every command
does, at start-up) stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import CodeIntelSettings, Settings

if TYPE_CHECKING:
    from .executor import SandboxExecutor


def repo_map_text(project: Path, settings: CodeIntelSettings, budget: int) -> str | None:
    """The repo map for the system prompt, or None when it cannot be built (it is a help,
    never a reason not to start)."""
    from .codeintel.repomap import repo_map_from_settings

    try:
        return repo_map_from_settings(project, settings, token_budget=budget).text
    except Exception:  # noqa: BLE001
        return None


def code_tools(project: Path, settings: CodeIntelSettings) -> list[Callable[..., Any]]:
    """The code tools (outline, definitions, references, search) over `project`, for its sandbox
    to offer guest code at the sandbox's mount point."""
    from .codeintel.host_tools import make_host_tools
    from .executor import GUEST_PROJECT

    return make_host_tools(project, settings=settings, guest_root=GUEST_PROJECT)


def build_executor(project: Path, settings: Settings) -> SandboxExecutor:
    """The project's sandbox, with the code-intelligence tools offered to guest code; read-only
    in plan mode (`[agent] approve = "plan"`: actions run, every write is refused)."""
    from .executor import SandboxExecutor

    tools = code_tools(project, settings.codeintel)
    mode = "read-only" if settings.agent.approve == "plan" else "live"
    return SandboxExecutor(project, settings.sandbox, extra_tools=tools, mount_mode=mode)
