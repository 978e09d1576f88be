"""A fake OpenAI-compatible server (llama.cpp `llama-server` flavour) over real HTTP on
127.0.0.1: `/v1/models`, `/props`, streaming `/v1/chat/completions` as server-sent events,
with an injectable connection cut."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenAI:
    """Scripted replies; `cut_after` cuts the next stream after that many chunks; a request's
    `max_tokens` ends the reply after that many chunks with `finish_reason: length`."""

    replies: list[str] = field(default_factory=list)
    n_ctx: int = 8192
    chunk_size: int = 5
    cut_after: int | None = None
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.url = ""
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeOpenAI:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    pass

            def _json(self, payload: Any, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/v1/models":
                    self._json({"object": "list", "data": [{"id": "local.gguf", "object": "model", "meta": {"n_ctx_train": 32768}}]})
                elif self.path == "/props":
                    self._json({"default_generation_settings": {"n_ctx": state.n_ctx}})
                else:
                    self._json({"error": {"message": "not found"}}, 404)

            def _event(self, payload: Any) -> None:
                data = b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                state.bodies.append(body)
                reply = state.replies.pop(0) if state.replies else "<solution>none</solution>"
                for stop in body.get("stop") or []:
                    if stop in reply:
                        reply = reply[: reply.index(stop)]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunks = [reply[i : i + state.chunk_size] for i in range(0, len(reply), state.chunk_size)]
                finish = "stop"
                limit = body.get("max_tokens")
                if isinstance(limit, int) and len(chunks) > limit:  # one chunk stands for a token
                    chunks, finish = chunks[:limit], "length"
                cut, state.cut_after = state.cut_after, None
                for index, text in enumerate(chunks):
                    if cut is not None and index == cut:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._event({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
                self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                self._event({"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": len(chunks)}, "timings": {"predicted_per_second": 50.0}})
                self._event(b"[DONE]")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
