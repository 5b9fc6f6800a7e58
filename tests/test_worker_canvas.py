"""The canvas that builds and renders its figure in a worker: changes apply in order, only the latest full
redraw is built, a hidden canvas waits to be shown, wait() hands the figure over complete, a resize during a
render is applied after it, and a figure that fails to draw says so."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QWidget  # noqa: E402

from hybridxai_gui.gui.figure_canvas import FigurePanel  # noqa: E402
from hybridxai_gui.gui.worker_canvas import WorkerCanvas  # noqa: E402


@pytest.fixture
def panel(qtbot):
    p = FigurePanel("testCanvas", "Test figure", figsize=(4, 3))
    qtbot.addWidget(p)
    p.resize(400, 300)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.canvas.wait()


def image(canvas) -> np.ndarray:
    return np.asarray(canvas.renderer.buffer_rgba())


def test_the_figure_is_built_and_rendered_off_the_gui_thread(panel, qtbot):
    assert isinstance(panel.canvas, WorkerCanvas)
    gui = threading.get_ident()
    threads = []

    def draw(figure):
        threads.append(threading.get_ident())
        ax = figure.add_subplot()
        ax.fill_between([0, 1], [0, 0], [1, 1], color="red")
        ax.set_title("red square")

    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=20_000)  # the first render, of the empty figure
    with qtbot.waitSignal(panel.canvas.rendered, timeout=20_000):
        panel.paint(draw)
    assert threads and threads[0] != gui  # the artists were built in the worker
    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=20_000)
    rgba = image(panel.canvas)
    assert rgba.shape[:2] == (panel.canvas.get_width_height(physical=True)[1],
                              panel.canvas.get_width_height(physical=True)[0])
    red = (rgba[..., 0] > 200) & (rgba[..., 1] < 60) & (rgba[..., 2] < 60)
    assert red.mean() > 0.2  # the image on screen is the figure drawn
    assert panel.settle().axes[0].get_title() == "red square"


def test_only_the_latest_full_redraw_is_built_and_changes_keep_their_order(panel, qtbot):
    built = []
    gate = threading.Event()

    def slow(figure):
        gate.wait(10)
        built.append("slow")

    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=20_000)
    panel.paint(slow)  # the worker is held in this one
    assert panel.canvas.busy and not panel.canvas.rendering  # the worker starts once this event is handled
    qtbot.waitUntil(lambda: panel.canvas.rendering, timeout=20_000)
    for name in ("a", "b", "c"):
        panel.paint(lambda figure, name=name: built.append(name))  # each replaces the last one waiting
    panel.canvas.mutate(lambda figure: built.append("then"))
    gate.set()
    panel.settle()
    assert built == ["slow", "c", "then"]


def test_a_hidden_panel_draws_when_shown_and_on_demand(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    p = FigurePanel("hiddenCanvas", "Hidden figure", holder, figsize=(3, 2))
    calls = []
    p.paint(lambda figure: (calls.append(1), figure.add_subplot()))
    assert p.pending and not calls  # the panel has never been shown
    assert p.settle().axes and calls == [1]  # an export asks for it: drawn now, on this thread
    p.paint(lambda figure: (calls.append(2), figure.add_subplot().set_title("shown")))
    holder.resize(300, 200)
    holder.show()
    qtbot.waitExposed(holder)
    qtbot.waitUntil(lambda: 2 in calls and p.canvas.idle, timeout=20_000)
    assert p.settle().axes[0].get_title() == "shown"


def test_a_resize_during_a_render_is_applied_after_it(panel, qtbot):
    gate = threading.Event()
    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=20_000)
    panel.paint(lambda figure: (gate.wait(10), figure.add_subplot()))
    assert panel.canvas.busy  # asked for; the worker starts once this event is handled
    qtbot.waitUntil(lambda: panel.canvas.rendering, timeout=20_000)
    panel.resize(600, 450)
    gate.set()
    qtbot.waitUntil(lambda: panel.canvas.idle and panel.canvas.renderer.width == panel.canvas.get_width_height(
        physical=True)[0], timeout=20_000)
    w, h = panel.canvas.get_width_height()
    assert panel.figure.get_size_inches() * panel.figure.dpi == pytest.approx(
        np.array([w, h]) * panel.canvas.device_pixel_ratio, abs=1.5)


def test_wait_finishes_a_render_without_running_the_event_loop(panel, qtbot):
    gate = threading.Event()
    delivered = []
    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=20_000)
    panel.paint(lambda figure: (gate.wait(10), figure.add_subplot().set_title("done")))
    assert panel.canvas.busy  # asked for; the worker starts once this event is handled
    qtbot.waitUntil(lambda: panel.canvas.rendering, timeout=20_000)
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, lambda: delivered.append("event loop ran"))
    threading.Timer(0.2, gate.set).start()
    figure = panel.settle()
    assert figure.axes[0].get_title() == "done" and not delivered  # nothing else ran inside wait()
    qtbot.waitUntil(lambda: bool(delivered), timeout=5_000)


def test_a_figure_that_fails_to_draw_says_so_and_the_canvas_goes_on(panel, qtbot):
    def broken(figure):
        raise ValueError("no such column 'x'")

    panel.paint(broken)
    qtbot.waitUntil(lambda: panel.canvas.idle and bool(panel.figure.texts), timeout=20_000)
    assert "could not be drawn" in panel.figure.texts[0].get_text()
    assert "no such column 'x'" in panel.figure.texts[0].get_text()
    panel.paint(lambda figure: figure.add_subplot().set_title("fine again"))
    assert panel.settle().axes[0].get_title() == "fine again"

