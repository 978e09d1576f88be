"""The entry log: one JSON object per line in `entries.jsonl`, appended, never rewritten
(except by an explicit prune). A line cut short by a crash is ignored and trimmed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..core.ports import FileChange, HistoryEntry


def entry_to_json(entry: HistoryEntry) -> dict[str, Any]:
    """A JSON-ready dict of an entry (non-UTF-8 paths stay lossless as `\\udcXX` escapes)."""
    return {
        "id": entry.id,
        "kind": entry.kind,
        "time": entry.time,
        "summary": entry.summary,
        "files": [
            {"path": f.path, "change": f.change, **({"old_path": f.old_path} if f.old_path else {})}
            for f in entry.files
        ],
        "before": entry.before,
        "after": entry.after,
        "turn_id": entry.turn_id,
        "target": entry.target,
        "untracked": list(entry.untracked),
    }


def entry_from_json(data: dict[str, Any]) -> HistoryEntry:
    """The inverse of `entry_to_json`."""
    return HistoryEntry(
        id=int(data["id"]),
        kind=data["kind"],
        time=data["time"],
        summary=data["summary"],
        files=tuple(FileChange(f["path"], f["change"], f.get("old_path")) for f in data.get("files", ())),
        before=data.get("before", ""),
        after=data.get("after", ""),
        turn_id=data.get("turn_id"),
        target=data.get("target"),
        untracked=tuple(data.get("untracked", ())),
    )


class Journal:
    """Reads and appends the entry log; re-reads only when the file changed."""

    def __init__(self, path: Path) -> None:
        """`path` is the `entries.jsonl` file (created on first append)."""
        self.path = path
        self._cache_key: tuple[int, int] | None = None
        self._cache: list[HistoryEntry] = []

    def entries(self) -> list[HistoryEntry]:
        """All complete entries, oldest first."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        key = (st.st_size, st.st_mtime_ns)
        if key != self._cache_key:
            self._cache = self._read()
            self._cache_key = key
        return list(self._cache)

    def _read(self) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        data = self.path.read_bytes()
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            try:
                entries.append(entry_from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash
        return entries

    def append(self, entry: HistoryEntry) -> None:
        """Append one entry (call with the store locked)."""
        self._trim_partial_line()
        line = json.dumps(entry_to_json(entry), sort_keys=True) + "\n"
        with open(self.path, "ab") as fh:
            fh.write(line.encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())

    def rewrite(self, entries: list[HistoryEntry]) -> None:
        """Replace the whole log atomically (prune)."""
        tmp = self.path.with_suffix(".tmp")
        text = "".join(json.dumps(entry_to_json(e), sort_keys=True) + "\n" for e in entries)
        with open(tmp, "wb") as fh:
            fh.write(text.encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def _trim_partial_line(self) -> None:
        """Drop a last line that a crash left without its newline."""
        try:
            with open(self.path, "rb+") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                if size == 0:
                    return
                fh.seek(max(0, size - 1))
                if fh.read(1) == b"\n":
                    return
                fh.seek(0)
                data = fh.read()
                keep = data.rfind(b"\n") + 1
                fh.truncate(keep)
        except FileNotFoundError:
            return
