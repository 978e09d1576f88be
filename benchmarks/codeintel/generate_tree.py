"""Generate a deterministic multi-language source tree for the code-intelligence benchmark.

Each file defines a few classes and functions with unique names and calls names defined in
other files, so the reference graph is realistic enough for ranking to do real work.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

LANGUAGES = ("py", "js", "ts", "go", "rs", "java", "c", "cpp", "rb", "md")
WEIGHTS = (30, 12, 12, 8, 8, 8, 6, 6, 5, 5)


def _name(kind: str, n: int) -> str:
    return f"{kind}{n:05d}"


def _python(i: int, calls: list[str]) -> str:
    body = "\n".join(f"    result += {c}(value)" for c in calls) or "    pass"
    return (
        f'"""Module {i}."""\n\nLIMIT_{i} = {i}\n\n\n'
        f"class Service{i:05d}:\n    \"\"\"A service.\"\"\"\n\n"
        f"    def __init__(self, size: int = {i}) -> None:\n        self.size = size\n\n"
        f"    def handle(self, value: int) -> int:\n        result = 0\n{body}\n        return result\n\n\n"
        f"def func{i:05d}(value: int) -> int:\n    return value * {i % 7 + 1}\n\n\n"
        f"def helper{i:05d}(items: list[int]) -> list[int]:\n    return [func{i:05d}(x) for x in items]\n"
    )


def _js(i: int, calls: list[str], typed: bool) -> str:
    t = ": number" if typed else ""
    body = "\n".join(f"    total += {c}(value);" for c in calls)
    extra = f"export interface Shape{i:05d} {{\n  area(){t}: number;\n}}\n\n" if typed else ""
    return (
        f"{extra}export class Widget{i:05d} {{\n  constructor(size{t}) {{\n    this.size = size;\n  }}\n\n"
        f"  render(value{t}){t} {{\n    let total = 0;\n{body}\n    return total;\n  }}\n}}\n\n"
        f"export function func{i:05d}(value{t}){t} {{\n  return value * {i % 5 + 1};\n}}\n\n"
        f"export const helper{i:05d} = (items) => items.map(func{i:05d});\n"
    )


def _go(i: int, calls: list[str]) -> str:
    body = "\n".join(f"\ttotal += {c}(value)" for c in calls)
    return (
        f"package pkg{i % 50}\n\n// Store{i:05d} keeps values.\ntype Store{i:05d} struct {{\n\tItems []int\n}}\n\n"
        f"// Handle sums.\nfunc (s *Store{i:05d}) Handle(value int) int {{\n\ttotal := 0\n{body}\n\treturn total\n}}\n\n"
        f"func func{i:05d}(value int) int {{\n\treturn value * {i % 3 + 1}\n}}\n"
    )


def _rust(i: int, calls: list[str]) -> str:
    body = "\n".join(f"        total += {c}(value);" for c in calls)
    return (
        f"pub struct Engine{i:05d} {{\n    size: usize,\n}}\n\n"
        f"impl Engine{i:05d} {{\n    pub fn run(&self, value: i64) -> i64 {{\n        let mut total = 0;\n{body}\n        total\n    }}\n}}\n\n"
        f"pub fn func{i:05d}(value: i64) -> i64 {{\n    value * {i % 4 + 1}\n}}\n"
    )


def _java(i: int, calls: list[str]) -> str:
    body = "\n".join(f"        total += {c}(value);" for c in calls)
    return (
        f"package gen;\n\npublic class Job{i:05d} {{\n    private int size = {i};\n\n"
        f"    public int run(int value) {{\n        int total = 0;\n{body}\n        return total;\n    }}\n\n"
        f"    public static int func{i:05d}(int value) {{\n        return value * {i % 6 + 1};\n    }}\n}}\n"
    )


def _c(i: int, calls: list[str], cpp: bool) -> str:
    body = "\n".join(f"    total += {c}(value);" for c in calls)
    cls = (
        f"class Node{i:05d} {{\npublic:\n    int weight() const;\nprivate:\n    int w_ = {i};\n}};\n\n"
        f"int Node{i:05d}::weight() const {{ return w_; }}\n\n"
        if cpp
        else f"typedef struct node{i:05d} {{\n    int weight;\n}} node{i:05d};\n\n"
    )
    return (
        f"#include <stdio.h>\n\n{cls}int func{i:05d}(int value) {{\n    return value * {i % 9 + 1};\n}}\n\n"
        f"int run{i:05d}(int value) {{\n    int total = 0;\n{body}\n    return total;\n}}\n"
    )


def _ruby(i: int, calls: list[str]) -> str:
    body = "\n".join(f"      total += {c}(value)" for c in calls)
    return (
        f"module Gen\n  class Task{i:05d}\n    def run(value)\n      total = 0\n{body}\n      total\n    end\n  end\n\n"
        f"  def self.func{i:05d}(value)\n    value * {i % 2 + 1}\n  end\nend\n"
    )


def generate(root: Path, files: int = 10_000, seed: int = 7) -> list[Path]:
    """Write `files` source files under `root` (plus a .gitignore); returns their paths."""
    rng = random.Random(seed)
    kinds = rng.choices(LANGUAGES, weights=WEIGHTS, k=files)
    written: list[Path] = []
    (root).mkdir(parents=True, exist_ok=True)
    (root / ".gitignore").write_text("build/\n*.log\n")
    for i, kind in enumerate(kinds):
        # Calls: mostly nearby files (modules), sometimes a popular core file.
        calls = [_name("func", min(files - 1, max(0, i + rng.randint(-30, 30)))) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:
            calls.append(_name("func", rng.randint(0, 20)))
        folder = root / f"{kind}" / f"mod{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "py":
            path, text = folder / f"m{i:05d}.py", _python(i, calls)
        elif kind in ("js", "ts"):
            path, text = folder / f"m{i:05d}.{kind}", _js(i, calls, kind == "ts")
        elif kind == "go":
            path, text = folder / f"m{i:05d}.go", _go(i, calls)
        elif kind == "rs":
            path, text = folder / f"m{i:05d}.rs", _rust(i, calls)
        elif kind == "java":
            path, text = folder / f"Job{i:05d}.java", _java(i, calls)
        elif kind in ("c", "cpp"):
            path, text = folder / f"m{i:05d}.{kind}", _c(i, calls, kind == "cpp")
        elif kind == "rb":
            path, text = folder / f"m{i:05d}.rb", _ruby(i, calls)
        else:
            path, text = folder / f"notes{i:05d}.md", f"# Notes {i}\n\nSee func{i:05d}.\n"
        path.write_text(text)
        written.append(path)
    return written


def main() -> None:
    """Generate a tree at the given path."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    generate(args.root, args.files)


if __name__ == "__main__":
    main()
