"""Which packages the sandbox gets: pytest's closure for the guest, the project's virtualenvs."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeact_tui.executor import guest_packages


def test_test_runner_folder_holds_pytest_and_its_dependencies(tmp_path: Path) -> None:
    folder = guest_packages.test_runner_dir(tmp_path)
    names = {p.name for p in folder.iterdir()}
    assert {"pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments"} <= names
    assert not list(folder.rglob("__pycache__"))  # no host bytecode for the guest's Python
    assert not any(n.endswith(".dist-info") for n in names)
    assert guest_packages.test_runner_dir(tmp_path) == folder  # made once per set of versions


def test_markers_are_evaluated_for_the_guest() -> None:
    names = {d.metadata["Name"].lower() for d in guest_packages._closure("pytest")}
    assert "pytest" in names and "colorama" not in names and "tomli" not in names  # win32 / < 3.11 only


def make_venv(path: Path) -> Path:
    (path / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return path / "lib" / "python3.11" / "site-packages"


def test_project_virtualenvs_are_found_inside_the_project_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    dot = make_venv(project / ".venv")
    plain = make_venv(project / "venv")
    (project / "env").mkdir()  # not a virtualenv: no pyvenv.cfg
    outside = make_venv(tmp_path / "elsewhere")
    monkeypatch.setenv("VIRTUAL_ENV", str(outside.parents[2]))
    assert guest_packages.project_site_packages(project) == [dot.resolve(), plain.resolve()]
    active = make_venv(project / "tools" / "env")
    monkeypatch.setenv("VIRTUAL_ENV", str(project / "tools" / "env"))
    assert guest_packages.project_site_packages(project)[-1] == active.resolve()
