"""The headless layers never import textual or rich (DESIGN.md §2), and the import contracts hold."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import codeact_tui

HEADLESS_PACKAGES = ("core", "conversation", "llm", "executor", "history", "codeintel", "bench", "commands")
TERMINAL_TOOLKITS = ("textual", "rich")


def _headless_modules() -> list[str]:
    names = ["codeact_tui.config", "codeact_tui.paths", "codeact_tui.resources", "codeact_tui.wiring"]
    root = Path(codeact_tui.__file__).parent
    for package in HEADLESS_PACKAGES:
        names.append(f"codeact_tui.{package}")
        for info in pkgutil.walk_packages([str(root / package)], prefix=f"codeact_tui.{package}."):
            names.append(info.name)
    return names


# Runs in a fresh interpreter: records which module imports a terminal toolkit first. A
# third-party library may bring one along (httpx imports rich for its own command line); only
# our modules importing one directly, or textual at all, count.
_PROBE = """
import builtins, importlib, json, sys
toolkits = {toolkits!r}
importers = {{}}
real_import = builtins.__import__
def spy(name, globals=None, locals=None, fromlist=(), level=0):
    top = name.split(".")[0]
    if level == 0 and top in toolkits and top not in sys.modules:
        importers.setdefault(top, (globals or {{}}).get("__name__", "?"))
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = spy
importlib.import_module({module!r})
print(json.dumps({{"textual": "textual" in sys.modules, "ours": sorted(
    f"{{top}} (imported by {{who}})" for top, who in importers.items() if who.startswith("codeact_tui"))}}))
"""


@pytest.mark.parametrize("module", _headless_modules())
def test_headless_module_imports_no_terminal_toolkit(module: str) -> None:
    code = _PROBE.format(toolkits=TERMINAL_TOOLKITS, module=module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert not found["textual"], f"{module} pulls in textual"
    assert not found["ours"], f"{module} imports {found['ours']}"


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


def test_exactly_one_place_builds_an_agent() -> None:
    """One composition of the loop (`conversation.compose.compose_agent`): the conversation
    service and the benchmark harnesses both call it, handing it their own ports."""
    import ast

    root = Path(codeact_tui.__file__).parent
    builders: set[str] = set()
    composers: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "Agent":
                    builders.add(path.relative_to(root).as_posix())
                elif node.func.id == "compose_agent":
                    composers.add(path.relative_to(root).as_posix())
    assert builders == {"conversation/compose.py"}, f"only conversation/compose.py builds an Agent, not {builders}"
    assert {"conversation/service.py", "bench/episodes.py"} <= composers, composers
