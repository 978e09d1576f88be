"""Run aider itself on one Exercism exercise, as aider's own benchmark harness does.

This file runs with the Python of a separate virtualenv that has `aider-chat` installed (it is
never imported by codeact-tui). `side_by_side.py` writes a job file and starts it:

    /path/to/aider-venv/bin/python aider_driver.py JOB.json

The protocol follows aider's `benchmark/benchmark.py` (`run_test_real`): a Coder on the stub files
only, with the model's default edit format, no git, no shell suggestions and no other files
mentioned; `coder.run(with_message=instructions, preproc=False)`; then the tests; on failure the
test output (first 50 lines, cleaned as aider cleans it) and aider's note go into the next run;
two tries. The tests are codeact-tui's verdict (the pristine test file on a copy of the solution,
in the sandbox), called as a subprocess, so aider and codeact-tui are judged by the same code.
The result is written as JSON to the job's `result_file`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text())
    import aider.models
    from aider import __version__
    from aider.coders import Coder
    from aider.io import InputOutput

    aider.models.request_timeout = float(job.get("request_timeout_s", 3600))
    workdir = Path(job["workdir"])
    fnames = [str(workdir / name) for name in job["solution_files"]]
    io = InputOutput(pretty=False, yes=True, chat_history_file=str(workdir / ".aider.chat.history.md"), fancy_input=False)
    model = aider.models.Model(job["model"])
    model.extra_params = {**(model.extra_params or {}), "max_tokens": int(job["max_tokens"])}
    coder = Coder.create(
        main_model=model,
        edit_format=model.edit_format,
        io=io,
        fnames=fnames,
        use_git=False,
        stream=False,
        suggest_shell_commands=False,
        map_tokens=0,
        auto_lint=False,
    )
    coder.get_file_mentions = lambda content: set()  # no other files, as in aider's harness
    instructions = job["instructions"]
    outcomes: list[bool] = []
    attempts: list[dict[str, object]] = []
    lazy = 0
    started = time.monotonic()
    model_seconds = 0.0
    for _ in range(int(job["tries"])):
        before = time.monotonic()
        response = coder.run(with_message=instructions, preproc=False) or ""
        model_seconds += time.monotonic() - before
        lazy += len(re.findall(r"^[+]? *[#].* [.][.][.] ", response, re.MULTILINE))
        verdict = subprocess.run(job["verdict_command"], capture_output=True, text=True)
        try:
            report = json.loads(verdict.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            Path(job["result_file"]).write_text(json.dumps({"error": f"verdict failed: {verdict.stderr[-500:]}"}))
            return 1
        outcomes.append(bool(report["passed"]))
        attempts.append({k: report[k] for k in ("passed", "tests_run", "failures", "errors", "timed_out")} | {"output": report["cut"]})
        if report["passed"]:
            break
        instructions = report["cut"] + job["retry_note"]
    Path(job["result_file"]).write_text(json.dumps({
        "aider_version": __version__,
        "model": model.name,
        "edit_format": coder.edit_format,
        "tests_outcomes": outcomes,
        "attempts": attempts,
        "model_calls": len(coder.chat_completion_call_hashes),
        "num_malformed_responses": coder.num_malformed_responses,
        "num_exhausted_context_windows": coder.num_exhausted_context_windows,
        "lazy_comments": lazy,
        "model_seconds": round(model_seconds, 1),
        "duration_s": round(time.monotonic() - started, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
