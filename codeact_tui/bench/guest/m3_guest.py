"""Runs INSIDE the WebAssembly interpreter: hosts one M3ToolEval task with the benchmark's own code.

The benchmark's task package (`tasks/` of the user's checkout, granted read-only and on
`sys.path`) is imported unchanged; only what cannot exist in the guest is stood in for:

- `tqdm` (a progress bar the task registry creates) — a silent stand-in;
- IPython's `InteractiveShell` and `capture_output`, which the original `PythonREPL` drives — a
  small shell with IPython's observable behaviour (last-expression display `Out[n]: ...`,
  IPython-style tracebacks printed to stdout, one execution counter per cell);
- `signal.alarm` (no signals in WASI) — the host enforces the 30 s per action instead.

So the prompt (`Task.get_prompt`), the parser (`Task.parse_generation`), tool execution
(`Task.execute_action`, also for JSON and text actions, exactly as the original harness calls the
tools), the REPL's observation format and the answer checker (`Task.check_answer`, quirks and
all) are the benchmark's own. The reply post-processing (`postprocess_fn`) is read from the
checkout's `main.py` and executed as it is there.

Expected values are computed as on the CPython (<= 3.11) the paper used: its `sum()` of floats
added left to right, while 3.12+ compensates rounding. The benchmark's modules and the code-action
namespace therefore get a `sum` with the old semantics.

Results go back to the host as one line on stdout: `MARKER + json`.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import linecache
import os
import pprint
import sys
import traceback
import types

MARKER = "@@m3tooleval@@ "
_ORIGINAL_SUM = builtins.sum
_state: dict = {"task": None, "mode": None, "postprocess": None}

INCORRECT = (
    "Your answer is incorrect. Please try again. Note that you should ONLY output the answer "
    "(e.g., single number), without any other text."
)
"""The harness's reply to a wrong answer (main.py `run_task`)."""


def py311_sum(iterable, /, start=0):
    """`sum` as CPython <= 3.11 computed it: plain left-to-right addition (no compensation)."""
    if isinstance(start, (str, bytes, bytearray)):
        return _ORIGINAL_SUM(iterable, start)  # raises the builtin's TypeError
    total = start
    for item in iterable:
        total = total + item
    return total


# --- stand-ins for what the guest lacks ------------------------------------------------------


class _Tqdm:
    """A silent `tqdm`."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _Captured:
    """What IPython's `capture_output()` yields: the captured streams' text."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._err = io.StringIO()

    @property
    def stdout(self) -> str:
        return self._out.getvalue()

    @property
    def stderr(self) -> str:
        return self._err.getvalue()


@contextlib.contextmanager
def capture_output(*args, **kwargs):
    """IPython's `io.capture_output`: stdout and stderr go to buffers while the block runs."""
    captured = _Captured()
    with contextlib.redirect_stdout(captured._out), contextlib.redirect_stderr(captured._err):
        yield captured


_RULE = "-" * 75


class MiniShell:
    """The part of IPython's `InteractiveShell` the benchmark observes (NoColor mode)."""

    def __init__(self, user_ns=None, colors: str = "NoColor", **kwargs) -> None:
        self.user_ns = user_ns if user_ns is not None else {}
        self.user_ns.setdefault("__builtins__", _cell_builtins())
        self.user_ns.setdefault("__name__", "__main__")
        self.execution_count = 1

    def run_cell(self, raw_cell: str, store_history: bool = False, **kwargs):
        """Run one cell: every statement, then display the last expression's value."""
        count = self.execution_count
        if store_history:
            self.execution_count += 1
        filename = f"<cell-{count}>"
        linecache.cache[filename] = (len(raw_cell), None, raw_cell.splitlines(True), filename)
        try:
            tree = ast.parse(raw_cell, filename=filename, mode="exec")
        except (SyntaxError, ValueError) as exc:
            print(_format_syntax_error(exc, count))
            return
        body, last = tree.body, None
        if body and isinstance(body[-1], ast.Expr) and not raw_cell.rstrip().endswith(";"):
            body, last = body[:-1], ast.Expression(body[-1].value)  # type: ignore[attr-defined]
        try:
            if body:
                exec(compile(ast.Module(body=body, type_ignores=[]), filename, "exec"), self.user_ns)  # noqa: S102 - the cell
            if last is not None:
                value = eval(compile(last, filename, "eval"), self.user_ns)
                if value is not None:
                    self.user_ns["_"] = value
                    text = _pretty(value)
                    print(f"Out[{count}]: " + ("\n" + text if "\n" in text else text))
        except SystemExit:
            print("An exception has occurred, use %tb to see the full traceback.\n\nSystemExit")
        except BaseException as exc:  # the shell reports everything, like IPython
            if isinstance(exc, KeyboardInterrupt) and _host_interrupt():
                raise
            print(_format_exception(exc, count))
        return

    def reset(self) -> None:
        pass

    def cleanup(self) -> None:
        pass


def _host_interrupt() -> bool:
    return False


def _pretty(value) -> str:
    """IPython's display of a value: its repr, wrapped at 79 columns when it is long."""
    text = repr(value)
    if len(text) <= 79 or not isinstance(value, (list, tuple, dict, set)):
        return text
    return pprint.pformat(value, width=79, sort_dicts=False)


def _format_syntax_error(exc: BaseException, count: int) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    out = []
    for line in lines:
        if line.startswith("  File "):
            lineno = getattr(exc, "lineno", None) or 1
            out.append(f"  Cell In[{count}], line {lineno}\n")
        else:
            out.append(line)
    return "".join(out).rstrip("\n") + "\n"


def _format_exception(exc: BaseException, count: int) -> str:
    """An IPython-style (8.x, NoColor) traceback of an exception raised in a cell."""
    name = type(exc).__name__
    parts = [_RULE, f"{name:<42}Traceback (most recent call last)"]
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in frames:
        if frame.filename == __file__:
            continue
        if frame.filename.startswith("<cell-"):
            parts.append(f"Cell In[{frame.filename[6:-1]}], line {frame.lineno}")
        else:
            parts.append(f"File {frame.filename}:{frame.lineno}, in {frame.name}")
        if frame.line:
            parts.append(f"----> {frame.lineno} {frame.line}")
        parts.append("")
    parts.extend(s.rstrip("\n") for s in traceback.format_exception_only(type(exc), exc))
    return "\n".join(parts)


def _cell_builtins() -> dict:
    """The builtins code actions see: the guest's, with the paper's `sum`."""
    namespace = dict(builtins.__dict__)
    namespace["sum"] = py311_sum
    return namespace


class _NoSignal:
    """`signal` for the benchmark's REPL: no alarms in WASI (the host enforces the deadline)."""

    SIGALRM = 14

    @staticmethod
    def signal(*args, **kwargs):
        return None

    @staticmethod
    def alarm(seconds: int) -> int:
        return 0


def _install_stand_ins() -> None:
    tqdm = types.ModuleType("tqdm")
    ipython = types.ModuleType("IPython")
    core = types.ModuleType("IPython.core")
    shell = types.ModuleType("IPython.core.interactiveshell")
    utils = types.ModuleType("IPython.utils")
    uio = types.ModuleType("IPython.utils.io")
    for module, attribute, value in (
        (tqdm, "tqdm", _Tqdm),
        (shell, "InteractiveShell", MiniShell),
        (uio, "capture_output", capture_output),
        (ipython, "core", core),
        (core, "interactiveshell", shell),
        (ipython, "utils", utils),
        (utils, "io", uio),
    ):
        setattr(module, attribute, value)
    sys.modules.setdefault("tqdm", tqdm)
    for name, module in (
        ("IPython", ipython),
        ("IPython.core", core),
        ("IPython.core.interactiveshell", shell),
        ("IPython.utils", utils),
        ("IPython.utils.io", uio),
    ):
        sys.modules.setdefault(name, module)


# --- loading the benchmark --------------------------------------------------------------------


def _import_benchmark():
    """Import the task package with the paper's `sum`; returns `tasks.base`."""
    _install_stand_ins()
    sink = io.StringIO()
    builtins.sum = py311_sum
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            import tasks  # type: ignore[import-not-found]  # noqa: F401
            from tasks import base  # the benchmark's package, from the checkout
    finally:
        builtins.sum = _ORIGINAL_SUM
    for name, module in list(sys.modules.items()):
        if (name == "tasks" or name.startswith("tasks.")) and isinstance(module, types.ModuleType):
            module.__dict__.setdefault("sum", py311_sum)
    repl = sys.modules.get("tasks.repl")
    if repl is not None:
        repl.signal = _NoSignal
    return base


def _all_tasks(base) -> list:
    found = []
    for iterable, _length in base.task_iterators:
        found.extend(iterable)
    return found


def _domain_of(name: str) -> str:
    return name.split("/", 1)[0]


def _emit(payload) -> None:
    sys.stdout.write(MARKER + json.dumps(payload) + "\n")
    sys.stdout.flush()


def catalog() -> None:
    """Emit every task: id, domain, instruction, expected value (repr, type), tools."""
    base = _import_benchmark()
    rows = []
    for task in _all_tasks(base):
        expected = task.expected_output
        tools = task.tools if not callable(task.tools) else task.tools()
        rows.append(
            {
                "task_id": task.name,
                "domain": _domain_of(task.name),
                "instruction": task.instruction,
                "expected_repr": repr(expected),
                "expected_type": type(expected).__name__,
                "single_tool": bool(task.is_single_tool_task),
                "tools": [
                    {"name": name, "description": tool.description, "signature": tool.fn_signature}
                    for name, tool in tools.items()
                ],
            }
        )
    _emit({"tasks": rows})


def _load_postprocess(base):
    """The harness's `postprocess_fn`, taken from the checkout's main.py and run as written."""
    main_py = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(base.__file__))), "main.py")
    with open(main_py, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=main_py)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "postprocess_fn":
            namespace: dict = {"re": __import__("re")}
            exec(compile(ast.Module(body=[node], type_ignores=[]), main_py, "exec"), namespace)  # noqa: S102
            return namespace["postprocess_fn"]
    raise RuntimeError(f"{main_py} has no postprocess_fn")


def setup(task_id: str, action_mode: str) -> None:
    """Load one task for an episode ("code_as_action", "json_as_action", "text_as_action")."""
    base = _import_benchmark()
    for task in _all_tasks(base):
        if task.name == task_id:
            break
    else:
        _emit({"error": f"no task named {task_id}"})
        return
    task.reset()
    _state["task"] = task
    _state["base"] = base
    _state["mode"] = base.ActionMode(action_mode)
    _state["postprocess"] = _load_postprocess(base)
    _emit({"prompt": task.get_prompt(_state["mode"])})


def expose_tools() -> None:
    """Make the task's tools globals of the session (native mode: our own agent calls them)."""
    import __main__

    task = _state["task"]
    __main__.__dict__.update({name: tool.function for name, tool in task.tools.items()})
    _emit({"tools": sorted(task.tools)})


def turn(generation: str) -> None:
    """One model reply through the harness's logic (main.py `run_task`, one loop iteration).

    Emits the post-processed reply, its kind, the user message that answers it (None when the
    episode ends), whether it was correct, and the answer given, if any.
    """
    task, mode = _state["task"], _state["mode"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        reply = _state["postprocess"](generation)
        parsed = task.parse_generation(reply)
        kind, content = parsed["type"], parsed["content"]
        extra = parsed.get("extra_info") or ""
        correct, answer, feedback = False, None, None
        if kind == "action":
            result = task.execute_action(content, mode)
            feedback = str(result)
            if extra != "":
                feedback += "\n*Extra reminder: " + extra
            if task.is_single_tool_task:
                correct = bool(task.check_answer(result))
        elif kind == "answer":
            answer = content
            correct = bool(task.check_answer(content))
            if not correct:
                feedback = INCORRECT
                if extra != "":
                    feedback += "\n*Extra reminder: " + extra
        else:
            feedback = content
    _emit({"reply": reply, "kind": kind, "feedback": feedback, "correct": correct, "answer": answer})


def check(answer: str) -> None:
    """The benchmark's own checker on one answer (native mode)."""
    task = _state["task"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        correct = bool(task.check_answer(answer))
    _emit({"correct": correct})


def reparse(generation: str) -> None:
    """The post-processed reply and its extra reminder, without running anything (used after an
    action ran past the deadline and the session had to be reloaded)."""
    task = _state["task"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        reply = _state["postprocess"](generation)
        parsed = task.parse_generation(reply)
    extra = parsed.get("extra_info") or ""
    _emit({"reply": reply, "extra": ("\n*Extra reminder: " + extra) if extra else ""})
