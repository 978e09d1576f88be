"""Shipped resources are found both in a source checkout and in an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import codeact_tui
from codeact_tui.resources import ResourceMissing, resource_dir, resource_file

REPO = Path(codeact_tui.__file__).resolve().parent.parent


def test_checkout_layout() -> None:
    assert resource_dir("sandbox") == REPO / "sandbox"
    assert resource_file("sandbox", "codeact_guest.py").is_file()
    with pytest.raises(ValueError):
        resource_dir("nonsense")
    with pytest.raises(ResourceMissing):
        resource_file("sandbox", "no-such-file.py")


@pytest.mark.slow
def test_wheel_layout(tmp_path: Path) -> None:
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("needs the source checkout")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("codeact_tui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "codeact_tui/_data/sandbox/codeact_guest.py" in names
    assert "codeact_tui/_data/sandbox/codeact_helpers.py" in names
    assert any(n.startswith("codeact_tui/_data/prompts/") for n in names)
    code = "from codeact_tui.resources import resource_dir; print(resource_dir('sandbox'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(out.stdout.strip()) == tmp_path / "site" / "codeact_tui" / "_data" / "sandbox"
