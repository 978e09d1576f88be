"""The `--backend`, `--host` and `--model` options, for the commands that check or use a model.

Error messages tell users to "point --host at it" or "pass --model NAME"; every command that can
print such a message accepts those options, and they mean the same everywhere.
"""

from __future__ import annotations

import argparse
import dataclasses

from ..config import Settings

BACKENDS = ("ollama", "openai", "embedded")


def add_model_arguments(parser: argparse.ArgumentParser, *, model: bool = True) -> None:
    """Add `--backend`, `--host` and (unless `model=False`) `--model` to a subcommand."""
    parser.add_argument("--backend", choices=BACKENDS, help="the model backend (default: [model] backend)")
    parser.add_argument("--host", help="the model server's URL (default: [model] host, then OLLAMA_HOST)")
    if model:
        parser.add_argument("--model", help="the model name, or the GGUF file for --backend embedded")


def with_model_arguments(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with the model options given on the command line applied."""
    changes = {name: value for name in ("backend", "host", "model") if (value := getattr(args, name, None)) is not None}
    return dataclasses.replace(settings, model=dataclasses.replace(settings.model, **changes)) if changes else settings
