"""Parsing a big batch in worker processes gives exactly what parsing in-process gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from codeact_tui.codeintel import reader as reader_module
from codeact_tui.codeintel.cache import SymbolCache, cache_file
from codeact_tui.codeintel.index import ProjectIndex
from tests.support import write


def _many_files(root: Path, count: int) -> None:
    for i in range(count):
        write(
            root,
            f"pkg{i % 7}/mod{i:04d}.py",
            f"class Thing{i}:\n    def run(self, x):\n        return helper{(i + 1) % count}(x)\n\n\n"
            f"def helper{i}(value):\n    return value * {i}\n",
        )
    write(root, "data/blob.py", "binary\0data")
    old = time.time() - 3600
    for folder, _dirs, names in os.walk(root):
        for name in [*names, "."]:
            os.utime(os.path.join(folder, name), (old, old))


def test_worker_processes_parse_like_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "PARALLEL_MIN_FILES", 20)
    monkeypatch.setattr(reader_module, "CHUNK_FILES", 8)
    pools: list[object] = []
    real_pool = reader_module.ProcessPoolExecutor

    def counted(*args: object, **kwargs: object) -> object:
        pools.append(real_pool(*args, **kwargs))  # type: ignore[arg-type]
        return pools[-1]

    monkeypatch.setattr(reader_module, "ProcessPoolExecutor", counted)
    project = tmp_path / "p"
    _many_files(project, 90)
    serial = ProjectIndex(project, workers=1, disk_cache=False).refresh()
    parallel = ProjectIndex(project, workers=2).refresh()
    assert parallel.parsed == serial.parsed == 91  # the binary one is read too
    assert list(parallel.files) == list(serial.files)  # same walk order
    assert parallel.files == serial.files
    assert "data/blob.py" not in parallel.files
    assert len(pools) == 1  # the big batch went to worker processes, the serial one did not
    # The rows the workers wrote load back to the same symbols in a new process.
    again = ProjectIndex(project, workers=1).refresh()
    assert again.parsed == 0 and again.files == serial.files
    rows = SymbolCache(cache_file(project)).load_all()
    assert rows["pkg1/mod0001.py"].symbols == serial.files["pkg1/mod0001.py"].symbols


def test_unchanged_bytes_keep_their_symbols_without_a_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "PARALLEL_MIN_FILES", 20)
    project = tmp_path / "p"
    _many_files(project, 40)
    index = ProjectIndex(project, workers=2)
    first = index.refresh()
    now = time.time() - 600
    for folder, _dirs, names in os.walk(project):
        for name in names:
            os.utime(os.path.join(folder, name), (now, now))  # a checkout: new stat, same bytes
    second = index.refresh()
    assert second.parsed == 0
    assert {k: f.symbols for k, f in second.files.items()} == {k: f.symbols for k, f in first.files.items()}


def test_a_spent_budget_leaves_files_pending_and_a_later_refresh_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_module, "PARALLEL_MIN_FILES", 20)
    project = tmp_path / "p"
    _many_files(project, 60)
    index = ProjectIndex(project, workers=2)
    partial = index.refresh(time_budget_s=0.0)
    assert partial.pending and set(partial.pending) <= set(partial.files)
    full = index.refresh()
    assert not full.pending and full.parsed >= len(partial.pending)
    assert full.files["pkg0/mod0000.py"].symbols.definitions


def test_without_process_support_files_are_parsed_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "PARALLEL_MIN_FILES", 20)

    def no_processes(*_args: object, **_kwargs: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(reader_module, "ProcessPoolExecutor", no_processes)
    project = tmp_path / "p"
    _many_files(project, 30)
    assert ProjectIndex(project, workers=2).refresh().parsed == 31
