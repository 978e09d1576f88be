"""Turn transport failures into the core's ModelError types, with messages that say what to do.

`httpx` errors are not `ConnectionError`s and they surface while a stream is iterated, not when
it is opened, so every backend routes whatever it catches through `translate`.
"""

from __future__ import annotations

import json

import httpx

from ..core.ports import ModelError, ModelSetupError, ModelStreamError


def unreachable(server: str, host: str, hint: str) -> ModelSetupError:
    """The server does not accept connections."""
    return ModelSetupError(f"cannot reach {server} at {host}: is it running? {hint}")


def translate(exc: BaseException, *, server: str, host: str, during: str, hint: str, timeout_s: float) -> ModelError:
    """A ModelError for an exception raised while talking to a model server.

    Args:
        exc: What was raised.
        server: The server's kind, for the message ("Ollama").
        host: Its URL.
        during: What was going on ("streaming a reply").
        hint: How to start or point at the server.
        timeout_s: The read timeout in force, for timeout messages.
    """
    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionRefusedError)):
        return unreachable(server, host, hint)
    if isinstance(exc, ConnectionError) and not isinstance(exc, (ConnectionResetError, ConnectionAbortedError)):
        return unreachable(server, host, hint)
    if isinstance(exc, httpx.TimeoutException):
        return ModelStreamError(
            f"{server} at {host} sent nothing for {timeout_s:g}s while {during} "
            "(raise model.request_timeout_s if the model is slow to load)"
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, ConnectionError)):
        return ModelStreamError(f"the connection to {server} at {host} broke while {during}: {exc or type(exc).__name__}")
    if isinstance(exc, httpx.HTTPError):
        return ModelStreamError(f"talking to {server} at {host} failed while {during}: {type(exc).__name__}: {exc}")
    if isinstance(exc, (json.JSONDecodeError, ValueError, KeyError, TypeError)):
        return ModelStreamError(f"{server} at {host} sent a malformed reply while {during}: {type(exc).__name__}: {exc}")
    return ModelStreamError(f"{server} failed while {during}: {type(exc).__name__}: {exc}")
