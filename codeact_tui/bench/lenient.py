"""A lenient answer checker, reported separately from the benchmark's own (faithful) one.

The original checker needs the exact `str()` of lists and dicts and, for five price tasks, an
unrounded float although the prompt asks for 'xx.xx'. This one forgives formatting: surrounding
quotes and whitespace, a trailing full stop, case, a leading currency sign, number formats
(equal to the cent), and the same leniency inside lists, tuples and dicts.
"""

from __future__ import annotations

import ast
import math
from typing import Any

_MISSING = object()


def lenient_match(answer: str, expected_repr: str) -> bool:
    """Whether `answer` (the model's text) means the expected value (given as its repr)."""
    try:
        expected = ast.literal_eval(expected_repr)
    except (ValueError, SyntaxError):
        expected = expected_repr
    return _match(_parse(answer), expected)


def _clean(text: str) -> str:
    text = text.strip().strip("`").strip()
    if text.endswith(".") and not text[:-1].rstrip().endswith("."):
        text = text[:-1].rstrip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


def _parse(answer: Any) -> Any:
    if not isinstance(answer, str):
        return answer
    text = _clean(answer)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = _clean(value).lstrip("$€£").replace(",", "")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _match(got: Any, expected: Any) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number = _number(got)
        return number is not None and math.isclose(number, float(expected), rel_tol=1e-9, abs_tol=0.005 + 1e-9)
    if isinstance(expected, str):
        if not isinstance(got, str):
            got = str(got)
        return " ".join(_clean(got).casefold().split()) == " ".join(expected.strip().casefold().split())
    if isinstance(expected, (list, tuple)):
        if isinstance(got, str):
            return False
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return False
        return all(_match(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(map(str, got)) != set(map(str, expected)):
            return False
        by_key = {str(k): v for k, v in got.items()}
        return all(_match(by_key.get(str(k), _MISSING), v) for k, v in expected.items())
    return bool(got == expected)
