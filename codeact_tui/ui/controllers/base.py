"""What every part of the main screen shares: the screen it works for and one way to start a
worker there (on the screen, so the screen's failure handler reports it; never fatal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual.worker import Worker

if TYPE_CHECKING:
    from ...conversation import Conversation
    from ..screens.main import MainScreen

ResultType = TypeVar("ResultType")


class Part:
    """One job of the main screen; the screen owns one of each and routes messages to it."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    @property
    def conversation(self) -> Conversation:
        """The conversation the screen shows."""
        return self.screen.conversation

    def start(
        self, work: Callable[..., Awaitable[ResultType]], *args: Any, name: str, group: str, exclusive: bool = False
    ) -> Worker[ResultType]:
        """Run `work(*args)` in a worker of the screen (`exclusive`: cancel the group's others)."""
        return self.screen.run_worker(
            partial(work, *args),
            name=name,
            group=group,
            description=f"{work.__name__}{args!r}",
            exclusive=exclusive,
            exit_on_error=False,
        )
