"""Edit a few paths of a large git tree without reading or rewriting the whole of it.

An undo changes a handful of files in a tree of thousands. Listing the whole tree and
rebuilding it through an index costs four git processes that each read every entry; here only
the folders on the way to the changed paths are read (one `cat-file --batch`), edited in
memory, and the changed folders written back (one `mktree --batch`). A path that would have to
be a file and a folder at once is reported instead of written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .errors import HistoryError
from .gitcmd import Git, split_z
from .trees import Blob

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TREE_MODE = "40000"
_TYPES = {"160000": "commit", TREE_MODE: "tree"}

Entry = tuple[str, str]
"""(mode as git writes it in a tree, e.g. "100644" or "40000"; hex object id)."""


class TreeEditor:
    """The folders of one tree on the way to some paths, editable in memory."""

    def __init__(self, git: Git, tree: str, paths: Iterable[bytes]) -> None:
        """Read the root and every folder above `paths` (one git process)."""
        self.git = git
        self.tree = tree
        wanted: set[bytes] = {b""}
        for path in paths:
            parts = path.split(b"/")
            wanted.update(b"/".join(parts[:i]) for i in range(1, len(parts)))
        self._dirs: dict[bytes, dict[bytes, Entry]] = self._load(sorted(wanted))
        self._changed: set[bytes] = set()

    def _load(self, folders: list[bytes]) -> dict[bytes, dict[bytes, Entry]]:
        """The entries of each of `folders` that is a folder in the tree."""
        if any(b"\n" in f or b"\r" in f for f in folders):
            return self._load_listing(set(folders))  # such names cannot go on a batch line
        names = [self.tree.encode("ascii")] + [self.tree.encode("ascii") + b":" + f for f in folders if f]
        out = self.git.out("cat-file", "--batch", input=b"\n".join(names) + b"\n")
        found: dict[bytes, dict[bytes, Entry]] = {}
        pos = 0
        for folder in [b""] + [f for f in folders if f]:
            end = out.index(b"\n", pos)
            header = out[pos:end].split(b" ")
            if header[-1] == b"missing":
                pos = end + 1
                continue
            size = int(header[2])
            if header[1] == b"tree":
                found[folder] = _parse_tree(out[end + 1 : end + 1 + size])
            pos = end + 1 + size + 1
        return found

    def _load_listing(self, folders: set[bytes]) -> dict[bytes, dict[bytes, Entry]]:
        """`_load` through a full recursive listing (for names a batch line cannot carry)."""
        found: dict[bytes, dict[bytes, Entry]] = {b"": {}}
        out = self.git.out("ls-tree", "-r", "-t", "-z", "--full-tree", self.tree)
        for record in split_z(out):
            meta, _, path = record.partition(b"\t")
            mode, _kind, sha = meta.decode("ascii").split(" ")
            parent, _, name = path.rpartition(b"/")
            if mode == "040000":
                mode = TREE_MODE
                if path in folders:
                    found.setdefault(path, {})
            if parent in folders:
                found.setdefault(parent, {})[name] = (mode, sha)
        return found

    def entry(self, path: bytes) -> Blob | None:
        """The file, link or nested repository at `path` (None: nothing there, or a folder)."""
        parent, _, name = path.rpartition(b"/")
        got = self._dirs.get(parent, {}).get(name)
        if got is None or got[0] == TREE_MODE:
            return None
        return Blob(got[0], got[1])

    def apply(self, updates: dict[bytes, Blob | None]) -> bytes | None:
        """Apply `updates` (None deletes); the first path that would have to be both a file
        and a folder, if any (then the edit is unusable). Deletions go first, so a folder
        emptied by them may become a file and the other way round."""
        for path in sorted(p for p, b in updates.items() if b is None):
            self._delete(path)
        for path in sorted(p for p, b in updates.items() if b is not None):
            blob = updates[path]
            assert blob is not None
            if not self._put(path, blob):
                return path
        return None

    def _delete(self, path: bytes) -> None:
        parent, _, name = path.rpartition(b"/")
        folder = self._dirs.get(parent)
        if folder is not None and name in folder and folder[name][0] != TREE_MODE:
            del folder[name]
            self._touch(parent)

    def _put(self, path: bytes, blob: Blob) -> bool:
        parts = path.split(b"/")
        for i in range(1, len(parts)):  # every folder above the path must be (or become) one
            parent, here = b"/".join(parts[: i - 1]), b"/".join(parts[:i])
            got = self._dirs[parent].get(parts[i - 1])
            if got is not None and got[0] != TREE_MODE:
                return False
            if got is None:
                self._dirs[parent][parts[i - 1]] = (TREE_MODE, "")
                self._dirs[here] = {}
        parent, name = b"/".join(parts[:-1]), parts[-1]
        got = self._dirs[parent].get(name)
        if got is not None and got[0] == TREE_MODE:
            if not self._is_empty(path):
                return False
            for folder in [f for f in self._dirs if f == path or f.startswith(path + b"/")]:
                del self._dirs[folder]
                self._changed.discard(folder)
        self._dirs[parent][name] = (blob.mode, blob.sha)
        self._touch(parent)
        return True

    def _is_empty(self, folder: bytes) -> bool:
        """Whether a folder holds no file any more (an untouched one always does)."""
        entries = self._dirs.get(folder)
        if entries is None:
            return False
        return all(mode == TREE_MODE and self._is_empty(folder + b"/" + name) for name, (mode, _) in entries.items())

    def _touch(self, folder: bytes) -> None:
        """Mark `folder` and every folder above it as changed."""
        parts = folder.split(b"/") if folder else []
        for i in range(len(parts), -1, -1):
            self._changed.add(b"/".join(parts[:i]))

    def write(self) -> str:
        """Write the changed folders (one git process); the new root tree id."""
        if not self._changed:
            return self.tree
        batch: list[bytes] = []
        expected: list[str] = []
        ids: dict[bytes, str | None] = {}
        for folder in sorted(self._changed, key=lambda f: (-f.count(b"/") - bool(f), f)):
            entries = self._dirs[folder]
            for name, (mode, sha) in list(entries.items()):
                if mode != TREE_MODE:
                    continue
                child = folder + b"/" + name if folder else name
                if child in ids:
                    new = ids[child]
                    if new is None:
                        del entries[name]
                    else:
                        entries[name] = (TREE_MODE, new)
                elif not sha:  # created here, and nothing went into it
                    del entries[name]
            if not entries:
                ids[folder] = None
                continue
            body, records = _serialize(entries)
            ids[folder] = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
            expected.append(ids[folder] or "")
            batch.append(records)
        root = ids[b""]
        if root is None:
            return EMPTY_TREE
        written = self.git.out("mktree", "-z", "--batch", input=b"\0".join(batch)).decode("ascii").split()
        if written != expected:
            raise HistoryError(f"building a tree went wrong (git wrote {written[-1:]}, expected {expected[-1:]})")
        return root


def _parse_tree(data: bytes) -> dict[bytes, Entry]:
    """The entries of a raw tree object."""
    entries: dict[bytes, Entry] = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        entries[data[space + 1 : nul]] = (data[pos:space].decode("ascii"), data[nul + 1 : nul + 21].hex())
        pos = nul + 21
    return entries


def _serialize(entries: dict[bytes, Entry]) -> tuple[bytes, bytes]:
    """A folder as a raw tree object body, and as `mktree -z` input records."""
    ordered = sorted(entries.items(), key=lambda item: item[0] + b"/" if item[1][0] == TREE_MODE else item[0])
    body = b"".join(mode.encode("ascii") + b" " + name + b"\0" + bytes.fromhex(sha) for name, (mode, sha) in ordered)
    records = b"".join(
        f"{mode.zfill(6)} {_TYPES.get(mode, 'blob')} {sha}\t".encode("ascii") + name + b"\0" for name, (mode, sha) in ordered
    )
    return body, records
