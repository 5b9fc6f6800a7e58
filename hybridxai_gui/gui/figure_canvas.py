"""One figure panel class for every figure in the app: a canvas that shows a figure drawn in the render process.

Owners describe what to draw as a `plotting.render.Drawing` (a plotting function and its arguments, plain
data); the render process (gui.render_service) builds and renders it at the canvas's size and sends back
the pixels, which the canvas paints. The GUI thread neither imports matplotlib nor draws, so a figure of any
size never freezes the window. A panel draws only while it shows:

* `paint(drawing)` hands the panel what to draw. It is sent when the panel is visible, else when the panel
  is first shown. A newer `paint()` replaces a pending one; a render overtaken by a newer one is not shown.
  `paint(prepare=fn)`: `fn()` runs in a worker thread first and returns the Drawing (e.g. Grad-CAM of the
  row, which needs the model), when the panel shows.
* `clear(message)` shows a message instead (painted by Qt: no render needed).
* `export(path, dpi, done, failed)` writes the figure as PNG, EPS, PDF or SVG in the render process.
* `settle()` builds the figure here, in the calling thread, and returns it: for tests and scripts that read
  a figure's artists. The app never calls it on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ..plotting.render import SCREEN_DPI, build_figure, export, message_drawing, render_image
from .jobs import start_job
from .render_service import service

log = logging.getLogger(__name__)
RESIZE_SETTLE_MS = 80  # a resize re-renders once the size has rested this long (the old image is scaled meanwhile)


class RenderCanvas(QWidget):
    """Shows the image of a Drawing rendered in the render process, or a message."""

    rendered = Signal()  # a new image (or a failure's message) is on screen

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.drawing = None  # the plotting.render.Drawing shown (or being rendered)
        self.message = ""  # shown instead of a drawing
        self.error = ""  # the last render's failure, if it failed
        self.figure = None  # the figure built by FigurePanel.settle() (tests and scripts)
        self._image: QImage | None = None
        self._image_of = None  # (drawing, width, height) the image shows
        self._stale = False  # the drawing or the size changed while a render could not start
        self.laid_out = False  # the canvas has had a size on screen (exports take it)
        self._resize = QTimer(self)  # a render soon: after the queued events, or once a resize rests
        self._resize.setSingleShot(True)
        self._resize.timeout.connect(self.render)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # ---- state ---------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A render is asked for and its image has not arrived."""
        return service().busy(self) or self._resize.isActive()

    @property
    def idle(self) -> bool:
        """The canvas shows what it was last given (nothing waits to be rendered)."""
        return not self.busy and not (self._stale and self.drawing is not None)

    @property
    def image(self) -> QImage | None:
        return self._image

    def pixel_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))

    # ---- what to show ----------------------------------------------------------------------------------------
    def set_drawing(self, drawing) -> None:
        self.drawing, self.message, self.error = drawing, "", ""
        self._resize.start(0)  # once the events already queued are handled: a layout may still size the canvas

    def set_message(self, message: str) -> None:
        service().cancel(self)
        self.drawing, self.message, self.error = None, message, ""
        self._image, self._image_of, self._stale = None, None, False
        self.update()
        self.rendered.emit()

    def render(self) -> None:
        """Ask for an image of the drawing at the canvas's size (when visible; else when next shown)."""
        if self.drawing is None:
            return
        if not self.isVisible() or self.width() <= 0 or self.height() <= 0:
            self._stale = True
            return
        self._stale = False
        self._resize.stop()
        width, height = self.pixel_size()
        shown = self._image_of
        if shown is not None and shown[0] is self.drawing and shown[1:] == (width, height):
            return  # the image shows this already

        drawing = self.drawing
        service().submit(self, render_image, drawing, width, height, SCREEN_DPI * self.devicePixelRatioF(),
                         done=lambda image: self._show(image, drawing), failed=self._failed)

    def _show(self, rendered, drawing) -> None:
        if drawing is not self.drawing:
            return
        image = QImage(rendered.rgba, rendered.width, rendered.height, QImage.Format.Format_RGBA8888).copy()
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self._image, self._image_of = image, (drawing, rendered.width, rendered.height)
        self.error = rendered.error
        if rendered.error:
            log.error("Drawing a figure failed: %s", rendered.error)
        self.update()
        self.rendered.emit()

    def _failed(self, message: str) -> None:
        log.error("Rendering a figure failed: %s", message)
        self.error = message
        self.message = f"This figure could not be drawn:\n{message}"
        self._image = None
        self.update()
        self.rendered.emit()

    # ---- Qt --------------------------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(500, 400)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.isVisible():
            self.laid_out = True
            if self.drawing is not None:
                self._resize.start(RESIZE_SETTLE_MS)  # the old image is scaled until the size rests

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.laid_out = True
        if self._stale:
            self._resize.start(0)  # once the layout has given the canvas its size

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if self._image is not None and self.drawing is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(self.rect()), self._image)
        elif self.message:
            painter.setPen(QColor(115, 115, 115))
            margin = 12
            painter.drawText(self.rect().adjusted(margin, margin, -margin, -margin),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        painter.end()


class FigurePanel(QWidget):
    """A widget holding a RenderCanvas (as `.canvas`), drawn lazily (see the module's docstring)."""

    def __init__(self, canvas_name: str, accessible_name: str, parent: QWidget | None = None, *,
                 figsize: tuple[float, float] = (5.0, 4.0)):
        super().__init__(parent)
        self.figsize = figsize  # the figure's size in inches until the canvas has been laid out
        self.canvas = RenderCanvas(self)
        self.canvas.setObjectName(canvas_name)
        self.canvas.setAccessibleName(accessible_name)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(200, 160)
        self._latest = None  # (drawing, prepare) of the last paint(), None after clear()
        self._pending = False  # the last paint() waits for the panel to be shown
        self._preparing = False  # its prepare() runs in a worker
        self._generation = 0
        self._figure = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)

    # ---- drawing ---------------------------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """True while a paint() waits for the panel to be shown."""
        return self._pending

    @property
    def drawing(self):
        """The Drawing on the canvas (None before any, or while its preparation runs)."""
        return self.canvas.drawing

    def paint(self, drawing=None, *, prepare: Callable | None = None) -> None:
        """Show `drawing` (a plotting.render.Drawing), or the Drawing `prepare()` returns (run in a worker
        thread): now if the panel is visible, else when it is shown."""
        self._generation += 1
        self._latest, self._pending = (drawing, prepare), True
        if self.isVisible():
            self.ensure_painted()

    def ensure_painted(self) -> None:
        """Send a pending paint() now (visible or not)."""
        if not self._pending:
            return
        self._pending = False
        drawing, prepare = self._latest
        if prepare is None:
            self.canvas.set_drawing(drawing)
            return
        generation, self._preparing = self._generation, True

        def done(prepared) -> None:
            if generation == self._generation:
                self._preparing = False
                self.canvas.set_drawing(prepared)

        def failed(message: str, _details: str) -> None:
            if generation == self._generation:
                self._preparing = False
                self.canvas.set_message(f"This figure could not be drawn:\n{message}")

        start_job(self, prepare, done=done, failed=failed, name="prepare_figure")

    @property
    def busy(self) -> bool:
        """The figure asked for is not on screen yet (being prepared or rendered)."""
        return self._preparing or self.canvas.busy

    def clear(self, message: str = "") -> None:
        self._generation += 1
        self._latest, self._pending, self._preparing = None, False, False
        self.canvas.set_message(message)

    def redraw(self) -> None:
        self.canvas.render()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_painted()

    # ---- the figure as a file, or as artists -----------------------------------------------------------------
    def size_inches(self) -> tuple[float, float]:
        """The figure's size: the canvas's once it has been laid out on screen, else the panel's figsize."""
        if self.canvas.laid_out:
            return self.canvas.width() / SCREEN_DPI, self.canvas.height() / SCREEN_DPI
        return self.figsize

    def export(self, path: str, dpi: int, done: Callable[[str], None], failed: Callable[[str], None]) -> None:
        """Write the figure to `path` in the render process; `done(path)` or `failed(message)` later."""
        if self._latest is None:
            failed("This figure has nothing to export yet.")
            return
        drawing, prepare = self._latest
        size = self.size_inches()
        if prepare is None:
            export_drawing(drawing, size, path, dpi, done, failed)
            return
        # its data (e.g. a row's Grad-CAM) is prepared in a worker first
        start_job(self, prepare, done=lambda prepared: export_drawing(prepared, size, path, dpi, done, failed),
                  failed=lambda message, _details: failed(message), name="prepare_export")

    @property
    def figure(self):
        """The figure last built by settle() (an empty one before): for tests and scripts."""
        if self._figure is None:
            from ..plotting._common import new_figure as Figure  # names as typed, CJK glyphs

            self._figure = Figure(figsize=self.figsize)
        return self._figure

    def settle(self):
        """Build the current figure here, in this thread, and return it (for tests and scripts that read its
        artists; the app exports through export(), in the render process). A pending paint is sent too."""

        if self._latest is None:
            drawing = message_drawing(self.canvas.message)
        else:
            drawing, prepare = self._latest
            if prepare is not None:
                drawing = prepare()
                self._latest = (drawing, None)
                if self._preparing:  # the worker's answer is this one: take it now
                    self._generation += 1
                    self._preparing, self._pending = False, True
        self.ensure_painted()
        self._figure = build_figure(drawing, self.size_inches())
        self.canvas.figure = self._figure
        return self._figure


class DrawingSource:
    """A figure that is not on any canvas (e.g. the training curves, shown live by pyqtgraph) but exports like
    a panel's."""

    def __init__(self, drawing, size_inches: tuple[float, float]):
        self.drawing, self.size = drawing, size_inches

    def export(self, path: str, dpi: int, done: Callable[[str], None], failed: Callable[[str], None]) -> None:
        export_drawing(self.drawing, self.size, path, dpi, done, failed)

    def settle(self):
        return build_figure(self.drawing, self.size)


def export_drawing(drawing, size_inches, path: str, dpi: int, done: Callable[[str], None],
                   failed: Callable[[str], None]) -> None:

    service().submit(("export", path), export, drawing, tuple(size_inches), path, dpi, done=done, failed=failed)
