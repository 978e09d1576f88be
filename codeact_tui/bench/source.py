"""Find the M3ToolEval benchmark in a checkout of xingyaoww/code-act, and the paper's numbers.

The benchmark's code is never copied into this project: the user passes a checkout (`--source`)
and its task modules run unchanged in the sandbox.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SUBDIR = Path("scripts/eval/m3tooleval")
REPOSITORY = "https://github.com/xingyaoww/code-act"
NOTEBOOK = "m3tooleval_analysis.ipynb"


class SourceError(ValueError):
    """The folder is not (a checkout containing) the M3ToolEval benchmark; says what to do."""


def find_benchmark(source: Path) -> Path:
    """The benchmark folder (the one holding `main.py` and `tasks/`) inside `source`.

    `source` may be the repository's root or the benchmark folder itself.

    Raises:
        SourceError: It is missing, or it lacks the files the harness needs.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise SourceError(f"{source} is not a folder; pass a checkout of {REPOSITORY} with --source")
    candidates = [source / SUBDIR, source]
    for folder in candidates:
        if (folder / "tasks").is_dir() or (folder / "main.py").is_file():
            missing = [name for name in ("main.py", "tasks/__init__.py", "tasks/base.py", "tasks/impl") if not (folder / name).exists()]
            if missing:
                raise SourceError(f"{folder} looks like M3ToolEval but lacks {', '.join(missing)}; is the checkout complete?")
            base = (folder / "tasks/base.py").read_text(encoding="utf-8", errors="replace")
            main = (folder / "main.py").read_text(encoding="utf-8", errors="replace")
            if "def check_answer" not in base or "def get_prompt" not in base or "def postprocess_fn" not in main:
                raise SourceError(f"{folder} does not hold the M3ToolEval harness (no Task.check_answer, get_prompt or postprocess_fn)")
            return folder.resolve()
    raise SourceError(
        f"{source} is not a checkout of {REPOSITORY}: no {SUBDIR} inside it. "
        f"Get it with `git clone {REPOSITORY}` and pass the clone with --source"
    )


@dataclass(frozen=True)
class PaperModel:
    """One model's published M3ToolEval numbers."""

    model: str
    success_pct: dict[str, float]
    """Success rate in percent per action mode (`code`, `json`, `text`)."""
    avg_turns: dict[str, float] = field(default_factory=dict)
    """Average turns per action mode."""


@dataclass(frozen=True)
class PaperResults:
    """The paper's table, and where it came from."""

    source: str
    models: tuple[PaperModel, ...]


_MODES = ("code", "json", "text")


def load_paper_results(benchmark: Path, explicit: Path | None = None) -> PaperResults | None:
    """The published numbers: from `explicit` (a JSON file like `paper_results.json`), else a
    `paper_results.json` beside the benchmark, else the saved outputs of the checkout's analysis
    notebook. None when none is available.

    Raises:
        SourceError: `explicit` is given but unreadable.
    """
    if explicit is not None:
        try:
            return _from_json(Path(explicit))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"{explicit}: not a readable paper results file ({exc})") from None
    for candidate in (benchmark / "paper_results.json", benchmark.parent / "paper_results.json"):
        if candidate.is_file():
            try:
                return _from_json(candidate)
            except (OSError, ValueError, KeyError, TypeError):
                pass
    notebook = benchmark / NOTEBOOK
    if notebook.is_file():
        try:
            return _from_notebook(notebook)
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return None


def _from_json(path: Path) -> PaperResults:
    data = json.loads(path.read_text(encoding="utf-8"))
    models = tuple(
        PaperModel(
            model=str(row["model"]),
            success_pct={k: float(v) for k, v in row["success_pct"].items()},
            avg_turns={k: float(v) for k, v in row.get("avg_turns", {}).items()},
        )
        for row in data["models"]
    )
    extra = data.get("codeact_agent", {}).get("success_pct", {})
    known = {m.model for m in models}
    models += tuple(PaperModel(name, {"code": float(v)}) for name, v in extra.items() if name not in known)
    return PaperResults(source=str(path), models=models)


_ROW = re.compile(r"^\\texttt\{(?P<model>[^}]*)\}\s*&(?P<cells>.*)\\\\\s*$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _from_notebook(path: Path) -> PaperResults:
    """Parse the LaTeX table (success %, average turns per mode) the notebook printed."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    models: list[PaperModel] = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", []))
            if "Avg. Turns" not in text:
                continue
            for line in text.splitlines():
                match = _ROW.match(line.strip())
                if not match:
                    continue
                values = [float(_NUMBER.findall(cell_text)[0]) for cell_text in match["cells"].split("&") if _NUMBER.findall(cell_text)]
                if len(values) != 6:
                    continue
                models.append(PaperModel(match["model"], dict(zip(_MODES, values[:3])), dict(zip(_MODES, values[3:]))))
    if not models:
        raise ValueError("no results table in the notebook's saved outputs")
    return PaperResults(source=f"{path} (saved outputs)", models=tuple(models))


def paper_rows(results: PaperResults, action: str) -> list[tuple[str, float, float | None]]:
    """(model, success %, average turns) for one action mode, best first."""
    rows = [(m.model, m.success_pct[action], m.avg_turns.get(action)) for m in results.models if action in m.success_pct]
    return sorted(rows, key=lambda row: (-row[1], row[0]))
