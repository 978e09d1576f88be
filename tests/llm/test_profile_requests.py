"""The exact requests each shipped model profile makes for a two-step turn (an action, then the
answer), through `codeact-tui run` and the real Ollama client against the fake server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes.executor import InProcessExecutor
from fakes.history import FakeHistory
from fakes.ollama_server import FakeOllama
from fakes.openai_server import FakeOpenAI

from codeact_tui import cli, paths
from codeact_tui.commands import run as run_cmd
from codeact_tui.conversation import Services
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.resources import resource_dir

TRAINED = (
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
    "detailed, and polite answers to the user's questions.\n"
    "The assistant can interact with an interactive Python (Jupyter Notebook) environment and receive the "
    'corresponding output when needed. The code should be enclosed using "<execute>" tag, for example: '
    '<execute> print("Hello World!") </execute>.\n'
    "The assistant should attempt fewer things at a time instead of putting too much code in one <execute> "
    "block. The assistant should always import packages and define variables before starting to use them.\n"
    "The assistant should stop <execute> and provide an answer when they have already obtained the answer "
    "from the execution result. Whenever possible, execute the code for the user using <execute> instead of "
    "providing it.\n"
    "The assistant's response should be concise, but do express their thoughts.\n"
)
"""CodeActAgent's trained system message (xingyaoww/code-act scripts/chat/demo.py, MIT) without
its `!pip install` sentence."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "nums.txt").write_text("2\n4\n6\n")
    services = Services(
        make_executor=lambda p, s: InProcessExecutor(p),
        open_history=lambda p, s: FakeHistory(p),
        sandbox_is_warm=lambda: True,
        repo_map=lambda p, s, b: "",
        code_tools=False,
    )
    monkeypatch.setattr(run_cmd, "SERVICES", services)
    return root


def two_step(project: Path, model: str, action: str, *options: str) -> list[dict[str, Any]]:
    """Run one task that takes an action then answers; the generating chat requests."""
    replies = [action, "<solution>The mean is 4.0.</solution>"]
    with FakeOllama(models={model: 32768}, replies=replies) as server:
        status = cli.main(["run", "mean of nums.txt", "--path", str(project), "--host", server.url, "--model", model, *options])
        requests = server.chat_requests()
    assert status == 0
    assert len(requests) == 3  # the warm-up, then two replies
    return requests[1:]


def generic_prompt(project: Path) -> str:
    return build_system_prompt(PromptLibrary(resource_dir("prompts")), project=project)


SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty")
QWEN_SAMPLING = {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "min_p": 0.0, "repeat_penalty": 1.05}
"""Qwen2.5-Coder-Instruct's generation_config.json (min_p 0: transformers has none)."""

ACTION = "<execute>\nnums = [int(x) for x in open('nums.txt')]\nprint(sum(nums) / len(nums))\n</execute>"


def test_generic_profile_requests_are_todays(project: Path) -> None:
    first, second = two_step(project, "llama3.2:1b", ACTION)
    assert first["messages"][0] == {"role": "system", "content": generic_prompt(project)}
    assert first["options"]["stop"] == ["</execute>"] == second["options"]["stop"]
    assert first["options"] == second["options"] == {"num_ctx": 16384, "num_predict": 2048, "temperature": 0.0, "stop": ["</execute>"]}
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][3]["content"] == "Observation: the code ran to the end.\nstdout:\n4.0"


def test_codeactagent_profile_requests(project: Path) -> None:
    first, second = two_step(project, "xingyaow/codeact-agent-mistral", ACTION)
    system = first["messages"][0]["content"]
    assert system.startswith(TRAINED)
    assert "!pip" not in system and "cannot install packages" in system
    assert "Tool function available (already imported in <execute> environment):\n" in system
    assert first["options"]["stop"] == ["<|im_end|>", "</execute>"] == second["options"]["stop"]
    assert first["options"] == second["options"]
    assert {k: first["options"][k] for k in SAMPLING_KEYS if k in first["options"]} == {"temperature": 0.0, "top_p": 1.0}
    assert second["messages"][2]["content"] == ACTION
    assert second["messages"][3] == {"role": "user", "content": "Execution Output:\nstdout:\n4.0"}


def test_qwen_coder_profile_requests(project: Path) -> None:
    fenced = "```python\nnums = [int(x) for x in open('nums.txt')]\nprint(sum(nums) / len(nums))\n```"
    first, second = two_step(project, "qwen2.5-coder:1.5b", fenced)
    system = first["messages"][0]["content"]
    assert system != generic_prompt(project)
    assert "Write ONE action per reply as a fenced ```python block" in system
    assert "```python\nprint(list_files())\n```" in system
    assert "Find things out by running code, never from memory or by guessing" in system
    assert first["options"]["stop"] == ["</execute>"] == second["options"]["stop"]
    assert first["options"] == second["options"]
    assert {k: first["options"][k] for k in SAMPLING_KEYS if k in first["options"]} == QWEN_SAMPLING
    assert second["messages"][3]["content"] == "Observation: the code ran to the end.\nstdout:\n4.0"


def test_the_users_sampling_values_win_over_the_profiles(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("[model]\ntemperature = 0.3\nrepeat_penalty = 1.0\n")
    monkeypatch.setenv("CODEACT_TUI_MODEL_TOP_K", "5")
    first, second = two_step(project, "qwen2.5-coder:1.5b", ACTION)
    expected = {**QWEN_SAMPLING, "temperature": 0.3, "repeat_penalty": 1.0, "top_k": 5}
    assert {k: first["options"][k] for k in SAMPLING_KEYS if k in first["options"]} == expected
    first, _ = two_step(project, "qwen2.5-coder:1.5b", ACTION, "--temperature", "0")
    assert first["options"]["temperature"] == 0.0  # the command line over the config file
    first, _ = two_step(project, "llama3.2:1b", ACTION)
    assert {k: first["options"][k] for k in SAMPLING_KEYS if k in first["options"]} == {"temperature": 0.3, "top_k": 5, "repeat_penalty": 1.0}


def test_openai_compatible_requests_carry_the_profiles_sampling(project: Path) -> None:
    """Top-level request fields, as llama.cpp's server, llama-cpp-python's and LM Studio read them."""
    fenced = "```python\nprint(sum(int(x) for x in open('nums.txt')) / 3)\n```"
    with FakeOpenAI(replies=[fenced, "<solution>The mean is 4.0.</solution>"]) as server:
        status = cli.main(["run", "mean of nums.txt", "--path", str(project), "--backend", "openai", "--host", server.url, "--model", "qwen2.5-coder-1.5b-instruct"])
        bodies = server.bodies
    assert status == 0 and len(bodies) == 2
    for body in bodies:
        assert {k: body[k] for k in SAMPLING_KEYS if k in body} == QWEN_SAMPLING
        assert body["stop"] == ["</execute>"] and body["max_tokens"] == 2048
    with FakeOpenAI(replies=[ACTION, "<solution>4.0</solution>"]) as server:
        status = cli.main(["run", "mean", "--path", str(project), "--backend", "openai", "--host", server.url, "--temperature", "0.1"])
        body = server.bodies[0]
    assert status == 0 and body["model"] == "local.gguf"  # the generic profile
    assert {k: body[k] for k in SAMPLING_KEYS if k in body} == {"temperature": 0.1}


def test_profile_option_and_config_override_the_choice(project: Path) -> None:
    first, _ = two_step(project, "qwen2.5-coder:1.5b", ACTION, "--profile", "generic")
    assert first["messages"][0]["content"] == generic_prompt(project)
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[model]\nprofile = "codeactagent"\n')
    first, _ = two_step(project, "qwen2.5-coder:1.5b", ACTION)
    assert first["messages"][0]["content"].startswith(TRAINED)


def test_user_profile_from_the_config_folder(project: Path) -> None:
    folder = paths.config_dir() / "profiles"
    folder.mkdir(parents=True)
    (folder / "tiny.toml").write_text(
        'match = ["llama"]\nstop = ["</execute>", "<|eot_id|>"]\n[templates]\n"observation.md" = "Result ($status)\\n$sections"\n'
    )
    first, second = two_step(project, "llama3.2:1b", ACTION)
    assert first["options"]["stop"] == ["</execute>", "<|eot_id|>"]
    assert second["messages"][3]["content"] == "Result (the code ran to the end.)\nstdout:\n4.0"


def test_unknown_profile_is_a_setup_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOllama(models={"llama3.2:1b": 32768}, replies=[ACTION]) as server:
        status = cli.main(["run", "x", "--path", str(project), "--host", server.url, "--model", "llama3.2:1b", "--profile", "nope"])
    assert status == 2
    assert "no model profile named 'nope'" in capsys.readouterr().err


def test_doctor_names_the_profile_and_a_broken_one(capsys: pytest.CaptureFixture[str]) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[model]\nmodel = "qwen2.5-coder:1.5b"\nhost = "http://127.0.0.1:9"\nconnect_timeout_s = 0.5\n')
    cli.main(["doctor"])
    out = capsys.readouterr().out
    assert (
        "[ok  ] model profile: qwen2.5-coder (chosen from the name 'qwen2.5-coder:1.5b'; sampling: temperature 0.7, "
        "top_p 0.8, top_k 20, min_p 0, repeat_penalty 1.05); available: codeactagent, generic, qwen2.5-coder"
    ) in out
    paths.config_file().write_text('[model]\nmodel = "qwen2.5-coder:1.5b"\ntemperature = 0\nhost = "http://127.0.0.1:9"\nconnect_timeout_s = 0.5\n')
    cli.main(["doctor"])
    assert "sampling: temperature 0 (settings), top_p 0.8," in capsys.readouterr().out
    folder = paths.config_dir() / "profiles"
    folder.mkdir()
    (folder / "broken.toml").write_text("stop = [")
    cli.main(["doctor"])
    out = capsys.readouterr().out
    assert "[warn] model profile: profile " in out and "broken.toml is not valid TOML" in out
    assert f"fix: fix or remove the profile file (your own are in {folder})" in out


def test_after_a_repeat_the_turn_is_sampled_hotter_over_the_users_temperature(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same action twice with the same output: from the next request on the temperature is
    at least `[agent] retry_temperature` (0.7), over `--temperature 0`; `run` says so once; the
    floor itself is never sent. Through the real Ollama client and over HTTP."""
    replies = [ACTION, ACTION, "<execute>\nprint(len(open('nums.txt').read()))\n</execute>", "<solution>4.0</solution>"]
    with FakeOllama(models={"llama3.2:1b": 32768}, replies=replies) as server:
        status = cli.main(["run", "mean of nums.txt", "--path", str(project), "--host", server.url, "--model", "llama3.2:1b", "--temperature", "0"])
        requests = server.chat_requests()[1:]
    assert status == 0 and len(requests) == 4
    assert [r["options"]["temperature"] for r in requests] == [0.0, 0.0, 0.7, 0.7]
    assert [r["options"].get("top_p") for r in requests] == [None, None, 0.95, 0.95]
    assert not any(k.startswith("least_") for r in requests for k in r["options"])
    assert capsys.readouterr().err.count("out of a rut, its next replies in this turn are sampled at temperature 0.7 or more") == 1


def test_retry_temperature_zero_keeps_the_users(project: Path) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("[agent]\nretry_temperature = 0\n")
    replies = [ACTION, ACTION, "<solution>4.0</solution>"]
    with FakeOllama(models={"llama3.2:1b": 32768}, replies=replies) as server:
        status = cli.main(["run", "mean", "--path", str(project), "--host", server.url, "--model", "llama3.2:1b", "--temperature", "0"])
        requests = server.chat_requests()[1:]
    assert status == 0 and [r["options"]["temperature"] for r in requests] == [0.0, 0.0, 0.0]


def test_the_retry_floor_only_raises_the_temperature() -> None:
    from codeact_tui.config import ModelSettings
    from codeact_tui.core.ports import Sampling
    from codeact_tui.llm.sampling import request_sampling

    hot = Sampling(temperature=0.2, top_p=0.8, top_k=20, least_temperature=0.7, least_top_p=0.95)
    assert request_sampling(ModelSettings(), hot) == {"temperature": 0.7, "top_p": 0.95, "top_k": 20}
    assert request_sampling(ModelSettings(temperature=1.1, top_p=0.99), hot) == {"temperature": 1.1, "top_p": 0.99, "top_k": 20}
    assert request_sampling(ModelSettings(), Sampling(least_temperature=0.7)) == {"temperature": 0.7}
