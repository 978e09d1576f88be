"""Recognise a model-server error that says the conversation no longer fits the context window.

The original M3ToolEval harness (`main.py` `run_task`) ends an episode whose request was refused
for its length with `end_reason="context_limit"` and counts it as a failure; only transport
failures are errors to retry. Servers word the refusal differently, so this matches their
phrasings: Ollama ("input length exceeds the context length"), llama.cpp's `llama-server`
("exceeds the available context size", `exceed_context_size_error`), llama-cpp-python and
OpenAI-style servers ("maximum context length is …", `context_length_exceeded`), and the
embedded backend ("Requested tokens (…) exceed context window").
"""

from __future__ import annotations

import re

_OVERFLOW = re.compile(
    r"context[ _](?:length|window|size)[ _]?exceeded"
    r"|exceeds?[ _](?:the[ _])?(?:available[ _]|maximum[ _]|model'?s[ _])?context"
    r"|exceed[ _]context[ _]size"
    r"|maximum context length"
    r"|context (?:length|window|size) (?:of|is) \d+"
    r"|too many tokens"
    r"|prompt is too long"
    r"|input (?:length|is) (?:too long|exceeds)",
    re.IGNORECASE,
)


def is_context_overflow(message: str) -> bool:
    """Whether a model error's message says the request did not fit the context window."""
    return bool(_OVERFLOW.search(message))
