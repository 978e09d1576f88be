"""`HistoryStore`: the per-project shadow git store behind every action's snapshot.

Layout, under `paths.project_data_dir(project) / "history"`:

    git/            the shadow repository (objects, refs); never inside the project
    index           its private index (the user's `.git/index` is never read or written)
    entries.jsonl   the entry log, one JSON object a line
    pending.json    present while an action or an undo is under way (crash recovery)
    lock            the flock that keeps two processes from writing at once

Every snapshot is a parentless commit whose tree is the project; refs
`refs/codeact/entries/<id>/{before,after}` keep every recorded state reachable, and
`refs/codeact/head` is the last state the store saw.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import paths
from ..config import HistorySettings
from ..core.ports import EntryKind, FileChange, HistoryEntry
from . import excludes
from .apply import ApplyPlan, ApplyRefused, ChangedMeanwhile, temp_path
from .changes import changes_between, untracked_between, user_summary
from .errors import HistoryBusy, HistoryError, UnknownEntry
from .gitcmd import Git, decode_path
from .journal import Journal
from .locking import StoreLock, read_json, wait_for_git_processes, write_json_atomic
from .merge import Conflict, inverse_merge
from .results import UndoResult
from .rules import Rules, is_ignore_file, recorded_rules
from .selection import default_undo_target, named_redo_target, newest_new_work, redo_target, reverted_ids
from .snapshot import EMPTY_TREE, Snapshot, Snapshotter, TreeState
from .states import StateArchive
from .trees import build_tree, diff_trees

HEAD_REF = "refs/codeact/head"
ENTRY_REF = "refs/codeact/entries/{id}/{side}"
GC_EVERY = 200  # entries between `git gc --auto` runs


@dataclass
class ActionTicket:
    """An action under way: what `begin_action` saw, handed back to `finish_action`."""

    kind: EntryKind
    summary: str
    turn_id: str | None
    before: Snapshot
    entry_id: int
    started: str
    target: int | None = None
    finished: bool = field(default=False, compare=False)
    entry: HistoryEntry | None = field(default=None, compare=False)
    """Set by `HistoryStore.action` when the block ends: the recorded entry, or None."""


def now_iso() -> str:
    """The current time, ISO 8601 in UTC, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HistoryStore:
    """Snapshots of one project around every action, with diff, undo, redo and restore.

    Open with `HistoryStore.open(project)`; use as a context manager or call `close()`. The
    store takes its lock only while it writes (and from `begin_action` to `finish_action`),
    so a second process can read the history at any time and write between actions.
    """

    def __init__(self, project: Path, store_dir: Path, settings: HistorySettings) -> None:
        """Use `HistoryStore.open`; this only wires the parts together."""
        self.project = project
        self.store_dir = store_dir
        self.settings = settings
        self.git_dir = store_dir / "git"
        self._user_exclude = project / ".git" / "info" / "exclude"
        self.git = Git(
            self.git_dir,
            project,
            store_dir / "index",
            self._user_exclude if self._user_exclude.is_file() else Path(os.devnull),
            timeout_s=settings.git_timeout_s,
        )
        self.journal = Journal(store_dir / "entries.jsonl")
        self._lock = StoreLock(store_dir / "lock")
        self._pending_path = store_dir / "pending.json"
        self._snapshotter = Snapshotter(self.git, project, settings.max_file_size_mib * 1024 * 1024)
        self._ticket: ActionTicket | None = None
        self._action_thread: int | None = None
        self._closed = False
        self._snapshots: dict[str, Snapshot] = {}
        self._rules_cache: dict[tuple[str | None, str], Rules] = {}
        self._builtin_excludes = ""
        # In-process: one operation at a time, and none while an action runs (other threads wait).
        self._mutex = threading.RLock()
        self._idle = threading.Condition(self._mutex)

    # --- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(cls, project: Path, settings: HistorySettings | None = None, *, store_dir: Path | None = None) -> HistoryStore:
        """Open (creating on first use) the history of `project` and recover from any crash.

        The first open snapshots the project as the baseline (on a large tree, a second or two).
        The store lives in the project's data folder, or in `store_dir` when given (a benchmark
        keeps its scratch projects' histories beside them, out of the user's data).

        Raises:
            HistoryError: `project` is not a directory, the data folder is not writable, or git
                is missing or failing.
            HistoryBusy: the store is being created by another process that kept it locked
                past `lock_timeout_s` (an existing store opens at once, even while busy).
        """
        project = Path(os.path.realpath(project))
        if not project.is_dir():
            raise HistoryError(f"{project} is not a directory")
        store_dir = store_dir or paths.project_data_dir(project) / "history"
        try:
            store_dir.mkdir(parents=True, exist_ok=True)
            return cls._open(project, store_dir, settings or HistorySettings())
        except OSError as exc:
            raise HistoryError(f"cannot use the history store in {store_dir}: {exc.strerror or exc}") from None

    @classmethod
    def _open(cls, project: Path, store_dir: Path, settings: HistorySettings) -> HistoryStore:
        """Create the repository if needed, repair what a crash left, take the baseline."""
        store = cls(project, store_dir, settings)
        initialized = cls.exists(project)
        try:
            # If another process is busy with the store it is alive and consistent: reading needs
            # no lock, and recovery runs when we first write.
            store._lock.acquire(0.0 if initialized else store.settings.lock_timeout_s)
        except HistoryBusy:
            if initialized:
                return store
            raise
        try:
            store._init_repo()
            store._recover(full=True)
            if store._head() is None:
                # The baseline: outside changes from now on are told apart from the starting tree.
                store._set_head(store._snapshot())
        finally:
            store._lock.release()
        return store

    @staticmethod
    def exists(project: Path) -> bool:
        """Whether `project` already has a history store (without creating one)."""
        store_dir = paths.project_data_dir(Path(os.path.realpath(project))) / "history"
        return (store_dir / "git" / "HEAD").is_file()

    def prune(self, keep_days: int | None = None) -> int:
        """Forget entries older than `keep_days` (default: the setting); how many were dropped.

        The policy: with `keep_days` 0 nothing is pruned; otherwise entries recorded more than
        that many days ago lose their snapshots (git then frees what no kept entry shares). The
        newest entry is always kept, and ids are never reused.
        """
        days = self.settings.keep_days if keep_days is None else keep_days
        if days <= 0:
            return 0
        cutoff = datetime.now(timezone.utc).timestamp() - days * 86400
        with self._locked():
            entries = self.journal.entries()
            old = [e for e in entries[:-1] if _parse_time(e.time) < cutoff]
            if not old:
                return 0
            keep = [e for e in entries if e not in old]
            self.journal.rewrite(keep)
            lines = [
                f"delete {ENTRY_REF.format(id=e.id, side=side)}" for e in old for side in ("before", "after")
            ]
            self.git.run("update-ref", "--stdin", input=("\n".join(lines) + "\n").encode("ascii"))
            StateArchive(self.git).forget_points([e.id for e in old])  # their interpreter states too
            self.git.run("gc", "--prune=now", "--quiet", check=False)
            return len(old)

    def close(self) -> None:
        """Release the lock. An unfinished action stays pending and is recorded on next open."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._ticket = None
            self._action_thread = None
            while self._lock.held:
                self._lock.release()
            self._idle.notify_all()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the store for one operation: this object's mutex and the cross-process lock."""
        with self._mutex:
            self._acquire()
            try:
                yield
            finally:
                self._lock.release()

    def _acquire(self) -> None:
        """Take the file lock (call with the mutex held); after a fresh take, repair any crash."""
        if self._closed:
            raise HistoryError("the history store is closed")
        self._wait_for_action_end()
        fresh = not self._lock.held
        self._lock.acquire(self.settings.lock_timeout_s)
        if fresh:
            try:
                self._recover(full=False)
            except BaseException:
                self._lock.release()
                raise

    def _wait_for_action_end(self) -> None:
        """Wait (up to the lock timeout) while another thread's action is under way."""
        if self._ticket is None:
            return
        if self._action_thread == threading.get_ident():
            raise HistoryError("an action is already under way; finish it first")
        if not self._idle.wait_for(lambda: self._ticket is None or self._closed, self.settings.lock_timeout_s):
            raise HistoryBusy("an action is running in this session; try again when it has finished")
        if self._closed:
            raise HistoryError("the history store is closed")

    def _init_repo(self) -> None:
        """Create the shadow repository once; refresh the built-in excludes every open."""
        if not (self.git_dir / "HEAD").is_file():
            self.git_dir.mkdir(parents=True, exist_ok=True)
            self.git.run("init", "--quiet", "--template=", env={"GIT_WORK_TREE": None}, cwd=self.store_dir)
            (self.store_dir / "project.txt").write_text(os.fsdecode(self.project) + "\n", encoding="utf-8", errors="surrogateescape")
        self._write_excludes()

    def _write_excludes(self) -> None:
        """Refresh the built-in excludes (virtualenvs, the store itself if inside the project)
        and write `info/attributes`."""
        extra = excludes.find_virtualenvs(self.project)
        try:
            inside = self.store_dir.relative_to(self.project)
            extra.append(inside.as_posix())
        except ValueError:
            pass
        self._builtin_excludes = excludes.exclude_file_text(self.project, extra)
        # Highest-priority attributes: store bytes as they are, whatever `.gitattributes` says.
        _write_if_changed(self.git_dir / "info" / "attributes", excludes.ATTRIBUTES_TEXT)

    def _rules(self, recorded: Snapshot | None) -> Rules:
        """The exclusion rules recorded in `recorded` (None: the ignore files on disk)."""
        tree = recorded.state.tree if recorded is not None else None
        key = (tree, self._builtin_excludes)
        user = self._user_exclude if self._user_exclude.is_file() else None
        if user is not None or tree is None:  # read afresh: not part of any recorded state
            return recorded_rules(self.git, tree, self._builtin_excludes, user)
        if key not in self._rules_cache:
            if len(self._rules_cache) > 16:
                self._rules_cache.clear()
            self._rules_cache[key] = recorded_rules(self.git, tree, self._builtin_excludes, None)
        return self._rules_cache[key]

    def _clear_stale_git_locks(self, full: bool) -> None:
        """Remove `*.lock` files a killed git left behind (we hold the store lock: none is live).

        The quick pass covers what one of our transactions can leave; the full pass (on open)
        sweeps every ref lock.
        """
        candidates = [
            self.store_dir / "index.lock",
            self.git_dir / "packed-refs.lock",
            self.git_dir / "HEAD.lock",
            self.git_dir / (HEAD_REF + ".lock"),
        ]
        next_id = self._next_id()
        for entry_id in (next_id - 1, next_id):
            for side in ("before", "after"):
                candidates.append(self.git_dir / (ENTRY_REF.format(id=entry_id, side=side) + ".lock"))
        found = [p for p in candidates if p.exists()]
        refs = self.git_dir / "refs"
        if full and refs.is_dir():
            found += list(refs.rglob("*.lock"))
        if found:
            # A git started by a process that was killed can outlive it and still hold them.
            wait_for_git_processes(self.git_dir, self.settings.git_timeout_s)
        for path in found:
            path.unlink(missing_ok=True)
        if full:
            for tmp in self.store_dir.glob("tmp-index*"):
                tmp.unlink(missing_ok=True)

    # --- crash recovery -----------------------------------------------------------------------

    def _recover(self, full: bool) -> None:
        """Bring the store back to a consistent state after a crash (called under the lock)."""
        self._clear_stale_git_locks(full)
        entries = self.journal.entries()
        if entries:
            last = entries[-1]
            head = self._read_ref(HEAD_REF)
            if head != last.after or self._read_ref(ENTRY_REF.format(id=last.id, side="after")) != last.after:
                self._update_refs(last)  # killed between appending the entry and moving its refs
        if self._ticket is None and self._pending_path.exists():
            pending = read_json(self._pending_path)
            if isinstance(pending, dict):
                self._recover_pending(pending, entries)
            self._pending_path.unlink(missing_ok=True)

    def _recover_pending(self, pending: dict[str, Any], entries: list[HistoryEntry]) -> None:
        """Record what an interrupted action or undo did before its process died."""
        root = os.fsencode(self.project)
        pid = int(pending.get("pid", 0))
        for rel in pending.get("writes", ()):
            try:
                os.unlink(temp_path(root, os.fsencode(rel), pid))
            except OSError:
                pass
        entry_id = int(pending.get("entry_id", 0))
        if any(e.id >= entry_id for e in entries):
            return  # it was recorded; only the marker's removal was missed
        before_commit = str(pending.get("before", ""))
        before = self._load_snapshot(before_commit) if before_commit else None
        if before is None:
            return
        after = self._snapshot(rules_from=before)
        if after.state == before.state:
            self._set_head(after)
            return
        touched = self._touched_paths(pending)
        summary = f"{pending.get('summary', 'action')} (interrupted)"
        if touched is None:
            summary = f"{pending.get('summary', 'action')} (interrupted; may include changes made after the crash)"
        else:
            # Only what the action touched is its own; the rest (edits made between the crash
            # and now) is left for the next sync, which records it as the user's.
            after = self._partial(before, after, touched)
            if after.state == before.state:
                self._set_head(before)
                return
        self._record(
            pending.get("kind", "agent"),
            summary,
            before,
            after,
            turn_id=pending.get("turn_id"),
            target=pending.get("target"),
        )

    def _touched_paths(self, pending: dict[str, Any]) -> set[str] | None:
        """The paths an interrupted action or undo is known to have changed, or None.

        An undo, redo or restore lists its paths in the pending marker; a sandbox action's are
        in the touched log the executor keeps (trusted only if it began after the action).
        """
        if pending.get("kind") in ("undo", "redo", "restore"):
            return set(pending.get("writes", ())) | set(pending.get("deletes", ()))
        log = paths.touched_log(self.project)
        try:
            lines = log.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError:
            return None
        if not lines or not lines[0].startswith("# started "):
            return None
        try:
            log_started = float(lines[0].split()[-1])
        except ValueError:
            return None
        if log_started + 1.0 < _parse_time(str(pending.get("started", ""))):
            return None  # left by an earlier action
        return {line for line in lines[1:] if line}

    def _partial(self, before: Snapshot, after: Snapshot, touched: set[str]) -> Snapshot:
        """`before` with the changes to `touched` paths (or under touched folders) from `after`."""
        folders = tuple(t for t in touched if t.endswith("/"))

        def mine(path: str) -> bool:
            return path in touched or path.startswith(folders)

        updates = {c.path: c.new for c in diff_trees(self.git, before.state.tree, after.state.tree) if mine(decode_path(c.path))}
        index = self.store_dir / f"tmp-index-{os.getpid()}"
        try:
            tree = build_tree(self.git, before.state.tree, updates, str(index)) if updates else before.state.tree
        finally:
            index.unlink(missing_ok=True)
        modes = dict(before.state.modes)
        modes.update({p: m for p, m in after.state.modes if mine(p)})
        for path in [p for p in modes if mine(p) and p not in dict(after.state.modes)]:
            modes.pop(path)
        state = replace(before.state, tree=tree, modes=tuple(sorted(modes.items())), unreadable=())
        commit = self.git.line("commit-tree", tree, "-F", "-", input=state.message().encode("ascii"))
        return Snapshot(commit, state)

    def _write_pending(self, ticket: ActionTicket, writes: list[str] | None = None, deletes: list[str] | None = None) -> None:
        """Atomically note what is under way, so a crash can be recorded on the next start."""
        write_json_atomic(
            self._pending_path,
            {
                "kind": ticket.kind,
                "summary": ticket.summary,
                "turn_id": ticket.turn_id,
                "before": ticket.before.commit,
                "entry_id": ticket.entry_id,
                "started": ticket.started,
                "target": ticket.target,
                "pid": os.getpid(),
                "writes": writes or [],
                "deletes": deletes or [],
            },
        )

    # --- the History protocol -----------------------------------------------------------------

    def begin_action(self, kind: EntryKind, summary: str, turn_id: str | None = None) -> ActionTicket:
        """Snapshot the tree before an action; outside changes are first recorded as `user`.

        Holds the store lock until `finish_action` (or `close`); other threads of this process
        and other processes wait for it (up to `lock_timeout_s`) before they write.

        Raises:
            HistoryError: this thread already has an action under way, or git failed.
            HistoryBusy: another process or thread kept the store busy too long.
        """
        with self._mutex:
            self._acquire()
            try:
                before = self.sync()
                ticket = ActionTicket(kind, _one_line(summary), turn_id, before, self._next_id(), now_iso())
                self._write_pending(ticket)
            except BaseException:
                self._lock.release()
                raise
            self._ticket = ticket
            self._action_thread = threading.get_ident()
            return ticket

    def finish_action(self, ticket: Any) -> HistoryEntry | None:
        """Snapshot the tree after the action; the new entry, or None if nothing changed.

        May be called from another thread than `begin_action` (e.g. after `asyncio.to_thread`).
        """
        with self._mutex:
            if not isinstance(ticket, ActionTicket) or ticket is not self._ticket or ticket.finished:
                raise HistoryError("this action was not begun by this store or was already finished")
            try:
                after = self._snapshot(rules_from=ticket.before)
                entry = None
                # A change to ignored files alone still makes an entry: it lists them as not snapshotted.
                if after.state != ticket.before.state or untracked_between(ticket.before.state, after.state):
                    entry = self._record(ticket.kind, ticket.summary, ticket.before, after, ticket.turn_id, ticket.target)
                self._pending_path.unlink(missing_ok=True)
                return entry
            finally:
                ticket.finished = True
                self._ticket = None
                self._action_thread = None
                self._lock.release()
                self._idle.notify_all()

    @contextmanager
    def action(self, kind: EntryKind, summary: str, turn_id: str | None = None) -> Iterator[ActionTicket]:
        """`begin_action` … `finish_action` around a block; the entry is recorded even if it raises.

        The recorded entry (or None) is put on `ticket.entry` afterwards.
        """
        ticket = self.begin_action(kind, summary, turn_id)
        try:
            yield ticket
        finally:
            ticket.entry = self.finish_action(ticket)

    def store_size(self) -> int:
        """Bytes the store takes on disk (objects, refs, index, log)."""
        return _folder_size(self.store_dir)

    @staticmethod
    def size_report(project: Path, settings: HistorySettings) -> tuple[int, str | None] | None:
        """(bytes, warning or None) of a project's store without opening it; None if it has none.

        The warning, past `store_warn_mib`, says how to shrink the store.
        """
        if not HistoryStore.exists(project):
            return None
        size = _folder_size(paths.project_data_dir(Path(os.path.realpath(project))) / "history")
        if size <= settings.store_warn_mib << 20:
            return size, None
        return size, (
            f"this project's history takes {size / (1 << 20):.0f} MiB (more than [history] "
            f"store_warn_mib = {settings.store_warn_mib}); set [history] keep_days and run "
            "`codeact-tui history --prune` to drop old entries and free their space"
        )

    def entries(self) -> list[HistoryEntry]:
        """All entries, oldest first (reads the log; needs no lock)."""
        return self.journal.entries()

    def entry(self, entry_id: int) -> HistoryEntry:
        """The entry with this id.

        Raises:
            UnknownEntry: there is none.
        """
        for entry in self.journal.entries():
            if entry.id == entry_id:
                return entry
        raise UnknownEntry(f"there is no history entry #{entry_id} (see `codeact-tui history`)")

    def sync(self) -> Snapshot:
        """Snapshot now; if the tree changed since the last snapshot, record a `user` entry.

        Returns the current snapshot.
        """
        with self._locked():
            head = self._head()
            current = self._snapshot(head)
            if head is None:
                self._set_head(current)
            elif current.state != head.state:
                self._record("user", user_summary(self._changes(head, current)), head, current)
            return current

    # --- diff ---------------------------------------------------------------------------------

    def diff(self, entry_id: int, paths: list[str] | None = None) -> str:
        """The unified diff of one entry, per file (git's format, renames detected).

        Raises:
            UnknownEntry: no such entry, or its snapshots were pruned.
        """
        entry = self.entry(entry_id)
        return self._diff_commits(self._require(entry.before, entry_id), self._require(entry.after, entry_id), paths)

    def diff_between(self, a: int, b: int, paths: list[str] | None = None) -> str:
        """The unified diff from the state after entry `a` to the state after entry `b`.

        Point 0 is the state before the first entry.

        Raises:
            UnknownEntry: either point does not exist.
        """
        return self._diff_commits(self._point(a), self._point(b), paths)

    def _diff_commits(self, a: str, b: str, paths: list[str] | None) -> str:
        args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "--src-prefix=a/", "--dst-prefix=b/", a, b]
        if paths:
            args += ["--", *paths]
        return self.git.out(*args).decode("utf-8", "surrogateescape")

    def _point(self, point: int) -> str:
        """The snapshot commit of a point in history (0 = before the first entry)."""
        entries = self.journal.entries()
        if point == 0 and entries:
            return self._require(entries[0].before, 1)
        entry = self.entry(point)
        return self._require(entry.after, point)

    def _require(self, commit: str, entry_id: int) -> str:
        if not commit or self._load_snapshot(commit) is None:
            raise UnknownEntry(f"the snapshots of entry #{entry_id} are no longer stored (pruned)")
        return commit

    # --- undo, redo, restore ------------------------------------------------------------------

    def undo(self, entry_id: int | None = None) -> UndoResult:
        """Take back one entry's change — any entry, not only the last — keeping later work.

        Without an id, undoes the newest agent or manual entry that is not undone yet. When
        later work overlaps the entry's change, nothing is written and the result lists the
        conflicting files and regions. The undo is itself an entry (so it can be undone).

        Raises:
            UnknownEntry: no such entry.
            HistoryBusy: another process holds the lock.
        """
        with self._locked():
            current = self.sync()
            entries = self.journal.entries()
            if entry_id is None:
                target = default_undo_target(entries)
                if target is None:
                    return UndoResult(False, "nothing to undo: no agent or manual action is in effect")
            else:
                target = self.entry(entry_id)
            if target.id in reverted_ids(entries):
                note = f"#{target.id} is already undone"
                return UndoResult(True, note + " (use `redo` to bring it back)", target=target)
            return self._revert(
                "undo", target, target, current, f"undo #{target.id}: {target.summary}"
            )

    def redo(self, entry_id: int | None = None) -> UndoResult:
        """Take back an undo that is still in effect, keeping later work.

        Without an id: the newest undo, unless new work (an action, your edit, a restore) came
        after it — new work drops the redo stack. With an id (an undo entry, or an entry that an
        undo took back): that undo, even past newer work; the message names what it redoes.

        Raises:
            UnknownEntry: no such entry.
            HistoryBusy: another process holds the lock.
        """
        with self._locked():
            current = self.sync()
            entries = self.journal.entries()
            if entry_id is None:
                undo = redo_target(entries)
                if undo is None:
                    work = newest_new_work(entries)
                    older = [e for e in entries if e.kind == "undo" and e.id not in reverted_ids(entries)]
                    if work is not None and older:
                        return UndoResult(
                            False,
                            f"nothing to redo: new work (#{work.id}) came after the last undo. To bring "
                            f"back an older undone entry, name it: `codeact-tui redo {older[-1].target}`",
                        )
                    return UndoResult(False, "nothing to redo: no undo is in effect")
            else:
                named = self.entry(entry_id)
                undo = named_redo_target(entries, named.id)
                if undo is None:
                    return UndoResult(False, f"nothing to redo: #{named.id} is not undone", target=named)
            original = self.entry(undo.target) if undo.target is not None else undo
            result = self._revert("redo", undo, original, current, f"redo #{original.id}: {original.summary}")
            if result.ok and result.entry is not None:
                result = replace(result, message=f"{result.message}; brought back #{original.id} (taking back undo #{undo.id})")
            return result

    def redo_target(self) -> HistoryEntry | None:
        """The entry a plain `redo()` would bring back (None: nothing; the app greys it out)."""
        undo = redo_target(self.journal.entries())
        if undo is None or undo.target is None:
            return None
        return self.entry(undo.target)

    def restore(self, entry_id: int) -> UndoResult:
        """Make the tree equal to the state after entry `entry_id` (0: before the first entry).

        Later work is not lost: it stays in the history (outside changes are recorded first),
        and the restore is an entry that can be undone. Untracked large files are left alone.

        Raises:
            UnknownEntry: no such entry.
            HistoryBusy: another process holds the lock.
        """
        with self._locked():
            current = self.sync()
            target_entry = self.entry(entry_id) if entry_id != 0 else None
            if entry_id == 0 and not self.journal.entries():
                raise UnknownEntry("there is no history yet")
            commit = self._point(entry_id)
            snap = self._load_snapshot(commit)
            assert snap is not None
            wanted = replace(snap.state, large_files=current.state.large_files, nested_repos=current.state.nested_repos)
            label = f"#{entry_id}" if entry_id else "the start"
            summary = f"restore to {label}" + (f": {target_entry.summary}" if target_entry else "")
            return self._apply(
                "restore", entry_id, current, wanted, summary, target_entry, f"restored the project to {label}"
            )

    def _revert(
        self, kind: EntryKind, entry: HistoryEntry, shown: HistoryEntry, current: Snapshot, summary: str
    ) -> UndoResult:
        """Apply the inverse of `entry` onto `current` and record it as a `kind` entry."""
        before = self._load_snapshot(self._require(entry.before, entry.id))
        after = self._load_snapshot(self._require(entry.after, entry.id))
        assert before is not None and after is not None
        merged = inverse_merge(self.git, after.state, current.state, before.state, self.store_dir)
        verb = "undo" if kind == "undo" else "redo"
        if merged.state is None:
            return UndoResult(
                False,
                f"refused to {verb} #{shown.id}: later changes overlap it ({len(merged.conflicts)} "
                "file(s)); nothing was changed. Undo the later entries first, or edit by hand.",
                target=shown,
                conflicts=merged.conflicts,
            )
        done = "undid" if kind == "undo" else "redid"
        return self._apply(kind, entry.id, current, merged.state, summary, shown, f"{done} #{shown.id}")

    def _apply(
        self,
        kind: EntryKind,
        target_id: int,
        current: Snapshot,
        wanted: TreeState,
        summary: str,
        shown: HistoryEntry | None,
        done: str,
    ) -> UndoResult:
        """Write `wanted` to disk (crash-safe: a pending marker first) and record the entry."""
        left = _not_undoable(kind, shown, self._large_paths(shown))
        if wanted.tree == current.state.tree and wanted.empty_dirs == current.state.empty_dirs:
            if left:
                return UndoResult(False, f"could not {kind} #{target_id}: {left}", target=shown)
            if kind == "restore":
                note = "nothing to change: the project already is in that state"
            else:
                note = f"nothing to change: the changes of #{target_id} are no longer in the project"
            return UndoResult(True, note, target=shown)
        try:
            plan = ApplyPlan(self.git, self.project, current.state, wanted)
        except ApplyRefused as refused:
            return UndoResult(
                False,
                f"refused: {len(refused.blocked)} path(s) hold files the history does not have; "
                "nothing was changed. Move them away and try again.",
                target=shown,
                conflicts=tuple(Conflict(path, reason) for path, reason in refused.blocked),
            )
        ticket = ActionTicket(kind, _one_line(summary), None, current, self._next_id(), now_iso(), target_id)
        self._write_pending(ticket, plan.write_paths, plan.delete_paths)
        failure: OSError | None = None
        try:
            plan.run()
        except OSError as exc:  # e.g. a file changed under us; record what was done so far
            failure = exc
        # The plan never writes where an ignored file is (the preflight refuses), so the
        # ignored files are those `current` saw.
        after = self._snapshot(current, ignored_as=current)
        if failure is not None:
            # Only what this wrote is the entry's; a file saved meanwhile stays the user's.
            after = self._partial(current, after, set(getattr(plan, "done", [])))
        entry = None
        if after.state != current.state:
            entry = self._record(kind, ticket.summary, current, after, target=target_id)
        self._pending_path.unlink(missing_ok=True)
        warnings: list[str] = []
        if isinstance(failure, ChangedMeanwhile):
            warnings.append(
                f"refused to go on: {failure}. "
                + (f"What was changed before is entry #{entry.id} and can be undone." if entry else "Nothing was changed.")
            )
        elif failure is not None:
            warnings.append(
                f"stopped part-way: {failure}; what was changed is recorded"
                + (f" as entry #{entry.id} and can be undone" if entry else "")
            )
        elif after.state.tree != wanted.tree:
            differing = changes_between(self.git, wanted, after.state)
            names = ", ".join(c.path for c in differing[:5]) or "unknown files"
            warnings.append(f"the project differs from the expected result in: {names}")
        if after.state.unreadable:
            warnings.append("unreadable files were left out: " + ", ".join(after.state.unreadable[:5]))
        if left:
            warnings.append(f"could not {kind} everything: {left}")
        message = done + (f" (entry #{entry.id}; undo it with `codeact-tui undo {entry.id}`)" if entry else "")
        return UndoResult(not warnings, message, entry=entry, target=shown, warnings=tuple(warnings))

    # --- snapshots and refs -------------------------------------------------------------------

    def _snapshot(
        self, head: Snapshot | None = None, rules_from: Snapshot | None = None, ignored_as: Snapshot | None = None
    ) -> Snapshot:
        """Snapshot the tree; reuses the head commit when nothing changed.

        Untracked files are left out by the rules recorded in `rules_from` (default: `head`),
        so an action's own change to an ignore file never hides files from its own entry.
        `ignored_as`, when given, is a snapshot whose ignored files are taken as still true
        (after an undo, which never writes an ignored file), sparing a walk of the tree.
        """
        self._write_excludes()  # a virtualenv may have appeared since the last snapshot
        if head is None:
            head = self._head()
        rules = self._rules(rules_from or head)
        state = self._snapshotter.take(
            head.state if head is not None else None, rules, self.store_dir / "rules", watch_ignored=ignored_as is None
        )
        if ignored_as is not None:
            state = replace(state, ignored=ignored_as.state.ignored)
        if head is not None and head.state == state:
            return Snapshot(head.commit, state)
        commit = self.git.line("commit-tree", state.tree, "-F", "-", input=state.message().encode("ascii"))
        snap = Snapshot(commit, state)
        self._snapshots[commit] = Snapshot(commit, replace(state, unreadable=()))
        return snap

    def _head(self) -> Snapshot | None:
        """The last snapshot the store saw, or None before the first."""
        commit = self._read_ref(HEAD_REF)
        return self._load_snapshot(commit) if commit else None

    def _load_snapshot(self, commit: str) -> Snapshot | None:
        """Read a snapshot commit's tree and extras; None if it is not in the store."""
        cached = self._snapshots.get(commit)
        if cached is not None:
            return cached
        res = self.git.run("cat-file", "commit", commit, check=False)
        if res.returncode != 0:
            return None
        header, _, message = res.stdout.decode("utf-8", "surrogateescape").partition("\n\n")
        tree = EMPTY_TREE
        for line in header.splitlines():
            if line.startswith("tree "):
                tree = line[5:].strip()
                break
        snap = Snapshot(commit, TreeState.from_commit(tree, message))
        self._snapshots[commit] = snap  # commits never change: safe to keep
        return snap

    def _read_ref(self, ref: str) -> str:
        """The commit a ref points to, or "" (a loose ref is read directly: no process)."""
        loose = self.git_dir / ref
        try:
            value = loose.read_text(encoding="ascii").strip()
            if len(value) == 40 and all(c in "0123456789abcdef" for c in value):
                return value
        except (OSError, UnicodeDecodeError):
            pass
        res = self.git.run("rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
        return res.stdout.decode("ascii").strip() if res.returncode == 0 else ""

    def _set_head(self, snap: Snapshot) -> None:
        self.git.run("update-ref", HEAD_REF, snap.commit)

    def _update_refs(self, entry: HistoryEntry) -> None:
        """Point the entry's refs and the head at its snapshots, in one transaction."""
        lines = [
            f"update {ENTRY_REF.format(id=entry.id, side='before')} {entry.before}",
            f"update {ENTRY_REF.format(id=entry.id, side='after')} {entry.after}",
            f"update {HEAD_REF} {entry.after}",
        ]
        self.git.run("update-ref", "--stdin", input=("\n".join(lines) + "\n").encode("ascii"))

    def _next_id(self) -> int:
        entries = self.journal.entries()
        return entries[-1].id + 1 if entries else 1

    def _record(
        self,
        kind: EntryKind,
        summary: str,
        before: Snapshot,
        after: Snapshot,
        turn_id: str | None = None,
        target: int | None = None,
    ) -> HistoryEntry:
        """Append an entry for the change `before` → `after` and move the head (under the lock)."""
        files = tuple(self._changes(before, after))
        rule_files = [f.path for f in files if is_ignore_file(f.path) or (f.old_path and is_ignore_file(f.old_path))]
        summary = _one_line(summary)
        if rule_files:
            # Shown with the entry: from the next snapshot on, these rules decide what is kept.
            summary += f" (changes what the history leaves out: {', '.join(rule_files[:3])})"
        entry = HistoryEntry(
            id=self._next_id(),
            kind=kind,
            time=now_iso(),
            summary=summary,
            files=files,
            before=before.commit,
            after=after.commit,
            turn_id=turn_id,
            target=target,
            untracked=untracked_between(before.state, after.state),
        )
        self.journal.append(entry)  # the log first: recovery re-creates refs from it
        self._update_refs(entry)
        if entry.id % GC_EVERY == 0:
            # Keep the store compact: pack loose objects when git thinks it is time, and pack
            # the two refs every entry adds (thousands of tiny files otherwise).
            self.git.run("gc", "--auto", "--quiet", check=False)
            self.git.run("pack-refs", "--all", "--prune", check=False)
        return entry

    def _large_paths(self, entry: HistoryEntry | None) -> set[str]:
        """The over-limit files an entry's two snapshots list."""
        found: set[str] = set()
        for commit in (entry.before, entry.after) if entry is not None and entry.untracked else ():
            snap = self._load_snapshot(commit) if commit else None
            if snap is not None:
                found |= {f.path for f in snap.state.large_files}
        return found

    def _changes(self, before: Snapshot, after: Snapshot) -> list[FileChange]:
        """The files (and empty folders, and large untracked files) that differ."""
        return changes_between(self.git, before.state, after.state)


def _write_if_changed(path: Path, text: str) -> None:
    """Write a small store file only when its text differs (keeps git's caches valid)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_text(encoding="utf-8", errors="surrogateescape") == text:
            return
    except FileNotFoundError:
        pass
    path.write_text(text, encoding="utf-8", errors="surrogateescape")


def _not_undoable(kind: EntryKind, shown: HistoryEntry | None, large: set[str]) -> str:
    """Words for what an undo or redo of `shown` cannot take back: the files above the size
    limit it changed (`large`: those its snapshots list). Nested repositories and ignored
    files are left alone by design and only listed with the entry."""
    files = [p for p in (shown.untracked if shown is not None else ()) if p in large]
    if kind not in ("undo", "redo") or not files:
        return ""
    names = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (
        f"{names} {'was' if len(files) == 1 else 'were'} too large to snapshot, so the history "
        "cannot bring back or remove them; change them by hand"
    )


def _folder_size(folder: Path) -> int:
    """Bytes of the files under `folder`."""
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                continue
    return total


def _parse_time(text: str) -> float:
    """Seconds since the epoch of an entry's ISO time (0 if unreadable)."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _one_line(text: str) -> str:
    """The first line of `text`, trimmed to a reasonable length."""
    line = (text.strip().splitlines() or [""])[0].strip()
    return line if len(line) <= 200 else line[:199] + "…"
