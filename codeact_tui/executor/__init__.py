"""Host side of the WebAssembly sandbox: sessions, the project mount, live output, interrupts."""

from .mount_modes import ChangeSet, MountMode, OverlayChange
from .preview import ApplyFailed, PreviewStale, render_diff
from .session_state import StateError
from .snapshot_mount import SnapshotUnavailable
from .sandbox_executor import GUEST_PROJECT, SandboxExecutor, SandboxUnavailable

__all__ = [
    "GUEST_PROJECT",
    "ApplyFailed",
    "ChangeSet",
    "MountMode",
    "OverlayChange",
    "PreviewStale",
    "SandboxExecutor",
    "SandboxUnavailable",
    "SnapshotUnavailable",
    "StateError",
    "render_diff",
]
