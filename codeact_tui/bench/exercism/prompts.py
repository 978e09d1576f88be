"""The user messages of both protocols.

The `aider` protocol's two messages are the wording of aider's Exercism benchmark
(`benchmark/prompts.py` in https://github.com/Aider-AI/aider, Apache-2.0): after the
instructions, and after the failing test output of the first attempt. They are reproduced so
that our agent and aider answer the very same requests.
"""

from __future__ import annotations

from pathlib import Path

INSTRUCTIONS_ADDENDUM = """
####

Use the above instructions to modify the supplied files: {file_list}
Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.
Only use standard libraries, don't suggest installing any packages.
"""

TEST_FAILURES = """
####

See the testing errors above.
The tests are correct, don't try and change them.
Fix the code in {file_list} to resolve the errors.
"""


def file_list(solution_files: tuple[str, ...]) -> str:
    """The files' names as aider lists them (space-separated base names)."""
    return " ".join(Path(name).name for name in solution_files)


def aider_first(instructions: str, project: Path, solution_files: tuple[str, ...]) -> str:
    """The first request: the instructions, aider's addendum, then the stub files as aider shows
    files added to the chat (name, then the content in a fence)."""
    shown = []
    for name in solution_files:
        path = project / name
        content = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        shown.append(f"{name}\n```\n{content.rstrip()}\n```")
    return instructions + INSTRUCTIONS_ADDENDUM.format(file_list=file_list(solution_files)) + "\n" + "\n\n".join(shown) + "\n"


def aider_retry(cut_output: str, solution_files: tuple[str, ...]) -> str:
    """The second request: the cut test output and aider's note."""
    return cut_output + TEST_FAILURES.format(file_list=file_list(solution_files))


def native_request(instructions: str, solution_files: tuple[str, ...], test_files: tuple[str, ...]) -> str:
    """Native mode: the instructions as the user's request, with the files named and the test
    runner offered."""
    tests = ", ".join(f"`{t}`" for t in test_files if t.endswith("_test.py"))
    stubs = ", ".join(f"`{s}`" for s in solution_files)
    return (
        f"{instructions.rstrip()}\n\n"
        f"---\n\nImplement this in the file {stubs} of this folder: write your code into that file "
        "(with `write_file` or `replace_in_file`); functions defined only in your session are not "
        f"saved. The tests are in {tests}; they are correct, do not change them. Keep the names of "
        "the existing functions and classes, and use only the standard library. Check your work with "
        "`print(run_tests())`, and finish when every test passes."
    )
