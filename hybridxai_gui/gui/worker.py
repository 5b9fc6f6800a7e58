"""A thin Qt wrapper that runs a core generator in a QThread.

The core's long jobs (training, explaining, loading files) are plain generators or functions. This
worker runs one in a background thread and re-emits every yielded value through `yielded`, the
return value through `done`, and a failure through `failed`. The GUI thread never waits on it:
cancelling is cooperative (the caller sets the core's own stop flag), and `shutdown()` is the one
place that joins the thread, after the flag is set.

Why not `worker.finished -> thread.quit` and then `thread.wait()` in the GUI thread: that waits for
a thread whose run loop may be waiting for the GUI, a deadlock. Here the QThread runs the job
directly in `run()`, so `wait()` only waits for the job to notice its stop flag.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QThread, Signal

log = logging.getLogger(__name__)


class GeneratorWorker(QThread):
    """Run `job()` in a thread. If it returns a generator, stream its items through `yielded`."""

    yielded = Signal(object)  # each item the generator yields
    done = Signal(object)  # the job's return value (a generator's StopIteration value)
    failed = Signal(str, str)  # (one-line message, traceback text or "" for user errors)

    def __init__(self, job: Callable[[], Any], *, cancel: Callable[[], None] | None = None,
                 parent=None):
        super().__init__(parent)
        self._job = job
        self._cancel = cancel
        self.setObjectName("GeneratorWorker")

    def run(self) -> None:  # runs in the worker thread
        from ..core.errors import HybridXAIError
        from ..core.pipeline import drain

        try:
            result = self._job()
            if isinstance(result, Iterator):
                result = drain(result, self.yielded.emit)
            self.done.emit(result)
        except HybridXAIError as exc:  # the core's advice, in the window's words
            from .wording import for_the_app

            self.failed.emit(for_the_app(exc), "")
        except Exception as exc:  # an internal error: log it with its traceback, report one line
            text = traceback.format_exc()
            log.error("Background job failed:\n%s", text)
            self.failed.emit(f"{type(exc).__name__}: {exc}", text)

    def cancel(self) -> None:
        """Ask the job to stop (cooperatively); returns at once."""
        if self._cancel is not None:
            self._cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel and join. Used when the window closes; True if the thread ended."""
        self.cancel()
        if self.isRunning():
            return self.wait(timeout_ms)
        return True
