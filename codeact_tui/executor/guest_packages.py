"""Pure-Python packages the sandbox may import, read-only: pytest for `run_tests`, and the
project's own dependencies from its virtualenv.

**pytest.** The WebAssembly CPython has no pytest and no pip. pytest is a runtime dependency of
codeact-tui, so it and its pure-Python dependencies are installed next to it; on first use they
are copied (without bytecode caches) into a versioned folder of the user cache, which every
session grants read-only. A copy, not grants of the host's site-packages: the guest's import
system needs a listable folder holding exactly these packages, and a copy keyed by their
versions is immune to upgrades of the host environment while a session runs, never exposes the
rest of the host's site-packages (compiled modules that cannot load, codeact-tui itself), and
works whatever the host's layout is (venv, system site-packages, user site). It is about 8 MB,
made once per set of versions (7 MB for pytest 8.4).

**The project's virtualenv.** `.venv/`, `venv/`, or the active virtualenv when it lies inside
the project: its site-packages folders are granted read-only and put at the END of the guest's
`sys.path`, so the sandbox's own numpy, pandas, … win and only what the sandbox lacks comes
from the project. Compiled extensions there cannot load (they are built for the host's CPython);
the guest turns that into an ImportError naming the package and why.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import shutil
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

TEST_RUNNER = "pytest"
"""The distribution `run_tests` uses; its dependencies come along."""

GUEST_PYTHON = ("3", "15", "0")
"""The sandbox's Python version, for evaluating dependency markers."""

VENV_NAMES = (".venv", "venv")
"""Virtualenv folders looked for at the project's top level."""


class GuestPackagesError(RuntimeError):
    """The guest packages could not be prepared; the message says why."""


def _guest_environment() -> dict[str, str]:
    env = dict(default_environment())
    major, minor, micro = GUEST_PYTHON
    env.update(
        python_version=f"{major}.{minor}",
        python_full_version=f"{major}.{minor}.{micro}",
        sys_platform="wasi",
        platform_system="WASI",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return env


def _closure(name: str) -> list[metadata.Distribution]:
    """The distribution `name` and everything it needs in the guest (markers evaluated for it)."""
    env = _guest_environment()
    found: dict[str, metadata.Distribution] = {}
    todo = [name]
    while todo:
        wanted = todo.pop()
        key = wanted.lower().replace("_", "-")
        if key in found:
            continue
        try:
            dist = metadata.distribution(wanted)
        except metadata.PackageNotFoundError:
            raise GuestPackagesError(
                f"{wanted} is not installed next to codeact-tui, so run_tests() cannot work; "
                f"reinstall codeact-tui (it depends on {TEST_RUNNER})"
            ) from None
        found[key] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({**env, "extra": ""}):
                todo.append(requirement.name)
    return sorted(found.values(), key=lambda d: d.metadata["Name"].lower())


def _top_level(dist: metadata.Distribution) -> list[Path]:
    """The installed top-level modules and packages of a distribution (host paths)."""
    names: set[str] = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data", ".pth")):
            continue
        if len(file.parts) == 1 and not first.endswith(".py"):
            continue
        names.add(first)
    paths = [Path(str(dist.locate_file(n))) for n in sorted(names)]
    return [p for p in paths if p.exists()]


def test_runner_dir(cache: Path) -> Path:
    """The folder holding pytest and its dependencies for the guest (made on first use).

    Args:
        cache: The user cache folder (a versioned subfolder is made inside).
    """
    dists = _closure(TEST_RUNNER)
    key = hashlib.sha256(
        "\n".join(f"{d.metadata['Name']}=={d.version}" for d in dists).encode()
    ).hexdigest()[:16]
    target = cache / "guest-packages" / f"{TEST_RUNNER}-{key}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        for dist in dists:
            for source in _top_level(dist):
                if source.is_dir():
                    shutil.copytree(source, staging / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    shutil.copy2(source, staging / source.name)
        try:
            os.replace(staging, target)  # atomic: another process may have won the race
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _site_packages(venv: Path) -> list[Path]:
    found = sorted(venv.glob("lib/python3*/site-packages")) + sorted(venv.glob("Lib/site-packages"))
    return [p.resolve() for p in found if p.is_dir()]


def project_virtualenvs(project: Path) -> list[Path]:
    """The project's virtualenvs: `.venv/`, `venv/`, and the active one if it lies inside."""
    project = project.resolve()
    candidates = [project / name for name in VENV_NAMES]
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        candidates.append(Path(active))
    seen: list[Path] = []
    for venv in candidates:
        try:
            venv = venv.resolve()
        except OSError:
            continue
        if venv in seen or not venv.is_relative_to(project) or not (venv / "pyvenv.cfg").is_file():
            continue
        seen.append(venv)
    return seen


def project_site_packages(project: Path) -> list[Path]:
    """The site-packages folders of the project's virtualenvs (see `project_virtualenvs`)."""
    return [site for venv in project_virtualenvs(project) for site in _site_packages(venv)]

