"""The conversation service: one headless `Conversation` behind the app and the CLI.

It may import the core and (lazily, through `Services`) the adapters; never the UI, textual or
rich. See `service.py` for the words used: user turn, model reply, sandbox run.
"""

from .manual import MANUAL_STEP, ManualActionOutcome
from .overrides import apply_overrides
from .service import Conversation, HistoryVerb, SetupError, conversations_dir
from .services import ModelChoice, PullStep, Services

__all__ = [
    "MANUAL_STEP",
    "Conversation",
    "HistoryVerb",
    "ManualActionOutcome",
    "ModelChoice",
    "PullStep",
    "Services",
    "SetupError",
    "apply_overrides",
    "conversations_dir",
]
