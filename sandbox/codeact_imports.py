"""Runs INSIDE the sandbox: the project's virtualenv on the import path, and a clear error for
its compiled extensions.

The host grants each site-packages folder of the project's virtualenv read-only; `install` puts
them at the END of `sys.path` (the sandbox's own packages win). A package there may hold
modules compiled for the host's CPython (`.so`, `.pyd`), which WebAssembly CPython cannot load:
the finder added last to `sys.meta_path` sees that nothing else found such a module and raises
an ImportError that names the package and says why, instead of a bare "No module named".
"""

from __future__ import annotations

import os
import sys

_EXTENSION_SUFFIXES = (".so", ".pyd", ".dylib")


class CompiledExtensionFinder:
    """A last-resort finder that explains compiled modules of the project's virtualenv."""

    def __init__(self, roots: list[str], labels: dict[str, str]) -> None:
        self.roots = roots
        self.labels = labels
        """Guest path → how to name it to the model (the path inside the project)."""

    def _root_of(self, folder: str) -> str | None:
        for root in self.roots:
            if folder == root or folder.startswith(root + "/"):
                return root
        return None

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - importlib protocol
        last = fullname.rpartition(".")[2]
        for folder in list(path) if path else self.roots:
            root = self._root_of(str(folder))
            if root is None:
                continue
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            compiled = sorted(n for n in names if n.startswith(last + ".") and n.endswith(_EXTENSION_SUFFIXES))
            if compiled:
                package = fullname.partition(".")[0]
                where = self.labels.get(root, root)
                raise ImportError(
                    f"cannot import {fullname}: package {package!r} from the project's virtualenv "
                    f"({where}) needs {compiled[0]}, a compiled extension built for the host's "
                    "Python. The sandbox runs CPython compiled to WebAssembly and can load only "
                    f"pure-Python packages, so {package!r} cannot be used here; work without it "
                    "(or with what the sandbox has built in).",
                    name=fullname,
                )
        return None

    def invalidate_caches(self) -> None:
        """Nothing cached."""


def install(roots: list[str], labels: dict[str, str]) -> None:
    """Append the virtualenv folders to `sys.path` and the explaining finder to `sys.meta_path`."""
    for root in roots:
        if root not in sys.path:
            sys.path.append(root)
    if roots and not any(isinstance(f, CompiledExtensionFinder) for f in sys.meta_path):
        sys.meta_path.append(CompiledExtensionFinder(roots, labels))
