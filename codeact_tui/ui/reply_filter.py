"""Split a streaming reply into the prose shown as Markdown and the tagged parts shown as cards.

The model writes prose, then `<execute>code</execute>` or `<solution>answer</solution>`. The
transcript streams only the prose; the code goes to an action card and the answer to an answer
card. A chunk may end in the middle of a tag, so a suffix that could start one is held back.
"""

from __future__ import annotations

MARKERS = ("<execute>", "<solution>")


class ProseFilter:
    """Feed it deltas; it returns the prose to show, and nothing once a tag has begun."""

    def __init__(self) -> None:
        self._held = ""
        self.stopped = False
        """True once a tag began: the rest of the reply is not prose."""

    def feed(self, text: str) -> str:
        """The prose that can be shown now."""
        if self.stopped:
            return ""
        buffer = self._held + text
        cut = min((i for i in (buffer.find(m) for m in MARKERS) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._held = ""
            return buffer[:cut]
        keep = _partial_marker_suffix(buffer)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """What was held back, at the end of the reply."""
        held, self._held = ("" if self.stopped else self._held), ""
        return held


def _partial_marker_suffix(text: str) -> int:
    """The length of the longest suffix of `text` that is a proper prefix of a marker."""
    best = 0
    for marker in MARKERS:
        for size in range(min(len(marker) - 1, len(text)), 0, -1):
            if text.endswith(marker[:size]):
                best = max(best, size)
                break
    return best
