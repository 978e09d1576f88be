"""Regression tests for the red-team findings against the host code tools and the file walker:
crafted patterns must not stall the host, and a `.git` file is never listed or read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codeact_tui.codeintel.errors import CodeToolError
from codeact_tui.codeintel.files import walk
from codeact_tui.codeintel.host_tools import make_host_tools
from tests.support import finishes_within, write


def _tools(project: Path) -> dict[str, Callable[..., Any]]:
    return {fn.__name__: fn for fn in make_host_tools(project)}


def test_a_backtracking_regex_cannot_stall_search(tmp_path: Path) -> None:
    write(tmp_path, "data.txt", "a" * 50_000 + "!\n")
    search = _tools(tmp_path)["search"]
    assert finishes_within(10, lambda: search(r"(a+)+$", regex=True)) == []
    assert finishes_within(10, lambda: search(r"(a|aa)*b", regex=True)) == []
    assert finishes_within(10, lambda: search(r"a{3}!", regex=True))[0]["path"] == "data.txt"


def test_regex_features_the_engine_lacks_get_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    with pytest.raises(CodeToolError, match="lookarounds and backreferences"):
        _tools(tmp_path)["search"](r"x(?= =)", regex=True)


def test_a_backtracking_glob_cannot_stall_search(tmp_path: Path) -> None:
    write(tmp_path, "a" * 200 + ".txt", "needle\n")
    search = _tools(tmp_path)["search"]
    assert finishes_within(10, lambda: search("needle", glob="*a" * 30 + "*b")) == []
    assert len(finishes_within(10, lambda: search("needle", glob="*.txt"))) == 1


def test_a_slow_gitignore_line_cannot_stall_the_walk(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*a" * 30 + "*b\n" + "a/**/" * 16 + "b\n")
    write(tmp_path, "a" * 200 + ".py", "x = 1\n")
    write(tmp_path, "/".join(["a"] * 40) + "/deep.py", "y = 2\n")
    found = finishes_within(10, lambda: [f.rel for f in walk(tmp_path)])
    assert "a" * 200 + ".py" in found and any(rel.endswith("deep.py") for rel in found)


@pytest.mark.parametrize("name", [".git", ".GIT"])
def test_a_git_file_is_neither_listed_nor_searched(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, "gitdir: /home/user/secret-worktree-location\n")
    write(tmp_path, "sub/.git", "gitdir: ../.git/modules/sub\n")
    write(tmp_path, "main.py", "print('hi')\n")
    assert [f.rel for f in walk(tmp_path)] == ["main.py"]
    assert _tools(tmp_path)["search"]("gitdir") == []


def test_the_walk_stops_at_its_time_limit_and_says_so(tmp_path: Path) -> None:
    from codeact_tui.codeintel.files import Walker

    for n in range(30):
        write(tmp_path, f"d{n}/f.py", "x = 1\n")
    walker = Walker(tmp_path, time_limit_s=0.0)
    assert list(walker.walk()) == [] and walker.timed_out
    unlimited = Walker(tmp_path, time_limit_s=None)
    assert len(list(unlimited.walk())) == 30 and not unlimited.timed_out
