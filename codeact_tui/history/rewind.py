"""Files for a rewind: which unrecorded changes a restore to a history point would overwrite.

A rewind restores the project to the state before a user turn (`HistoryStore.restore`, so it is
itself an undoable entry). Restore records outside changes first, so nothing is ever lost; a
rewind is stricter, as undo is: when the user changed files since the last snapshot and the
rewind would overwrite those very files, it refuses and names them (the user decides: keep
them, or rewind anyway with `--force`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .gitcmd import decode_path
from .store import HistoryStore
from .trees import diff_trees


@dataclass(frozen=True)
class RewindCheck:
    """What restoring to a point would do to the files, before anything is written."""

    point: int
    """The history point (entry id, 0: before the first)."""
    changes: tuple[str, ...]
    """Paths the restore would write or remove."""
    unrecorded: tuple[str, ...]
    """Of those, paths the user changed since the last snapshot (not in the history yet)."""


def check_restore(store: HistoryStore, point: int) -> RewindCheck:
    """Compare the project now with the snapshot at `point` and with the last snapshot.

    Raises:
        UnknownEntry: no such entry, or its snapshot was pruned.
        HistoryBusy: another process holds the history.
    """
    with store._locked():  # noqa: SLF001 - one snapshot of the tree, under the store's own lock
        head = store._head()  # noqa: SLF001
        current = store._snapshot(head)  # noqa: SLF001 - writes a commit object, no ref
        target = store._load_snapshot(store._point(point))  # noqa: SLF001
        assert target is not None
        would = {decode_path(c.path) for c in diff_trees(store.git, current.state.tree, target.state.tree)}
        unrecorded: set[str] = set()
        if head is not None:
            unrecorded = {decode_path(c.path) for c in diff_trees(store.git, head.state.tree, current.state.tree)}
    return RewindCheck(point, tuple(sorted(would)), tuple(sorted(would & unrecorded)))
