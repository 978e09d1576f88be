"""Pieces of the change tracker that need no conversation."""

from __future__ import annotations

from codeact_tui.conversation.changes import diff_stat


def test_diff_stat_counts_lines_per_file() -> None:
    diff = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n-x\n+y\n+z\n"
        "diff --git a/b.txt b/b.txt\nnew file mode 100644\n--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1 @@\n+hi\n"
    )
    assert diff_stat(diff) == {"a.py": (2, 1), "b.txt": (1, 0)}
