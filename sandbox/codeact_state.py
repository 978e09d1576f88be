"""Runs INSIDE the sandbox: save and restore the actions' namespace (the interpreter state).

The host keeps the session's variables after each action so a rewind, a resume or a discarded
preview can bring them back. `save(path, limit)` pickles the names the actions made (everything in
`__main__` that was not there after start-up, or was rebound since) with cloudpickle into one
file on the host's state mount; `restore(path)` loads such a file back into `__main__`.

The file is a header line of JSON the host reads without unpickling anything (names, types,
what was skipped and why), then one cloudpickle payload of a dict of the kept names — one dump,
so two names for one object stay one object. What cannot be pickled (open files, generators,
sockets, locks, ...) or would pass the size limit is skipped and named with the reason. Functions
and classes defined by actions are rebound to `__main__` on restore, so they see the restored
globals, not copies.

Both print one JSON line prefixed with `MARK`, which the host reads.
"""

from __future__ import annotations

import io
import json
import sys
import time
import types

MAGIC = b"codeact-state 1\n"
MARK = "\x00codeact-state "
_baseline: dict[str, object] = {}
"""`__main__`'s names after start-up and their values (helpers, tools, ...)."""


def _report(line: str) -> None:
    """The one-line report for the host, on the runtime's own stdout: not through the live-output
    tee (whose batching would carry it into the next action's live output)."""
    out = sys.__stdout__ or sys.stdout
    out.write(MARK + line + "\n")
    out.flush()


def mark_baseline() -> None:
    """Remember what start-up put into `__main__`: those names are not the user's state."""
    import __main__

    _baseline.clear()
    _baseline.update(vars(__main__))


def user_names() -> list[str]:
    """The names actions made or rebound, in `__main__`'s order (dunder names excluded)."""
    import __main__

    return [
        name
        for name, value in vars(__main__).items()
        if not (name.startswith("__") and name.endswith("__")) and (name not in _baseline or _baseline[name] is not value)
    ]


def _kind(value: object) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"


def _estimate(value: object) -> int:
    """A cheap size estimate (bytes) that catches big arrays and frames before pickling them."""
    try:
        nbytes = getattr(value, "nbytes", None)
        if isinstance(nbytes, int):
            return nbytes
        usage = getattr(value, "memory_usage", None)
        if callable(usage) and type(value).__module__.startswith("pandas"):
            total = usage(deep=True)
            return int(total.sum()) if hasattr(total, "sum") else int(total)
        if isinstance(value, (bytes, bytearray, str, memoryview)):
            return len(value)
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return sys.getsizeof(value) + 28 * len(value)  # items: at least a small object each
    except Exception:
        return 0
    return 0


def _reason(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= 160 else text[:157] + "..."


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def save(path: str, limit: int) -> None:
    """Pickle the user's names into `path` (at most `limit` bytes of payload); print the header."""
    import __main__
    import cloudpickle

    started = time.monotonic()
    namespace = vars(__main__)
    kept: dict[str, object] = {}
    skipped: dict[str, str] = {}
    for name in user_names():
        value = namespace[name]
        if isinstance(value, types.ModuleType) and value.__name__ in sys.modules:
            kept[name] = value  # pickled by name: re-imported on restore
            continue
        if isinstance(value, io.IOBase):
            # cloudpickle would keep a copy of a read file's text; that is not the open file.
            skipped[name] = f"cannot be pickled (an open file, {_kind(value)}: open it again)"
            continue
        estimate = _estimate(value)
        if estimate > limit:
            skipped[name] = f"too large (about {_mib(estimate)}; the limit is {_mib(limit)}, `[sandbox] state_limit_mib`)"
            continue
        kept[name] = value
    payload, sizes = _dump(kept, skipped, limit, cloudpickle)
    header = {
        "names": {name: {"type": _kind(kept[name]), **({"bytes": sizes[name]} if name in sizes else {})} for name in kept},
        "skipped": skipped,
        "bytes": len(payload),
    }
    line = json.dumps(header, ensure_ascii=True)  # no time in it: an unchanged state saves the same bytes
    with open(path, "wb") as out:
        out.write(MAGIC + line.encode("ascii") + b"\n" + payload)
    _report(json.dumps({**header, "seconds": round(time.monotonic() - started, 4)}, ensure_ascii=True))


def _dump(kept: dict[str, object], skipped: dict[str, str], limit: int, cloudpickle) -> tuple[bytes, dict[str, int]]:
    """One dump of every kept name; when that fails or is too large, find the culprits name by
    name (recorded in `skipped`), drop the largest until it fits, and dump the rest again."""
    try:
        payload = cloudpickle.dumps(kept, protocol=5)
        if len(payload) <= limit:
            return payload, {}
    except BaseException as error:  # noqa: BLE001 - any failure means: look name by name
        if isinstance(error, KeyboardInterrupt):
            raise
    sizes: dict[str, int] = {}
    for name in list(kept):
        try:
            sizes[name] = len(cloudpickle.dumps(kept[name], protocol=5))
        except BaseException as error:  # noqa: BLE001
            if isinstance(error, KeyboardInterrupt):
                raise
            skipped[name] = f"cannot be pickled ({_reason(error)})"
            del kept[name]
    total = sum(sizes[name] for name in kept)
    for name in sorted(kept, key=lambda n: sizes[n], reverse=True):
        if total <= limit:
            break
        skipped[name] = f"too large ({_mib(sizes[name])} pickled; the limit is {_mib(limit)}, `[sandbox] state_limit_mib`)"
        total -= sizes[name]
        del kept[name]
    try:
        return cloudpickle.dumps(kept, protocol=5), sizes
    except BaseException as error:  # noqa: BLE001 - together they fail where each alone did not
        if isinstance(error, KeyboardInterrupt):
            raise
        for name in kept:
            skipped[name] = f"cannot be pickled together with the others ({_reason(error)})"
        kept.clear()
        return cloudpickle.dumps({}, protocol=5), {}


def _rebind(value: object, namespace: dict) -> object:
    """A function or class the actions defined, made to use `namespace` as its globals."""
    if isinstance(value, types.FunctionType) and value.__module__ == "__main__" and value.__globals__ is not namespace:
        fresh = types.FunctionType(value.__code__, namespace, value.__name__, value.__defaults__, value.__closure__)
        fresh.__kwdefaults__ = value.__kwdefaults__
        fresh.__dict__.update(value.__dict__)
        fresh.__qualname__ = value.__qualname__
        fresh.__annotations__ = value.__annotations__
        fresh.__doc__ = value.__doc__
        return fresh
    if isinstance(value, type) and value.__module__ == "__main__":
        for attr, member in list(vars(value).items()):
            target = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if isinstance(target, types.FunctionType) and target.__globals__ is not namespace:
                bound = _rebind(target, namespace)
                try:
                    setattr(value, attr, type(member)(bound) if target is not member else bound)
                except (AttributeError, TypeError):
                    pass
    return value


def restore(path: str, clear: bool = True) -> None:
    """Load a saved state into `__main__` (first removing the names actions made, with `clear`);
    print what was restored and what failed."""
    import pickle

    import __main__

    started = time.monotonic()
    namespace = vars(__main__)
    report: dict[str, object] = {"restored": [], "failed": {}}
    with open(path, "rb") as source:
        data = source.read()
    if not data.startswith(MAGIC):
        report["failed"] = {"*": "not a saved interpreter state"}
        _report(json.dumps(report))
        return
    line_end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC):line_end])
    if clear:
        _clear(namespace)
    try:
        values = pickle.loads(data[line_end + 1:])
    except BaseException as error:  # noqa: BLE001 - a class or module that is gone, a damaged file
        if isinstance(error, KeyboardInterrupt):
            raise
        report["failed"] = {name: f"could not be loaded ({_reason(error)})" for name in header.get("names", {})}
        report["seconds"] = round(time.monotonic() - started, 4)
        _report(json.dumps(report))
        return
    for name, value in values.items():
        namespace[name] = _rebind(value, namespace)
        report["restored"].append(name)  # type: ignore[union-attr]
    report["seconds"] = round(time.monotonic() - started, 4)
    _report(json.dumps(report))


def _clear(namespace: dict) -> None:
    for name in user_names():
        if name in _baseline:
            namespace[name] = _baseline[name]  # a helper the actions rebound comes back
        else:
            del namespace[name]


def clear() -> None:
    """Remove every name the actions made (a fresh namespace without a new session)."""
    import __main__

    _clear(vars(__main__))
