"""Runs INSIDE the WebAssembly interpreter: sets up a session for code actions.

The host imports this once per session (`install(...)`) and runs every action through
`run_action()`. It provides:

- the working directory (the project) and `sys.path` entry for the project's own modules;
- live output: `sys.stdout`/`sys.stderr` are teed; text is batched (one batch for both streams,
  in the order it was written) and sent to the host tool `emit` at most every `interval_s` (or
  per 32 KiB), so the host sees output while the action runs (`print` to a teed stream writes
  each line once, not piece by piece). The runtime's own capture stays authoritative; the live
  copy stops after `live_cap` bytes per stream;
- soft interrupts: the host answers `emit`/`poll` with True when the user asked to stop; the
  guest then raises KeyboardInterrupt (at the next output, `time.sleep` slice, or pending flush);
- `time.sleep` in short slices that poll for an interrupt, and an `input()` that explains why it
  cannot work here.
"""

from __future__ import annotations

import ast as _ast
import builtins
import errno
import linecache as _linecache
import os
import sys
import time

_BATCH_BYTES = 32768
_monotonic = time.monotonic
_getprofile = sys.getprofile
_setprofile = sys.setprofile
_SLEEP_SLICE_S = 0.1

_state = {"interval": 0.05, "live_cap": 1 << 20, "tools": None}


def _host_tools():  # pragma: no cover - trivial
    return _state["tools"]


class _Batch:
    """The live copy waiting to be sent: both streams' text in the order it was written, with
    where the stream changes, so the host gets stdout and stderr interleaved as they were."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.append = self.texts.append
        self.size = 0
        self.stream: _Tee | None = None
        """The stream of the last text appended."""
        self.starts: list[tuple[int, _Tee]] = []
        """(index in `texts`, stream) where each run of one stream's text begins."""
        self.last_flush = 0.0
        self.due = 0.0
        """When the batch's window ends (`last_flush` + the interval)."""

    def reset(self) -> None:
        self.texts.clear()
        self.size = 0
        self.stream = None
        self.starts = []
        self.last_flush = 0.0
        self.due = 0.0


_batch = _Batch()


class _Tee:
    """A text stream that writes through to the runtime's stream and batches a live copy."""

    def __init__(self, inner, name: str) -> None:
        self._inner = inner
        self._inner_write = inner.write  # looked up once: `write` runs for every piece printed
        self._name = name
        self._sent = 0

    # The text-stream surface code actually uses.
    def write(self, text: str) -> int:
        # `_print` inlines this body (one Python call a printed line): change both together.
        written = self._inner_write(text)
        if not text:
            return written
        now = _monotonic()
        batch = _batch
        if self._sent < _state["live_cap"]:
            if batch.stream is not self:
                batch.starts.append((len(batch.texts), self))
                batch.stream = self
            batch.append(text)
            batch.size += len(text)
            if batch.size >= _BATCH_BYTES or now >= batch.due:
                _flush_live(now, self._name != "stderr")
            elif not _watching[0]:
                _watch_pending()
        elif now - batch.last_flush >= _state["interval"]:
            # Past the live cap nothing is sent, but a soft interrupt must still get through.
            batch.last_flush = now
            if self._name == "stdout" and _interrupt_requested():
                raise KeyboardInterrupt
        return written

    def reset(self) -> None:
        self._sent = 0

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _flush_live(now: float | None = None, may_raise: bool = True) -> None:
    """Send the batched text to the host, in the order it was written: one `emit` call, under
    the stream's name, or under "ordered" (each run as `name\nlength\ntext`) when both
    streams wrote. If the host asks to stop: KeyboardInterrupt when stdout text went and
    `may_raise` (not while stderr is written, a traceback say), else at the next chance."""
    batch = _batch
    if not batch.texts:
        return
    texts, starts = batch.texts, batch.starts
    runs = []
    ends = [start for start, _ in starts[1:]] + [len(texts)]
    for (start, stream), stop_at in zip(starts, ends):
        room = _state["live_cap"] - stream._sent
        if room <= 0:
            continue
        text = "".join(texts[start:stop_at])[:room]
        stream._sent += len(text)
        runs.append((stream._name, text))
    texts.clear()
    batch.size = 0
    batch.stream = None
    batch.starts = []
    batch.last_flush = time.monotonic() if now is None else now
    batch.due = batch.last_flush + _state["interval"]
    if not runs:
        return
    stop = False
    try:
        if len(runs) == 1:
            stop = bool(_host_tools().emit(runs[0][0], runs[0][1]))
        else:
            stop = bool(_host_tools().emit("ordered", "".join(f"{name}\n{len(text)}\n{text}" for name, text in runs)))
    except Exception:
        _state["live_cap"] = 0  # the host is not listening: keep running, stop streaming
    if stop and may_raise and any(name == "stdout" for name, _ in runs):
        raise KeyboardInterrupt
    if stop:
        _state["interrupt_pending"] = True


_real_print = builtins.print


def _print(*args, sep=" ", end="\n", file=None, flush=False):
    """`print` for the teed streams: the pieces joined and written at once. The builtin writes
    each piece, separator and end separately (four calls of the tee's Python `write` for
    `print('line', i)`); this is one Python call a line. Any other stream or unusual argument
    goes to the builtin. The tee part is `_Tee.write`'s, inlined."""
    if file is None:
        file = sys.stdout
    if type(file) is not _Tee or (sep is not None and type(sep) is not str) or (end is not None and type(end) is not str):
        return _real_print(*args, sep=sep, end=end, file=file, flush=flush)
    text = (" " if sep is None else sep).join(map(str, args)) + ("\n" if end is None else end)
    file._inner_write(text)
    if text:
        now = _monotonic()
        batch = _batch
        if file._sent < _state["live_cap"]:
            if batch.stream is not file:
                batch.starts.append((len(batch.texts), file))
                batch.stream = file
            batch.append(text)
            batch.size += len(text)
            if batch.size >= _BATCH_BYTES or now >= batch.due:
                _flush_live(now, file._name != "stderr")
            elif not _watching[0]:
                _watch_pending()
        elif now - batch.last_flush >= _state["interval"]:
            batch.last_flush = now
            if file._name == "stdout" and _interrupt_requested():
                raise KeyboardInterrupt
    if flush:
        file.flush()
    return None


_print.__code__ = _print.__code__.replace(co_name="print", co_qualname="print")  # errors say print()
_print.__name__ = _print.__qualname__ = "print"
_print.__doc__ = _real_print.__doc__


def _flush_due(everything: bool = False) -> None:
    """Flush teed output whose batching window has passed (or all of it)."""
    now = time.monotonic()
    if _batch.texts and (everything or now - _batch.last_flush >= _state["interval"]):
        _flush_live(now)


_tick = [0]
_watching = [False]
_MONITORING = getattr(sys, "monitoring", None)
_TOOL_ID = 4  # a tool id Python leaves free (debuggers, coverage and profilers use 0-2, 5)
_TOOL_NAME = "codeact live output"


def _watch_pending() -> None:
    """Watch calls while output waits in a batch, to flush it once its window has passed, so
    the last lines of a burst reach the host while the action goes on computing.

    `sys.monitoring` call events are used where the interpreter has them: a call site that
    prints (or the tee's own) is switched off after its first event, so a loop that prints
    runs at the tee's cost alone; everything else is counted, and the clock read every 64th
    call. Otherwise a profile function does the same for every call.
    """
    _watching[0] = True
    if _MONITORING is None or _MONITORING.get_tool(_TOOL_ID) not in (None, _TOOL_NAME):
        if _getprofile() is None:  # no monitoring, or the action's code took our tool id
            _setprofile(_pending_profiler)
        return
    if _MONITORING.get_tool(_TOOL_ID) is None:
        _MONITORING.use_tool_id(_TOOL_ID, _TOOL_NAME)
        _MONITORING.register_callback(_TOOL_ID, _MONITORING.events.CALL, _on_call)
    _MONITORING.restart_events()
    _MONITORING.set_events(_TOOL_ID, _MONITORING.events.CALL)


def _unwatch() -> None:
    _watching[0] = False
    if _getprofile() is _pending_profiler:
        _setprofile(None)
    if _MONITORING is not None and _MONITORING.get_tool(_TOOL_ID) == _TOOL_NAME:
        _MONITORING.set_events(_TOOL_ID, 0)


def _on_call(code, offset, target, arg0):
    """A `sys.monitoring` CALL event while output waits (see `_watch_pending`)."""
    if code in _OWN_CODE or target is _print or target is _real_print or isinstance(arg0, _Tee) or isinstance(getattr(target, "__self__", None), _Tee):
        return _MONITORING.DISABLE
    _tick[0] += 1
    if _tick[0] & 63:
        return None
    _flush_due()
    if not _batch.texts:
        _unwatch()
    return None


def _pending_profiler(frame, event, arg) -> None:
    """The profile-function form of `_on_call`, for interpreters without `sys.monitoring`."""
    _tick[0] += 1
    if _tick[0] & 63:
        return
    _flush_due()
    if not _batch.texts:
        _unwatch()


_OWN_CODE = frozenset(f.__code__ for f in (_Tee.write, _flush_live, _print, _flush_due, _watch_pending, _unwatch))


def _interrupt_requested() -> bool:
    if _state.pop("interrupt_pending", False):
        return True
    try:
        return bool(_host_tools().poll())
    except Exception:
        return False


_real_sleep = time.sleep


def _sleep(seconds: float) -> None:
    """`time.sleep` in slices, flushing live output and honouring soft interrupts."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    end = time.monotonic() + seconds
    while True:
        _flush_due(everything=True)  # nothing else will be printed while we sleep
        if _interrupt_requested():
            raise KeyboardInterrupt
        left = end - time.monotonic()
        if left <= 0:
            return
        _real_sleep(min(left, _SLEEP_SLICE_S))


def _no_input(prompt: object = "") -> str:
    raise RuntimeError(
        "input() is not available in code actions: nobody is at the keyboard. "
        "Put the value in the code instead."
    )


def install(project: str, interval_s: float, live_cap: int, venv_paths: dict | None = None) -> None:
    """Prepare this session: working directory, live output, interrupts, helpers, and the
    project's virtualenv (`venv_paths`: guest folder → its path in the project)."""
    from host import tools  # the host's tool module, present for every session we open

    _state["tools"] = tools
    _state["interval"] = interval_s
    _state["live_cap"] = live_cap
    os.chdir(project)
    if project not in sys.path:
        sys.path.insert(0, project)
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "matplotlib"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    if not isinstance(sys.stdout, _Tee):
        sys.stdout = _Tee(sys.stdout, "stdout")
    if not isinstance(sys.stderr, _Tee):
        sys.stderr = _Tee(sys.stderr, "stderr")
    time.sleep = _sleep
    builtins.input = _no_input
    builtins.print = _print

    import __main__

    import codeact_helpers
    import codeact_imports
    import codeact_namespace
    import codeact_tests

    codeact_imports.install(list(venv_paths or {}), dict(venv_paths or {}))
    helpers = {name: getattr(codeact_helpers, name) for name in codeact_helpers.__all__}
    helpers["run_tests"] = codeact_tests.run_tests
    codeact_namespace.install(__main__.__dict__, helpers)


def begin_action(live_cap: int) -> None:
    """Reset the live-output counters for a new action."""
    _state["live_cap"] = live_cap
    _state.pop("interrupt_pending", None)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, _Tee):
            stream.reset()
    _batch.reset()
    _unwatch()


def end_action() -> None:
    """After an action: put back the helpers it redefined, and tell the host which (through
    its `emit` tool, under the name `restored`; nothing is printed)."""
    import codeact_namespace

    import __main__

    back = codeact_namespace.restore(__main__.__dict__)
    if back:
        try:
            _host_tools().emit("restored", ",".join(back))
        except Exception:  # noqa: BLE001, S110 - the host is not listening: nothing to tell
            pass


_actions = [0]


def run_action(source: str, live_cap: int, read_only: str | None = None) -> None:
    """Run one code action as the runtime runs a turn, with the set-up before it and the
    clean-up after it in the same guest turn, so an action costs one round trip.

    As the runtime does: the code runs in `__main__`, a final expression's value is shown by
    `sys.displayhook`, tracebacks name the action's own lines (file `<action N>`, this
    module's frames left out), an uncaught exception makes the exit status 1, and
    `SystemExit` (`sys.exit`, `exit()`) passes through untouched. `read_only` (the mount's
    reason, or None) is named under an uncaught EROFS error.
    """
    begin_action(live_cap)
    import __main__

    try:
        _exec_action(source, __main__.__dict__)
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - reported as the runtime reports it
        _report(error, read_only)
        raise SystemExit(1) from None
    finally:
        if len(_batch.starts) > 1:  # both streams wait: send them in order now (the host's
            _flush_live(None, False)  # tail of each stream could not say which came first)
        end_action()


_last_value: list = [None]
"""Where an action's final expression leaves its value (see `_exec_action`)."""

_FUTURE_FLAGS = 0
for _feature in __import__("__future__").all_feature_names:
    _FUTURE_FLAGS |= getattr(__import__("__future__"), _feature).compiler_flag


def _exec_action(source: str, namespace: dict) -> None:
    """Compile the action once and run it, its final expression shown as the runtime shows a
    turn's (not None) by `sys.displayhook`, which keeps it in `_`."""
    _actions[0] += 1
    name = f"<action {_actions[0]}>"
    _linecache.cache[name] = (len(source), None, source.splitlines(True), name)  # for tracebacks
    if _helper_defs(source):
        _exec_parsed(source, name, namespace)  # it leaves those definitions out
        return
    split = _split_last(source, name)
    if split is None:
        _exec_parsed(source, name, namespace)
        return
    head, last, shown = split
    if head is not None:
        exec(head, namespace)  # noqa: S102 - running the action is the point
    if shown:
        value = eval(last, namespace)  # noqa: S307 - the action's own final expression
        if value is not None:
            sys.displayhook(value)
    else:
        exec(last, namespace)  # noqa: S102


_STATEMENT_START = __import__("re").compile(
    r"(?:for|while|if|def|class|with|try|import|from|return|del|pass|raise|assert|global|nonlocal|async|break|continue)\b"
    r"|@|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\s*(?:=(?!=)|[-+*/%&|^@]=|//=|>>=|<<=|\*\*=)"
)
"""A line no expression can start with: a statement's keyword, a decorator, or an assignment
to a name or attribute (`x = ...`, `a.b += ...`)."""
_OTHER_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""Where `str.splitlines` cuts a line and Python's tokenizer does not (or not the same way)."""


def _split_last(source: str, name: str):
    """(the code before the last top-level statement, that statement's code, whether it is an
    expression), each compiled once from the text (no syntax tree objects), or None when this
    cannot be told safely: then `_exec_parsed` does it from the tree.

    The last line that starts in column 0 (not blank, not a comment) begins the last top-level
    statement exactly when the text before it compiles on its own: a line inside brackets, a
    string or a backslash continuation leaves that text unfinished. The statement is an
    expression when it compiles as one (it is padded with blank lines so its line numbers are
    the action's); a `;` in it (two statements on one line) is left to the tree."""
    if any(mark in source for mark in _OTHER_BREAKS):
        return None  # `splitlines` would cut where the tokenizer does not
    lines = source.splitlines(True)
    at = len(lines) - 1
    while at >= 0 and (not lines[at].strip() or lines[at][0] in " \t#"):
        at -= 1
    if at < 0:
        return None
    tail = "".join(lines[at:])
    if ";" in tail or tail.startswith("from __future__"):
        return None
    head = None
    flags = 0
    if at:
        try:
            head = compile("".join(lines[:at]), name, "exec", dont_inherit=True)
        except SyntaxError:
            return None
        flags = head.co_flags & _FUTURE_FLAGS
    padded = "\n" * at + tail
    if not _STATEMENT_START.match(tail):  # else no expression: not worth a failed compile
        try:
            return head, compile(padded, name, "eval", flags, dont_inherit=True), True
        except SyntaxError:
            pass
    try:
        return head, compile(padded, name, "exec", flags, dont_inherit=True), False
    except SyntaxError:
        return None


_OWN_DEF = __import__("re").compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", __import__("re").M)
"""A line that may start a top-level function definition (the tree decides)."""


def _helper_defs(source: str) -> bool:
    """Whether a line of the action starts a `def` named like one of the sandbox's helpers."""
    import codeact_namespace

    return any(codeact_namespace.is_helper(found) for found in _OWN_DEF.findall(source))


def helper_copy(node) -> bool:
    """Whether a statement is a copy of one of the sandbox's helpers: an undecorated function
    named like one, with its first parameter (`codeact_namespace.looks_like_copy`)."""
    import codeact_namespace

    if type(node) not in (_ast.FunctionDef, _ast.AsyncFunctionDef) or node.decorator_list:
        return False
    return codeact_namespace.looks_like_copy(node.name, [a.arg for a in (*node.args.posonlyargs, *node.args.args)])


def _leave_out_helper_defs(body: list) -> None:
    """Take the action's top-level definitions of the sandbox's own helpers out of `body`, and
    tell the host their signatures (through `emit`, under the name `skipped`).

    A small model copies the helper list of its prompt into code (`def write_definitions(path,
    code): open(path, 'w').write(code)`) and calls its copy in the same action; putting the
    helpers back after the action is too late for that call. Left out, the action's calls reach
    the real helpers. Nested definitions are the function's or class's own and stay, and so do
    functions that only share a helper's name (`helper_copy`)."""
    import codeact_namespace

    skipped = []
    for node in list(body):
        if helper_copy(node):
            body.remove(node)
            if node.name not in skipped:
                skipped.append(node.name)
    if skipped:
        try:
            _host_tools().emit("skipped", "\n".join(codeact_namespace.signature(n) for n in skipped))
        except Exception:  # noqa: BLE001, S110 - the host is not listening: nothing to tell
            pass


def _exec_parsed(source: str, name: str, namespace: dict) -> None:
    """`_exec_action` from the syntax tree, for what `_split_last` leaves (and to raise a
    syntax error as the runtime would), leaving out top-level definitions of the sandbox's
    helpers (`_leave_out_helper_defs`): a final expression statement `value` becomes
    `__import__('codeact_guest')._last_value[0] = value` (located where `value` is), so it
    is evaluated in its place without a second compile, and shown after."""
    tree = compile(source, name, "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    body = tree.body
    _leave_out_helper_defs(body)
    shown = bool(body) and type(body[-1]) is _ast.Expr
    if shown:
        last = body[-1]
        at = _ast.copy_location
        module = at(_ast.Call(at(_ast.Name("__import__", _ast.Load()), last), [at(_ast.Constant(__name__), last)], []), last)
        slot = at(_ast.Attribute(module, "_last_value", _ast.Load()), last)
        body[-1] = at(_ast.Assign([at(_ast.Subscript(slot, at(_ast.Constant(0), last), _ast.Store()), last)], last.value), last)
    _last_value[0] = None
    exec(compile(tree, name, "exec", dont_inherit=True), namespace)  # noqa: S102 - running the action is the point
    if shown:
        value, _last_value[0] = _last_value[0], None
        if value is not None:
            sys.displayhook(value)


def _report(error: BaseException, read_only: str | None) -> None:
    """Print an action's uncaught exception as the runtime would, without this module's frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code in _RUNNER_CODE:
        tb = tb.tb_next
    if read_only and isinstance(error, OSError) and error.errno == errno.EROFS:
        error.add_note(
            f"codeact-tui: the project is read-only ({read_only}): writes, removals and renames are refused; nothing was written"
        )
    sys.excepthook(type(error), error.with_traceback(tb), tb)  # the hook prints the error's own


_RUNNER_CODE = frozenset(f.__code__ for f in (run_action, _exec_action, _exec_parsed))
