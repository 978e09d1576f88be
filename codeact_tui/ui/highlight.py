"""Syntax colouring for code and diffs that blends into the theme (no painted background)."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text


def highlight(code: str, lexer: str, *, dark: bool = True) -> Text:
    """`code` coloured by Pygments' `lexer`, with the theme's own background showing through."""
    syntax = Syntax("", lexer, theme="ansi_dark" if dark else "ansi_light")
    text = syntax.highlight(code)
    text.style = ""
    text.rstrip()
    return text
