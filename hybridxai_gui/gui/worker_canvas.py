"""A matplotlib canvas whose figure is rendered in a worker thread: the GUI thread only shows the finished
image.

Building a figure's artists and rendering them (text layout, ticks, rasterising) costs the GUI thread
0.1-1 s for the Data tab's plots, longer on a busy machine; the window froze for as long. Here every change
to the figure (`mutate(fn)`) and every render runs in a worker, one at a time and in order; the GUI thread
swaps in the finished renderer and repaints, which is a copy of the image. While a render is under way the
figure belongs to the worker: a resize waits for it, and mouse interaction (the toolbar's pan and zoom) is
held off until it is done. `wait()` joins the worker, for an export that needs the figure now.

matplotlib caches its fonts per thread, so rendering in a worker is safe as long as one thread at a time
touches the figure, which this class guarantees.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QResizeEvent

from .jobs import start_job


class WorkerCanvas(FigureCanvasQTAgg):
    rendered = Signal()  # a finished image is on screen

    def __init__(self, figure):
        super().__init__(figure)
        self._queue: list[Callable] = []  # figure changes waiting for the worker
        self._worker = None
        self._again = False  # another render was asked for while one ran
        self._resize_to: QSize | None = None

    # ---- every draw request is a render in the worker ------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def mutate(self, change: Callable) -> None:
        """Run `change(figure)` in the worker (after the changes before it), then render."""
        self._queue.append(change)
        self.draw()

    def fresh_figure(self):
        """A new, empty figure of the canvas's size put in place of the one the worker is rendering, for the
        GUI thread to build on while that render finishes (double buffering)."""
        from matplotlib.figure import Figure

        old = self.figure
        figure = Figure(figsize=old.get_size_inches(), dpi=old.dpi, layout="constrained")
        self.figure = figure
        figure.set_canvas(self)
        return figure

    def draw(self) -> None:  # called by draw_idle, resizes and the toolbar
        if self._worker is not None:
            self._again = True
            return
        if self.width() <= 0 or self.height() <= 0 or not self.isVisible():
            self._again = True  # hidden (or closing): render when shown again, never on the way out
            return
        changes, self._queue = self._queue, []
        figure = self.figure
        w, h = self.get_width_height(physical=True)
        key = (w, h, figure.dpi)

        def job():
            for change in changes:
                change(figure)
            renderer = RendererAgg(w, h, figure.dpi)
            renderer.clear()
            figure.draw(renderer)
            return renderer

        self._worker = start_job(self, job, done=lambda r: self._finished(r, key), failed=self._failed,
                                 name="render")

    def _finished(self, renderer, key) -> None:
        self._worker = None
        self.renderer, self._lastKey = renderer, key
        self.update()
        self.rendered.emit()
        self._next()

    def _failed(self, message: str, details: str) -> None:
        import logging

        self._worker = None
        logging.getLogger(__name__).error("Rendering a figure failed: %s\n%s", message, details)
        self._next()

    def _next(self) -> None:
        if self._resize_to is not None:
            size, self._resize_to = self._resize_to, None
            self.resizeEvent(QResizeEvent(size, size))
        elif self._again or self._queue:
            self._again = False
            self.draw()

    def wait(self) -> None:
        """Finish the render under way and apply queued changes here: the figure is complete on return."""
        if self._worker is not None:
            self._worker.wait()
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.processEvents()  # delivers its result (and may start the next render)
            if self._worker is not None:
                self._worker.wait()
                QCoreApplication.processEvents()
        changes, self._queue = self._queue, []
        for change in changes:
            change(self.figure)

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
