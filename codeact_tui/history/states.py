"""Interpreter states kept beside the history: one git blob per action, under its own ref.

After each sandbox run the conversation saves the session's variables (opaque bytes, see
`executor/session_state.py`) here, in the project's shadow repository — never in the project.
The ref names the history point the state belongs to (the newest entry when the action ended):

    refs/codeact/states/<point>/<conversation id>/<blob id>

so pruning history entries drops their states too (`forget_points`) and git frees the blobs.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

STATE_REFS = "refs/codeact/states"
"""Where every kept state's ref lives."""


class StateMissing(Exception):
    """A kept state is no longer stored (pruned, or never written); the message says which."""


class _Git(Protocol):
    def out(self, *args: str, input: bytes | None = None) -> bytes: ...

    def line(self, *args: str, input: bytes | None = None) -> str: ...

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> Any: ...


def blob_id(data: bytes) -> str:
    """The id git gives `data` as a blob (an unchanged state is not written again)."""
    digest = hashlib.sha1(f"blob {len(data)}\0".encode("ascii"), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


def _safe(part: str) -> str:
    """A ref-name component made of the characters conversation and turn ids use."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in part) or "_"


class StateArchive:
    """Keeps interpreter states as blobs in the history's shadow repository."""

    def __init__(self, git: _Git) -> None:
        self.git = git

    def put(self, conversation: str, point: int, data: bytes) -> str:
        """Store one state; returns its ref (what a transcript `state` record keeps). The ref
        ends in the blob's id, so no later state (another process continuing the same
        conversation) can take its name."""
        sha = blob_id(data)
        if self.git.run("cat-file", "-e", sha, check=False).returncode != 0:
            # Fast compression: a state is written after every action and may be tens of MiB.
            sha = self.git.line("-c", "core.loosecompression=1", "hash-object", "-w", "--stdin", input=data)
        ref = f"{STATE_REFS}/{int(point)}/{_safe(conversation)}/{sha}"
        self.git.run("update-ref", ref, sha)
        return ref

    def get(self, ref: str) -> bytes:
        """The bytes of a kept state.

        Raises:
            StateMissing: the ref or its blob is gone (pruned with its history entries).
        """
        if not ref.startswith(STATE_REFS + "/"):
            raise StateMissing(f"{ref!r} is not a kept interpreter state")
        try:
            return self.git.out("cat-file", "blob", ref)
        except Exception as exc:  # noqa: BLE001 - git's failure is the answer
            raise StateMissing(f"the interpreter state {ref.removeprefix(STATE_REFS + '/')} is no longer stored (pruned)") from exc

    def refs(self) -> list[str]:
        """Every kept state's ref."""
        out = self.git.out("for-each-ref", "--format=%(refname)", STATE_REFS)
        return [line for line in out.decode("utf-8", "replace").splitlines() if line]

    def size(self, ref: str) -> int:
        """Bytes of one kept state."""
        return int(self.git.line("cat-file", "-s", ref))

    def forget_points(self, points: list[int]) -> int:
        """Drop the states of these history points (entries being pruned); how many refs went."""
        wanted = {str(p) for p in points}
        doomed = [ref for ref in self.refs() if ref.removeprefix(STATE_REFS + "/").split("/", 1)[0] in wanted]
        if doomed:
            lines = "".join(f"delete {ref}\n" for ref in doomed)
            self.git.run("update-ref", "--stdin", input=lines.encode("utf-8"))
        return len(doomed)


def archive_of(history: object) -> StateArchive | None:
    """The state archive beside a history store (None for a history that has no repository,
    such as a test's fake)."""
    git = getattr(history, "git", None)
    if git is None or not callable(getattr(git, "line", None)):
        return None
    return StateArchive(git)
