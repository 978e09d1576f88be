"""Runs INSIDE the sandbox: one forgiving namespace for everything the model may call.

Small models mix up the global helpers (`view_file`, …) and the host's code tools
(`from host import tools`; `tools.outline`, …). Here every helper and every code tool is both a
global of the action namespace and an attribute of `tools` (which is the `host.tools` module
itself, so `from host import tools` gives the same thing). An unknown name, as a global or on
`tools`, fails with the closest real names and their signatures.
"""

from __future__ import annotations

import difflib
import inspect
import sys

_HIDDEN_TOOLS = {"emit", "poll"}
"""Host tools that are plumbing for the sandbox itself, not for the model."""

_callables: dict[str, object] = {}


def signature(name: str) -> str:
    """`name(arg, …)` for a callable of the namespace (annotations left out: short to read)."""
    function = _callables[name]
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return f"{name}(…)"
    shown = []
    for param in params:
        text = param.name
        if param.kind is param.VAR_POSITIONAL:
            text = "*" + text
        elif param.kind is param.VAR_KEYWORD:
            text = "**" + text
        if param.default is not param.empty:
            text += f"={param.default!r}"
        shown.append(text)
    return f"{name}({', '.join(shown)})"


NAME_ERROR_CUTOFF = 0.75
"""How alike an unknown global must be to a helper's name to be offered as a misspelling: an
unknown global is more often a variable the model assumed (`src`, `solution`) than a helper
misspelt (`run_test`, `replace_file`), and `src` is 0.67 like `search`."""


def suggest(name: str, limit: int = 3, cutoff: float = 0.5) -> list[str]:
    """The signatures of the real names closest to `name` (by spelling, then by shared words of
    a name with underscores)."""
    names = sorted(_callables)
    close = difflib.get_close_matches(name, names, n=limit, cutoff=cutoff)
    words = set(name.lower().split("_")) if "_" in name else set()
    for candidate in names:
        if len(close) >= limit:
            break
        if candidate not in close and words & set(candidate.split("_")):
            close.append(candidate)
    return [signature(n) for n in close]


def _hint(name: str) -> str:
    close = suggest(name)
    every = ", ".join(sorted(_callables))
    if close:
        return f"did you mean {' or '.join(close)}? Available (as globals and as tools.NAME): {every}"
    return f"available (as globals and as tools.NAME): {every}"


def _tools_getattr(name: str) -> object:
    """`tools.NAME` for names that are not host tools: the helpers, else a helpful error."""
    if name in _callables:
        return _callables[name]
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"tools has no {name!r}; {_hint(name)}")


def _excepthook(kind, error, trace) -> None:
    """Add the closest real names to a NameError for an unknown function; print the traceback
    without position markers (`codeact_tests.without_markers`)."""
    name = getattr(error, "name", None)
    if isinstance(error, NameError) and not isinstance(error, UnboundLocalError) and name and not getattr(error, "_codeact_hinted", False):
        close = suggest(name, cutoff=NAME_ERROR_CUTOFF)
        if close:
            error.add_note(f"Close names in this sandbox: {', '.join(close)}")
        error._codeact_hinted = True
    if _previous_hook is not sys.__excepthook__:
        _previous_hook(kind, error, trace)  # someone else's hook prints it their way
        return
    import traceback

    from codeact_tests import without_markers

    lines = without_markers("".join(traceback.format_exception(kind, error, trace)))
    sys.stderr.write("\n".join(lines) + "\n")


_previous_hook = sys.excepthook


def install(namespace: dict, helpers: dict[str, object]) -> None:
    """Put every helper and code tool into `namespace` (the actions' globals) and onto
    `host.tools`; make unknown names answer with suggestions."""
    global _previous_hook
    from host import tools

    for name in dir(tools):
        value = getattr(tools, name)
        if not name.startswith("_") and name not in _HIDDEN_TOOLS and callable(value) and name[0].islower():
            _callables[name] = value
    for name, value in helpers.items():
        _callables[name] = value
        setattr(tools, name, value)
    tools.__getattr__ = _tools_getattr
    namespace.update(_callables)
    namespace["tools"] = tools
    if sys.excepthook is not _excepthook:
        _previous_hook = sys.excepthook
        sys.excepthook = _excepthook


def is_helper(name: str) -> bool:
    """Whether `name` is one of the namespace's helpers or code tools."""
    return name in _callables


def looks_like_copy(name: str, params: list[str]) -> bool:
    """Whether a function `name(params…)` is a copy of one of the helpers or code tools, as a
    small model writes them out from its prompt (`def write_file(path, content): …`): same name,
    and the same first parameter (or none, for a helper callable without arguments). A project's
    own `list_files(directory)` or `search(query)` is no copy."""
    function = _callables.get(name)
    if function is None:
        return False
    try:
        wanted = [p for p in inspect.signature(function).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    if not params:
        return all(p.default is not p.empty for p in wanted)
    return bool(wanted) and wanted[0].name == params[0]


def restore(namespace: dict) -> list[str]:
    """Put back the helpers and code tools an action rebound or deleted in `namespace` (a small
    model that writes its own `run_tests` printing "Tests passed!" would otherwise keep fooling
    itself); returns the names put back."""
    back = []
    for name, value in _callables.items():
        if namespace.get(name) is not value:
            namespace[name] = value
            back.append(name)
    return back
