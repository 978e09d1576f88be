"""How `codeact-tui run` shows a turn: a readable transcript, or one JSON object per event."""

from __future__ import annotations

import json
from typing import TextIO

from ..core import events as ev
from ..core.ports import ExecutionResult
from .terminal_text import printable


def _outcome(result: ExecutionResult) -> str:
    """How a sandbox run ended, in a few words."""
    if result.status == "ok":
        return f"ok in {result.duration_s:.2f}s"
    if result.status == "error":
        return f"failed (exit status {result.exit_code})"
    return f"stopped by {result.stopped_by or 'a limit'}"


class JsonLinesRenderer:
    """One JSON object per event on stdout, each with a `type`."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, event: ev.Event) -> None:
        self.out.write(json.dumps(ev.event_to_dict(event), ensure_ascii=False, default=str) + "\n")
        self.out.flush()


class TranscriptRenderer:
    """A readable transcript: the model's text and the action output on stdout, status on stderr."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self._at_line_start = True
        self._streamed: list[str] = []
        self._previewed: set[tuple[str, int]] = set()
        """Actions whose preview is shown: their ExecutionStarted is the apply, not a run."""

    def _write(self, text: str, stream: TextIO | None = None) -> None:
        target = stream or self.out
        if target is self.out and text:
            self._at_line_start = text.endswith("\n")
        target.write(printable(text, keep_newlines=True))  # model and guest text: no escapes
        target.flush()

    def _newline(self) -> None:
        if not self._at_line_start:
            self._write("\n")

    def _status(self, text: str) -> None:
        self._newline()
        self._write(text + "\n", self.err)

    def __call__(self, event: ev.Event) -> None:  # noqa: C901 - one branch per event kind
        if isinstance(event, ev.ModelLoading):
            self._status(f"· loading model {event.model} (the first request can take a while)…")
        elif isinstance(event, ev.ModelLoaded):
            self._status(f"· model loaded in {event.load_s:.1f}s")
        elif isinstance(event, ev.GenerationStarted):
            if event.step > 1:
                self._newline()
                self._write("\n")
        elif isinstance(event, ev.TextDelta):
            self._streamed.append(event.text)
            self._write(event.text)
        elif isinstance(event, ev.AssistantMessage):
            streamed, self._streamed = "".join(self._streamed), []
            kept = streamed.rstrip()
            if event.text.startswith(kept) and len(event.text) > len(kept):
                # Show what the parser restored (a closing tag cut by the stop sequence).
                rest = event.text[len(kept) :]
                self._write(rest.lstrip("\n") if streamed != kept else rest)
            self._newline()
            stats = event.stats
            parts = []
            if stats.time_to_first_token_s is not None:
                parts.append(f"first token {stats.time_to_first_token_s:.2f}s")
            if stats.tokens_per_s:
                parts.append(f"{stats.tokens_per_s:.1f} tokens/s")
            if stats.load_s >= 0.5:
                parts.append(f"the server spent {stats.load_s:.1f}s loading the model")
            if parts:
                self._write(f"· {', '.join(parts)}\n", self.err)
        elif isinstance(event, ev.CodeProposed):
            if event.fenced:
                self._status("· (a fenced code block was taken as the action)")
        elif isinstance(event, ev.ApprovalRequested):
            self._status(f"── action {event.step} waits for your approval ──")
        elif isinstance(event, ev.PreviewStarted):
            self._status(f"── previewing action {event.step} on a copy of the project (nothing is written) ──")
        elif isinstance(event, ev.PreviewReady):
            self._previewed.add((event.turn_id, event.step))
            self._show_preview(event)
        elif isinstance(event, ev.PreviewRefused):
            self._status(f"· not applied: {event.message}")
        elif isinstance(event, ev.ExecutionStarted):
            if (event.turn_id, event.step) in self._previewed:
                self._status(f"── applying the previewed changes of action {event.step} (its output is above) ──")
            else:
                self._status(f"── running action {event.step} ──")
        elif isinstance(event, ev.ExecutionOutput):
            if event.stream == "stdout":
                self._write(event.text)
            else:
                self._write(event.text, self.err)
        elif isinstance(event, ev.ExecutionFinished):
            result = event.result
            self._status(f"── {_outcome(result)} ──")
            for warning in result.warnings:
                self._status(f"· warning: {warning}")
        elif isinstance(event, ev.SnapshotTaken):
            if event.entry is not None:
                files = ", ".join(c.path for c in event.entry.files[:5])
                more = f" and {len(event.entry.files) - 5} more" if len(event.entry.files) > 5 else ""
                self._status(
                    f"· history entry {event.entry.id}: {files}{more} "
                    f"(codeact-tui diff {event.entry.id} · codeact-tui undo {event.entry.id})"
                )
        elif isinstance(event, ev.TestsStarted):
            why = f"after action {event.step} changed {', '.join(event.files)}" if event.files else "before the answer: they have not run in this turn"
            self._status(f"── running the tests {why} ([agent] auto_test) ──")
        elif isinstance(event, ev.TestsOutput):
            self._write(event.text, None if event.stream == "stdout" else self.err)
        elif isinstance(event, ev.TestsFinished):
            self._status(f"── tests: {event.summary or _outcome(event.result)} ──")
        elif isinstance(event, (ev.AnswerHeld, ev.SamplingRaised, ev.StartedOver, ev.AttemptKept)):
            self._status(f"· {event.summary}")
        elif isinstance(event, ev.ContextCompacted):
            self._status(
                f"· context compacted: {event.before_tokens} → {event.after_tokens} tokens "
                f"({event.shortened} outputs shortened, {event.removed} messages removed)"
            )
        elif isinstance(event, ev.ContextUsage):
            if event.fraction >= 0.5:
                self._status(f"· context {event.used_tokens}/{event.window} tokens ({event.fraction:.0%})")
        elif isinstance(event, ev.ActionSkipped):
            self._status(f"· action skipped {event.reason}".rstrip())
        elif isinstance(event, ev.TurnFinished):
            self._newline()
            if event.reason == "plan":
                self._write("\nProposed action (not run, --approve plan):\n" + event.answer + "\n")
            elif event.reason == "solution":
                self._write("\nAnswer: " + event.answer + "\n")
        elif isinstance(event, ev.TurnFailed):
            self._status(f"codeact-tui run: {event.message}")

    def _show_preview(self, event: ev.PreviewReady) -> None:
        """What a previewed action would change: how it ended, its summary, then the diff on
        stdout (its output has streamed already)."""
        result = event.preview.result
        if result.status != "ok":
            ended = f"exit status {result.exit_code}" if result.status == "error" else f"stopped by {result.stopped_by or 'a limit'}"
            self._status(f"── the preview {'failed' if result.status == 'error' else 'was stopped'} ({ended}) ──")
        for warning in result.warnings:
            self._status(f"· warning: {warning}")
        self._status(f"── preview of action {event.step}: {event.preview.summary} (the project is unchanged) ──")
        if event.preview.diff:
            self._newline()
            self._write(event.preview.diff)
