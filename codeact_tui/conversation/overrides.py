"""The command line's choices applied to the settings (the same options for `run` and the app)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..config import Settings

MODEL_OPTIONS = ("backend", "host", "model", "profile", "temperature")
"""Command-line options that override `[model]`."""
AGENT_OPTIONS = ("max_turns", "approve", "auto_test", "fresh_attempts")
"""Command-line options that override `[agent]`."""


def apply_overrides(settings: Settings, options: Any) -> Settings:
    """The settings with every option that `options` (an argparse namespace) sets applied.

    Options a command does not have, or that were not given (None), leave the setting alone.
    """

    def given(names: tuple[str, ...]) -> dict[str, Any]:
        return {name: value for name in names if (value := getattr(options, name, None)) is not None}

    return dataclasses.replace(
        settings,
        model=dataclasses.replace(settings.model, **given(MODEL_OPTIONS)),
        agent=dataclasses.replace(settings.agent, **given(AGENT_OPTIONS)),
    )
