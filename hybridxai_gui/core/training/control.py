"""The flags a front end sets to stop or pause training, checked by the loop between batches.

Kept apart from the loop (which imports torch) so that the window can make one without importing torch: the
GUI thread builds the control when training starts, and importing torch there, or waiting for a worker that
is importing it, froze the window.
"""

from __future__ import annotations

import threading


class TrainControl:
    """Thread-safe stop / pause flags that the training loop checks between batches."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to notice the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> None:
        while not self._running.wait(0.1):
            pass

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`, returning early once stopped; True if stopped."""
        return self._stop.wait(seconds)
