"""Read the metadata of a GGUF model file (the header only), without llama.cpp.

Used by the embedded backend to learn the trained context length before loading the weights,
and to reject a file that is not GGUF with a clear message. Format: magic `GGUF`, version,
tensor count, metadata count, then typed key/value pairs (little-endian).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

_SCALARS: dict[int, str] = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
MAX_STRING = 1 << 24
"""A sanity limit: longer strings mean a corrupt file."""


class GGUFError(ValueError):
    """The file is not a readable GGUF file."""


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise GGUFError("the file ends inside its header")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    length = _read(f, "<Q")
    if length > MAX_STRING:
        raise GGUFError("a metadata string is implausibly long")
    return f.read(length).decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        return _read(f, _SCALARS[kind])
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        item_kind, count = _read(f, "<I"), _read(f, "<Q")
        if item_kind in _SCALARS and not keep:
            f.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
            return None
        items = [_value(f, item_kind, keep) for _ in range(count)]
        return items if keep else None
    raise GGUFError(f"unknown metadata type {kind}")


def read_metadata(path: Path, *, keep_arrays: bool = False) -> dict[str, Any]:
    """The metadata key/values of a GGUF file (arrays skipped unless `keep_arrays`).

    Raises:
        GGUFError: Not a GGUF file, or a corrupt header.
        OSError: The file cannot be read.
    """
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise GGUFError(f"{path} is not a GGUF file")
        version = _read(f, "<I")
        if version < 2:
            raise GGUFError(f"{path} is GGUF version {version}; only version 2 and later are supported")
        _read(f, "<Q")  # tensor count
        count = _read(f, "<Q")
        metadata: dict[str, Any] = {}
        for _ in range(count):
            key = _string(f)
            metadata[key] = _value(f, _read(f, "<I"), keep_arrays)
        return metadata
