"""The sampling values one request sends: the user's settings over the request's own (a model
profile's), in each backend's names.

Ollama's options and llama.cpp's `create_chat_completion` use the `Sampling` names as they are;
OpenAI's API knows only `temperature` and `top_p`, and the local servers that speak it
(llama.cpp's `llama-server`, llama-cpp-python's server, LM Studio) take the others as extra
request fields under llama.cpp's names.
"""

from __future__ import annotations

from ..config import ModelSettings
from ..core.ports import Sampling


def user_sampling(settings: ModelSettings) -> Sampling:
    """The sampling values the user set (config file, environment, command line)."""
    return Sampling(
        temperature=settings.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        min_p=settings.min_p,
        repeat_penalty=settings.repeat_penalty,
    )


def request_sampling(settings: ModelSettings, requested: Sampling | None) -> dict[str, float | int]:
    """What to send: the user's values where set, else the request's; nothing for what neither
    sets (the server's default applies). The request's `least_temperature` and `least_top_p`
    raise `temperature` and `top_p` to at least that, over the user's values too."""
    values = user_sampling(settings).over(requested or Sampling()).given()
    for name in ("temperature", "top_p"):
        floor = values.pop(f"least_{name}", None)
        if floor is not None:
            values[name] = max(values.get(name, floor), floor)
    return values
