"""Edge cases: hostile paths (property-based), odd encodings, concurrent callers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeact_tui.codeintel.confine import confine, is_hidden
from codeact_tui.codeintel.errors import CodeToolError
from codeact_tui.codeintel.host_tools import make_host_tools
from codeact_tui.codeintel.repomap import build_repo_map
from codeact_tui.codeintel.symbols import extract
from tests.support import write

PIECES = ["a", "b", "..", ".", "", ".git", ".GIT", "link", "/", "\\", "/project", "~", "a.py"]


@pytest.fixture(scope="module")
def jail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jail")
    project = root / "project"
    write(project, "a/a.py", "")
    write(project, ".git/config", "")
    write(root, "outside/secret.py", "")
    os.symlink(root / "outside", project / "link")
    return project


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_confined_paths_never_leave_the_project_or_enter_git(jail: Path, parts: list[str]) -> None:
    path = "/".join(parts)
    try:
        rel = confine(jail, path)
    except CodeToolError:
        return
    real = os.path.realpath(jail / rel)
    root = os.path.realpath(jail)
    assert real == root or real.startswith(root + os.sep)
    assert not is_hidden(rel)


def test_non_utf8_source_still_parses() -> None:
    source = "def caf\u00e9():\n    return '\u00e9t\u00e9'\n".encode("latin-1")
    names = [d.name for d in extract(source, "python").definitions]
    assert len(names) == 1 and names[0].startswith("caf")


def test_async_and_decorated_python_definitions() -> None:
    source = b"@cache\nasync def fetch(url: str) -> bytes:\n    ...\n"
    (definition,) = extract(source, "python").definitions
    assert definition.signature == "async def fetch(url: str) -> bytes"
    assert definition.line == 2


def test_map_and_tools_from_several_threads(polyglot: Path) -> None:
    outline, find_definitions, find_references, search = make_host_tools(polyglot)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(5):
                write(polyglot, f"gen/t{i}_{j}.py", f"def made_{i}_{j}():\n    return {j}\n")
                build_repo_map(polyglot, token_budget=200, mentioned=[f"made_{i}_{j}"])
                outline(f"gen/t{i}_{j}.py")
                find_definitions("Cart")
                find_references("apply_discount")
                search("made_", glob="gen/")
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(find_definitions("made_3_4")) == 1
