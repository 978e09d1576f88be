"""Small helpers shared by the history tests."""

from __future__ import annotations

from pathlib import Path

from codeact_tui.core.ports import EntryKind, HistoryEntry
from codeact_tui.history import HistoryStore
from tests.support import write


def act(store: HistoryStore, files: dict[str, str | bytes | None], kind: EntryKind = "agent", summary: str = "act") -> HistoryEntry | None:
    """Run an 'action' that writes (or, for None, deletes) the given project files."""
    ticket = store.begin_action(kind, summary)
    for name, content in files.items():
        if content is None:
            (store.project / name).unlink()
        else:
            write(store.project, name, content)
    return store.finish_action(ticket)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (outside `.git`) with its content."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] == ".git":
            continue
        if path.is_file() and not path.is_symlink():
            out[rel.as_posix()] = path.read_bytes()
    return out
