"""Run the git CLI against the shadow store, isolated from every user and system setting.

The shadow repository's git dir lives in the data folder and its work tree is the project. Git
is run with hooks and fsmonitor off, without system or global config, with a fixed author, no
signing, no line-ending or filter conversion, and a private index, so nothing the user (or a
guest program that edited the project) configured can make git run commands or change bytes.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import HistoryError

AUTHOR_NAME = "codeact-tui"
AUTHOR_EMAIL = "codeact-tui@localhost"

# `-c` options given on every call. They win over any config file, the store's own included.
_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.attributesFile", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.autocrlf", "false"),
    ("core.safecrlf", "false"),
    ("core.symlinks", "true"),
    ("core.filemode", "true"),
    ("core.ignorecase", "false"),
    ("core.precomposeunicode", "false"),
    ("core.protectNTFS", "false"),
    ("core.protectHFS", "false"),
    ("core.quotePath", "false"),
    ("core.untrackedCache", "true"),
    ("core.splitIndex", "false"),
    ("core.sparseCheckout", "false"),
    ("core.logAllRefUpdates", "false"),
    ("commit.gpgSign", "false"),
    ("gc.autoDetach", "false"),
    ("diff.external", ""),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("color.ui", "false"),
    ("advice.addEmbeddedRepo", "false"),
    ("advice.addIgnoredFile", "false"),
    ("safe.directory", "*"),
    ("submodule.recurse", "false"),
)

# Inherited variables that would redirect git to another repository, index or object store.
_STRIP_PREFIXES = ("GIT_",)

DEFAULT_TIMEOUT_S = 120.0
"""How long one git call may take before it is stopped and reported (a pattern in an ignore
file, or a huge tree, must not hang the history for good)."""

_found: dict[str, str] = {}
_found_lock = threading.Lock()


def find_git(search_path: str | None = None) -> str:
    """The absolute path of the git executable, found once per `PATH` value.

    Only absolute `PATH` entries count: an empty or relative entry (`""`, `.`, `bin`) would
    make the working directory — the project, which guest code writes — a place to run
    programs from.

    Raises:
        HistoryError: no git executable on the absolute `PATH` entries.
    """
    path_value = os.environ.get("PATH", os.defpath) if search_path is None else search_path
    with _found_lock:
        cached = _found.get(path_value)
        if cached is not None:
            return cached
        for entry in path_value.split(os.pathsep):
            if not entry or not os.path.isabs(entry):
                continue
            candidate = os.path.join(entry, "git")
            try:
                st = os.stat(candidate)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and os.access(candidate, os.X_OK):
                _found[path_value] = candidate
                return candidate
    raise HistoryError(
        "git is not installed (the history store needs the git command); install git, e.g. "
        "`apt install git`, and make sure its folder is on PATH as an absolute path"
    )


@dataclass(frozen=True)
class GitResult:
    """The outcome of one git call."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Git:
    """Runs git with `--git-dir` = the shadow store and `--work-tree` = the project."""

    def __init__(
        self,
        git_dir: Path,
        work_tree: Path,
        index_file: Path,
        excludes_file: Path,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Prepare the environment once; every call reuses it (git is looked up here).

        Raises:
            HistoryError: git is not installed.
        """
        self.git_dir = git_dir
        self.timeout_s = timeout_s
        self.work_tree = work_tree
        self.index_file = index_file
        env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP_PREFIXES)}
        env.update(
            GIT_DIR=str(git_dir),
            GIT_WORK_TREE=str(work_tree),
            GIT_INDEX_FILE=str(index_file),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_OPTIONAL_LOCKS="0",
            GIT_LITERAL_PATHSPECS="1",
            GIT_AUTHOR_NAME=AUTHOR_NAME,
            GIT_AUTHOR_EMAIL=AUTHOR_EMAIL,
            GIT_COMMITTER_NAME=AUTHOR_NAME,
            GIT_COMMITTER_EMAIL=AUTHOR_EMAIL,
            LC_ALL="C",
            LANG="C",
        )
        self._env = env
        self._prefix: list[str] = [find_git()]
        for key, value in (*_CONFIG, ("core.excludesFile", str(excludes_file))):
            self._prefix += ["-c", f"{key}={value}"]

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
    ) -> GitResult:
        """Run `git ARGS` in the project; raise HistoryError on a non-zero exit when `check`.

        `env` adds variables to the isolated environment; a None value removes one. A call
        that takes longer than `timeout_s` is killed and raises HistoryError, whatever `check`.
        """
        full_env = self._env
        if env:
            full_env = {**self._env, **{k: v for k, v in env.items() if v is not None}}
            for key in [k for k, v in env.items() if v is None]:
                full_env.pop(key, None)
        try:
            proc = subprocess.run(
                [*self._prefix, *args],
                input=input,
                capture_output=True,
                env=full_env,
                cwd=cwd or self.work_tree,
                check=False,
                timeout=self.timeout_s,
            )
        except FileNotFoundError:
            raise HistoryError("git is not installed (the history store needs the git command)") from None
        except subprocess.TimeoutExpired:
            raise HistoryError(
                f"git {args[0]} took longer than {self.timeout_s:.0f} s and was stopped; a pattern in "
                "an ignore file (.gitignore, .git/info/exclude) may be too slow to match, or the project "
                "is very large. Fix or remove the pattern, or raise [history] git_timeout_s"
            ) from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise HistoryError(f"git {args[0]} failed: {message}")
        return GitResult(proc.returncode, proc.stdout, proc.stderr)

    def blob_reader(self) -> BlobReader:
        """A long-lived `git cat-file --batch` over the store, run like every other call
        (absolute git, hooks and fsmonitor off, isolated config, the same time limit per read).
        Close it when done."""
        return BlobReader([*self._prefix, "cat-file", "--batch"], self._env, self.work_tree, self.timeout_s)

    def out(self, *args: str, input: bytes | None = None, env: Mapping[str, str | None] | None = None) -> bytes:
        """Run git and return its standard output (raises on failure)."""
        return self.run(*args, input=input, env=env).stdout

    def line(self, *args: str, input: bytes | None = None, env: Mapping[str, str | None] | None = None) -> str:
        """Run git and return its standard output as one stripped ASCII line (ids, counts)."""
        return self.out(*args, input=input, env=env).decode("ascii").strip()


class BlobReader:
    """Blob contents by id from one long-lived `git cat-file --batch` process.

    One pipe round trip per blob instead of one git process each (a snapshot mount reads many
    files). Safe to use from several threads (one read at a time). A read that takes longer than
    `timeout_s` kills the process and raises HistoryError; the next read starts a new one.
    """

    def __init__(self, argv: list[str], env: Mapping[str, str], cwd: Path, timeout_s: float) -> None:
        self._argv = argv
        self._env = dict(env)
        self._cwd = cwd
        self.timeout_s = timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _process(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise HistoryError("the blob reader is closed")
        if self._proc is None or self._proc.poll() is not None:
            try:
                self._proc = subprocess.Popen(
                    self._argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=self._env,
                    cwd=self._cwd,
                )
            except FileNotFoundError:
                raise HistoryError("git is not installed (the history store needs the git command)") from None
        return self._proc

    def read(self, blob: str) -> bytes:
        """The contents of blob `blob` (a full object id).

        Raises:
            HistoryError: it is missing or not a blob, git died, or the read passed the time limit.
        """
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            timed_out = threading.Event()

            def stop_it() -> None:
                timed_out.set()
                proc.kill()

            timer = threading.Timer(self.timeout_s, stop_it)
            timer.start()
            try:
                proc.stdin.write(blob.encode("ascii") + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline().split()
                if len(header) == 3 and header[1] == b"blob":
                    size = int(header[2])
                    data = proc.stdout.read(size + 1)
                    if len(data) == size + 1:
                        return data[:size]
                elif len(header) == 2 and header[1] == b"missing":
                    raise HistoryError(f"git cat-file: object {blob} is missing from the store")
                elif len(header) == 3:
                    self._stop()  # its body is still in the pipe: start afresh
                    raise HistoryError(f"git cat-file: object {blob} is a {header[1].decode('ascii', 'replace')}, not a file")
            except (OSError, ValueError):
                pass
            finally:
                timer.cancel()
            self._stop()
            if timed_out.is_set():
                raise HistoryError(
                    f"git cat-file took longer than {self.timeout_s:.0f} s and was stopped; raise [history] git_timeout_s"
                )
            raise HistoryError("git cat-file --batch ended unexpectedly")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def close(self) -> None:
        """End the process (later reads raise)."""
        with self._lock:
            self._closed = True
            self._stop()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split_z(data: bytes) -> list[bytes]:
    """Split NUL-terminated git output into its records, dropping the final empty one."""
    parts = data.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def decode_path(raw: bytes) -> str:
    """A git path as `str`, lossless for non-UTF-8 names (`os.fsencode` gives the bytes back)."""
    return os.fsdecode(raw)


def encode_paths(paths: Sequence[str]) -> bytes:
    """NUL-terminated paths for `--pathspec-from-file --pathspec-file-nul` and `-z` inputs."""
    return b"".join(os.fsencode(p) + b"\0" for p in paths)
