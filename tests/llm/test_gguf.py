"""Reading GGUF headers without llama.cpp."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from codeact_tui.llm.gguf import GGUFError, read_metadata


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path) -> None:
    kvs = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("llama.context_length") + struct.pack("<I", 4) + struct.pack("<I", 8192),
        _string("tokenizer.ggml.tokens") + struct.pack("<I", 9) + struct.pack("<IQ", 8, 2) + _string("a") + _string("b"),
        _string("tokenizer.ggml.scores") + struct.pack("<I", 9) + struct.pack("<IQ", 6, 2) + struct.pack("<ff", 0.5, 0.25),
        _string("general.flag") + struct.pack("<I", 7) + struct.pack("<?", True),
    ]
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))


def test_reads_metadata_and_skips_arrays(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    write_gguf(path)
    meta = read_metadata(path)
    assert meta["general.architecture"] == "llama" and meta["llama.context_length"] == 8192
    assert meta["tokenizer.ggml.tokens"] is None and meta["general.flag"] is True
    assert read_metadata(path, keep_arrays=True)["tokenizer.ggml.tokens"] == ["a", "b"]


def test_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.gguf"
    path.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(GGUFError, match="not a GGUF"):
        read_metadata(path)
    path.write_bytes(b"GGUF" + struct.pack("<I", 3))
    with pytest.raises(GGUFError, match="ends inside"):
        read_metadata(path)
