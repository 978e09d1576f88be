"""Composition helpers shared by the CLI commands and the app: build services from settings."""

from __future__ import annotations

from pathlib import Path

from .codeintel.host_tools import make_host_tools
from .config import Settings
from .executor import GUEST_PROJECT, SandboxExecutor


def build_executor(project: Path, settings: Settings) -> SandboxExecutor:
    """The project's sandbox, with the code-intelligence tools offered to guest code."""
    tools = make_host_tools(project, settings=settings.codeintel, guest_root=GUEST_PROJECT)
    return SandboxExecutor(project, settings.sandbox, extra_tools=tools)
