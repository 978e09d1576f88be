"""Runs an Exercism exercise's unittest files inside the sandbox (this module is imported by the
guest, never by the host).

`verdict(nonce)` is what the harness calls on a folder holding a copy of the solution and the
pristine test file: it prints one line, the marker, the nonce and a JSON result. (The model's
own `run_tests()` is the product's, from the sandbox's helpers.)

Output written while the tests run (the tests' report and anything the solution prints) is
kept up to a limit, so a solution that prints megabytes cannot push the result out.
"""

import importlib
import io
import json
import os
import sys
import unittest

PATTERN = "*_test.py"
MARKER = "@@exercism@@ "
OUTPUT_LIMIT = 64 * 1024


class _CappedText(io.TextIOBase):
    """A text stream that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit):
        self.limit = limit
        self.parts = []
        self.kept = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self):
        text = "".join(self.parts)
        if self.dropped:
            text += "\n[... %d more characters of output left out]\n" % self.dropped
        return text


def _forget_project_modules(root):
    prefix = root.rstrip("/") + "/"
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if path.startswith(prefix):
            del sys.modules[name]
    importlib.invalidate_caches()


def _run(pattern, limit):
    root = os.getcwd()
    _forget_project_modules(root)
    stream = _CappedText(limit)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = stream
    try:
        suite = unittest.defaultTestLoader.discover(root, pattern=pattern, top_level_dir=root)
        result = unittest.TextTestRunner(stream=stream, verbosity=1).run(suite)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the loader itself failed (a broken test folder)
        sys.stdout, sys.stderr = saved
        return None, stream.getvalue() + "\n%s: %s\n" % (type(exc).__name__, exc)
    finally:
        sys.stdout, sys.stderr = saved
    return result, stream.getvalue()


def verdict(nonce, pattern=PATTERN):
    """Run the tests and print the harness's result line."""
    result, output = _run(pattern, OUTPUT_LIMIT)
    payload = {
        "nonce": nonce,
        "tests_run": result.testsRun if result is not None else 0,
        "failures": len(result.failures) if result is not None else 0,
        "errors": len(result.errors) if result is not None else 1,
        "passed": bool(result is not None and result.testsRun > 0 and result.wasSuccessful()),
        "output": output,
    }
    sys.stdout.write(MARKER + json.dumps(payload) + "\n")
