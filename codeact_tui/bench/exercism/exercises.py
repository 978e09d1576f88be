"""Find the practice exercises in a checkout of exercism/python and read what each one is made of.

An exercise folder `exercises/practice/<slug>/` holds the instructions (`.docs/`), the stub the
solver edits, the unittest file, and `.meta/config.json` naming them plus the reference solution
(`.meta/example.py`). The checkout is never copied into this project: the user passes it with
`--source`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..source import SourceError

REPOSITORY = "https://github.com/exercism/python"
PRACTICE = Path("exercises/practice")
HIDDEN = (".docs", ".meta", ".approaches", ".articles")
"""Folders of an exercise that are documentation or metadata, never part of the solver's project."""


@dataclass(frozen=True)
class Exercise:
    """One practice exercise."""

    slug: str
    folder: Path
    solution_files: tuple[str, ...]
    """The files the solver writes (the stubs), relative to the folder."""
    test_files: tuple[str, ...]
    """The unittest files and their helpers; always used as they are in the checkout."""
    example_files: tuple[str, ...]
    """The reference solution(s), in the order of `solution_files`."""

    def instructions(self) -> str:
        """The task as aider's harness builds it: introduction, instructions, then the
        Python-specific appendix, concatenated."""
        text = ""
        for name in ("introduction.md", "instructions.md", "instructions.append.md"):
            path = self.folder / ".docs" / name
            if path.is_file():
                text += path.read_text(encoding="utf-8")
        return text


class ExerciseError(ValueError):
    """One exercise cannot be used (no tests, no stub); the run goes on without it."""


def find_practice(source: Path) -> Path:
    """The `exercises/practice` folder of a checkout of exercism/python (or the folder itself).

    Raises:
        SourceError: `source` is not such a checkout; the message says where to get one.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise SourceError(f"{source} is not a folder; pass a checkout of {REPOSITORY} with --source")
    for folder in (source / PRACTICE, source):
        if folder.is_dir() and any((child / ".meta" / "config.json").is_file() for child in folder.iterdir() if child.is_dir()):
            return folder.resolve()
    raise SourceError(
        f"{source} is not a checkout of {REPOSITORY}: no {PRACTICE}/<exercise>/.meta/config.json inside it. "
        f"Get it with `git clone {REPOSITORY}` and pass the clone with --source"
    )


def load_exercise(folder: Path) -> Exercise:
    """Read one exercise's config and check that its files are there.

    Raises:
        ExerciseError: The config is unreadable, or the tests or the stub are missing.
    """
    config_path = folder / ".meta" / "config.json"
    try:
        files = json.loads(config_path.read_text(encoding="utf-8"))["files"]
        solution = tuple(str(f) for f in files.get("solution", []))
        tests = tuple(str(f) for f in files.get("test", []))
        example = tuple(str(f) for f in files.get("example", []))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExerciseError(f"{folder.name}: unreadable {config_path}: {exc}") from None
    if not tests or not any((folder / t).is_file() and t.endswith("_test.py") for t in tests):
        raise ExerciseError(f"{folder.name}: no unittest file (*_test.py) listed in .meta/config.json and present")
    if not solution or not all((folder / s).is_file() for s in solution):
        raise ExerciseError(f"{folder.name}: the stub {', '.join(solution) or '(none listed)'} is missing")
    listed = set(solution) | set(tests)
    helpers = tuple(
        p.name for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix == ".py" and p.name not in listed
    )
    return Exercise(
        slug=folder.name,
        folder=folder.resolve(),
        solution_files=solution,
        test_files=tests + helpers,
        example_files=example,
    )


def list_exercises(practice: Path, pattern: str | None = None, limit: int | None = None) -> tuple[list[Exercise], list[str]]:
    """The exercises whose slug matches `pattern` (searched), alphabetically, at most `limit`;
    and the reasons the unusable ones among them were left out."""
    chosen: list[Exercise] = []
    skipped: list[str] = []
    for folder in sorted(p for p in practice.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if pattern is not None and not re.search(pattern, folder.name):
            continue
        if limit is not None and len(chosen) >= limit:
            break
        try:
            chosen.append(load_exercise(folder))
        except ExerciseError as exc:
            skipped.append(str(exc))
    return chosen, skipped
