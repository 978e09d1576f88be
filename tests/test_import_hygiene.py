"""The headless layers never import textual (DESIGN.md §2)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import codeact_tui

HEADLESS_PACKAGES = ("core", "llm", "executor", "history", "codeintel", "bench", "commands")


def _headless_modules() -> list[str]:
    names = ["codeact_tui.config", "codeact_tui.paths", "codeact_tui.resources"]
    root = Path(codeact_tui.__file__).parent
    for package in HEADLESS_PACKAGES:
        names.append(f"codeact_tui.{package}")
        for info in pkgutil.walk_packages([str(root / package)], prefix=f"codeact_tui.{package}."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", _headless_modules())
def test_headless_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, importlib; importlib.import_module({module!r}); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulls in textual"


def test_import_linter_contracts_hold() -> None:
    repo = Path(codeact_tui.__file__).parent.parent
    if not (repo / "pyproject.toml").is_file():
        pytest.skip("import-linter needs the source checkout's pyproject.toml")
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
