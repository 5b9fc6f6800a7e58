"""A matplotlib canvas whose figure is built and rendered in a worker thread: the GUI thread only shows the
finished image.

Building a figure's artists and rendering them (text layout, ticks, rasterising) costs the GUI thread
0.1-1 s for the app's plots, longer on a busy machine; the window froze for as long. Here every change to the
figure (`mutate(fn)`: FigurePanel.paint and clear hand theirs) and every render runs in a worker, one at a time
and in order; the GUI thread swaps in the finished renderer and repaints, which is a copy of the image. While
a render is under way the figure belongs to the worker: a resize waits for it, and mouse interaction (the
toolbar's pan and zoom) is held off until it is done. `wait()` finishes the work queued, for an export or a
test that needs the figure now.

matplotlib caches its fonts per thread, so building and rendering in a worker is safe as long as one thread at
a time touches the figure, which this class guarantees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QResizeEvent

from .jobs import start_job


# One figure is built and rendered at a time, whatever the number of canvases: matplotlib is pure Python under the
# GIL, so two renders at once took no less time in all, and the GUI thread, a third thread wanting the GIL, was
# kept from it 50-60 ms when the Data tab drew its two plots together.
_RENDER_LOCK = threading.Lock()


class WorkerCanvas(FigureCanvasQTAgg):
    rendered = Signal()  # a finished image is on screen

    def __init__(self, figure):
        super().__init__(figure)
        self._queue: list[Callable] = []  # figure changes waiting for the worker
        self._worker = None
        self._again = False  # another render was asked for while one ran
        self._resize_to: QSize | None = None
        self._holding = False  # wait() has the figure: no render starts until it returns
        self._job: tuple = ({}, None)  # the render under way: (its result box, its size key)
        self._failing = False  # the figure shows that drawing failed
        self._deferred = False  # a render starts once the event that asked for it is handled

    # ---- every draw request is a render in the worker ------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A render is under way or about to start."""
        return self._worker is not None or self._deferred

    @property
    def rendering(self) -> bool:
        """A worker is rendering now."""
        return self._worker is not None

    @property
    def idle(self) -> bool:
        """No render under way and no change waiting: the image shows the figure as it is."""
        return self._worker is None and not self._queue and not self._again and not self._deferred

    def mutate(self, change: Callable, *, replace: bool = False) -> None:
        """Run `change(figure)` in the worker (after the changes before it, or instead of them with
        `replace=True`: for a change that redraws the whole figure), then render."""
        if replace:
            self._queue = [change]
        else:
            self._queue.append(change)
        self.draw()

    def _cannot_start(self) -> bool:
        """True, with the render noted for later, while a render is under way, wait() has the figure, or the
        canvas is hidden (or closing: render when shown again, never on the way out)."""
        if self._worker is not None or self._holding or self.width() <= 0 or self.height() <= 0 \
                or not self.isVisible():
            self._again = True
            return True
        return False

    def draw(self) -> None:  # called by draw_idle, resizes and the toolbar
        if self._cannot_start() or self._deferred:
            return
        # Start the worker once the GUI thread has finished the event that asked for the render (a file shown, a
        # model trained): started at once, the render competed for the GIL with the rest of that event's work and
        # stretched it past 50 ms.
        self._deferred = True
        QTimer.singleShot(0, self, self._start)

    def _start(self) -> None:
        self._deferred = False
        if self._cannot_start():
            return
        changes, self._queue = self._queue, []
        figure = self.figure
        w, h = self.get_width_height(physical=True)
        key = (w, h, figure.dpi)
        box: dict = {}  # the job's renderer, for wait() to take without the event loop

        def job():
            with _RENDER_LOCK:
                for change in changes:
                    change(figure)
                renderer = RendererAgg(w, h, figure.dpi)
                renderer.clear()
                figure.draw(renderer)
            box["renderer"] = renderer
            return renderer

        worker = start_job(self, job, done=lambda r: self._finished(worker, r, key),
                           failed=lambda message, details: self._failed(worker, message, details), name="render")
        self._worker, self._job = worker, (box, key)

    def _show(self, renderer, key) -> None:
        self.renderer, self._lastKey = renderer, key
        self.update()
        self.rendered.emit()

    def _finished(self, worker, renderer, key) -> None:
        if worker is not self._worker:
            return  # wait() took this result already
        self._worker = None
        self._failing = False
        self._show(renderer, key)
        self._next()

    def _failed(self, worker, message: str, details: str) -> None:
        if worker is not self._worker:
            return
        import logging

        self._worker = None
        logging.getLogger(__name__).error("Drawing a figure failed: %s\n%s", message, details)
        if not self._queue and not self._failing:  # say so on the figure (unless a newer change replaces it)
            self._failing = True
            self._queue = [lambda figure: _say_failed(figure, message)]
        self._next()

    def _next(self) -> None:
        if self._resize_to is not None:
            size, self._resize_to = self._resize_to, None
            self.resizeEvent(QResizeEvent(size, size))
        if self._again or self._queue:
            self._again = False
            self.draw()

    def wait(self) -> None:
        """Finish the render under way and apply the queued changes here: the figure is complete on return,
        and stays the GUI thread's until control returns to the event loop (then it is rendered on screen).
        Nothing else runs meanwhile: the event loop is not entered."""
        self._holding = True
        try:
            if self._worker is not None:
                worker, (box, key) = self._worker, self._job
                worker.wait()
                self._worker = None  # its queued result, when delivered, is ignored
                if "renderer" in box:
                    self._show(box["renderer"], key)
            if self._resize_to is not None:
                size, self._resize_to = self._resize_to, None
                self.resizeEvent(QResizeEvent(size, size))
            changes, self._queue = self._queue, []
            for change in changes:
                change(self.figure)
        finally:
            self._holding = False
        if changes or self._again:
            self._again = False
            self.draw_idle()  # on screen once the caller is done with the figure

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._again or self._queue:
            self._again = False
            self.draw()

    # ---- the figure is the worker's while it renders -----------------------------------------------------------
    def resizeEvent(self, event) -> None:
        if self._worker is not None:
            self._resize_to = QSize(event.size())
            return
        super().resizeEvent(event)

    def mousePressEvent(self, event) -> None:
        if self._worker is None:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._worker is None:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._worker is None:
            super().mouseReleaseEvent(event)

    def wheelEvent(self, event) -> None:
        if self._worker is None:
            super().wheelEvent(event)


def _say_failed(figure, message: str) -> None:
    figure.clear()
    figure.text(0.5, 0.5, f"This figure could not be drawn:\n{message}", ha="center", va="center", color="0.35",
                wrap=True)
