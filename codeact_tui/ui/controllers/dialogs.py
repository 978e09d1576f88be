"""The dialogs a user turn opens: an approval for each action (ask mode), whose answer resolves
the future the core waits on; and the preview of an action run on a copy (preview mode), which
gets the run's output as it streams, then its diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core import events as ev
from .base import Part

if TYPE_CHECKING:
    from ..screens.preview import PreviewScreen


class TurnDialogs(Part):
    """Opens, feeds and closes the approval and preview dialogs of the running user turn."""

    _pending_approvals = 0
    """Approval dialogs open now (shown in the status bar)."""
    _preview: PreviewScreen | None = None
    """The preview dialog while one is open."""

    def follow(self, event: ev.TurnEvent) -> None:
        """Open or feed a dialog for one core event (other events are not theirs)."""
        match event:
            case ev.ApprovalRequested():
                self._ask(event)
            case ev.PreviewStarted(step=step):
                self._show_preview(step)
            case ev.ExecutionOutput(stream=stream, text=text) if self._preview is not None:
                self._preview.add_output(stream, text)
            case ev.PreviewReady() if self._preview is not None:
                self._preview.show_ready(event)
            case ev.PreviewRefused(message=why):
                self.close_preview()
                self.screen.notify(f"Not applied: {why}", severity="error", timeout=10)
            case _:
                pass

    def _ask(self, event: ev.ApprovalRequested) -> None:
        """Show the approval dialog; its answer resolves the future the core waits on."""
        from ..screens.approval import ApprovalScreen

        future, status = event.future, self.screen.status
        self._pending_approvals += 1
        status.approvals = self._pending_approvals

        def decided(result: tuple[ev.Approval, bool] | None) -> None:
            self._pending_approvals -= 1
            status.approvals = self._pending_approvals
            approval, always = result if result is not None else (ev.Approval("stop", reason="closed"), False)
            if always:
                self.conversation.set_always_approve(True)
                status.approve_mode = "ask (always for this session)"
            if not future.done():
                future.set_result(approval)

        self.screen.app.push_screen(ApprovalScreen(event.code, step=event.step), decided)

    def _show_preview(self, step: int) -> None:
        """Open the preview dialog; it gets the run's output, then its diff (`PreviewReady`)."""
        from ..screens.preview import PreviewScreen

        self.close_preview()
        self._preview = PreviewScreen(step, interrupt=self.conversation.interrupt)

        def closed(_: None) -> None:
            self._preview = None

        self.screen.app.push_screen(self._preview, closed)

    def close_preview(self) -> None:
        """Close the preview dialog, if one is open (its turn ended or the preview was refused)."""
        if self._preview is not None:
            self._preview.close()
            self._preview = None
