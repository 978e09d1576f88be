"""Taking a snapshot: the project tree as a git tree, plus what git cannot hold.

Git records files, symlinks and the executable bit. A snapshot adds, in its commit message:
empty directories (git drops them; restore recreates them) and large untracked files (left out
on purpose; reported so the user knows undo cannot bring them back), as JSON.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import HistoryError
from .excludes import SKIP_DIR_NAMES
from .gitcmd import Git, decode_path, encode_paths, split_z
from .rules import Rules

SNAPSHOT_SUBJECT = "codeact-tui snapshot"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
USUAL_PERMS = (0o644, 0o755)
_WALK_BUDGET = 5000  # entries visited per untracked folder when looking for empty directories
PACK_NEW_FILES_MIN = 100
"""When at least this many new files are staged at once (a first snapshot), their blobs go
straight into one pack file instead of one loose object file each: creating ten thousand small
files in the store costs seconds of file-system time, a pack a fraction of it."""
# `core.bigFileThreshold=1` makes git stream every blob of more than a byte into a single pack
# (its bulk check-in) while staging. Given through the environment, so only that one command
# sees it (in diffs the same setting would turn files binary). Git older than 2.31 ignores it.
_PACK_BLOBS = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.bigFileThreshold", "GIT_CONFIG_VALUE_0": "1"}
_PATHSPEC_MAX = 1000
_PATHSPEC_BYTES = 64 * 1024
"""Past this many untracked folders (or bytes of their names) the second listing walks the
whole tree instead of naming them."""
IGNORED_WATCH_LIMIT = 2000
"""At most this many ignored files are watched for changes (reported as not snapshotted)."""


@dataclass(frozen=True)
class LargeFile:
    """An untracked file too large to snapshot."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class TreeState:
    """What one snapshot saw: the git tree and the extras git cannot record."""

    tree: str
    """The git tree id of the snapshotted files."""
    empty_dirs: tuple[str, ...] = ()
    """Project-relative directories that held nothing (sorted)."""
    large_files: tuple[LargeFile, ...] = ()
    """Untracked files above the size limit, not in `tree` (sorted by path)."""
    nested_repos: tuple[str, ...] = ()
    """Folders that are git repositories of their own: left to their own history."""
    modes: tuple[tuple[str, int], ...] = ()
    """Permission bits of files whose bits are not the usual 0644/0755 (say 0600), so a file
    that undo or restore re-creates gets them back. Read when a file's content changes."""
    unreadable: tuple[str, ...] = field(default=(), compare=False)
    """Files git could not read (permissions); not in `tree`."""
    ignored: tuple[tuple[str, int, int], ...] | None = field(default=None, compare=False)
    """(path, size, mtime) of files the exclusion rules leave out (tool folders aside), so a
    change to one is reported as not snapshotted; None when not known (a loaded snapshot)."""

    def message(self) -> str:
        """The commit message that stores this state's extras."""
        meta = {
            "v": 1,
            "empty_dirs": list(self.empty_dirs),
            "large_files": [[f.path, f.size, f.mtime_ns] for f in self.large_files],
            "nested_repos": list(self.nested_repos),
            "modes": [[path, perms] for path, perms in self.modes],
        }
        return f"{SNAPSHOT_SUBJECT}\n\n{json.dumps(meta, sort_keys=True)}\n"

    @classmethod
    def from_commit(cls, tree: str, message: str) -> TreeState:
        """Rebuild a state from a snapshot commit's tree id and message."""
        _, _, body = message.partition("\n\n")
        meta = {}
        body = body.strip()
        if body:
            try:
                meta = json.loads(body)
            except ValueError:
                meta = {}
        return cls(
            tree=tree,
            empty_dirs=tuple(meta.get("empty_dirs", ())),
            large_files=tuple(LargeFile(p, int(s), int(m)) for p, s, m in meta.get("large_files", ())),
            nested_repos=tuple(meta.get("nested_repos", ())),
            modes=tuple((p, int(m)) for p, m in meta.get("modes", ())),
        )


@dataclass(frozen=True)
class Snapshot:
    """A snapshot commit and the state it records."""

    commit: str
    state: TreeState


_ERROR_PATH = re.compile(rb"""^error: (?:open\("(.*)"\)|unable to index file '(.*)'|.*?'(.*)')""")


class Snapshotter:
    """Stages the whole project into the private index and writes it as a tree."""

    def __init__(self, git: Git, project: Path, max_file_size: int) -> None:
        """`max_file_size` in bytes: larger untracked files are left out."""
        self.git = git
        self.project = project
        self.max_file_size = max_file_size

    def take(
        self, previous: TreeState | None, rules: Rules, rules_file: Path, *, watch_ignored: bool = True
    ) -> TreeState:
        """Snapshot the project as it is on disk now (writes only the shadow store).

        `previous` (the last snapshot) lets permission bits be read only for changed files;
        `rules` (written to `rules_file`) decide which untracked files are left out — git never
        reads the project's ignore files itself. `watch_ignored` False skips listing the
        ignored files (`ignored` is then None: the caller knows they did not change).

        One walk of the tree lists the untracked files and folders (`--directory`); only the
        untracked folders it reports are walked again, to list the files inside them.
        """
        _write_if_changed(rules_file, rules.text)
        exclude = f"--exclude-from={rules_file}"
        unreadable: list[str] = []
        # Tracked files first (ignore rules never apply to them), then the new files by name.
        # Listed after the tracked ones are staged: a folder emptied by deletions is then
        # untracked, and listed as empty.
        self._add(unreadable, "add", "--update", "--ignore-errors")
        listing = split_z(self.git.out("ls-files", "--others", "--directory", "-z", exclude))
        folders = [raw for raw in listing if raw.endswith(b"/")]
        untracked = [raw for raw in listing if not raw.endswith(b"/")]
        inside = self._others(exclude, folders, directory=False) if folders else []
        large, nested, new = self._untracked(untracked + inside)
        if new:
            self._add_new(unreadable, new)
        tree = self.git.line("write-tree")
        return TreeState(
            tree=tree,
            empty_dirs=tuple(self._empty_dirs(exclude, folders, inside)),
            large_files=tuple(large),
            nested_repos=tuple(nested),
            modes=self._modes(tree, previous),
            unreadable=tuple(sorted(set(unreadable))),
            ignored=self._ignored(exclude) if watch_ignored else None,
        )

    def _others(self, exclude: str, folders: list[bytes], *, directory: bool) -> list[bytes]:
        """`ls-files --others` (with `--directory` if asked) within `folders` only; the whole
        tree when they are too many to name on a command line."""
        args = ["ls-files", "--others", "-z", exclude]
        if directory:
            args.insert(2, "--directory")
        if len(folders) <= _PATHSPEC_MAX and sum(len(f) for f in folders) <= _PATHSPEC_BYTES:
            args += ["--", *(os.fsdecode(f) for f in folders)]
        return split_z(self.git.out(*args))

    def _add(
        self, unreadable: list[str], *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> None:
        """Run one `git add`; files it could not read go to `unreadable`, other errors raise."""
        res = self.git.run(*args, input=stdin, check=False, env=env)
        if res.returncode == 0:
            return
        found = []
        for line in res.stderr.splitlines():
            match = _ERROR_PATH.match(line)
            if match:
                raw = next(g for g in match.groups() if g is not None)
                found.append(decode_path(raw))
        if not found and b"adding files failed" not in res.stderr:
            raise HistoryError("could not snapshot the project: " + res.stderr.decode("utf-8", "replace").strip())
        unreadable += found

    def _add_new(self, unreadable: list[str], new: list[str]) -> None:
        """Stage untracked files by name (`update-index`: linear in their number, where `add`
        with one pathspec per file is quadratic). Unreadable files are left out and listed; if
        one still fails, `add --ignore-errors` (slower, but it goes on) does the rest."""
        root = os.fsencode(self.project)
        readable = []
        for path in new:
            full = os.path.join(root, os.fsencode(path))
            if os.path.islink(full) or os.access(full, os.R_OK):
                readable.append(path)
            else:
                unreadable.append(path)
        if not readable:
            return
        env = _PACK_BLOBS if len(readable) >= PACK_NEW_FILES_MIN else None
        res = self.git.run(
            "update-index", "--add", "-z", "--stdin", input=encode_paths(readable), check=False, env=env
        )
        if res.returncode != 0:
            self._add(
                unreadable, "add", "--force", "--ignore-errors", "--pathspec-from-file=-", "--pathspec-file-nul",
                stdin=encode_paths(readable), env=env,
            )

    def _ignored(self, exclude: str) -> tuple[tuple[str, int, int], ...] | None:
        """The ignored files outside tool folders, with size and mtime (None past the limit)."""
        out = self.git.out("ls-files", "--others", "--ignored", "--directory", "--no-empty-directory", "-z", exclude)
        root = os.fsencode(self.project)
        found: list[tuple[str, int, int]] = []
        for raw in split_z(out):
            if raw.endswith(b"/") or _tool_path(raw):
                continue
            try:
                st = os.lstat(os.path.join(root, raw))
            except OSError:
                continue
            found.append((decode_path(raw), st.st_size, st.st_mtime_ns))
            if len(found) > IGNORED_WATCH_LIMIT:
                return None
        return tuple(sorted(found))

    def _untracked(self, listing: list[bytes]) -> tuple[list[LargeFile], list[str], list[str]]:
        """Sort untracked, not ignored paths into files above the size limit, nested
        repositories, and the files to add.

        Git lists a folder holding its own `.git` as one `path/` entry.
        """
        large: list[LargeFile] = []
        nested: list[str] = []
        new: list[str] = []
        for raw in listing:
            if raw.endswith(b"/"):
                nested.append(decode_path(raw.rstrip(b"/")))
                continue
            try:
                st = os.lstat(os.path.join(os.fsencode(self.project), raw))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size > self.max_file_size:
                large.append(LargeFile(decode_path(raw), st.st_size, st.st_mtime_ns))
            else:
                new.append(decode_path(raw))
        large.sort(key=lambda f: f.path)
        return large, sorted(nested), new

    def _modes(self, tree: str, previous: TreeState | None) -> tuple[tuple[str, int], ...]:
        """Unusual permission bits: of every file on the first snapshot, else of changed files."""
        if previous is None:
            known: dict[str, int] = {}
            paths = split_z(self.git.out("ls-files", "-z"))
        else:
            known = dict(previous.modes)
            if previous.tree == tree:
                return previous.modes
            paths = split_z(self.git.out("diff-tree", "-r", "-z", "--name-only", "--no-renames", previous.tree, tree))
        root = os.fsencode(self.project)
        for raw in paths:
            path = decode_path(raw)
            try:
                st = os.lstat(os.path.join(root, raw))
            except OSError:
                known.pop(path, None)
                continue
            perms = stat.S_IMODE(st.st_mode)
            if stat.S_ISREG(st.st_mode) and perms not in USUAL_PERMS:
                known[path] = perms
            else:
                known.pop(path, None)
        return tuple(sorted(known.items()))

    def _empty_dirs(self, exclude: str, folders: list[bytes], inside: list[bytes]) -> list[str]:
        """Leaf directories with nothing in them (git cannot store those).

        `folders` are the untracked folders listed before staging and `inside` what they held.
        A folder that held new files is tracked now, so git lists again what is left untracked
        in it (empty sub-folders among it); the others are as they were.
        """
        staged = _folders_with_files(folders, inside)
        candidates = [f for f in folders if f not in staged]
        if staged:
            candidates += [raw for raw in self._others(exclude, sorted(staged), directory=True) if raw.endswith(b"/")]
        root = os.fsencode(self.project)
        found: list[str] = []
        for raw in candidates:
            rel = raw.rstrip(b"/")
            found.extend(decode_path(p) for p in _leaf_empty_dirs(root, rel))
        return sorted(set(found))


def _folders_with_files(folders: list[bytes], paths: list[bytes]) -> set[bytes]:
    """The `folders` (each ending in `/`) that hold at least one of `paths` that is a file."""
    wanted = set(folders)
    found: set[bytes] = set()
    for path in paths:
        if path.endswith(b"/"):
            continue
        end = path.find(b"/")
        while end != -1:
            if path[: end + 1] in wanted:
                found.add(path[: end + 1])
                break
            end = path.find(b"/", end + 1)
    return found


def _leaf_empty_dirs(root: bytes, rel: bytes) -> list[bytes]:
    """Empty directories at or under `rel` (project-relative bytes), within a visit budget."""
    found: list[bytes] = []
    stack = [rel]
    visited = 0
    while stack:
        current = stack.pop()
        try:
            with os.scandir(os.path.join(root, current)) as it:
                entries = list(it)
        except OSError:
            continue
        visited += len(entries) + 1
        if visited > _WALK_BUDGET:
            return found or [rel]
        if not entries:
            found.append(current)
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and os.fsdecode(entry.name) not in SKIP_DIR_NAMES:
                stack.append(current + b"/" + entry.name)
    return found


def _tool_path(raw: bytes) -> bool:
    """Whether an ignored path is tool data (caches, bytecode, our temp files): not watched."""
    parts = raw.split(b"/")
    name = parts[-1]
    return (
        any(os.fsdecode(p) in SKIP_DIR_NAMES for p in parts[:-1])
        or name.endswith((b".pyc", b".pyo", b".pyd"))
        or name == b".DS_Store"
        or name.startswith(b".codeact-tmp-")
    )


def _write_if_changed(path: Path, text: str) -> None:
    """Write a small store file only when its text differs."""
    try:
        if path.read_text(encoding="utf-8", errors="surrogateescape") == text:
            return
    except FileNotFoundError:
        pass
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
