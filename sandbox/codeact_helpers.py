"""Helpers for code actions, available in every action without an import.

They run INSIDE the sandbox on the project (the working directory). Each returns a string (or a
list) meant to be printed, and raises a clear error when it cannot do what was asked.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import inspect
import os
import re
import textwrap

__all__ = ["view_file", "replace_in_file", "write_file", "write_definitions", "list_files", "search_files"]

_SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox"}
_MAX_FILE_BYTES = 2 << 20


def _read_text(path: str) -> str:
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder; use list_files({path!r}) to see what it holds")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist (the working directory is {os.getcwd()})")
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data[:8192]:
        raise ValueError(f"{path} is a binary file ({len(data)} bytes); it cannot be shown as text")
    return data.decode("utf-8", errors="replace")


def view_file(path: str, start: int = 1, end: int | None = None) -> str:
    """Show a text file with line numbers.

    Args:
        path: The file, relative to the project.
        start: The first line to show (1-based).
        end: The last line to show (inclusive); default the end of the file, at most 400 lines.

    Returns:
        The numbered lines, with a note when more lines follow.
    """
    lines = _read_text(path).splitlines()
    total = len(lines)
    start = max(1, start)
    last = total if end is None else min(end, total)
    if end is None and last - start + 1 > 400:
        last = start + 399
    width = len(str(max(last, 1)))
    shown = [f"{n:>{width}}| {lines[n - 1]}" for n in range(start, last + 1)]
    if last < total:
        shown.append(f"... ({total - last} more lines; view_file({path!r}, {last + 1}) shows them)")
    if not shown:
        return f"{path} has {total} lines; nothing in {start}..{last}"
    return "\n".join(shown)


_SHOW_WHOLE_LINES = 40
_SHOW_AROUND = 8


def _nearby(text: str, old: str, path: str) -> str:
    """The lines a failed replacement should have matched: the whole file when it is short,
    else the lines around the closest one, numbered (small models guess instead of looking)."""
    lines = text.splitlines()
    if len(lines) <= _SHOW_WHOLE_LINES:
        first, last, what = 1, len(lines), "It holds"
    else:
        wanted = next((line.strip() for line in old.splitlines() if line.strip()), old.strip())
        scores = [difflib.SequenceMatcher(None, wanted, line.strip()).ratio() for line in lines]
        best = max(range(len(lines)), key=scores.__getitem__)
        first, last = max(1, best + 1 - _SHOW_AROUND), min(len(lines), best + 1 + _SHOW_AROUND)
        what = f"The closest lines of {path} are"
    width = len(str(last))
    shown = "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in range(first, last + 1))
    return f"{what}:\n{shown}\nCopy `old` exactly from these lines (without the numbers)."


def _flexible_match(text: str, old: str) -> tuple[int, int] | None:
    """The one run of whole lines that equals `old` line by line when leading and trailing
    spaces are ignored, as (first line index, line count); None when there is none or several.
    (Small models copy a snippet with its indentation off by a space, then repeat the miss.)"""
    wanted = [line.strip() for line in old.strip("\n").splitlines()]
    if not wanted or not any(wanted):
        return None
    lines = [line.strip() for line in text.splitlines()]
    size = len(wanted)
    found = [i for i in range(len(lines) - size + 1) if lines[i : i + size] == wanted]
    return (found[0], size) if len(found) == 1 else None


def _replace_lines(text: str, first: int, count: int, old: str, new: str) -> str:
    """`text` with lines [first, first+count) replaced by `new`; when `old` dropped the
    indentation the file has there, `new` gets it back on every line."""
    lines = text.splitlines(keepends=True)
    had = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    given = old.strip("\n").splitlines()[0]
    given_indent = given[: len(given) - len(given.lstrip())]
    body = new
    if had and not given_indent:
        body = "".join(had + line if line.strip() else line for line in new.splitlines(keepends=True))
    ending = lines[first + count - 1][len(lines[first + count - 1].rstrip("\r\n")) :]
    if body and ending and not body.endswith(("\n", "\r")):
        body += ending
    return "".join(lines[:first]) + body + "".join(lines[first + count :])


def replace_in_file(path: str, old: str, new: str | None = None) -> str:
    """Replace one exact snippet of a file.

    Args:
        path: The file, relative to the project.
        old: The exact text to replace; it must occur exactly once (include surrounding lines
            to make it unique). When it does not occur exactly, whole lines that equal it with
            their indentation ignored are replaced, if there is exactly one such run.
        new: The text to put in its place. An edit that would leave a valid `.py` file
            unparseable is refused and nothing is written. Left out, with `old` holding new
            versions of definitions the `.py` file has (a small model's way of saying "replace
            this function"), it does what `write_definitions(path, old)` does.

    Returns:
        A one-line summary of the change.
    """
    if new is None:
        return _replace_definitions(path, old)
    text = _read_text(path)
    count = text.count(old)
    if not old:
        raise ValueError("old is empty: say which text to replace")
    if count == 0:
        window = _flexible_match(text, old)
        if window is not None:
            first, size = window
            result = _replace_lines(text, first, size, old, new)
            _refuse_broken_python(path, text, result)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(result)
            return (
                f"replaced {size} line(s) at line {first + 1} of {path} with {new.count(chr(10)) + 1} line(s) "
                "(matched with its indentation ignored: `old` did not match exactly)"
            )
        hint = ""
        stripped = old.strip()
        if stripped and stripped in text:
            hint = " (it does occur with different leading/trailing whitespace)"
        raise ValueError(f"the text to replace was not found in {path}{hint}. {_nearby(text, old, path)}")
    if count > 1:
        lines = [text[: m.start()].count("\n") + 1 for m in re.finditer(re.escape(old), text)]
        raise ValueError(
            f"the text to replace occurs {count} times in {path} (lines {', '.join(map(str, lines[:10]))}); "
            "include more surrounding lines so it occurs once"
        )
    line = text[: text.index(old)].count("\n") + 1
    result = text.replace(old, new, 1)
    _refuse_broken_python(path, text, result)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(result)
    return f"replaced {old.count(chr(10)) + 1} line(s) at line {line} of {path} with {new.count(chr(10)) + 1} line(s)"


# Shown (in help and in the hints for misspelt names) as `(path, old, new)`: that is how it is
# called; leaving `new` out is a slip it tolerates, not a second way to call it.
replace_in_file.__signature__ = inspect.signature(replace_in_file).replace(  # type: ignore[attr-defined]
    parameters=[p.replace(default=inspect.Parameter.empty) for p in inspect.signature(replace_in_file).parameters.values()]
)


def _replace_definitions(path: str, code: str) -> str:
    """`replace_in_file(path, code)` without `new`: when `code` defines only names the Python
    file already has, they are replaced as `write_definitions` does; else a TypeError that says
    which call was meant."""
    names: list[str] = []
    if path.endswith(".py") and isinstance(code, str) and os.path.exists(path):
        try:
            names = [n for node in ast.parse(textwrap.dedent(code)).body if (n := _definition_name(node))]
        except SyntaxError:
            names = []
    source = _read_quietly(path) or ""
    known = _top_level_names(source) | {name for name, found in _methods(source).items() if len(found) == 1}
    if names and set(names) <= known:
        return write_definitions(path, code) + " (replace_in_file got no `new`: the definitions of the same names were replaced)"
    raise TypeError(
        "replace_in_file(path, old, new) needs `new`, the text to put in place of `old`. To put whole "
        f"functions or classes into the file, run write_definitions({path!r}, code) with their full new code"
    )


def _methods(source: str) -> dict[str, list[tuple[str, ast.stmt]]]:
    """The methods of the module's top-level classes by name, each with its class (the same
    name twice gives two entries); nothing when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, list[tuple[str, ast.stmt]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(item.name, []).append((node.name, item))
    return found


def _refuse_broken_python(path: str, before: str, after: str) -> None:
    """Refuse an edit that turns a valid Python file into one that does not parse (a small
    model often puts a whole `def` where only its body was: `replace_in_file(p, 'pass', 'def f…')`)."""
    if not path.endswith(".py"):
        return
    try:
        ast.parse(before)
    except (SyntaxError, ValueError):
        return  # already broken: an edit may be the fix, or a step towards it
    try:
        ast.parse(after)
    except (SyntaxError, ValueError) as exc:
        where = f", line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise ValueError(
            f"this edit would make {path} invalid Python ({reason}{where}); nothing was written. "
            f"To replace a whole function or class, use write_definitions({path!r}, code) with its full new "
            "definition; else check the indentation of `new`"
        ) from None


def write_file(path: str, content: str) -> str:
    """Create or overwrite a text file (folders are created as needed).

    Args:
        path: The file, relative to the project.
        content: The whole new content.

    Returns:
        A one-line summary.
    """
    if not isinstance(content, str):
        raise TypeError(
            f"write_file needs the file's text as a str, not {type(content).__name__}; pass the code "
            "itself, e.g. write_file('calc.py', 'def add(a, b):\\n    return a + b\\n')"
        )
    existed = os.path.exists(path)
    before = _read_quietly(path) if existed and path.endswith(".py") else None
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(content)
    lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    summary = f"{'overwrote' if existed else 'created'} {path} ({lines} lines)"
    return summary + (_python_warning(content, before) if path.endswith(".py") else "")


def _read_quietly(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _top_level_names(source: str | None) -> set[str]:
    """The functions and classes a module defines at its top level (none if it does not parse)."""
    if not source:
        return set()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _python_warning(content: str, before: str | None) -> str:
    """What is wrong with Python text just written: it does not parse, it is now empty, or it
    lost functions or classes the file defined (a model that wrote a function's *result* into
    the file instead of the function reads it here, not only in failing tests later)."""
    if not content.strip():
        return "; warning: the file is now empty" if before and before.strip() else ""
    try:
        ast.parse(content)
    except SyntaxError as exc:
        hint = ""
        if "unterminated string" in str(exc.msg):
            hint = "; if a \\n in your code became a line break, pass the code as a raw string r'''...'''"
        return f"; warning: it is not valid Python ({exc.msg}, line {exc.lineno}){hint}"
    lost = sorted(_top_level_names(before) - _top_level_names(content))
    return f"; warning: it no longer defines {', '.join(lost)}" if lost else ""


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definition_name(node: ast.stmt) -> str | None:
    """The name a top-level statement defines: a function, a class, or `NAME = …`."""
    if isinstance(node, _DEFINITION):
        return node.name
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
    return None


def _span(node: ast.stmt) -> tuple[int, int]:
    """A statement's first and last line (1-based), its decorators included."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno or node.lineno


def _is_helper_copy(name: str, node: ast.stmt, existing: dict, methods: dict) -> bool:
    """Whether a definition is a copy of one of the sandbox's helpers (`def run_tests(): …`) that
    the file has no definition of: a small model copies the helper list of its prompt into the
    code it saves, and the copies never belong in the project."""
    if name in existing or name in methods:
        return False
    try:
        import codeact_guest
    except ImportError:  # outside the sandbox: there are no helpers to copy
        return False
    return codeact_guest.helper_copy(node)


def _only_for(statement: ast.stmt, copies: list[ast.stmt], wanted: list[tuple[str, ast.stmt]]) -> bool:
    """Whether an import is used by the helper copies left out and by none of the definitions
    written (`import os` for a copied `list_files`): it does not belong in the file either."""
    if not copies:
        return False
    bound = {(alias.asname or alias.name).split(".")[0] for alias in statement.names}  # type: ignore[attr-defined]

    def used(nodes: list[ast.stmt]) -> set[str]:
        return {name.id for node in nodes for name in ast.walk(node) if isinstance(name, ast.Name)}

    return bool(bound & used(copies)) and not bound & used([node for _, node in wanted])


def write_definitions(path: str, code: str, existing_only: bool = False) -> str:
    """Put the functions, classes and `NAME = …` constants of `code` into a Python file: each
    replaces the file's top-level definition of the same name (a function that is no top-level
    name but the method of that name of exactly one class replaces that method), or is added at
    the end; imports the file lacks are added after its own. Other statements of `code` (calls,
    prints) are not written, nor copies of these helpers that the file has no definition of.

    Args:
        path: The Python file, relative to the project (created when missing).
        code: Python source holding the definitions, e.g. what an action just defined.
        existing_only: Write only when every function and class of `code` replaces one the
            file has (constants and imports are still added); else write nothing and say why.

    Returns:
        A one-line summary: what was replaced and what was added.
    """
    if not isinstance(code, str):
        raise TypeError(f"write_definitions needs the code as a str, not {type(code).__name__}")
    code = textwrap.dedent(code)
    try:
        given = ast.parse(code)
    except SyntaxError as exc:
        raise ValueError(f"the code is not valid Python ({exc.msg}, line {exc.lineno}); nothing was written") from None
    wanted = [(name, node) for node in given.body if (name := _definition_name(node))]
    if not wanted:
        raise ValueError("the code defines no function, class or constant; use write_file or replace_in_file")
    if existing_only and not os.path.exists(path):
        return f"{path}: not saved (no such file; only definitions it already has are replaced this way)"
    text = _read_text(path) if os.path.exists(path) else ""
    try:
        current = ast.parse(text)
    except SyntaxError as exc:
        raise ValueError(
            f"{path} is not valid Python now ({exc.msg}, line {exc.lineno}), so its definitions cannot be "
            "found; rewrite it with write_file"
        ) from None
    code_lines = code.splitlines()
    lines = text.splitlines()
    existing = {name: _span(node) for node in current.body if (name := _definition_name(node))}
    methods = _methods(text)
    copy_nodes = [node for name, node in wanted if _is_helper_copy(name, node, existing, methods)]
    copies = [node.name for node in copy_nodes]  # type: ignore[attr-defined]
    if copies:
        wanted = [(name, node) for name, node in wanted if node not in copy_nodes]
        if not wanted:
            return f"{path}: not saved (the code only defines {', '.join(copies)}, the sandbox's own helpers: call them, do not save them)"
    replaced_classes = {name for name, node in wanted if isinstance(node, ast.ClassDef)}
    replacements: list[tuple[tuple[int, int], list[str]]] = []
    added: list[list[str]] = []
    replaced_names, added_names = [], []
    if existing_only:
        new_names = [
            name for name, node in wanted
            if isinstance(node, _DEFINITION) and name not in existing and len(methods.get(name, [])) != 1
        ]
        if new_names:
            return f"{path}: not saved (it has no {', '.join(new_names)} to replace; only definitions it already has are replaced this way)"
    for name, node in wanted:
        first, last = _span(node)
        segment = code_lines[first - 1 : last]
        candidates = methods.get(name, [])
        if name in existing:
            replacements.append((existing[name], segment))
            replaced_names.append(name)
        elif isinstance(node, _DEFINITION[:2]) and len(candidates) == 1 and candidates[0][0] not in replaced_classes:
            # A method written on its own (`def allergic_to(self, item): …`): it replaces the
            # one method of that name, indented as that method is.
            owner, method = candidates[0]
            indent = " " * method.col_offset
            replacements.append((_span(method), [indent + line if line.strip() else line for line in segment]))
            replaced_names.append(f"{owner}.{name}")
        else:
            added.append(segment)
            added_names.append(name)
    for (first, last), segment in sorted(replacements, reverse=True):
        lines[first - 1 : last] = segment
    for segment in added:
        lines += (["", ""] if lines and lines[-1].strip() else []) + segment
    have = {ast.unparse(node) for node in current.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    imports = [
        node for node in given.body
        if isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) not in have and not _only_for(node, copy_nodes, wanted)
    ]
    if imports:
        at = max((_span(n)[1] for n in current.body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
        if not at and current.body and isinstance(current.body[0], ast.Expr) and isinstance(getattr(current.body[0], "value", None), ast.Constant):
            at = _span(current.body[0])[1]  # after the module's docstring
        lines[at:at] = [ast.unparse(node) for node in imports]
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    parts = ([f"replaced {', '.join(replaced_names)}"] if replaced_names else []) + ([f"added {', '.join(added_names)}"] if added_names else [])
    if imports:
        parts.append(f"added {len(imports)} import line(s)")
    if copies:
        parts.append(f"left out {', '.join(copies)} (the sandbox's own helpers: call them, do not save them)")
    return f"{path}: {'; '.join(parts)}"


def _walk(root: str):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".git"))
        for name in sorted(files):
            yield os.path.normpath(os.path.join(folder, name))


def list_files(path: str = ".", pattern: str = "*", limit: int = 500) -> list[str]:
    """List files below a folder (recursively), skipping virtualenvs and caches.

    Args:
        path: The folder, relative to the project.
        pattern: A glob matched against each file's path relative to `path`, e.g. "*.py".
        limit: The most paths to return.

    Returns:
        Relative paths, sorted.
    """
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{path} is not a folder")
    found = []
    for file in _walk(path):
        rel = os.path.relpath(file, path)
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
            found.append(rel)
            if len(found) >= limit:
                break
    return found


def search_files(pattern: str, path: str = ".", glob: str = "*", regex: bool = False, limit: int = 100) -> str:
    """Search text files for a string or regular expression.

    Args:
        pattern: The text (or, with regex=True, the regular expression) to find.
        path: The folder to search, relative to the project.
        glob: Only files whose name or relative path matches this glob, e.g. "*.py".
        regex: Treat `pattern` as a regular expression.
        limit: The most matching lines to return.

    Returns:
        `path:line: text` lines, one per match, and a note when the limit cut them.
    """
    matcher = re.compile(pattern if regex else re.escape(pattern))
    hits = []
    for rel in list_files(path, glob, limit=100_000):
        file = os.path.join(path, rel)
        try:
            if os.path.getsize(file) > _MAX_FILE_BYTES:
                continue
            with open(file, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if matcher.search(line):
                hits.append(f"{os.path.normpath(file)}:{number}: {line.strip()[:200]}")
                if len(hits) >= limit:
                    return "\n".join(hits + [f"... (stopped at {limit} matches)"])
    return "\n".join(hits) if hits else f"no matches for {pattern!r}"
