"""Text that guest code chose (file names, summaries, code, output) made safe for a terminal.

Printed raw, an escape sequence in a file name or in output could retitle the window, write
the clipboard (OSC 52) or paint fake screen contents. Control characters are shown escaped
instead; JSON output needs none of this (`json.dumps` escapes them already).
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # keeps \t and \n
_CONTROL_NO_NEWLINES = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # keeps \t


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with control characters (ESC, BEL, CR, C1, bidi overrides...) written as `\\xNN`.

    Tabs stay; newlines stay only when `keep_newlines` (multi-line output, diffs).
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_NO_NEWLINES
    return pattern.sub(_escape, text)
