"""Reading git trees and blobs of the shadow store into Python values."""

from __future__ import annotations

from dataclasses import dataclass

from .gitcmd import Git, split_z

NULL_SHA = "0" * 40
MODE_FILE = "100644"
MODE_EXEC = "100755"
MODE_LINK = "120000"
MODE_GITLINK = "160000"
REGULAR_MODES = (MODE_FILE, MODE_EXEC)


@dataclass(frozen=True)
class Blob:
    """One entry of a tree: its mode and object id."""

    mode: str
    sha: str


@dataclass(frozen=True)
class TreeChange:
    """One path that differs between two trees; None where the path is absent."""

    path: bytes
    old: Blob | None
    new: Blob | None


def list_tree(git: Git, tree: str) -> dict[bytes, Blob]:
    """Every file, symlink and gitlink of a tree, by path (bytes, `/`-separated)."""
    out = git.out("ls-tree", "-r", "-z", "--full-tree", tree)
    result: dict[bytes, Blob] = {}
    for record in split_z(out):
        meta, _, path = record.partition(b"\t")
        mode, _kind, sha = meta.decode("ascii").split(" ")
        result[path] = Blob(mode, sha)
    return result


def diff_trees(git: Git, old_tree: str, new_tree: str) -> list[TreeChange]:
    """The paths that differ between two trees (no rename pairing)."""
    if old_tree == new_tree:
        return []
    out = git.out("diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff", old_tree, new_tree)
    parts = split_z(out)
    changes: list[TreeChange] = []
    for i in range(0, len(parts) - 1, 2):
        meta = parts[i].decode("ascii").lstrip(":").split(" ")
        old_mode, new_mode, old_sha, new_sha = meta[0], meta[1], meta[2], meta[3]
        changes.append(
            TreeChange(
                parts[i + 1],
                None if old_mode == "000000" else Blob(old_mode, old_sha),
                None if new_mode == "000000" else Blob(new_mode, new_sha),
            )
        )
    return changes


def read_blobs(git: Git, shas: list[str]) -> dict[str, bytes]:
    """The contents of the given blobs, in one `cat-file --batch` call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    out = git.out("cat-file", "--batch", input=("\n".join(wanted) + "\n").encode("ascii"))
    result: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode("ascii").split(" ")
        if len(header) < 3 or header[1] == "missing":
            raise KeyError(sha)
        size = int(header[2])
        result[sha] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return result


def write_blob(git: Git, data: bytes) -> str:
    """Store bytes as a blob; its object id."""
    return git.line("hash-object", "-w", "--stdin", "--no-filters", input=data)


def build_tree(git: Git, base_tree: str, updates: dict[bytes, Blob | None], index_file: str) -> str:
    """A tree equal to `base_tree` with `updates` applied (None deletes), via a scratch index."""
    env: dict[str, str | None] = {"GIT_INDEX_FILE": index_file}
    git.run("read-tree", base_tree, env=env)
    if updates:
        records = []
        for path, blob in updates.items():
            if blob is None:
                records.append(b"0 " + NULL_SHA.encode() + b"\t" + path + b"\0")
            else:
                records.append(f"{blob.mode} {blob.sha}".encode() + b"\t" + path + b"\0")
        git.run("update-index", "-z", "--index-info", input=b"".join(records), env=env)
    return git.line("write-tree", env=env)
