"""Conversations persisted as JSONL, one file per conversation, resumable.

Each line is one record with a `type`:

- `meta`: the first line: format version, conversation id, project, model, creation time;
- `message`: a conversation message (role, kind, content, turn id);
- `action`: one code action: turn id, step, code, how it ended, its output (the tail of each
  stream), the files it changed and the history entry it made (`action_record`); records
  written before output and file kinds were kept still load (`recorded_result` fills defaults);
  the user's own code (a manual action, step 0) is an `action` record with `manual: true`;
- `turn`: how a turn ended (finished or failed, and why);
- `compaction`: the conversation was compacted; the messages after it replace those before.

Lines are appended and flushed as they happen, so a crash loses at most the line being written;
a torn last line is skipped on load.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from .briefing import user_request
from .context import ConversationMessage, MessageKind
from .ports import ExecutionResult, ExecutionStatus, FileChange, FileChangeKind, HistoryEntry, StreamName

FORMAT_VERSION = 1
SUFFIX = ".jsonl"
OUTPUT_KEPT_CHARS = 16_000
"""Characters of each output stream an action record keeps (the tail: where errors are)."""
_CHANGE_KINDS = ("added", "modified", "deleted", "renamed")


class TranscriptError(RuntimeError):
    """A transcript cannot be found or read; the message names the file."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_conversation_id() -> str:
    """A sortable, unique id: UTC time plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class TranscriptInfo:
    """A stored conversation, for listing."""

    id: str
    path: Path
    created: str
    title: str
    """The user's first request, shortened (with none, the first line of the user's first own
    code, as "manual: …"); a rewound branch says so ("… (rewound to before turn 3)"), as it
    starts with the same request as the conversation it came from."""


class Transcript:
    """One conversation's JSONL file, open for appending."""

    def __init__(self, path: Path, conversation_id: str) -> None:
        self.path = path
        self.id = conversation_id
        self._file: IO[str] | None = None

    @classmethod
    def create(cls, directory: Path, *, project: str = "", model: str = "") -> Transcript:
        """Start a new conversation file in `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        conversation_id = new_conversation_id()
        transcript = cls(directory / f"{conversation_id}{SUFFIX}", conversation_id)
        transcript.append(
            {"type": "meta", "version": FORMAT_VERSION, "id": conversation_id, "project": project, "model": model, "created": _now()}
        )
        return transcript

    @classmethod
    def open(cls, path: Path) -> Transcript:
        """Open an existing conversation file to continue it."""
        if not path.is_file():
            raise TranscriptError(f"no conversation at {path}")
        return cls(path, path.name.removesuffix(SUFFIX))

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and flush it."""
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        record.setdefault("time", _now())
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def add_message(self, message: ConversationMessage) -> None:
        """Record a conversation message."""
        self.append(
            {"type": "message", "role": message.role, "kind": message.kind, "content": message.content, "turn_id": message.turn_id}
        )

    def add_compaction(self, messages: list[ConversationMessage]) -> None:
        """Record that the conversation was compacted: `messages` is now the whole of it."""
        self.append(
            {
                "type": "compaction",
                "messages": [
                    {"role": m.role, "kind": m.kind, "content": m.content, "turn_id": m.turn_id, "compacted": m.compacted}
                    for m in messages
                ],
            }
        )

    def close(self) -> None:
        """Close the file (appending later reopens it)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def records(self) -> list[dict[str, Any]]:
        """Every readable record, in order."""
        return read_records(self.path)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a transcript file; a torn or malformed line is skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise TranscriptError(f"no conversation at {path}") from None
    records: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "type" in record:
            records.append(record)
    return records


def _message(record: dict[str, Any]) -> ConversationMessage | None:
    role, kind, content = record.get("role"), record.get("kind"), record.get("content")
    if role not in ("system", "user", "assistant") or not isinstance(content, str):
        return None
    if kind not in ("system", "user", "assistant", "observation", "note"):
        kind = "user" if role == "user" else role
    return ConversationMessage(role, content, cast(MessageKind, kind), record.get("turn_id"), bool(record.get("compacted", False)))


def load_messages(path: Path) -> list[ConversationMessage]:
    """The conversation as it stood at the end of the file (compactions applied)."""
    messages: list[ConversationMessage] = []
    for record in read_records(path):
        if record["type"] == "message":
            message = _message(record)
            if message is not None:
                messages.append(message)
        elif record["type"] == "compaction":
            messages = [m for m in (_message(r) for r in record.get("messages", [])) if m is not None]
    return messages


def _tail(text: str) -> tuple[str, bool]:
    if len(text) <= OUTPUT_KEPT_CHARS:
        return text, False
    return text[-OUTPUT_KEPT_CHARS:], True


def tests_record(turn_id: str, step: int, code: str, result: ExecutionResult, entry: HistoryEntry | None, *, title: str) -> dict[str, Any]:
    """The `tests` record of a test run the agent started (an action record by another type:
    resuming shows it under `title`, but never runs it again)."""
    return {**action_record(turn_id, step, code, result, entry), "type": "tests", "title": title}


def action_record(turn_id: str, step: int, code: str, result: ExecutionResult | None, entry: HistoryEntry | None) -> dict[str, Any]:
    """The `action` record of one sandbox run: enough to show its card again on resume."""
    files = entry.files if entry is not None else (result.changed_files if result else ())
    record: dict[str, Any] = {
        "type": "action",
        "turn_id": turn_id,
        "step": step,
        "code": code,
        "status": result.status if result else "failed",
        "exit_code": result.exit_code if result else None,
        "stopped_by": result.stopped_by if result else None,
        "changed_files": [c.path for c in files],
        "changes": [{"path": c.path, "change": c.change, "old_path": c.old_path} for c in files],
        "history_entry": entry.id if entry else None,
    }
    if result is not None:
        stdout, stdout_cut = _tail(result.stdout)
        stderr, stderr_cut = _tail(result.stderr)
        record.update(
            stdout=stdout,
            stderr=stderr,
            output_cut=[name for name, cut in (("stdout", stdout_cut), ("stderr", stderr_cut)) if cut],
            truncated=list(result.truncated),
            state_reset=result.state_reset,
            **({"restored_names": list(result.restored_names)} if result.restored_names else {}),
            duration_s=round(result.duration_s, 3),
            warnings=list(result.warnings),
        )
    return record


def skipped_record(turn_id: str, step: int, code: str, reason: str) -> dict[str, Any]:
    """The `action` record of an action the user declined (or discarded after preview): its
    card shows again on resume, marked skipped with the reason."""
    return {
        "type": "action",
        "turn_id": turn_id,
        "step": step,
        "code": code,
        "status": "skipped",
        "skipped": reason,
        "changed_files": [],
        "changes": [],
        "history_entry": None,
    }


def recorded_changes(record: dict[str, Any]) -> tuple[FileChange, ...]:
    """The files an `action` record says it changed (none for records older than `changes`)."""
    changes: list[FileChange] = []
    for item in record.get("changes") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and item.get("change") in _CHANGE_KINDS:
            old = item.get("old_path")
            changes.append(FileChange(item["path"], cast(FileChangeKind, item["change"]), old if isinstance(old, str) else None))
    return tuple(changes)


def recorded_result(record: dict[str, Any]) -> ExecutionResult:
    """The sandbox run an `action` record describes, as far as it was kept (older records have
    no output: it shows empty)."""
    status = record.get("status")
    exit_code = record.get("exit_code")
    return ExecutionResult(
        stdout=str(record.get("stdout") or ""),
        stderr=str(record.get("stderr") or ""),
        status=cast(ExecutionStatus, status) if status in ("ok", "error", "stopped") else "stopped",
        exit_code=exit_code if isinstance(exit_code, int) else None,
        stopped_by=str(record["stopped_by"]) if record.get("stopped_by") else None,
        state_reset=bool(record.get("state_reset")),
        restored_names=tuple(str(n) for n in record.get("restored_names") or ()),
        changed_files=recorded_changes(record),
        truncated=tuple(cast(StreamName, s) for s in record.get("truncated") or () if s in ("stdout", "stderr")),
        duration_s=float(record.get("duration_s") or 0.0),
        warnings=tuple(str(w) for w in record.get("warnings") or ()),
    )


def _manual_title(code: str) -> str:
    """The title of a conversation that has only the user's own code: its first line, marked."""
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    return f"manual: {first}"[:80] if first else "manual action"


def list_transcripts(directory: Path, *, include_empty: bool = False) -> list[TranscriptInfo]:
    """Stored conversations of a folder, the most recently active first. One in which nothing
    happened (the app was opened and closed: no request, no action, not a rewound branch) is left
    out unless `include_empty`, so it is neither "the latest" nor listed to resume."""
    if not directory.is_dir():
        return []
    found: dict[str, tuple[Path, str, str, dict[str, Any] | None]] = {}
    empty: set[str] = set()
    for path in directory.glob(f"*{SUFFIX}"):
        created, request, manual, branch = "", "", "", None
        records = read_records(path)
        if not any(r["type"] in ("action", "branch") or (r["type"] == "message" and r.get("kind") == "user") for r in records):
            empty.add(path.name.removesuffix(SUFFIX))
        for record in records:
            if record["type"] == "meta":
                created = str(record.get("created", ""))
            elif record["type"] == "branch" and branch is None:  # its own comes first (a branch of a branch copies the other)
                branch = record
            elif record["type"] == "action" and record.get("manual") and not manual:
                manual = _manual_title(str(record.get("code") or ""))
            elif record["type"] == "message" and record.get("kind") == "user":
                words = user_request(str(record.get("content") or "")).strip()
                request = words.splitlines()[0][:80] if words else ""
                break
        found[path.name.removesuffix(SUFFIX)] = (path, created, request or manual, branch)

    def first_request(conversation_id: str) -> str:
        """The conversation's first request; a branch rewound to before its first turn has
        none of its own: the one of the conversation it came from."""
        seen: set[str] = set()
        while conversation_id in found and conversation_id not in seen:
            seen.add(conversation_id)
            _, _, request, branch = found[conversation_id]
            if request or branch is None:
                return request
            conversation_id = str(branch.get("from", ""))
        return ""

    infos: list[TranscriptInfo] = []
    for conversation_id, (path, created, _, branch) in found.items():
        if conversation_id in empty and not include_empty:
            continue
        title = first_request(conversation_id)
        if branch is not None and isinstance(branch.get("turn"), int):
            title = f"{title} (rewound to before turn {branch['turn']})".strip()
        infos.append(TranscriptInfo(conversation_id, path, created, title))
    # Most recently active first (a resumed conversation is the latest again); ids break ties.
    infos.sort(key=lambda info: (os.stat(info.path).st_mtime_ns, info.id), reverse=True)
    return infos


def find_transcript(directory: Path, which: str = "latest") -> Path:
    """The file of a stored conversation: `latest` (the most recently active one in which
    something happened), or an id (or a unique id prefix)."""
    infos = list_transcripts(directory, include_empty=which != "latest")
    if not infos:
        raise TranscriptError(f"no stored conversations in {directory}")
    if which == "latest":
        return infos[0].path
    matches = [info for info in infos if info.id.startswith(which)]
    if len(matches) != 1:
        found = "no" if not matches else "more than one"
        raise TranscriptError(f"{found} conversation matches {which!r} in {directory}")
    return matches[0].path
