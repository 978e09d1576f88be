"""Fixtures for the app's Pilot tests: a project, the fake Ollama server, and an app factory
that uses the same `make_app` as the CLI with only the executor swapped when asked."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.color import Color
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button

from codeact_tui.config import Settings
from codeact_tui.ui.app import CodeActApp, make_app
from codeact_tui.conversation import Services
from tests.fakes.executor import InProcessExecutor
from tests.fakes.ollama_server import FakeOllama
from tests.support import BROKEN as BROKEN  # re-exported for the Pilot tests
from tests.support import FIXED as FIXED
from tests.support import calc_project

WRITE_REPLY = (
    "I'll fix `calc.py`.\n\n<execute>\nsrc = open('calc.py').read().replace('a - b', 'a + b')\n"
    "open('calc.py', 'w').write(src)\nprint('fixed')\n</execute>"
)
ANSWER_REPLY = "Done.\n<solution>`add` now adds.</solution>"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return calc_project(tmp_path)


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama(replies=[WRITE_REPLY, ANSWER_REPLY]) as server:
        yield server


def settings_for(host: str, *, model: str = "codeact:7b", approve: str = "auto") -> Settings:
    """Settings that talk to `host` with a small repo map (fast)."""
    base = Settings()
    return dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, host=host, model=model, connect_timeout_s=2.0),
        agent=dataclasses.replace(base.agent, approve=approve),  # type: ignore[arg-type]
        codeintel=dataclasses.replace(base.codeintel, disk_cache=False),
    )


AppFactory = Callable[..., CodeActApp]


@pytest.fixture
def app_factory(project: Path) -> AppFactory:
    """Build the app like the CLI does; `sandbox=False` swaps in the in-process executor."""

    def build(settings: Settings, *, sandbox: bool = False, executor: object | None = None, root: Path | None = None) -> CodeActApp:
        services = Services()
        if not sandbox:
            chosen = executor
            services = dataclasses.replace(
                services,
                make_executor=lambda p, s: chosen if chosen is not None else InProcessExecutor(p),
                sandbox_is_warm=lambda: True,
            )
        return make_app(root or project, settings, services=services)

    return build


async def settle(pilot: object, app: CodeActApp) -> None:
    """Let workers finish and messages drain (no sleeps)."""
    for _ in range(3):
        await pilot.pause()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 = the same, 21 = black on white)."""

    def luminance(color: Color) -> float:
        def channel(value: int) -> float:
            v = value / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_buttons_stand_out(screen: Screen[object], dialog: Widget) -> list[str]:
    """Every button of `screen`, as drawn, stands out from `dialog` and its label reads (WCAG AA:
    3:1 for a control against what surrounds it, 4.5:1 for text — a bold label in a terminal's
    cell size is not "large text"). Returns the ids of the buttons checked."""
    around = dialog.rich_style.bgcolor
    assert around is not None
    checked = []
    for button in screen.query(Button):
        drawn = button.rich_style
        assert drawn.color is not None and drawn.bgcolor is not None and drawn.bold, (button.id, drawn)
        face, label = Color.from_rich_color(drawn.bgcolor), Color.from_rich_color(drawn.color)
        assert contrast(face, Color.from_rich_color(around)) >= 3, (button.id, face.hex, around)
        assert contrast(label, face) >= 4.5, (button.id, label.hex, face.hex, round(contrast(label, face), 2))
        checked.append(str(button.id))
    return checked


async def send(pilot: object, text: str) -> None:
    """Type `text` into the focused widget, a key at a time, and press Enter."""
    await pilot.press(*text, "enter")  # type: ignore[attr-defined]


async def until(pilot: object, done: Callable[[], object], seconds: float = 30.0, step: float | None = None) -> None:
    """Let the app run until `done()` holds; fail, naming the screen, after `seconds` (the real
    sandbox on a busy machine can take a while). `step`: the pause between checks (None: until
    the app has processed what is pending)."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            screen = pilot.app.screen  # type: ignore[attr-defined]
            raise AssertionError(f"timed out after {seconds} s waiting; on screen: {screen!r} {getattr(screen, 'question_text', '')}")
        await pilot.pause(step)  # type: ignore[attr-defined]


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (through anyio's pytest plugin, which httpx brings)."""
    return "asyncio"
