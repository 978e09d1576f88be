"""Interpreter state that follows the conversation: kept after each action, brought back later.

After every sandbox run (the model's or a manual one) `StateKeeper.keep` saves the session's
variables (`Executor.save_state`), stores the bytes beside the history (`history.states`) and
appends a `state` record to the transcript: which action it follows, the history point, what
was kept and what was skipped. `StateKeeper.restore` brings the state of a transcript's end (or
of a rewind point) into a fresh session: the newest kept state, then the actions after it run
again; when there is no usable state (pruned, or it cannot be loaded) every kept action's code
runs again in a fresh session over a *snapshot* mount of the files as they were before it (the
project is never touched; writes are refused). `describe` says exactly what came back, for the
model and the user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from ..core.ports import ExecutionResult, History, SessionState, StateRestore
from ..core.transcript import Transcript

REPLAY_DEADLINE_S = 60.0
"""Seconds each replayed action may run (it ran before; a hang must not block a resume)."""


@dataclass(frozen=True)
class UserTurn:
    """One user turn of a transcript, as `rewind` numbers them (from 1)."""

    number: int
    index: int
    """Where it begins in the records (its checkpoint, else its message): a rewind keeps
    everything before."""
    turn_id: str
    request: str
    """The user's words."""
    point: int | None
    """The newest history entry when it began (None in transcripts older than checkpoints)."""


def user_turns(records: list[dict[str, Any]]) -> list[UserTurn]:
    """The user turns of a transcript's records, in order."""
    from ..core.briefing import user_request

    turns: list[UserTurn] = []
    for index, record in enumerate(records):
        if record.get("type") != "message" or record.get("kind") != "user":
            continue
        start, point = index, None
        previous = records[index - 1] if index else {}
        if previous.get("type") == "checkpoint":
            start, point = index - 1, previous.get("point")
        turns.append(UserTurn(len(turns) + 1, start, str(record.get("turn_id") or ""), user_request(str(record.get("content") or "")), point if isinstance(point, int) else None))
    return turns


def _archive(history: History | None) -> Any:
    from ..history.states import archive_of

    return archive_of(history) if history is not None else None


def _newest_point(history: History | None) -> int:
    if history is None:
        return 0
    entries = history.entries()
    return entries[-1].id if entries else 0


def _why(result: ExecutionResult) -> str:
    """The error line of a replayed action that failed (our own notes under it left out)."""
    lines = [line for line in result.stderr.strip().splitlines() if line.strip() and not line.startswith("codeact-tui:")]
    return (lines[-1] if lines else result.stopped_by or result.status)[:120]


def _state_of(record: dict[str, Any], data: bytes) -> SessionState:
    return SessionState(
        data=data,
        kept=tuple((str(n), str(t)) for n, t in record.get("kept") or ()),
        skipped=tuple((str(n), str(r)) for n, r in record.get("skipped") or ()),
    )


class StateKeeper:
    """Keeps and restores the interpreter state of one conversation (see the module docstring)."""

    def __init__(self, executor: Any, limit_mib: int) -> None:
        self.executor = executor
        self.limit_mib = limit_mib

    @property
    def enabled(self) -> bool:
        """Whether states are kept (a sandbox that can, and a limit above 0)."""
        keeps = getattr(self.executor, "keeps_state", None)
        return self.limit_mib > 0 and callable(keeps) and bool(keeps())

    async def keep(self, history: History | None, transcript: Transcript | None, turn_id: str, step: int, entry_id: int | None) -> dict[str, Any] | None:
        """Save the session's state after an action and record it; never raises (a failure is
        recorded in the `state` record's `error`)."""
        archive = _archive(history)
        if not self.enabled or archive is None or transcript is None:
            return None
        record: dict[str, Any] = {"type": "state", "turn_id": turn_id, "step": step}
        try:
            state = await self.executor.save_state()
            point = entry_id if entry_id is not None else await asyncio.to_thread(_newest_point, history)
            ref = await asyncio.to_thread(archive.put, transcript.id, point, state.data)
            record.update(
                ref=ref,
                point=point,
                bytes=state.size,
                seconds=round(state.seconds, 4),
                kept=[list(pair) for pair in state.kept],
                skipped=[list(pair) for pair in state.skipped],
            )
        except Exception as exc:  # noqa: BLE001 - keeping state must never cost the user the turn
            record["error"] = str(exc) or type(exc).__name__
        transcript.append(record)
        return record

    async def restore(self, history: History | None, records: list[dict[str, Any]], transcript: Transcript | None = None) -> StateRestore | None:
        """Bring the state at the end of `records` into a fresh session (see the module
        docstring); None when no action ran there (the session just starts empty). A state
        rebuilt by replaying is kept for the last action (into `transcript`), so the next
        resume loads it instead of replaying again."""
        restored = await self._restore(history, records)
        if restored is not None and restored.replayed and transcript is not None:
            actions = [r for r in records if r.get("type") == "action"]
            last = actions[-1]
            entry = last.get("history_entry")
            await self.keep(history, transcript, str(last.get("turn_id")), int(last.get("step") or 0), entry if isinstance(entry, int) else None)
        return restored

    async def _restore(self, history: History | None, records: list[dict[str, Any]]) -> StateRestore | None:
        actions = [r for r in records if r.get("type") == "action" and isinstance(r.get("code"), str)]
        # A hard stop emptied the session (unless the previous state came back): nothing before it counts.
        reset_at = max((i for i, r in enumerate(actions) if r.get("state_reset") and not r.get("restored_names")), default=-1)
        actions = actions[reset_at + 1:]
        if not actions:
            await self.executor.clear_state()  # another conversation's variables must not linger
            return None
        states = {(r.get("turn_id"), r.get("step")): r for r in records if r.get("type") == "state" and r.get("ref")}
        archive = _archive(history)
        started = time.monotonic()
        failed_note: list[tuple[str, str]] = []
        for position in range(len(actions) - 1, -1, -1):
            record = states.get((actions[position].get("turn_id"), actions[position].get("step")))
            if record is None or archive is None:
                continue
            try:
                data = await asyncio.to_thread(archive.get, record["ref"])
            except Exception as exc:  # noqa: BLE001 - pruned: an older state, or a replay
                failed_note.append(("(kept state)", str(exc)))
                continue
            restored = await self.executor.restore_state(_state_of(record, data), fresh=True)
            if not restored.ok:
                failed_note.extend(restored.failed)
                break  # it exists but does not load: rebuild everything by replaying
            later = actions[position + 1:]
            if not later:
                return dataclasses.replace(restored, seconds=time.monotonic() - started)  # the fresh session too
            replayed = await self._replay(history, later, records)
            return await self._summary(restored.restored, replayed, started, skipped=restored.skipped)
        replayed = await self._replay(history, actions, records, fresh=True)
        return await self._summary((), replayed, started, failed=tuple(failed_note[:1]))

    async def _replay(self, history: History | None, actions: list[dict[str, Any]], records: list[dict[str, Any]], *, fresh: bool = False) -> list[str]:
        """Run the actions' code again, each over a snapshot of the files before it."""
        if fresh:
            await self.executor.reset_session()
        points = {(r.get("turn_id"), r.get("step")): r.get("point") for r in records if r.get("type") == "state"}
        mode = getattr(self.executor, "mount_mode", "live")
        lines: list[str] = []
        last_point = 0
        try:
            for action in actions:
                entry = action.get("history_entry")
                point = (entry - 1) if isinstance(entry, int) else points.get((action.get("turn_id"), action.get("step")), last_point)
                where = self._show(history, point if isinstance(point, int) else last_point)
                result = await self.executor.run(action["code"], deadline_s=REPLAY_DEADLINE_S)
                last_point = entry if isinstance(entry, int) else (point if isinstance(point, int) else last_point)
                label = f"{action.get('turn_id')} step {action.get('step')}"
                lines.append(f"{label}: {result.status}{'' if result.status == 'ok' else f' ({_why(result)})'}, over {where}")
        finally:
            self.executor.set_mount_mode(mode)
        return lines

    def _show(self, history: History | None, point: int) -> str:
        show = getattr(self.executor, "show_snapshot", None)
        if history is not None and callable(show):
            try:
                show(history, point)
                return f"the files after history entry #{point}" if point else "the files before the first history entry"
            except Exception:  # noqa: BLE001 - pruned or no history: read the project, never write
                pass
        self.executor.set_mount_mode("read-only")
        return "the project as it is now, read-only (that snapshot is not stored)"

    async def _summary(self, restored: tuple[str, ...], replayed: list[str], started: float, *, skipped: tuple[tuple[str, str], ...] = (), failed: tuple[tuple[str, str], ...] = ()) -> StateRestore:
        """What the session holds after a replay (asked of the session itself)."""
        names = list(restored)
        try:
            now = await self.executor.save_state()
            names = [name for name, _ in now.kept]
            skipped = tuple(dict([*skipped, *now.skipped]).items())
        except Exception:  # noqa: BLE001 - the names are then those restored
            pass
        return StateRestore(restored=tuple(names), failed=failed, skipped=skipped, seconds=time.monotonic() - started, replayed=tuple(replayed))


def describe(restored: StateRestore | None, where: str) -> str:
    """What the model (and the user) is told about the Python session after a resume or rewind."""
    if restored is None:
        return f"The Python session starts fresh (nothing to restore {where}): no earlier variables are defined."
    parts = [f"The Python session was restored {where}."]
    if restored.replayed:
        parts.append(
            f"It was rebuilt by running {len(restored.replayed)} earlier action(s) again over the files as they were "
            "(file writes were refused, the project was not touched): " + "; ".join(restored.replayed[:6])
            + (f"; and {len(restored.replayed) - 6} more" if len(restored.replayed) > 6 else "")
        )
    parts.append("Defined again: " + (", ".join(restored.restored[:40]) or "nothing") + (f" and {len(restored.restored) - 40} more" if len(restored.restored) > 40 else "") + ".")
    lost = [*restored.failed, *restored.skipped]
    if lost:
        parts.append("Not restored (define them again if you need them): " + "; ".join(f"{name}: {reason}" for name, reason in lost[:12]) + ".")
    return " ".join(parts)
