"""Typed settings: defaults, overridden by the TOML config file, overridden by the environment.

The file is `paths.config_file()` (or `CODEACT_TUI_CONFIG`), with one table per section:

    [sandbox]
    deadline_s = 120

An environment variable `CODEACT_TUI_<SECTION>_<FIELD>` (upper case) overrides a single value,
e.g. `CODEACT_TUI_SANDBOX_DEADLINE_S=30`. Every field below says what it is for.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from . import paths

ENV_PREFIX = "CODEACT_TUI_"


class ConfigError(ValueError):
    """The config file or an environment override is malformed; the message says where."""


@dataclass(frozen=True)
class SandboxSettings:
    """Limits and behaviour of the WebAssembly sandbox that runs code actions."""

    deadline_s: float = 300.0
    """Wall-clock seconds one action may run before it is stopped (the session then resets)."""

    memory_mib: int = 2048
    """The most memory the guest interpreter may hold, in MiB."""

    output_limit_kib: int = 1024
    """Output kept per stream per action, in KiB; the rest is dropped and reported as cut."""

    interrupt_grace_s: float = 2.0
    """After a soft interrupt, how long to wait for the action to stop before a hard stop."""

    live_output_interval_ms: int = 50
    """How often the guest flushes live output to the host while an action runs."""

    disk_growth_warn_mib: int = 256
    """Warn when one action writes more than this many MiB into the project."""

    min_free_disk_mib: int = 256
    """Writes that would leave less free disk space than this (MiB) are refused."""

    max_file_calls: int = 1_000_000
    """The most file operations one action may make through the project mount."""

    state_limit_mib: int = 64
    """The most interpreter state (pickled variables) kept after each action, in MiB; larger
    objects are skipped and named. 0 keeps no state (rewind and resume start empty)."""


@dataclass(frozen=True)
class HistorySettings:
    """The shadow git store that snapshots the project around every action."""

    max_file_size_mib: int = 50
    """Untracked files larger than this are not snapshotted (and are reported as such)."""

    keep_days: int = 0
    """Prune entries older than this many days on `history --prune`; 0 keeps everything."""

    lock_timeout_s: float = 30.0
    """How long a command waits for another process (e.g. a running action) to release the
    project's history before it gives up and says so."""

    git_timeout_s: float = 120.0
    """How long one git call of the history may take before it is stopped and reported (a
    pathological ignore pattern or a huge tree must not hang every later command)."""

    store_warn_mib: int = 2048
    """`history` and `doctor` warn when the project's history store grows past this size."""


@dataclass(frozen=True)
class ModelSettings:
    """Which model backend to talk to, and how."""

    backend: Literal["ollama", "openai", "embedded"] = "ollama"
    """The model backend: a local Ollama server, an OpenAI-compatible server, or llama.cpp."""

    host: str = ""
    """The server's URL; empty means `OLLAMA_HOST` or the backend's default."""

    model: str = ""
    """The model name (Ollama, OpenAI-compatible) or GGUF file path (embedded)."""

    num_ctx: int = 0
    """Context window in tokens; 0 reads it from the server and caps it at `max_ctx`."""

    max_ctx: int = 16384
    """The largest context window chosen automatically (bigger windows cost memory)."""

    temperature: float | None = None
    """Sampling temperature (0: always the likeliest token). Unset: the model profile's
    `[sampling]` value, else the server's default. The same holds for the four below."""

    top_p: float | None = None
    """Nucleus sampling: keep the likeliest tokens whose probabilities add up to this."""

    top_k: int | None = None
    """Keep only this many likeliest tokens (0: all)."""

    min_p: float | None = None
    """Drop tokens less likely than this share of the likeliest token's probability."""

    repeat_penalty: float | None = None
    """Make recently seen tokens less likely (1.0: off)."""

    profile: str = ""
    """The model profile (`prompts/profiles/`, or the config folder's `profiles/`); empty
    chooses one from the model's name and family."""

    request_timeout_s: float = 600.0
    """How long one model request may take in total, the model's loading included."""

    connect_timeout_s: float = 5.0
    """How long to wait for the model server to accept a connection."""

    max_reply_tokens: int = 2048
    """The most tokens one model reply may have (small models can ramble until the window fills)."""

    keep_alive: str = "30m"
    """How long Ollama keeps the model in memory after a request ("30m"; a negative "-1m" keeps it)."""

    api_key: str = ""
    """Bearer token for an OpenAI-compatible server that wants one (local servers usually not)."""


@dataclass(frozen=True)
class AgentSettings:
    """The CodeAct loop."""

    max_turns: int = 10
    """The most model replies in one user turn before the loop stops."""

    approve: Literal["auto", "ask", "plan", "preview"] = "auto"
    """`auto` runs actions at once, `ask` waits for approval of each, `plan` runs them on a
    read-only project, `preview` runs each over a copy-on-write overlay first and applies its
    changes only when the user says so (needs someone at the keyboard)."""

    instructions_file: str = "AGENTS.md"
    """The project file whose text is added to the system prompt, if it exists."""

    observation_limit_lines: int = 120
    """Output lines shown to the model per action; longer output keeps head and tail."""

    stuck_after: int = 3
    """End a turn as `stuck` when the model repeats the same failing (or unchanged) action, or
    the same reply that cannot run, this many times; the repeat before is told to it. 0: never."""

    auto_test: bool = True
    """After an action changed Python files, while the request speaks of tests (`fix the
    failing test`), run the tests at once and show the model their report, and run them before
    an answer when they have not run in the turn; off, the model runs them when it thinks of it."""

    retry_temperature: float = 0.7
    """After the model repeated a step, the rest of the turn is sampled at least this hot (over
    the model's `temperature`), so a model at temperature 0 can say something else. 0: never."""

    fresh_attempts: int = 2
    """When the model gives up or goes round in circles while the tests fail (after its changes,
    or with none made), take the project back to where the turn began (an entry in the history)
    and ask the model afresh, at most this many times a turn; the turn ends with the files of
    the attempt under which the most tests passed. Approval mode `auto` only. 0: never."""


@dataclass(frozen=True)
class CodeIntelSettings:
    """The repo map in the system prompt and the code tools guest code may call."""

    map_tokens: int = 1024
    """Tokens the repo map may take in the system prompt; 0 leaves the map out."""

    max_file_kib: int = 512
    """Files larger than this many KiB are neither parsed, mapped nor searched."""

    max_files: int = 100_000
    """The walk of the project stops after this many files (a bound for a mistaken root)."""

    disk_cache: bool = True
    """Keep parsed symbols in the user cache folder between runs, so a warm map is fast."""

    map_parse_budget_s: float = 10.0
    """Seconds one map may spend parsing new files; the rest are parsed on later turns (0: no limit)."""


@dataclass(frozen=True)
class UISettings:
    """The terminal app."""

    theme: str = "codeact-dark"
    """The theme: `codeact-dark`, `codeact-light`, a Textual theme, or one of your own TOML
    theme files in the config folder's `themes/`."""

    editor: str = ""
    """The command that opens a changed file (the path is appended); empty uses $VISUAL, then
    $EDITOR."""

    output_fold_lines: int = 12
    """Lines of an action's output shown while it is folded (Enter on the card shows all)."""


@dataclass(frozen=True)
class Settings:
    """All settings, one section per part of the program."""

    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    codeintel: CodeIntelSettings = field(default_factory=CodeIntelSettings)
    ui: UISettings = field(default_factory=UISettings)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert a TOML or environment value to a field's annotated type, or raise ConfigError."""
    origin = get_origin(annotation)
    if origin is Literal:
        allowed = get_args(annotation)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    if origin in (typing.Union, types.UnionType):
        # `X | None`: None is only the default ("unset"); TOML and the environment give an X.
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            raise ConfigError(f"{where}: unsupported union type")
        return _coerce(value, members[0], where)
    try:
        if annotation is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            if isinstance(value, bool):
                return value
            raise ValueError(value)
        if annotation is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if annotation is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if annotation is str:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {annotation.__name__}, got {value!r}") from None
    raise ConfigError(f"{where}: unsupported type {annotation!r}")


def _section(cls: type, values: dict[str, Any], env: dict[str, str], name: str, source: str) -> Any:
    """Build one settings section from file values and environment overrides."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {name}.{unknown[0]} (known: {', '.join(sorted(known))})"
        )
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        kwargs[key] = _coerce(value, hints[key], f"{source}: {name}.{key}")
    for key in known:
        var = f"{ENV_PREFIX}{name.upper()}_{key.upper()}"
        if var in env:
            kwargs[key] = _coerce(env[var], hints[key], f"environment {var}")
    return cls(**kwargs)


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read settings from the TOML file (if any) and the environment.

    Args:
        path: The config file; default `CODEACT_TUI_CONFIG` or `paths.config_file()`.
        env: The environment to read overrides from; default `os.environ`.

    Raises:
        ConfigError: The file is not valid TOML, names an unknown setting, or a value has the
            wrong type. The message names the file or variable and the setting.
    """
    env = dict(os.environ if env is None else env)
    if path is None:
        path = Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else paths.config_file()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    sections = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ConfigError(f"{path}: unknown section [{unknown[0]}] (known: {', '.join(sections)})")
    built: dict[str, Any] = {}
    hints = typing.get_type_hints(Settings)
    for name in sections:
        values = data.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        built[name] = _section(hints[name], values, env, name, str(path))
    return Settings(**built)
