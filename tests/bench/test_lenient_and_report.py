"""The lenient checker, the paper's table (from JSON and from the notebook), the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from m3_helpers import FIXTURE

from codeact_tui.bench.lenient import lenient_match
from codeact_tui.bench.records import EpisodeRecord, RecordFile, read_records
from codeact_tui.bench.report import render_text, report_json, score
from codeact_tui.bench.source import (
    SourceError,
    find_benchmark,
    load_paper_results,
    paper_rows,
)


@pytest.mark.parametrize(
    ("answer", "expected", "ok"),
    [
        ("228.16", "228.15900000000002", True),
        ("$228.16.", "228.15900000000002", True),
        ("228.2", "228.15900000000002", False),
        ("[1,2]", "[1, 2]", True),
        ("'Alice  Smith'", "'alice smith'", True),
        ("{'a': 1.0}", "{'a': 1}", True),
        ("apple, pear", "['apple', 'pear']", False),
        ("3", "4", False),
    ],
)
def test_lenient_match(answer: str, expected: str, ok: bool) -> None:
    assert lenient_match(answer, expected) is ok


def test_find_benchmark_accepts_root_and_folder_and_refuses_others(tmp_path: Path) -> None:
    root = find_benchmark(FIXTURE)
    assert root == (FIXTURE / "scripts/eval/m3tooleval").resolve()
    assert find_benchmark(root) == root
    with pytest.raises(SourceError, match="not a checkout of https://github.com/xingyaoww/code-act"):
        find_benchmark(tmp_path)
    with pytest.raises(SourceError, match="not a folder"):
        find_benchmark(tmp_path / "missing")
    (tmp_path / "tasks").mkdir()
    with pytest.raises(SourceError, match="lacks main.py"):
        find_benchmark(tmp_path)


def test_paper_results_from_json_and_notebook(tmp_path: Path) -> None:
    paper = tmp_path / "paper.json"
    paper.write_text(json.dumps({
        "models": [{"model": "m1", "success_pct": {"code": 10.0, "json": 5.0}, "avg_turns": {"code": 9.0}}],
        "codeact_agent": {"success_pct": {"agent-7b": 12.2}},
    }))
    results = load_paper_results(tmp_path, paper)
    assert results is not None
    assert paper_rows(results, "code") == [("agent-7b", 12.2, None), ("m1", 10.0, 9.0)]
    table = (
        "{} & \\multicolumn{3}{l}{1Correct %} & \\multicolumn{3}{l}{2Avg. Turns} \\\\\n"
        "\\texttt{gpt-x}  &  $\\mathbf{74.40}$ & $52.40$ & \\underline{$53.70$} & $\\mathbf{5.50}$ & $7.60$ & $7.70$ \\\\\n"
    )
    notebook = {"cells": [{"cell_type": "code", "outputs": [{"name": "stdout", "text": [table]}]}]}
    (tmp_path / "m3tooleval_analysis.ipynb").write_text(json.dumps(notebook))
    from_nb = load_paper_results(tmp_path)
    assert from_nb is not None and paper_rows(from_nb, "text") == [("gpt-x", 53.7, 7.7)]
    with pytest.raises(SourceError):
        load_paper_results(tmp_path, tmp_path / "nope.json")


def _record(task: str, domain: str, outcome: str, turns: int, lenient: bool = False) -> EpisodeRecord:
    return EpisodeRecord(task, domain, "faithful", "code", "m", outcome, turns, "x", lenient_correct=lenient or outcome == "correct", lenient_turns=turns)  # type: ignore[arg-type]


def test_scores_per_domain_and_overall_exclude_errors(tmp_path: Path) -> None:
    recs = [
        _record("a/1", "a", "correct", 2),
        _record("a/2", "a", "incorrect", 10, lenient=True),
        _record("b/1", "b", "error", 1),
        _record("b/2", "b", "incorrect", 10),
    ]
    scores = score(recs)
    assert [s.name for s in scores] == ["a", "b", "overall"]
    a, b, overall = scores
    assert (a.tasks, a.success_pct, a.avg_turns, a.lenient_success_pct) == (2, 50.0, 6.0, 100.0)
    assert (b.tasks, b.errors, b.success_pct) == (1, 1, 0.0)
    assert (overall.tasks, overall.correct, overall.errors) == (3, 1, 1)
    header = {"model": "m", "mode": "faithful", "action": "code"}
    text = render_text(scores, header, None, "code")
    assert "1 episode(s) ended in an error" in text and "lenient" in text
    assert report_json(scores, header, None, "code")["scores"][-1]["success_pct"] == 33.3
    out = RecordFile(tmp_path / "r.jsonl")
    for r in recs:
        out.append(r)
    with open(tmp_path / "r.jsonl", "a") as handle:
        handle.write('{"torn": ')
    assert set(read_records(tmp_path / "r.jsonl")) == {"a/1", "a/2", "b/1", "b/2"}


def test_unreachable_server_is_a_setup_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakes.ollama_server import free_port

    from codeact_tui import cli

    status = cli.main(
        ["bench", "m3tooleval", "--source", str(FIXTURE), "--host", f"http://127.0.0.1:{free_port()}",
         "--model", "codeact:7b", "--out", str(tmp_path / "r.jsonl")]
    )
    assert status == 2
    assert "codeact-tui bench m3tooleval:" in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists()


def test_resume_needs_an_existing_records_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from codeact_tui import cli

    status = cli.main(["bench", "m3tooleval", "--source", str(FIXTURE), "--model", "m", "--out", str(tmp_path / "none.jsonl"), "--resume"])
    assert status == 2
    assert "no records file" in capsys.readouterr().err


EXERCISM_FIXTURE = Path(__file__).parent / "fixture"


@pytest.mark.parametrize("benchmark", ["m3tooleval", "exercism"])
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--limit", "0"], "--limit must be at least 1"),
        (["--max-turns", "0"], "--max-turns must be at least 1"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--PATTERN", "("], "--PATTERN is not a valid regular expression"),
        (["--resume"], "--resume: there is no records file"),
    ],
)
def test_both_benchmarks_refuse_the_same_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], benchmark: str, extra: list[str], message: str
) -> None:
    """The options the two benchmarks share are checked alike, before any model or sandbox starts."""
    from codeact_tui import cli

    pattern = "tasks" if benchmark == "m3tooleval" else "exercises"
    extra = [part.replace("PATTERN", pattern) for part in extra]
    source = FIXTURE if benchmark == "m3tooleval" else EXERCISM_FIXTURE
    out = tmp_path / "none.jsonl"
    assert cli.main(["bench", benchmark, "--source", str(source), "--model", "m", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert f"codeact-tui bench {benchmark}: {message.replace('PATTERN', pattern)}" in err
    assert not out.exists()


def test_a_records_file_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from codeact_tui import cli

    out = tmp_path / "earlier.jsonl"
    out.write_text('{"task_id": "x"}\n')
    assert cli.main(["bench", "exercism", "--source", str(EXERCISM_FIXTURE), "--oracle", "--out", str(out)]) == 2
    assert "already holds records: pass --resume" in capsys.readouterr().err
    assert out.read_text() == '{"task_id": "x"}\n'
