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
import threading
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
    _handed = Signal()  # worker -> GUI thread: an item that gives way was emitted (see give_way)

    # The longest a worker waits for the GUI thread to have shown an item that gives way: the GUI thread never
    # waits on the worker, and a busy or closing window costs the worker at most this per item.
    GIVE_WAY_S = 0.1

    def __init__(self, job: Callable[[], Any], *, cancel: Callable[[], None] | None = None,
                 give_way: Callable[[Any], bool] | None = None, parent=None):
        """give_way(item), called in the worker: after emitting such an item, wait (up to GIVE_WAY_S) until the
        GUI thread has handled it, before computing on; a handler repaints what must be seen at once (the live
        charts: TrainingTab._redraw_charts). Why: such a repaint is dozens of calls into Qt, and after each the GUI
        thread must get the interpreter back from a worker running Python; contended, a 7 ms repaint of both
        charts took 55-61 ms (benchmarks/README.md, GUI responsiveness). Waiting costs the worker the handler's own
        time, once per item (an epoch, not a batch)."""
        super().__init__(parent)
        self._job = job
        self._cancel = cancel
        self._give_way = give_way
        self._turn = threading.Event()
        self._handed.connect(self._gui_turn)  # queued: this object lives in the GUI thread
        self.setObjectName("GeneratorWorker")

    def _gui_turn(self) -> None:  # GUI thread, after the item's own handlers (they repaint what must be seen now)
        self._turn.set()

    def _emit(self, item: Any) -> None:  # worker thread
        self.yielded.emit(item)
        if self._give_way is not None and self._give_way(item):
            self._turn.clear()
            self._handed.emit()
            self._turn.wait(self.GIVE_WAY_S)

    def run(self) -> None:  # runs in the worker thread
        from ..core.errors import HybridXAIError
        from ..core.pipeline import drain

        try:
            result = self._job()
            if isinstance(result, Iterator):
                result = drain(result, self._emit)
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
