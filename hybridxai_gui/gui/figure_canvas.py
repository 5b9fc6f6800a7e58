"""One matplotlib canvas class for every figure in the app: a Figure, its Qt canvas and toolbar.

matplotlib's Qt backend is imported when the first canvas is built, not when the app starts
(it costs ~0.5 s). Subclasses or owners draw with the Qt-free `plotting.draw_*` functions onto
`self.figure` and call `redraw()`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget


class FigurePanel(QWidget):
    """A widget holding a matplotlib `FigureCanvasQTAgg` (as `.canvas`) with its navigation toolbar."""

    def __init__(self, canvas_name: str, accessible_name: str, parent: QWidget | None = None, *,
                 figsize: tuple[float, float] = (5.0, 4.0), toolbar: bool = True):
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize, layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setObjectName(canvas_name)
        self.canvas.setAccessibleName(accessible_name)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(200, 160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if toolbar:
            self.toolbar = NavigationToolbar2QT(self.canvas, self)
            self.toolbar.setIconSize(self.toolbar.iconSize() * 0.8)
            layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)

    def clear(self, message: str = "") -> None:
        self.figure.clear()
        if message:
            self.figure.text(0.5, 0.5, message, ha="center", va="center", color="0.45", wrap=True)
        self.redraw()

    def redraw(self) -> None:
        self.canvas.draw_idle()
