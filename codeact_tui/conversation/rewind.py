"""Rewind a conversation to before one of its user turns: files, conversation, interpreter state.

- **Files**: the project goes back to the history point the turn started from (its `checkpoint`
  record; for older transcripts, the entry before the turn's first recorded change), as one
  `restore` history entry — so the rewind itself can be undone. When files the user changed
  since the last snapshot would be overwritten, nothing is written and they are named (`force`
  records them first, then rewinds: undo brings them back).
- **Conversation**: a new transcript with every record before the turn and a `branch` record
  naming where it came from; the old transcript stays as it was, resumable.
- **Interpreter state**: the new branch's end state (see `interpreter.py`), restored at once in
  a running sandbox, else when the branch is resumed (`run --continue`, the app's resume).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.ports import Conflict, HistoryChange, StateRestore
from ..core.transcript import Transcript
from .interpreter import UserTurn, describe, user_turns

if TYPE_CHECKING:
    from .service import Conversation


class RewindError(Exception):
    """The rewind cannot be done as asked (no such turn, no history); nothing was changed."""


@dataclass
class RewindOutcome:
    """What a rewind did, or why it did nothing."""

    ok: bool
    message: str
    turn: UserTurn | None = None
    files: HistoryChange | None = None
    """The history's `restore` (None when the files were already as they were)."""
    unrecorded: tuple[str, ...] = ()
    """Refused: files changed since the last snapshot that the rewind would overwrite."""
    conflicts: tuple[Conflict, ...] = ()
    branch_id: str | None = None
    """The new conversation (the branch), when one was made."""
    from_id: str = ""
    """The conversation rewound (it stays on disk as it was)."""
    state_plan: str = ""
    """What the Python session will hold (restored now, or on resume)."""
    state: StateRestore | None = None
    """What the running session got back, when it was restored at once."""
    state_where: str = ""
    """Where the running session was restored to ("to before turn 3"; empty: not restored)."""

    @property
    def session_text(self) -> str:
        """In words, what the Python session holds after the rewind (or will, on resume)."""
        if self.state_where:
            return describe(self.state, self.state_where)
        return f"Python session: {self.state_plan}."


def _point_of(turn: UserTurn, later: list[dict[str, Any]]) -> int | None:
    """The history point before the turn: its checkpoint, else the entry before its first change."""
    if turn.point is not None:
        return turn.point
    entries = [r["history_entry"] for r in later if r.get("type") == "action" and isinstance(r.get("history_entry"), int)]
    return min(entries) - 1 if entries else None


def state_plan(records: list[dict[str, Any]], archive: Any) -> str:
    """In words, to follow "Python session: ": what it will hold at the end of `records`."""
    actions = [r for r in records if r.get("type") == "action"]
    if not actions:
        return "starts empty (no action ran before that turn)"
    last = actions[-1]
    states = [r for r in records if r.get("type") == "state" and (r.get("turn_id"), r.get("step")) == (last.get("turn_id"), last.get("step"))]
    record = states[-1] if states else None
    if record is not None and record.get("ref") and archive is not None:
        try:
            archive.size(record["ref"])
        except Exception:  # noqa: BLE001 - pruned: say so
            record = None
    if record is None or not record.get("ref"):
        return f"rebuilt by running the {len(actions)} earlier action(s) again over snapshots of the files"
    kept = ", ".join(name for name, _ in record.get("kept") or ()) or "no variables"
    skipped = record.get("skipped") or ()
    text = f"variables kept: {kept}"
    if skipped:
        text += "; not kept: " + "; ".join(f"{name} ({reason})" for name, reason in skipped)
    return text


@dataclass(frozen=True)
class RewindPlan:
    """What a rewind would do, worked out before anything is written (for a confirmation)."""

    turn: UserTurn
    turns_dropped: int
    """User turns the new branch leaves out (this one and every later one)."""
    point: int | None
    """The history point the files go back to (None: the files stay as they are)."""
    files: tuple[str, ...]
    """Paths the rewind would write or remove."""
    unrecorded: tuple[str, ...]
    """Of those, paths changed since the last snapshot (the rewind refuses over them)."""
    state_plan: str
    """What the Python session will hold, in words."""


async def _locate(conversation: Conversation, number: int) -> tuple[list[dict[str, Any]], list[UserTurn], UserTurn]:
    transcript = conversation.transcript
    if transcript is None:
        raise RewindError("there is no conversation to rewind")
    records = await asyncio.to_thread(transcript.records)
    turns = user_turns(records)
    if not turns:
        raise RewindError(f"conversation {transcript.id} has no user turn to rewind to")
    if not 1 <= number <= len(turns):
        raise RewindError(
            f"there is no turn {number} in conversation {transcript.id}: it has {len(turns)} user turn(s), "
            f"1 to {len(turns)} (`codeact-tui rewind --list` shows them)"
        )
    return records, turns, turns[number - 1]


async def plan_rewind(conversation: Conversation, number: int) -> RewindPlan:
    """What rewinding to before turn `number` would change (nothing is written).

    Raises:
        RewindError: no such turn, or no history where files would have to change.
        HistoryError: the history is busy, or the snapshot is no longer stored.
    """
    from ..history.rewind import check_restore
    from ..history.states import archive_of

    records, turns, turn = await _locate(conversation, number)
    kept, later = records[: turn.index], records[turn.index:]
    history = conversation.history
    point = _point_of(turn, later)
    if point is not None and history is not None and not await asyncio.to_thread(history.entries):
        point = None  # nothing was ever recorded: the files are as they were
    files: tuple[str, ...] = ()
    unrecorded: tuple[str, ...] = ()
    if point is not None:
        if history is None:
            raise RewindError(f"the project's history is not available ({conversation.history_error or 'not opened'}): the files cannot be rewound")
        if hasattr(history, "git"):
            check = await asyncio.to_thread(check_restore, history, point)  # type: ignore[arg-type]
            files, unrecorded = check.changes, check.unrecorded
    plan = state_plan(kept, archive_of(history) if history is not None else None)
    return RewindPlan(turn, len(turns) - number + 1, point, files, unrecorded, plan)


async def rewind_conversation(conversation: Conversation, number: int, *, force: bool = False) -> RewindOutcome:
    """Do the files and make the branch (the service then switches to it and restores state)."""
    from ..history.errors import HistoryError

    transcript = conversation.transcript
    assert transcript is not None
    outcome = RewindOutcome(False, "", from_id=transcript.id)
    try:
        plan = await plan_rewind(conversation, number)
        outcome.turn = plan.turn
        if plan.unrecorded and not force:
            shown = ", ".join(plan.unrecorded[:10]) + (f" and {len(plan.unrecorded) - 10} more" if len(plan.unrecorded) > 10 else "")
            outcome.unrecorded = plan.unrecorded
            outcome.message = (
                f"refused to rewind to before turn {number}: it would overwrite changes not in the history: {shown}. "
                "Nothing was changed. Keep a copy of them, or rewind anyway with --force (they are recorded "
                "in the history first, so `codeact-tui undo` brings them back)."
            )
            return outcome
        if plan.point is not None and (plan.files or not hasattr(conversation.history, "git")):
            change = await conversation.restore(plan.point)
            outcome.files = change
            if not change.ok:
                outcome.conflicts = tuple(change.conflicts)
                outcome.message = f"refused to rewind the files: {change.message}"
                return outcome
    except HistoryError as exc:
        outcome.message = f"refused to rewind to before turn {number}: {exc}. Nothing was changed."
        return outcome
    records = await asyncio.to_thread(transcript.records)
    kept = records[: plan.turn.index]
    meta = next((r for r in records if r.get("type") == "meta"), {})
    branch = Transcript.create(conversation.conversations_dir, project=str(meta.get("project", "")), model=str(meta.get("model", "")))
    try:
        branch.append({"type": "branch", "from": transcript.id, "turn": number, "restore_entry": outcome.files.entry.id if outcome.files and outcome.files.entry else None})
        for record in kept:
            if record.get("type") != "meta":
                branch.append(dict(record))
    finally:
        branch.close()
    outcome.branch_id = branch.id
    outcome.state_plan = plan.state_plan
    files = (
        f"the files were restored ({outcome.files.message})" if outcome.files is not None and outcome.files.entry is not None
        else "the files were already as they were then"
    )
    request = plan.turn.request.strip()
    outcome.ok = True
    outcome.message = (
        f"rewound to before turn {number} ({request.splitlines()[0][:60] if request else 'empty request'}): "
        f"{files}; the conversation continues as {branch.id} (the old one, {transcript.id}, stays resumable)"
    )
    return outcome
