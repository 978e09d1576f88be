"""A tokenizer-free token estimate for budgeting prompt text."""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 3.5
"""Code and paths tokenise denser than prose; 3.5 characters per token errs on the safe side."""


def estimate_tokens(text: str) -> int:
    """Roughly how many tokens a model's tokenizer makes of `text` (rounded up)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)
