"""Runs INSIDE the sandbox: how the project's code ran in a failing test, line by line.

A small model that rewrites a wrong function keeps sending the same rewrite (measured:
Qwen2.5-Coder-1.5B did so in 10 of 24 Exercism exercises, at any temperature): the failure
says *what* came out, not *why*. The values each line set show the why (`for word in words:`
setting `word = 'P'`, then `'o'`, says the loop walks letters, not words), as a developer sees
in a debugger. `run_tests` runs the first failing test once more under `sys.settrace` and shows
the last call the test itself made into the project's code before it failed (not counting
constructors, which build the expected values too): its lines in order, the variables (and `self.` attributes) each line changed, what it returned or raised,
and the calls it made into the project's code, indented.

Only calls made from a test file's own code count as the test's (not the assertion machinery's
`__eq__` or `__repr__`); generators and coroutines are not followed into (their resumptions
are not calls). Loops and repeated calls are cut after ROUNDS, a trace after TRACE_LINES
lines. Tracing stops for good, and no trace is shown, once the run passes a budget of lines,
calls or seconds: a trace is a help, and must never make a test run slow.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import reprlib
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Callable, Iterator

TRACE_LINES = 24
"""The most lines a trace shows."""
ROUNDS = 3
"""How many times one source line (or call of one function) is shown before further runs of it
are only counted."""
EARLIER_CALLS = 3
"""How many of the test's earlier calls into the project are listed (one line each)."""
KEPT_CALLS = 8
"""How many of the test's last calls are kept to choose the one shown from."""
LINE_EVENTS = 2000
"""After this many lines of one call, its tracing stops (a long loop then runs at full speed)."""
TOTAL_LINE_EVENTS = 20_000
"""Lines traced in all, calls recorded in all, and seconds, after which tracing stops for good."""
TOTAL_CALLS = 5000
TRACE_SECONDS = 3.0
VALUE_CHARS = 60
"""The most characters one value is shown with."""

_NOT_FOLLOWED = 0x20 | 0x80 | 0x200
"""Generators, coroutines and async generators (`co_flags`): each resumption is a new "call"."""

_REPR = reprlib.Repr()
_REPR.maxstring = VALUE_CHARS
_REPR.maxother = VALUE_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 8


def show(value: object) -> str:
    """A short repr (reprlib's: a broken `__repr__` shows as `<Name instance at 0x…>`)."""
    text = _REPR.repr(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _values(frame: FrameType) -> dict[str, str]:
    """The frame's variables and its `self`'s attributes, shown."""
    names = {name: show(value) for name, value in frame.f_locals.items() if not name.startswith("__")}
    owner = frame.f_locals.get("self")
    attributes = getattr(owner, "__dict__", None)
    if isinstance(attributes, dict):
        names.pop("self", None)
        names.update({f"self.{name}": show(value) for name, value in list(attributes.items())})
    return names


def _lines(count: int) -> str:
    return f"{count} more line{'s' if count != 1 else ''} ran"


@dataclass
class _Step:
    """One line that ran (or a call into the project's code, at `depth`)."""

    path: str
    line: int
    depth: int
    notes: list[str] = field(default_factory=list)
    call: str = ""
    """A nested call's header (`helper(x=1)`), or `…` for lines left out; empty for a line."""
    function: int = 0
    """The first line of the function the line is in (its lines are indented from there)."""


@dataclass
class _Call:
    """A call from the test into the project's code, with the steps it took."""

    header: str
    steps: list[_Step] = field(default_factory=list)
    skipped: int = 0
    """Lines run since the last one shown (after their ROUNDS, or once the trace was full)."""
    cut: bool = False
    """Whether lines were left out once the trace was full (or LINE_EVENTS passed)."""
    outcome: str = ""
    """`returned …` or `raised …`."""
    lines_run: int = 0


def _header(frame: FrameType) -> str:
    """`name(arg=value, …)` for a call."""
    code = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    names = [n for n in code.co_varnames[:count] if n != "self"]
    owner = frame.f_locals.get("self")
    name = f"{type(owner).__name__}.{code.co_name}" if owner is not None else code.co_name
    return f"{name}({', '.join(f'{n}={show(frame.f_locals.get(n))}' for n in names)})"


class Recorder:
    """A `sys.settrace` function recording the calls a test file makes into project files.

    A fault of its own stops the tracing of the frame it happened in and is never raised into
    the code under test (a trace is a help, never a change in what the test does)."""

    def __init__(self, is_project: Callable[[str], bool], is_test: Callable[[str], bool]) -> None:
        self._is_project = is_project
        self._is_test = is_test
        self._known: dict[str, tuple[bool, bool]] = {}
        self.calls: list[_Call] = []
        """The last KEPT_CALLS calls from the test into the project's code."""
        self.dropped = 0
        """Earlier calls no longer kept."""
        self.stopped = False
        """Set when the test failed: later calls are not recorded."""
        self.failed_as = ""
        """What failed (a test's or subtest's name), set with `stopped` by the runner."""
        self.exhausted = False
        """Whether a budget ran out (then tracing stopped for good, and there is no trace)."""
        self._frames: dict[int, tuple[int, dict[str, str], _Step | None]] = {}
        """Per traced frame: its depth, its values at the last line, the step of that line."""
        self._rounds: dict[tuple[str, int], int] = {}
        self._unwinding: dict[int, str] = {}
        """Frames an exception is leaving (no line of theirs ran since), with its note."""
        self._lines = 0
        """Lines traced in all (TOTAL_LINE_EVENTS)."""
        self._until = time.monotonic() + TRACE_SECONDS

    def _kind(self, path: str) -> tuple[bool, bool]:
        """(project code, test code) for a file."""
        known = self._known.get(path)
        if known is None:
            known = self._known[path] = (self._is_project(path), self._is_test(path))
        return known

    def _exhaust(self) -> None:
        self.exhausted = True
        self._frames.clear()
        sys.settrace(None)  # new frames run untraced from now on (as bdb's "continue" does)

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event != "call" or self.stopped or self.exhausted or frame.f_code.co_flags & _NOT_FOLLOWED:
            return None
        if not self._kind(frame.f_code.co_filename)[0]:
            return None
        try:
            return self._enter(frame)
        except Exception:  # noqa: BLE001 - see the class docstring
            return None

    def _enter(self, frame: FrameType) -> Callable[..., Any] | None:
        caller = frame.f_back
        if caller is not None and id(caller) in self._frames:
            depth = self._frames[id(caller)][0] + 1
            if self.calls[-1].lines_run > LINE_EVENTS:
                return None  # a call made once its caller's tracing stopped
            self._add(_Step(frame.f_code.co_filename, frame.f_code.co_firstlineno, depth, call=_header(frame)))
        elif caller is not None and self._kind(caller.f_code.co_filename)[1]:
            depth = 0
            if self.dropped + len(self.calls) >= TOTAL_CALLS:
                self._exhaust()
                return None
            self.calls.append(_Call(_header(frame)))
            if len(self.calls) > KEPT_CALLS:
                del self.calls[0]
                self.dropped += 1
            self._rounds.clear()
        else:
            return None  # called by the runner or a library (an assertion's __eq__), not the test
        self._frames[id(frame)] = (depth, _values(frame), None)
        return self._local

    def _full(self) -> bool:
        return len(self.calls[-1].steps) >= TRACE_LINES

    def _add(self, step: _Step) -> _Step | None:
        call = self.calls[-1]
        key = (step.path, step.line)
        self._rounds[key] = self._rounds.get(key, 0) + 1
        if self._full():
            call.skipped += 1
            call.cut = True
            return None
        if self._rounds[key] > ROUNDS:
            call.skipped += 1
            return None
        if call.skipped:
            call.steps.append(_Step(step.path, 0, step.depth, [f"{_lines(call.skipped)}, repeating the ones above"], call="…"))
            call.skipped = 0
        call.steps.append(step)
        return step

    def _changes(self, frame: FrameType) -> list[str]:
        depth, before, step = self._frames[id(frame)]
        now = _values(frame)
        self._frames[id(frame)] = (depth, now, step)
        return [f"{name} = {value}" for name, value in now.items() if before.get(name) != value]

    def _local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if self.exhausted or id(frame) not in self._frames:
            return None
        try:
            if event == "line":
                self._lines += 1
                if self._lines > TOTAL_LINE_EVENTS or (self._lines % 256 == 0 and time.monotonic() > self._until):
                    self._exhaust()
                    return None
            self._event(frame, event, arg)
        except Exception:  # noqa: BLE001 - see the class docstring
            self._frames.pop(id(frame), None)
            return None
        return self._local

    def _event(self, frame: FrameType, event: str, arg: Any) -> None:
        call = self.calls[-1]
        if event == "line":
            call.lines_run += 1
            if call.lines_run > LINE_EVENTS:
                call.cut = True
                frame.f_trace_lines = False  # only its return is still seen
                return
        depth, _, step = self._frames[id(frame)]
        changes = self._changes(frame)
        if step is not None:
            step.notes.extend(changes)
        if event == "line":
            self._unwinding.pop(id(frame), None)  # the exception was caught
            step = self._add(_Step(frame.f_code.co_filename, frame.f_lineno, depth, function=frame.f_code.co_firstlineno))
            self._frames[id(frame)] = (depth, self._frames[id(frame)][1], step)
        elif event == "exception":
            error = f"raised {arg[0].__name__}: {show(str(arg[1]))[1:-1]}"
            if step is not None and error not in step.notes:
                step.notes.append(error)
            self._unwinding[id(frame)] = error
        elif event == "return":
            del self._frames[id(frame)]
            raised = self._unwinding.pop(id(frame), None)
            outcome = raised if raised is not None and arg is None else f"returned {show(arg)}"
            if depth == 0:
                call.outcome = outcome
            elif step is not None and outcome != "returned None" and outcome not in step.notes:
                step.notes.append(outcome)


def _source(path: str, line: int) -> str:
    return linecache.getline(path, line).rstrip()


def _chosen(calls: list[_Call]) -> int:
    """The call to show: the last one that is not a constructor returning normally (a test's
    expected value, `Money(6)` in `assertEqual(a.add(b), Money(6))`, is built after the call
    that failed), else the last one."""
    for index in range(len(calls) - 1, -1, -1):
        call = calls[index]
        if ".__init__(" not in call.header or call.outcome.startswith("raised"):
            return index
    return len(calls) - 1


def format_trace(recorder: Recorder, root: str) -> str:
    """The last call the test made into the project before failing, as numbered lines with the
    values they set; empty when it made none, or when tracing ran out of budget (the last call
    seen might then not be the failing one)."""
    if not recorder.calls or recorder.exhausted:
        return ""
    linecache.checkcache()
    chosen = _chosen(recorder.calls)
    earlier, last = recorder.calls[:chosen][-EARLIER_CALLS:], recorder.calls[chosen]
    dropped = recorder.dropped or chosen > EARLIER_CALLS
    paths = {step.path for step in last.steps if step.line}
    single = len(paths) == 1
    bases: dict[tuple[str, int], int] = {}
    for step in last.steps:
        if step.line and not step.call:
            text = _source(step.path, step.line)
            key = (step.path, step.function)
            bases[key] = min(bases.get(key, len(text)), len(text) - len(text.lstrip()))
    test = f" {recorder.failed_as}" if recorder.failed_as else ""
    lines = [f"How the code ran in the failing test{test} (its last call into the project's code, line by line, with the values each line set):"]
    if earlier:
        lines.append("Earlier calls: " + "; ".join(f"{c.header} {c.outcome}".strip() for c in earlier) + (" (and more)" if dropped else ""))
    lines.append(last.header)
    for step in last.steps:
        pad = "  " * (step.depth + 1)
        if step.call == "…":
            lines.append(f"{pad}… {step.notes[0]}")
            continue
        if step.call:
            lines.append(f"{pad}→ {step.call}" + (f"  # {'; '.join(step.notes)}" if step.notes else ""))
            continue
        pad += "  " if step.depth else ""  # under its call's arrow
        where = f"{step.line}|" if single else f"{os.path.relpath(step.path, root)}:{step.line}|"
        text = _source(step.path, step.line)[bases[(step.path, step.function)] :]
        note = f"  # {'; '.join(step.notes)}" if step.notes else ""
        lines.append(f"{pad}{where} {text}{note}")
    if last.cut:
        lines.append("  … the rest of the call is not shown")
    elif last.skipped:
        lines.append(f"  … {_lines(last.skipped)}, repeating the ones above")
    lines.append(f"  {last.outcome or 'did not return (the trace stopped)'}")
    return "\n".join(lines)


@contextlib.contextmanager
def recording(is_project: Callable[[str], bool], is_test: Callable[[str], bool]) -> Iterator[Recorder]:
    """Record the calls test files make into project files while the block runs (the tracer
    before it is put back after); the runner sets the recorder's `stopped` and `failed_as`
    when the test has failed."""
    recorder = Recorder(is_project, is_test)
    previous = sys.gettrace()
    sys.settrace(recorder)
    try:
        yield recorder
    finally:
        sys.settrace(previous)
