"""Keeps the model in the know: what changed since its last action that it did not do.

The tracker watches the conversation's own turns (manual actions, approvals the user edited) and
reads the history for the rest (the user's edits, undo, redo, restore, other processes' actions).
Before each user turn the conversation asks it for the notes, which go into the user message
(`core.briefing`); the system prompt never changes.
"""

from __future__ import annotations

import re

from ..core import events as ev
from ..core.briefing import quote
from ..core.ports import ExecutionResult, FileChange, History, HistoryEntry

_HUNK_LINE = re.compile(r"^diff --git a/(.*?) b/(.*)$")


def diff_stat(diff: str) -> dict[str, tuple[int, int]]:
    """Lines added and removed per file in a unified diff (git's format)."""
    stats: dict[str, tuple[int, int]] = {}
    current: str | None = None
    for line in diff.splitlines():
        header = _HUNK_LINE.match(line)
        if header:
            current = header.group(2)
            stats.setdefault(current, (0, 0))
        elif current is not None and line.startswith("+") and not line.startswith("+++"):
            added, removed = stats[current]
            stats[current] = (added + 1, removed)
        elif current is not None and line.startswith("-") and not line.startswith("---"):
            added, removed = stats[current]
            stats[current] = (added, removed + 1)
    return stats


def _files(changes: tuple[FileChange, ...], stats: dict[str, tuple[int, int]] | None = None, limit: int = 8) -> str:
    parts = []
    for change in changes[:limit]:
        label = change.path if change.change != "renamed" else f"{change.old_path} → {change.path}"
        detail = change.change
        if stats and change.path in stats:
            added, removed = stats[change.path]
            detail += f", +{added} -{removed}"
        parts.append(f"{label} ({detail})")
    if len(changes) > limit:
        parts.append(f"and {len(changes) - limit} more")
    return ", ".join(parts) or "no file"


class ChangeTracker:
    """Collects what the model should hear about before the next user turn."""

    def __init__(self) -> None:
        self._notes: list[tuple[float, str]] = []
        """Notes from the conversation's own turns, keyed by their history entry's id (those
        without an entry sort after every entry: they are the newest news)."""
        self._seen: int | None = None
        """The newest history entry the model was told about (or that is its own)."""
        self._noted_entries: set[int] = set()
        """Entries already described from the conversation's own events (manual actions)."""
        self._proposed: dict[tuple[str, int], str] = {}

    @property
    def pending(self) -> list[str]:
        """The notes gathered so far from the conversation's own turns."""
        return [note for _, note in self._notes]

    def _note(self, text: str, entry: HistoryEntry | None = None) -> None:
        self._notes.append((float(entry.id) if entry is not None else float("inf"), text))

    def start_from(self, entry_id: int) -> None:
        """History entries up to `entry_id` are known to the model (the conversation's start)."""
        if self._seen is None:
            self._seen = entry_id

    # --- from the conversation's own turns ------------------------------------------------------

    def observe(self, event: ev.TurnEvent) -> None:
        """Follow a model turn: an action the user edited before approving it is noted."""
        match event:
            case ev.CodeProposed(turn_id=turn_id, step=step, code=code):
                self._proposed[(turn_id, step)] = code
            case ev.ExecutionStarted(turn_id=turn_id, step=step, code=code):
                proposed = self._proposed.pop((turn_id, step), None)
                if proposed is not None and proposed.strip() != code.strip():
                    self._note(f"The user edited the action of your reply {step} before it ran; this ran instead:\n{quote(code)}")
            case ev.TurnFinished() | ev.TurnFailed():
                self._proposed.clear()
            case _:
                pass

    def manual_ran(self, code: str, result: ExecutionResult | None, entry: HistoryEntry | None) -> None:
        """The user ran their own code in the sandbox (a manual action)."""
        if result is None:
            return
        status = {"ok": "it ran", "error": f"it failed (exit {result.exit_code})", "stopped": f"it was stopped ({result.stopped_by})"}[result.status]
        note = f"The user ran this code in the sandbox; {status}:\n{quote(code)}"
        output = (result.stdout + result.stderr).strip()
        if output:
            note += f"\n  Its output began:\n{quote(output, max_lines=5)}"
        if result.state_reset and result.restored_names:
            note += f"\n  The Python session was reset; the variables from before it are back: {', '.join(result.restored_names[:20])}."
        elif result.state_reset:
            note += "\n  The Python session was reset: earlier variables are gone."
        if entry is not None:
            note += f"\n  Files changed (history entry #{entry.id}): {_files(entry.files)}"
            self._noted_entries.add(entry.id)
        self._note(note, entry)

    def session_note(self, text: str) -> None:
        """Something the model should know about the Python session (restored, rebuilt, reset)."""
        self._note(text)

    # --- from the history -------------------------------------------------------------------------

    def take(self, history: History | None, transcript_id: str | None) -> list[str]:
        """Every note for the next user message (blocking: reads the history); then forget them.

        The history records the user's own edits first (`sync`), so edits made since the last
        action count too.
        """
        notes = self._notes
        self._notes = []
        if history is not None:
            notes += self._from_history(history, transcript_id)
        return [text for _, text in sorted(notes, key=lambda note: note[0])]

    def _from_history(self, history: History, transcript_id: str | None) -> list[tuple[float, str]]:
        history.sync()
        entries = history.entries()
        newest = entries[-1].id if entries else 0
        if self._seen is None:
            self._seen = newest
            return []
        by_id = {entry.id: entry for entry in entries}
        mine = f"{transcript_id}/" if transcript_id else None
        notes = []
        for entry in entries:
            if entry.id <= self._seen or entry.id in self._noted_entries:
                continue
            if entry.kind == "agent" and mine is not None and (entry.turn_id or "").startswith(mine):
                continue  # the model's own action
            notes.append((float(entry.id), self._describe(history, entry, by_id)))
        self._seen = max(self._seen, newest)
        return notes

    def _describe(self, history: History, entry: HistoryEntry, by_id: dict[int, HistoryEntry]) -> str:
        acted_on = by_id.get(entry.target) if entry.target is not None else None
        target = f" #{entry.target} ({acted_on.summary})" if acted_on is not None else f" #{entry.target}" if entry.target else ""
        files = _files(entry.files)
        match entry.kind:
            case "user":
                try:
                    stats = diff_stat(history.diff(entry.id))
                except Exception:
                    stats = None
                return f"The user edited files (history entry #{entry.id}): {_files(entry.files, stats)}"
            case "undo":
                return f"The user undid{target}; files changed back: {files}"
            case "redo":
                return f"The user redid{target}; files: {files}"
            case "restore":
                return f"The user restored the project to {f'after{target}' if target else 'its start'}; files: {files}"
            case "manual":
                return f"The user ran code in the sandbox ({entry.summary}); files: {files}"
            case "agent":
                return f"Another conversation's action changed files ({entry.summary}): {files}"
        return f"The project changed (history entry #{entry.id}, {entry.kind}): {files}"
