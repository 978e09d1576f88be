"""The theme and prompt history kept between sessions (headless part)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from codeact_tui import paths
from codeact_tui.remembered import (
    PROMPT_HISTORY_LIMIT,
    PROMPT_MAX_CHARS,
    UI_STATE_FILE,
    PromptHistory,
    remember_theme,
    remembered_theme,
    write_json_atomic,
)


def test_a_chosen_theme_is_remembered_while_the_config_is_unchanged() -> None:
    assert remembered_theme("codeact-dark") is None
    assert remember_theme("codeact-light", configured="codeact-dark")
    assert remembered_theme("codeact-dark") == "codeact-light"
    # the user edited `[ui] theme` since: the config file wins again
    assert remembered_theme("nord") is None


def test_an_unreadable_state_file_reads_as_nothing() -> None:
    state = paths.data_dir() / UI_STATE_FILE
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    assert remembered_theme("codeact-dark") is None
    state.write_text('["a list"]')
    assert remembered_theme("codeact-dark") is None


def test_prompts_are_kept_per_project(tmp_path: Path) -> None:
    one, two = PromptHistory(tmp_path / "one"), PromptHistory(tmp_path / "two")
    assert one.load() == []
    assert one.add("fix add") and one.add("!print(1)") and one.add("!print(1)")
    two.add("elsewhere")
    assert one.load() == ["fix add", "!print(1)"]
    assert two.load() == ["elsewhere"]
    assert one.file.parent == paths.project_data_dir(tmp_path / "one")


def test_two_apps_of_one_project_both_keep_their_prompts(tmp_path: Path) -> None:
    first, second = PromptHistory(tmp_path), PromptHistory(tmp_path)
    first.add("from the first")
    second.add("from the second")
    assert PromptHistory(tmp_path).load() == ["from the first", "from the second"]


def test_the_history_is_capped_and_huge_prompts_are_not_written(tmp_path: Path) -> None:
    history = PromptHistory(tmp_path)
    write_json_atomic(history.file, {"prompts": [f"prompt {i}" for i in range(PROMPT_HISTORY_LIMIT + 4)]})
    history.add(f"prompt {PROMPT_HISTORY_LIMIT + 4}")
    kept = history.load()
    assert len(kept) == PROMPT_HISTORY_LIMIT and kept[0] == "prompt 5" and kept[-1] == f"prompt {PROMPT_HISTORY_LIMIT + 4}"
    assert not history.add("x" * (PROMPT_MAX_CHARS + 1))
    assert history.load()[-1] == f"prompt {PROMPT_HISTORY_LIMIT + 4}"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_prompt_file_is_private_and_no_temporary_file_stays(tmp_path: Path) -> None:
    history = PromptHistory(tmp_path)
    history.add("token=secret")
    assert stat.S_IMODE(history.file.stat().st_mode) == 0o600
    assert [p.name for p in history.file.parent.iterdir()] == [history.file.name]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_json_atomic(target, {"theme": "old"})

    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        write_json_atomic(target, {"theme": Unserialisable()})
    assert json.loads(target.read_text()) == {"theme": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_data_folder_that_cannot_be_made_does_not_raise(tmp_path: Path) -> None:
    paths.data_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.data_dir().write_text("a file where the folder should be")
    assert remember_theme("nord", configured="codeact-dark") is False
    assert PromptHistory(tmp_path).add("hello") is False
    assert remembered_theme("codeact-dark") is None and PromptHistory(tmp_path).load() == []


def test_the_module_stays_headless() -> None:
    import subprocess
    import sys

    code = "import sys, codeact_tui.remembered; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
