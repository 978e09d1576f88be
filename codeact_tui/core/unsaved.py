"""Notice code that was only defined in the session when the user asked for files.

Small local models asked to "implement this in `calc.py`" often answer with an action that
*defines* the function in the Python session and prints nothing (measured with
Qwen2.5-Coder-1.5B on the Exercism exercises: most of its first actions). The session keeps the
function, the file stays as it was, and the observation "the code ran to the end" reads like
success. When the user's request names files and an action defined functions or classes
without changing any file, the observation says so plainly, with the way to save them.
"""

from __future__ import annotations

import ast
import re

from .ports import ExecutionResult
from .prompts import PromptLibrary

_SOURCE_FILE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-][\w.-]*\.py)(?![\w/])")
"""A Python file's path in prose or in backticks (`calc.py`, `src/app/main.py`)."""


def _is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def named_files(request: str, limit: int = 5) -> tuple[str, ...]:
    """The Python files a request names, in order, each once; test files only when it names
    nothing else (code meant for `calc.py` is not meant for `calc_test.py`)."""
    found: list[str] = []
    for match in _SOURCE_FILE.finditer(request):
        name = match.group(1)
        if name not in found:
            found.append(name)
    code = [name for name in found if not _is_test_file(name)]
    return tuple((code or found)[:limit])


def defined_names(code: str) -> tuple[str, ...]:
    """The functions and classes an action defines at its top level (none if it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return ()
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return tuple(node.name for node in tree.body if isinstance(node, kinds))


_DEFINING = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def _only_defines(code: str) -> bool:
    """Whether an action does nothing but define: imports, functions, classes, constants (and a
    docstring), with at least one function or class."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return bool(defined_names(code)) and all(
        isinstance(node, _DEFINING) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in tree.body
    )


def with_save(code: str, request: str) -> str | None:
    """An action that only defines code while the request names files, with a line appended
    that saves its definitions into the first named file — only when every function and class
    it defines replaces one the file already has; None for any other action.

    A small model asked to implement `is_pangram` in `pangram.py` answers with the function in
    a code block, as it would to a person, and never saves it (Qwen2.5-Coder-1.5B on Exercism:
    most first replies; it ignores the note that nothing was saved). aider writes the code of
    such a reply into the file; here the saving line is part of the action, so the user sees it
    on the action card, approves it with the rest, and undoes it like any other change."""
    files = named_files(request)
    source = code.strip("\n") + "\n"
    if not files or not _only_defines(code) or not _raw_quotable(source, MAX_SAVED_CHARS):
        return None
    file = files[0]
    return (
        f"{code.rstrip()}\n\n# The request names {file}: these definitions replace the ones of the same names there.\n"
        f"print(write_definitions({file!r}, r'''{source}''', existing_only=True))"
    )


def without_definitions(code: str, names: tuple[str, ...]) -> str:
    """The action's code without its top-level functions of these names (decorators included):
    what is left to save once the sandbox left out an action's copies of its helpers."""
    if not names:
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    lines = code.splitlines(keepends=True)
    for node in reversed(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            del lines[first - 1 : node.end_lineno]
    return "".join(lines)


def before_the_cut(code: str) -> str | None:
    """The whole top-level statements of an action cut at the reply length limit: the code up to
    the last line in column 0 before which it parses; None when nothing whole is left.

    A small model writes the solution first and then, past the limit, copies of the helpers
    (Qwen2.5-Coder-0.5B on Exercism: `def write_file(path, content): …` cut in the middle);
    the solution before the cut is whole and, when it only defines, `with_save` saves it."""
    lines = code.splitlines(keepends=True)
    starts = [at for at, line in enumerate(lines) if line[:1].strip() and not line.startswith("#")]
    for at in reversed(starts[-40:]):  # the cut statement is the last, or among the last
        prefix = "".join(lines[:at]).rstrip() + "\n"
        try:
            ast.parse(prefix)
        except (SyntaxError, ValueError):
            continue
        return prefix if prefix.strip() else None
    return None


MAX_SNIPPET_CHARS = 4000
"""The longest definitions quoted back to the model in a ready-to-run save action."""
MAX_SAVED_CHARS = 32_000
"""The longest definitions `with_save` quotes in the saving line it adds to an action: the line
is not sent to the model, so only the action card grows (a small model's solution with long
docstrings passes 4,000 characters)."""


def definitions_source(code: str) -> str | None:
    """The action's top-level imports, functions and classes as source (decorators kept), to
    quote in a save action; None when there are none, the code does not parse, or the source
    cannot sit in a raw triple-quoted string."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    lines = code.splitlines()
    kinds = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    parts = []
    for node in tree.body:
        if isinstance(node, kinds):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            parts.append("\n".join(lines[first - 1 : node.end_lineno]))
    source = "\n\n".join(parts).strip("\n")
    return source + "\n" if source and _raw_quotable(source) else None


def _raw_quotable(source: str, limit: int = MAX_SNIPPET_CHARS) -> bool:
    """Whether code can be quoted as r'''…''' in an action, and is at most `limit` characters."""
    return "'''" not in source and not source.rstrip("\n").endswith("\\") and len(source) <= limit


def _save_how(library: PromptLibrary, code: str, file: str) -> str:
    """How to save the definitions: a ready-to-run `write_definitions` action quoting them when
    it can, else the general advice."""
    source = definitions_source(code)
    if source is not None:
        return library.render("observation_unsaved_save.md", file=file, code=source).strip()
    return library.text("observation_unsaved_how.md").strip()


def _unsaved_parts(code: str, request: str) -> tuple[str, str, str] | None:
    """The defined names (shown), the named files (shown) and the first file; None when the
    action defined nothing or the request names no file."""
    names = defined_names(code)
    files = named_files(request)
    if not names or not files:
        return None
    shown = ", ".join(f"`{n}`" for n in names[:5]) + (" …" if len(names) > 5 else "")
    return shown, ", ".join(f"`{f}`" for f in files), files[0]


def unsaved_note(library: PromptLibrary, code: str, result: ExecutionResult, request: str) -> str | None:
    """The note for an action that defined code only in the session while the request names
    files; None when it changed a file, defined nothing, or the request names no file. It
    quotes a ready-to-run `write_definitions` action with the code when it can."""
    if result.changed_files or result.status == "stopped":
        return None
    parts = _unsaved_parts(code, request)
    if parts is None:
        return None
    names, files, first = parts
    how = _save_how(library, code, first)
    return library.render("observation_unsaved.md", names=names, files=files, how=how).rstrip()


def held_answer_note(library: PromptLibrary, code: str, request: str) -> str:
    """What the model reads when it answered while the definitions of `code` (an action that got
    the unsaved note, with no file changed since) are still only in the session: the answer is
    sent back once, with the save action again."""
    parts = _unsaved_parts(code, request)
    assert parts is not None, "only for an action that got the unsaved note"
    names, files, first = parts
    how = _save_how(library, code, first)
    return library.render("observation_answer_held.md", names=names, files=files, how=how).rstrip()
