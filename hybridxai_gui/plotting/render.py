"""Figures as data: a `Drawing` says what to draw (a plotting function and its arguments), and the functions here
build it onto a fresh Figure and render it to an image or a file. No Qt, no pyplot.

Why drawings are data: building a figure's artists and rendering them is CPU-bound Python (0.1-1 s for the
app's figures), and a thread doing it still holds the interpreter the window's thread needs. The app therefore
sends each Drawing to a separate process (gui.render_service) that runs `render_image` or `export` below
and hands back only the pixels or the file; the window's thread never imports matplotlib. A Drawing is
pickled to get there, so its function must be a module-level function and its arguments plain data (numpy
arrays, dataclasses, numbers, strings).

    drawing = axes_drawing(draw_confusion_matrix, result.confusion, names)   # onto one Axes
    drawing = Drawing(draw_class_profile, (profile, None))                   # onto the whole Figure
    image = render_image(drawing, 800, 500)                                  # RGBA pixels
    export(drawing, (8.0, 5.0), "confusion.pdf", dpi=150)                    # a file, by its extension
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SCREEN_DPI = 100.0  # a figure on screen: 100 figure dots per logical pixel inch, as matplotlib's Qt canvas


@dataclass(frozen=True, eq=False)  # compared by identity: its arguments may be arrays
class Drawing:
    """`function(figure, *args, **kwargs)`, or with on="axes" `function(figure.add_subplot(), ...)`.
    `title`: a suptitle added after the function (a note that belongs to the page, not the plot)."""

    function: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    on: str = "figure"  # "figure" or "axes"
    title: str = ""
    layout: str | None = "constrained"  # the Figure's layout engine (None: the function lays it out)

    def __call__(self, figure) -> None:
        target = figure.add_subplot() if self.on == "axes" else figure
        self.function(target, *self.args, **self.kwargs)
        if self.title:
            figure.suptitle(self.title, fontsize=8, color="0.35")


def axes_drawing(function: Callable, *args, **kwargs) -> Drawing:
    """A Drawing of `function(ax, *args, **kwargs)` on the figure's one Axes."""
    return Drawing(function, args, kwargs, on="axes")


def figure_drawing(function: Callable, *args, **kwargs) -> Drawing:
    """A Drawing of `function(figure, *args, **kwargs)`."""
    return Drawing(function, args, kwargs)


def show_message(figure, message: str) -> None:
    """A figure that only says something (nothing to draw yet, or why not)."""
    if message:
        figure.text(0.5, 0.5, message, ha="center", va="center", color="0.45", wrap=True)


def message_drawing(message: str) -> Drawing:
    return Drawing(show_message, (message,))


def failed_drawing(message: str) -> Drawing:
    return message_drawing(f"This figure could not be drawn:\n{message}")


@dataclass(frozen=True)
class RenderedImage:
    """An RGBA image, rows top to bottom, `width` × `height` × 4 bytes."""

    width: int
    height: int
    rgba: bytes
    error: str = ""  # the drawing failed: the image says so, and this is why


def build_figure(drawing: Drawing, size_inches: tuple[float, float], dpi: float = SCREEN_DPI):
    """The Figure `drawing` draws, at `size_inches` (artists built, nothing rendered)."""
    from ._common import new_figure as Figure  # names as typed, CJK glyphs

    figure = Figure(figsize=size_inches, dpi=dpi, layout=drawing.layout)
    drawing(figure)
    return figure


def render_image(drawing: Drawing, width: int, height: int, dpi: float = SCREEN_DPI) -> RenderedImage:
    """Render `drawing` into a `width` × `height` pixel image (dpi: figure dots per inch, so that the same
    figure keeps its proportions on a high-density screen). A drawing that raises gives an image that says
    why, with the message in `error`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    width, height = max(1, int(width)), max(1, int(height))
    size = (width / dpi, height / dpi)
    error = ""
    try:
        figure = build_figure(drawing, size, dpi)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
    except Exception as exc:  # noqa: BLE001 - the window shows why, and goes on
        error = f"{type(exc).__name__}: {exc}"
        figure = build_figure(failed_drawing(str(exc)), size, dpi)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
    buffer = canvas.buffer_rgba()
    h, w = buffer.shape[:2]
    return RenderedImage(int(w), int(h), bytes(buffer), error)


def export(drawing: Drawing, size_inches: tuple[float, float], path: str | Path, dpi: int = 150) -> str:
    """Draw `drawing` at `size_inches` and write it to `path` (PNG, EPS, PDF or SVG by the extension)."""
    from .export import export_figure

    return str(export_figure(build_figure(drawing, size_inches), path, dpi=dpi))


def write_report(content, path: str | Path) -> str:
    """The run report (plotting.report.write_report), drawn and written here."""
    from .report import write_report as write

    return str(write(content, path))


__all__ = ["Drawing", "RenderedImage", "SCREEN_DPI", "axes_drawing", "build_figure", "export", "failed_drawing",
           "figure_drawing", "message_drawing", "render_image", "show_message", "write_report"]
