"""A fake Ollama server speaking the real HTTP/NDJSON protocol, for the real `ollama` client.

It runs `http.server` on 127.0.0.1 (a free port) in a thread. Replies are scripted per test;
faults are injected per chat request. It behaves like Ollama where it matters to us:

- `/api/show`, `/api/tags`, `/api/ps`, `/api/version`, `/api/pull` (streamed), `/api/chat`
  (streamed NDJSON with a final `done` line carrying counts and durations);
- an unknown model is a 404 `{"error": "model ... not found"}`;
- a chat with an empty message list loads the model (`done_reason: "load"`);
- a request whose `num_ctx` differs from the loaded one RELOADS the model: `loads` counts every
  load, so a test can assert a session caused exactly one;
- stop sequences end the reply before the stop string.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal["missing", "error_mid_stream", "cut_mid_stream", "slow_first_token", "malformed_line", "http_500"]
DEFAULT_NUM_CTX = 4096


@dataclass
class Fault:
    """A failure injected into the next chat request."""

    kind: FaultKind
    after_chunks: int = 2
    """How many content lines are sent before the fault (mid-stream faults)."""
    delay_s: float = 0.5
    """For `slow_first_token`: the pause before the first line."""
    message: str = "an injected failure"


def free_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening on it (for a 'server down' test)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class FakeOllama:
    """The server's state and script. Use as a context manager; `url` is its address."""

    models: dict[str, int] = field(default_factory=lambda: {"codeact:7b": 32768})
    """Installed models and their trained context lengths."""
    replies: list[str] = field(default_factory=list)
    """Scripted assistant replies, one per (non-empty) chat request."""
    chunk_size: int = 6
    load_delay_s: float = 0.0
    """How long a model load takes."""
    show_delay_s: float = 0.0
    """How long `/api/show` takes (a busy or cold server), to widen start-up races."""
    modelfile_num_ctx: int | None = None
    report_ps_context: bool = True
    """Whether `/api/ps` reports `context_length` (newer servers do)."""
    pullable: dict[str, int] = field(default_factory=lambda: {"tiny:1b": 3_000_000})
    """Models `/api/pull` can fetch, with their sizes."""

    faults: list[Fault] = field(default_factory=list)
    """Faults for the next generating chat requests, one each, in order."""
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(method, path, JSON body) of every request."""
    loads: int = 0
    loaded: tuple[str, int] | None = None
    """The model in memory and its num_ctx."""
    disconnects: int = 0
    """Chat streams the client closed before their end."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FakeOllama:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- views for assertions ---------------------------------------------------------------

    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of every `/api/chat` request, in order."""
        return [body for method, path, body in self.requests if path == "/api/chat"]

    # --- behaviour ------------------------------------------------------------------------

    def _ensure_loaded(self, model: str, options: dict[str, Any]) -> float:
        num_ctx = int(options.get("num_ctx") or self.modelfile_num_ctx or DEFAULT_NUM_CTX)
        with self._lock:
            if self.loaded == (model, num_ctx):
                return 0.0
            self.loads += 1
            self.loaded = (model, num_ctx)
        if self.load_delay_s:
            time.sleep(self.load_delay_s)
        return self.load_delay_s or 0.01

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _next_reply(self) -> str:
        with self._lock:
            return self.replies.pop(0) if self.replies else "<solution>(no scripted reply)</solution>"


def _make_handler(state: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionResetError, BrokenPipeError):
                pass  # the client went away (a cancelled stream): not the server's failure

        # --- plumbing ---------------------------------------------------------------------

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            state.requests.append((self.command, self.path, body))
            return body

        def _json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _start_stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _line(self, payload: Any) -> None:
            self._chunk(json.dumps(payload).encode() + b"\n")

        def _end_stream(self) -> None:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _cut(self) -> None:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _missing(self, model: str) -> None:
            self._json(404, {"error": f'model "{model}" not found, try pulling it first'})

        # --- routes -----------------------------------------------------------------------

        def do_GET(self) -> None:  # noqa: N802
            state.requests.append(("GET", self.path, {}))
            if self.path == "/api/version":
                self._json(200, {"version": "0.12.3"})
            elif self.path == "/api/tags":
                models = [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": "2026-11-01T10:00:00Z",
                        "size": 4_100_000_000,
                        "digest": "0" * 64,
                        "details": {"format": "gguf", "family": "llama", "parameter_size": "7B", "quantization_level": "Q4_K_M"},
                    }
                    for name in state.models
                ]
                self._json(200, {"models": models})
            elif self.path == "/api/ps":
                running = []
                if state.loaded is not None:
                    entry: dict[str, Any] = {
                        "name": state.loaded[0],
                        "model": state.loaded[0],
                        "size": 5_000_000_000,
                        "digest": "0" * 64,
                        "expires_at": "2026-11-01T10:30:00Z",
                        "size_vram": 0,
                    }
                    if state.report_ps_context:
                        entry["context_length"] = state.loaded[1]
                    running.append(entry)
                self._json(200, {"models": running})
            elif self.path == "/":
                data = b"Ollama is running"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            body = self._body()
            if self.path == "/api/show":
                self._show(body)
            elif self.path == "/api/chat":
                self._chat(body)
            elif self.path == "/api/pull":
                self._pull(body)
            else:
                self._json(404, {"error": "not found"})

        def _show(self, body: dict[str, Any]) -> None:
            model = body.get("model") or body.get("name") or ""
            if state.show_delay_s:
                time.sleep(state.show_delay_s)
            if model not in state.models:
                self._missing(model)
                return
            parameters = f"num_ctx                        {state.modelfile_num_ctx}\n" if state.modelfile_num_ctx else ""
            self._json(
                200,
                {
                    "modelfile": f"FROM {model}\n",
                    "parameters": parameters + 'stop                           "<|im_end|>"',
                    "template": "{{ .Prompt }}",
                    "details": {"format": "gguf", "family": "llama", "parameter_size": "7B", "quantization_level": "Q4_K_M"},
                    "model_info": {"general.architecture": "llama", "llama.context_length": state.models[model]},
                    "capabilities": ["completion"],
                    "modified_at": "2026-11-01T10:00:00Z",
                },
            )

        def _chat(self, body: dict[str, Any]) -> None:
            model = body.get("model", "")
            messages = body.get("messages") or []
            # Faults are injected into generating requests, not into warm-ups (empty chats).
            fault = state._next_fault() if messages else None
            if (fault is not None and fault.kind == "missing") or model not in state.models:
                self._missing(model)
                return
            if fault is not None and fault.kind == "http_500":
                self._json(500, {"error": fault.message})
                return
            load_s = state._ensure_loaded(model, body.get("options") or {})
            if not messages:
                self._json(200, {"model": model, "created_at": _now(), "message": {"role": "assistant", "content": ""}, "done_reason": "load", "done": True})
                return
            reply = state._next_reply()
            for stop in (body.get("options") or {}).get("stop") or []:
                if stop and stop in reply:
                    reply = reply[: reply.index(stop)]
            chunks = [reply[i : i + state.chunk_size] for i in range(0, len(reply), state.chunk_size)]
            if not body.get("stream", True):
                self._json(200, self._final(model, messages, reply, len(chunks), load_s, content=reply))
                return
            self._start_stream()
            try:
                if fault is not None and fault.kind == "slow_first_token":
                    time.sleep(fault.delay_s)
                for index, text in enumerate(chunks):
                    if fault is not None and index == fault.after_chunks:
                        if fault.kind == "error_mid_stream":
                            self._line({"error": fault.message})
                            self._end_stream()
                            return
                        if fault.kind == "cut_mid_stream":
                            self._cut()
                            return
                        if fault.kind == "malformed_line":
                            self._chunk(b'{"model": "' + model.encode() + b'", "message": {"role": "assis\n')
                            self._end_stream()
                            return
                    self._line({"model": model, "created_at": _now(), "message": {"role": "assistant", "content": text}, "done": False})
                self._line(self._final(model, messages, reply, len(chunks), load_s))
                self._end_stream()
            except (BrokenPipeError, ConnectionResetError):
                state.disconnects += 1
                self.close_connection = True

        @staticmethod
        def _final(model: str, messages: list[dict[str, Any]], reply: str, chunks: int, load_s: float, content: str = "") -> dict[str, Any]:
            prompt_chars = sum(len(m.get("content", "")) for m in messages)
            return {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": content},
                "done": True,
                "done_reason": "stop",
                "total_duration": int((0.05 + load_s) * 1e9),
                "load_duration": int(load_s * 1e9),
                "prompt_eval_count": prompt_chars // 4 + 4 * len(messages),
                "prompt_eval_duration": 10_000_000,
                "eval_count": max(chunks, 1),
                "eval_duration": int(max(chunks, 1) * 0.02 * 1e9),
            }

        def _pull(self, body: dict[str, Any]) -> None:
            model = body.get("model") or body.get("name") or ""
            self._start_stream()
            self._line({"status": "pulling manifest"})
            if model not in state.pullable:
                self._line({"error": "pull model manifest: file does not exist"})
                self._end_stream()
                return
            total = state.pullable[model]
            for completed in _steps(total):
                self._line({"status": "pulling 6a0746a1ec1a", "digest": "sha256:6a0746a1ec1a", "total": total, "completed": completed})
            for status in ("verifying sha256 digest", "writing manifest", "success"):
                self._line({"status": status})
            self._end_stream()
            state.models[model] = 8192

    return Handler


def _steps(total: int) -> Iterator[int]:
    for part in range(0, 5):
        yield total * part // 4
