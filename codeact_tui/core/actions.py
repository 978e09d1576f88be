"""Parse a model reply into a code action, a final answer, or plain text.

The format is CodeAct's: `<execute>…</execute>` runs code, `<solution>…</solution>` answers.
Small local models are sloppy, so parsing is tolerant:

- a fenced python block counts as the action when no `<execute>` tag is present;
- a closing tag lost to a stop sequence (or to the end of the stream) is restored, also when
  only part of it (`</exe`) arrived;
- fences wrapped inside `<execute>` are removed (and prose around a fence inside it dropped);
- only the first action runs: anything the model wrote after it is reported, not executed;
- a reply that starts repeating itself endlessly is detected while it streams
  (`repetition_start`), so the agent can stop it instead of waiting for the token limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

EXECUTE_OPEN = "<execute>"
EXECUTE_CLOSE = "</execute>"
SOLUTION_OPEN = "<solution>"
SOLUTION_CLOSE = "</solution>"

STOP_SEQUENCES: tuple[str, ...] = (EXECUTE_CLOSE,)
"""Stop sequences sent with every request: generation ends right after the first action. A
fenced python block cannot be a stop sequence (its closing fence equals its opening one), so
the agent ends that generation itself when `action_complete` sees the fence close."""

ReplyKind = Literal["action", "solution", "reply"]

_FENCE_OPEN = re.compile(r"^[ \t]*```[ \t]*(python3?|py)[ \t]*\r?\n", re.IGNORECASE | re.MULTILINE)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.MULTILINE)
_WRAPPING_FENCE = re.compile(r"\A\s*```[ \t]*(?:python3?|py)?[ \t]*\r?\n(.*?)\r?\n?[ \t]*```\s*\Z", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class ParsedReply:
    """What a model reply asks for."""

    kind: ReplyKind
    """`action` (run `code`), `solution` (the final answer), `reply` (text without code)."""
    text: str
    """The reply as it should be kept in the conversation (closing tag restored, tail dropped)."""
    code: str = ""
    """The code to run, for an action."""
    answer: str = ""
    """The final answer: the solution's content, or the whole reply for a plain reply."""
    ignored: str = ""
    """Text the model wrote after the first action; it is neither run nor kept."""
    repaired: bool = False
    """True when a missing or partial closing tag or fence was restored."""
    fenced: bool = False
    """True when the action came from a fenced block instead of an `<execute>` tag."""
    prose: str = ""
    """The reply without its action block: what a UI shows next to the action's own card, so
    the code appears once."""


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest proper prefix of `tag` that `text` ends with (0 if none)."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0


def _strip_wrapping_fence(code: str) -> str:
    """Remove a ```python fence that wraps the whole action (a common small-model habit)."""
    match = _WRAPPING_FENCE.match(code)
    return match.group(1) if match else code


def _inner_fence(code: str) -> str:
    """The content of a python fence inside an action that also holds prose (`<execute>Here
    is the fix:\n```python …``` </execute>`): the prose would be a syntax error."""
    opening = _FENCE_OPEN.search(code)
    if opening is None:
        return code
    close = _FENCE_CLOSE.search(code, opening.end())
    return code[opening.end() : close.start() if close else len(code)]


def _clean_code(code: str) -> str:
    """Trim blank lines around the code and remove a wrapping (or inner) fence."""
    code = _strip_wrapping_fence(code.strip("\r\n"))
    return _inner_fence(code).strip("\r\n").rstrip()


def _parse_execute(text: str, start: int) -> ParsedReply:
    body_start = start + len(EXECUTE_OPEN)
    end = text.find(EXECUTE_CLOSE, body_start)
    repaired = False
    if end < 0:
        repaired = True
        body = text[body_start:]
        body = body[: len(body) - _partial_suffix(body, EXECUTE_CLOSE)]
        ignored = ""
    else:
        body = text[body_start:end]
        ignored = text[end + len(EXECUTE_CLOSE) :].strip()
    kept = text[:body_start] + body.rstrip() + "\n" + EXECUTE_CLOSE
    return ParsedReply(
        kind="action", text=kept, code=_clean_code(body), ignored=ignored, repaired=repaired, prose=text[:start].strip()
    )


def _strip_execute_tags(body: str) -> str:
    """A fence's code without the `<execute>` line a small model wrote inside the fence (and its
    `</execute>`, when the stop sequence did not end the reply there): the tags are not Python."""
    stripped = body.lstrip()
    if not stripped.startswith(EXECUTE_OPEN):
        return body
    body = stripped[len(EXECUTE_OPEN) :]
    end = body.rfind(EXECUTE_CLOSE)
    return body[:end] if end >= 0 and not body[end + len(EXECUTE_CLOSE) :].strip() else body


def _parse_fence(text: str, match: re.Match[str]) -> ParsedReply:
    body_start = match.end()
    close = _FENCE_CLOSE.search(text, body_start)
    if close is None:
        body, ignored, repaired = text[body_start:], "", True
        body = body[: len(body) - _partial_suffix(body, "```")]
        kept = text[:body_start] + body.rstrip() + "\n```"
    else:
        body, ignored, repaired = text[body_start : close.start()], text[close.end() :].strip(), False
        kept = text[: close.end()]
    return ParsedReply(
        kind="action",
        text=kept,
        code=_clean_code(_strip_execute_tags(body)),
        ignored=ignored,
        repaired=repaired,
        fenced=True,
        prose=text[: match.start()].strip(),
    )


def _parse_solution(text: str, start: int) -> ParsedReply:
    body_start = start + len(SOLUTION_OPEN)
    end = text.find(SOLUTION_CLOSE, body_start)
    if end < 0:
        body = text[body_start:]
        body = body[: len(body) - _partial_suffix(body, SOLUTION_CLOSE)]
        kept = text[:body_start] + body.rstrip() + SOLUTION_CLOSE
        return ParsedReply(kind="solution", text=kept, answer=body.strip(), repaired=True)
    return ParsedReply(
        kind="solution",
        text=text[: end + len(SOLUTION_CLOSE)],
        answer=text[body_start:end].strip(),
        ignored=text[end + len(SOLUTION_CLOSE) :].strip(),
    )


_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"


def thinking_end(text: str) -> int:
    """Where the model's reasoning (`<think>…</think>`, emitted by reasoning models) ends: 0
    without any, -1 while a block is still open. Actions inside reasoning are not actions."""
    end = 0
    at = text.find(_THINK_OPEN)
    while at >= 0:
        close = text.find(_THINK_CLOSE, at)
        if close < 0:
            return -1
        end = close + len(_THINK_CLOSE)
        at = text.find(_THINK_OPEN, end)
    return end


def find_tag(text: str, tag: str, start: int = 0) -> int:
    """The first position of `tag` that is not a mention in inline code (`` `<execute>` ``)."""
    at = text.find(tag, start)
    while at > 0 and text[at - 1] == "`":
        at = text.find(tag, at + 1)
    return at


def parse_reply(text: str) -> ParsedReply:
    """Decide what a complete model reply asks for.

    The earliest of `<execute>`, `<solution>` and a fenced python block wins (a tag written
    inside inline code is a mention, not a tag); without any, the reply is a plain answer.
    """
    thought = thinking_end(text)
    if thought != 0:
        # Reasoning is not kept in the conversation, and nothing in it runs.
        text = "" if thought < 0 else text[thought:].lstrip()
    execute_at = find_tag(text, EXECUTE_OPEN)
    solution_at = find_tag(text, SOLUTION_OPEN)
    fence = _FENCE_OPEN.search(text)
    candidates = [(at, kind) for at, kind in ((execute_at, "execute"), (solution_at, "solution")) if at >= 0]
    if fence is not None:
        candidates.append((fence.start(), "fence"))
    if not candidates:
        stripped = text.strip()
        return ParsedReply(kind="reply", text=stripped, answer=stripped)
    at, kind = min(candidates)
    if kind == "execute":
        return _parse_execute(text, at)
    if kind == "solution":
        return _parse_solution(text, at)
    assert fence is not None
    if solution_at >= 0 and text[fence.end() :].lstrip().startswith(SOLUTION_OPEN):
        # A small model's answer wrapped in a python fence: an answer, not code to run.
        return _parse_solution(text, solution_at)
    return _parse_fence(text, fence)


def action_complete(text: str) -> int:
    """Where the first complete action ends in streamed text, or -1.

    An action is an `<execute>` block or, when it comes first, a fenced python block. Lets the
    agent stop reading a stream as soon as the first action is closed: a fence cannot be a
    stop sequence, and some servers ignore stop sequences.
    """
    thought = thinking_end(text)
    if thought < 0:
        return -1
    start = find_tag(text, EXECUTE_OPEN, thought)
    solution_at = find_tag(text, SOLUTION_OPEN, thought)
    fence = _FENCE_OPEN.search(text, thought)
    firsts = [at for at in (start, solution_at, fence.start() if fence else -1) if at >= 0]
    if not firsts:
        return -1
    first = min(firsts)
    if first == solution_at:
        return -1
    if first == start:
        end = text.find(EXECUTE_CLOSE, start + len(EXECUTE_OPEN))
        return -1 if end < 0 else end + len(EXECUTE_CLOSE)
    assert fence is not None
    close = _FENCE_CLOSE.search(text, fence.end())
    # The closing fence counts once its line has ended (a newline), or at a line break.
    if close is None or not text[close.end() :].startswith(("\n", "\r")):
        return -1
    return close.end()


REPEAT_MIN_CHARS = 600
"""Repetition is judged on at least this much text (shorter replies are never cut)."""
REPEAT_WINDOW = 480
"""The tail that must consist of one repeated unit."""
REPEAT_MAX_UNIT = 160
"""The longest repeated unit looked for."""


def repetition_start(text: str) -> int:
    """Where an endless repetition begins in a reply, or -1.

    A reply whose last `REPEAT_WINDOW` characters are one unit of at most `REPEAT_MAX_UNIT`
    characters repeated (a line, a phrase, a token) is looping; the result is the end of its
    first occurrence, so the reply can be kept up to there.
    """
    if len(text) < REPEAT_MIN_CHARS:
        return -1
    tail = text[-REPEAT_WINDOW:]
    for unit in range(1, REPEAT_MAX_UNIT + 1):
        if tail[unit:] == tail[:-unit]:
            # Walk back to where the periodic text starts, keep one period, end at a word break.
            start = len(text) - REPEAT_WINDOW
            while start > 0 and text[start - 1] == text[start - 1 + unit]:
                start -= 1
            end = start + unit
            for at in range(end, min(end + unit, len(text))):
                if text[at].isspace():
                    return at
            return end
    return -1


def summarize_code(code: str, width: int = 72) -> str:
    """A one-line summary of an action for the history: its first comment, else its first line."""
    lines = [line.strip() for line in code.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("#") and line.lstrip("#").strip():
            summary = line.lstrip("#").strip()
            break
    else:
        summary = lines[0] if lines else "(empty action)"
    return summary if len(summary) <= width else summary[: width - 1] + "…"


def reply_prose(text: str, *, final: bool = False) -> str:
    """The prose of a reply that may still be streaming: what comes before its first action or
    answer, as `parse_reply` decides (reasoning left out), so a front-end shows code and answers
    once, in their own place.

    While streaming (`final` False) a tail that could still become a tag or a fence is held
    back, so what is returned only ever grows as text arrives.
    """
    thought = thinking_end(text)
    if thought < 0:
        return ""
    body = text[thought:].lstrip() if thought else text
    cuts = [at for at in (find_tag(body, EXECUTE_OPEN), find_tag(body, SOLUTION_OPEN)) if at >= 0]
    fence = _FENCE_OPEN.search(body)
    if fence is not None:
        cuts.append(fence.start())
    if cuts:
        return body[: min(cuts)]
    if final:
        return body
    held = max(_partial_suffix(body, tag) for tag in (EXECUTE_OPEN, SOLUTION_OPEN, _THINK_OPEN))
    last_line = body.rfind("\n") + 1
    if body[last_line:].lstrip(" \t").startswith("`"):  # maybe the start of a ```python fence
        held = max(held, len(body) - last_line)
    return body[: len(body) - held]
