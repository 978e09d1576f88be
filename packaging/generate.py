"""Write the shell completions and the man page from the CLI's argparse definitions.

    python packaging/generate.py           # rewrite packaging/completions/* and packaging/man/*
    python packaging/generate.py --check   # exit 1 if any file is not what the CLI generates

Run it after changing a command or an option; tests/test_clidocs.py fails until you do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's codeact_tui, also when not installed

from codeact_tui.clidocs.completion import SHELLS  # noqa: E402
from codeact_tui.clidocs.manpage import manpage  # noqa: E402
from codeact_tui.clidocs.spec import program  # noqa: E402

OUTPUTS = {
    "completions/codeact-tui.bash": SHELLS["bash"],
    "completions/_codeact-tui": SHELLS["zsh"],
    "completions/codeact-tui.fish": SHELLS["fish"],
    "man/codeact-tui.1": manpage,
}
"""Each generated file (relative to packaging/) and what makes it."""


def generated() -> dict[Path, str]:
    """Every file's expected content."""
    spec = program()
    return {HERE / name: make(spec) for name, make in OUTPUTS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(HERE.parent)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
