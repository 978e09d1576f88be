"""One handler for every worker's failure (the Harlequin habit), mixed into each screen.

Workers run with `exit_on_error=False` so one failure does not end the app; without a handler
its error would vanish. `Worker.StateChanged` does not bubble, so each screen that starts
workers mixes this in.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerFailures:
    """Shows the error of any worker this node started that ended in failure."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        what = worker.name or worker.group
        detail = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        worker.node.app.notify(f"{what} failed: {detail}", title="Something went wrong", severity="error", timeout=12)
