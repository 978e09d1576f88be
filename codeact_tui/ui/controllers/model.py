"""The model the conversation uses: check it (at start-up, on F5, after a new conversation or a
rewind, before a first user turn), switch to another from the picker, and show the outcome — the
status bar's model, or the setup card that says the fix. Every path connects the same way."""

from __future__ import annotations

from ...core.ports import ModelInfo, ModelSetupError
from .. import messages as m
from ..widgets.cards import SetupCard, setup_fix
from .base import Part


class ModelLink(Part):
    """Checks and switches the conversation's model and shows whether it is usable."""

    def check(self) -> None:
        """Check the model server and build the agent (unless a user turn did; one connecting
        now shares this check); on failure show the setup card."""
        self.start(self._connect, name="checking the model", group="model", exclusive=True)

    def pick(self) -> None:
        """Open the model picker; the chosen model is used from the next user turn on."""
        from ..screens.models import ModelScreen

        def chosen(name: str | None) -> None:
            if name:
                self.start(self._switch, name, name="switching the model", group="model", exclusive=True)

        self.screen.app.push_screen(ModelScreen(self.conversation), chosen)

    async def _switch(self, name: str) -> None:
        await self.conversation.switch_model(name)
        info = await self._connect()
        if info is not None:
            self.screen.notify(f"Using {info.name} (context {info.context_window} tokens).")

    async def connect_for_turn(self) -> bool:
        """Before a user turn: connect unless connected (the status bar says so); False when
        no model is usable (the setup card says why)."""
        if self.conversation.connected:
            return True
        self.screen.status.activity = "connecting"
        return await self._connect(for_turn=True) is not None

    async def _connect(self, *, for_turn: bool = False) -> ModelInfo | None:
        """Connect, and post `ModelReady` (with the context in use, unless a user turn is about
        to report it) or `ModelUnavailable`."""
        try:
            info = await self.conversation.ensure_connected()
        except ModelSetupError as exc:
            self.screen.post_message(m.ModelUnavailable(str(exc)))
            return None
        except Exception as exc:
            if for_turn:  # not a setup problem: the turn fails, and its worker's report says why
                raise
            self.screen.post_message(m.ModelUnavailable(f"{type(exc).__name__}: {exc}"))
            return None
        self.screen.post_message(m.ModelReady(info, None if for_turn else await self.conversation.context_used()))
        return info

    async def ready(self, message: m.ModelReady) -> None:
        """Show the model in the status bar and drop any setup card."""
        info, status = message.info, self.screen.status
        profile = self.conversation.profile
        status.model = f"{info.backend}:{info.name}" + (f" · {profile.name}" if profile else "")
        status.context_window = info.context_window
        if message.context_used is not None:
            status.context_used = message.context_used
        await self._remove_setup_cards()

    async def unavailable(self, message: m.ModelUnavailable) -> None:
        """Mark the model unavailable and show one setup card with the fix."""
        conversation = self.conversation
        self.screen.status.model = conversation.model_label + " (unavailable)"
        await self._remove_setup_cards()
        model = conversation.settings.model
        await self.screen.add(SetupCard(message.message, setup_fix(message.message, model.backend, model.model, conversation.server_host())))

    async def _remove_setup_cards(self) -> None:
        for card in self.screen.query(SetupCard):
            await card.remove()
