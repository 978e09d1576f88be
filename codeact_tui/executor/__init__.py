"""Host side of the WebAssembly sandbox: sessions, the project mount, live output, interrupts."""

from .sandbox_executor import GUEST_PROJECT, SandboxExecutor, SandboxUnavailable

__all__ = ["GUEST_PROJECT", "SandboxExecutor", "SandboxUnavailable"]
