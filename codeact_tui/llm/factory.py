"""Build the chat model the settings ask for."""

from __future__ import annotations

from ..config import ModelSettings
from ..core.ports import ChatModel


def make_chat_model(settings: ModelSettings) -> ChatModel:
    """The backend named by `settings.backend` (`ollama`, `openai` or `embedded`).

    Backends import their client libraries only here, so `embedded` costs nothing unless used.
    """
    if settings.backend == "ollama":
        from .ollama import OllamaChatModel

        return OllamaChatModel(settings)
    if settings.backend == "openai":
        from .openai_compat import OpenAICompatChatModel

        return OpenAICompatChatModel(settings)
    if settings.backend == "embedded":
        from .embedded import EmbeddedChatModel

        return EmbeddedChatModel(settings)
    raise ValueError(f"unknown model backend {settings.backend!r}; expected ollama, openai or embedded")
