"""One matplotlib canvas class for every figure in the app: a Figure, its Qt canvas and toolbar.

matplotlib's Qt backend is imported when the first canvas is built, not when the app starts
(it costs ~0.5 s). Owners draw with the Qt-free `plotting.draw_*` functions onto the figure.

Drawing a figure costs 0.1-0.8 s (building the artists, then rendering them), more on a busy machine. By
default a panel does both in a worker (worker_canvas.WorkerCanvas): the GUI thread only shows the finished
image. And a panel never draws while it is hidden (another main tab or figure tab is showing):

* `paint(draw)` hands the panel a function that draws onto the figure. It runs (in the worker) when the
  panel is visible, else when the panel is first shown (or `ensure_painted()` is called). A newer `paint()`
  replaces a pending one: only the latest is ever drawn.
* `settle()` returns the figure complete, for an export (or a test): pending paints done, the worker joined.
* `redraw()` renders on screen when the canvas is visible, else when it is next shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget


_ICONS: dict[tuple[str, int, int], QIcon] = {}


def _fixed_icons(toolbar: QWidget) -> None:
    """Give the toolbar's buttons icons rendered once per process. matplotlib's icon engine reads and renders
    its SVG file again on every paint of every button (nine per toolbar), which held the GUI thread 50-60 ms
    when a tab with toolbars was shown while a worker drew a figure."""
    size = toolbar.iconSize()
    for action in toolbar.actions():
        icon = action.icon()
        if icon.isNull() or not action.text():
            continue
        key = (action.text(), size.width(), size.height())
        fixed = _ICONS.get(key)
        if fixed is None:
            fixed = _ICONS[key] = QIcon(icon.pixmap(size))
        action.setIcon(fixed)


class FigurePanel(QWidget):
    """A widget holding a matplotlib `FigureCanvasQTAgg` (as `.canvas`) with its navigation toolbar."""

    def __init__(self, canvas_name: str, accessible_name: str, parent: QWidget | None = None, *,
                 figsize: tuple[float, float] = (5.0, 4.0), toolbar: bool = True, background: bool = True):
        """background=True (default): the figure is built and rendered in a worker (worker_canvas.WorkerCanvas),
        the GUI thread only shows the image; read the figure through settle(). background=False: both happen
        on the GUI thread (a plain FigureCanvasQTAgg)."""
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
        from matplotlib.figure import Figure

        figure = Figure(figsize=figsize, layout="constrained")
        self.background = background
        if background:
            from .worker_canvas import WorkerCanvas

            self.canvas = WorkerCanvas(figure)
        else:
            self.canvas = FigureCanvasQTAgg(figure)
        self.canvas.setObjectName(canvas_name)
        self.canvas.setAccessibleName(accessible_name)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(200, 160)
        self._pending: Callable | None = None  # a paint() not run yet (the panel was hidden)
        self._stale = False  # the figure changed while the canvas was hidden: render when shown
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if toolbar:
            self.toolbar = NavigationToolbar2QT(self.canvas, self)
            self.toolbar.setIconSize(self.toolbar.iconSize() * 0.8)
            _fixed_icons(self.toolbar)
            layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)

    @property
    def figure(self):
        """The figure on the canvas. With background=True a worker may be building it: read it after
        settle()."""
        return self.canvas.figure

    @property
    def pending(self) -> bool:
        """True while a paint() waits for the panel to be shown."""
        return self._pending is not None

    def paint(self, draw: Callable) -> None:
        """Clear the figure and run `draw(figure)` now if the panel is visible, else when it is shown."""
        self._pending = draw
        if self.isVisible():
            self.ensure_painted()

    def ensure_painted(self) -> None:
        """Run a pending paint() now (visible or not): e.g. before the figure is exported."""
        draw, self._pending = self._pending, None
        if draw is None:
            return
        if self.background:
            def change(figure) -> None:
                figure.clear()
                draw(figure)

            self.canvas.mutate(change, replace=True)  # the worker builds and renders it
            return
        self.figure.clear()
        draw(self.figure)
        self.redraw()

    def settle(self):
        """The figure, complete: pending paints done (and a background render finished), e.g. for an export."""
        self.ensure_painted()
        if self.background:
            self.canvas.wait()
        return self.figure

    def clear(self, message: str = "") -> None:
        self._pending = None
        if self.background:
            self.canvas.mutate(lambda figure: _show_message(figure, message), replace=True)
            return
        _show_message(self.figure, message)
        self.redraw()

    def redraw(self) -> None:
        if self.canvas.isVisible():
            self._stale = False
            self.canvas.draw_idle()
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_painted()
        if self._stale:
            self.redraw()


def _show_message(figure, message: str) -> None:
    figure.clear()
    if message:
        figure.text(0.5, 0.5, message, ha="center", va="center", color="0.45", wrap=True)
