"""The project walk: ignores, symlinks, binary and huge files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from codeact_tui.codeintel.files import Walker, looks_binary, walk
from tests.support import write


def rels(root: Path, **kwargs: int) -> list[str]:
    return [f.rel for f in walk(root, **kwargs)]


def test_gitignore_at_root_and_nested_with_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.log\nbuild/\n")
    write(tmp_path, "app.py", "")
    write(tmp_path, "debug.log", "")
    write(tmp_path, "build/out.py", "")
    write(tmp_path, "src/.gitignore", "generated_*.py\n!generated_keep.py\n")
    write(tmp_path, "src/generated_a.py", "")
    write(tmp_path, "src/generated_keep.py", "")
    write(tmp_path, "src/mod.py", "")
    write(tmp_path, "other/generated_b.py", "")  # the nested rule does not reach here
    assert rels(tmp_path) == [
        ".gitignore",
        "app.py",
        "other/generated_b.py",
        "src/.gitignore",
        "src/generated_keep.py",
        "src/mod.py",
    ]


def test_git_info_exclude_is_honoured(tmp_path: Path) -> None:
    write(tmp_path, ".git/info/exclude", "secret.py\n")
    write(tmp_path, ".git/config", "[core]\n")
    write(tmp_path, "secret.py", "")
    write(tmp_path, "main.py", "")
    assert rels(tmp_path) == ["main.py"]


def test_default_ignores_without_a_gitignore(tmp_path: Path) -> None:
    for rel in ("node_modules/x/index.js", "__pycache__/a.pyc", ".venv/lib/site.py", "src/__pycache__/b.py", "src/ok.py"):
        write(tmp_path, rel, "")
    assert rels(tmp_path) == ["src/ok.py"]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.py", "TOKEN = 1\n")
    project = tmp_path / "project"
    write(project, "real.py", "")
    os.symlink(outside, project / "linked_dir")
    os.symlink(outside / "secret.py", project / "linked.py")
    assert rels(project) == ["real.py"]


def test_binary_suffix_and_huge_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "logo.png", b"\x89PNG\r\n")
    write(tmp_path, "big.js", "x" * 2000)
    write(tmp_path, "small.js", "let a = 1;\n")
    assert rels(tmp_path, max_file_bytes=1000) == ["small.js"]


def test_max_files_bounds_the_walk(tmp_path: Path) -> None:
    for i in range(10):
        write(tmp_path, f"f{i}.py", "")
    assert len(rels(tmp_path, max_files=3)) == 3


def test_binary_sniffing() -> None:
    assert looks_binary(b"abc\0def")
    assert not looks_binary("ünïcode text".encode())


def age(root: Path, seconds: float = 3600) -> None:
    """Make every file and folder look untouched for a while (so cached listings are trusted)."""
    old = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (old, old), follow_symlinks=False)


def test_walker_sees_new_changed_and_removed_files(tmp_path: Path) -> None:
    write(tmp_path, "a/one.py", "")
    write(tmp_path, "b/two.py", "")
    age(tmp_path)
    walker = Walker(tmp_path)
    assert [f.rel for f in walker.walk()] == ["a/one.py", "b/two.py"]
    write(tmp_path, "a/three.py", "")
    (tmp_path / "b/two.py").unlink()
    assert [f.rel for f in walker.walk()] == ["a/one.py", "a/three.py"]
    age(tmp_path)
    before = {f.rel: f.mtime_ns for f in walker.walk()}
    write(tmp_path, "a/one.py", "changed")
    after = {f.rel: f for f in walker.walk()}
    assert after["a/one.py"].mtime_ns != before["a/one.py"] and after["a/one.py"].size == 7


def test_walker_applies_new_and_edited_nested_gitignore(tmp_path: Path) -> None:
    write(tmp_path, "src/keep.py", "")
    write(tmp_path, "src/gen/out.py", "")
    write(tmp_path, "src/gen/deep/more.py", "")
    age(tmp_path)
    walker = Walker(tmp_path)
    assert len(list(walker.walk())) == 3
    write(tmp_path, "src/.gitignore", "gen/\n")
    assert [f.rel for f in walker.walk()] == ["src/.gitignore", "src/keep.py"]
    age(tmp_path)
    list(walker.walk())
    write(tmp_path, "src/.gitignore", "out.py\n")  # an edit in place, folder mtime unchanged
    os.utime(tmp_path / "src", (time.time() - 3600,) * 2)
    assert [f.rel for f in walker.walk()] == ["src/.gitignore", "src/keep.py", "src/gen/deep/more.py"]


def test_walker_applies_edited_root_gitignore(tmp_path: Path) -> None:
    write(tmp_path, "x/a.log", "")
    write(tmp_path, "x/b.py", "")
    age(tmp_path)
    walker = Walker(tmp_path)
    assert len(list(walker.walk())) == 2
    write(tmp_path, ".gitignore", "*.log\n")
    assert [f.rel for f in walker.walk()] == [".gitignore", "x/b.py"]


def test_walker_forgets_removed_folders(tmp_path: Path) -> None:
    write(tmp_path, "gone/a.py", "")
    walker = Walker(tmp_path)
    list(walker.walk())
    (tmp_path / "gone/a.py").unlink()
    (tmp_path / "gone").rmdir()
    assert list(walker.walk()) == []
