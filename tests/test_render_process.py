"""Figures are drawn in a separate render process and only shown by the window: the image on screen is the
drawing asked for, nothing is drawn in this process, only the newest of several requests is drawn and shown,
a hidden panel waits to be shown, a failing drawing says so, a resize draws again, export writes the file
there, and a render process that died is replaced."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QWidget  # noqa: E402

import render_drawings  # noqa: E402
from hybridxai_gui.gui.figure_canvas import FigurePanel  # noqa: E402
from hybridxai_gui.gui.render_service import service  # noqa: E402
from hybridxai_gui.plotting.render import Drawing  # noqa: E402

TIMEOUT = 60_000  # ms: the first render starts the process (imports matplotlib), slow on a busy machine


def fill(colour: str, title: str = "") -> Drawing:
    return Drawing(render_drawings.fill, (colour, title), on="axes", layout=None)


def pixels(canvas) -> np.ndarray:
    """The canvas's image as an (H, W, 4) RGBA array."""
    image = canvas.image
    data = np.frombuffer(bytes(image.constBits()), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()]


def mostly(rgba: np.ndarray, colour: tuple[int, int, int]) -> float:
    return float((np.abs(rgba[..., :3].astype(int) - np.array(colour)).max(axis=-1) < 40).mean())


@pytest.fixture
def draws_here(monkeypatch):
    """Every figure drawn in this process, by thread: the window's figures must be drawn elsewhere."""
    from matplotlib.figure import Figure

    seen = []
    original = Figure.draw

    def recording(self, renderer):
        seen.append(threading.current_thread().name)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", recording)
    return seen


@pytest.fixture
def panel(qtbot):
    p = FigurePanel("testCanvas", "Test figure", figsize=(4, 3))
    qtbot.addWidget(p)
    p.resize(400, 300)
    p.show()
    qtbot.waitExposed(p)
    yield p


def test_the_figure_is_drawn_in_another_process_and_shown(panel, qtbot, draws_here):
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("red"))
    assert not service().threaded  # a real process drew it
    rgba = pixels(panel.canvas)
    width, height = panel.canvas.pixel_size()
    assert rgba.shape[:2] == (height, width)
    assert mostly(rgba, (255, 0, 0)) > 0.9  # the image on screen is the drawing asked for
    assert draws_here == []  # and nothing was drawn in this process
    pids = []
    service().submit("pid", render_drawings.pid, done=pids.append)
    qtbot.waitUntil(lambda: bool(pids), timeout=TIMEOUT)
    assert pids[0] != os.getpid()


def test_only_the_newest_request_is_drawn_and_shown(panel, qtbot, monkeypatch):
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("blue"))  # the process is up
    render = service()
    launched = []
    launch = render._launch
    monkeypatch.setattr(render, "_launch", lambda job: (launched.append(job.args[0]), launch(job)))
    answered = []
    render.submit("busy", render_drawings.sleep, 1.0, done=answered.append)  # holds the one render process
    drawings = [fill(colour) for colour in ("red", "green", "yellow")]
    for drawing in drawings:  # each replaces the one still waiting
        panel.paint(drawing)
    qtbot.waitUntil(lambda: bool(answered) and panel.canvas.idle and panel.canvas.image is not None
                    and panel.canvas.drawing is drawings[-1], timeout=TIMEOUT)
    qtbot.wait(200)
    assert mostly(pixels(panel.canvas), (255, 255, 0)) > 0.9  # yellow: the newest
    assert [d for d in launched if isinstance(d, Drawing)] == [drawings[-1]]  # red and green were never drawn


def test_a_hidden_panel_draws_when_shown(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    p = FigurePanel("hiddenCanvas", "Hidden figure", holder, figsize=(3, 2))
    p.paint(fill("green", "shown"))
    assert p.pending and not service().busy(p.canvas)  # never shown: nothing asked of the process
    assert p.settle().axes[0].get_title() == "shown"  # a script or test can still build it here
    holder.resize(300, 200)
    with qtbot.waitSignal(p.canvas.rendered, timeout=TIMEOUT):
        holder.show()
    assert mostly(pixels(p.canvas), (0, 128, 0)) > 0.5


def test_a_drawing_that_fails_says_so_and_the_canvas_goes_on(panel, qtbot):
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(Drawing(render_drawings.broken, ("no such column 'x'",), on="axes"))
    assert "no such column 'x'" in panel.canvas.error  # the image says so too (drawn by the process)
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("red"))
    assert panel.canvas.error == "" and mostly(pixels(panel.canvas), (255, 0, 0)) > 0.9


def test_a_resize_draws_again_at_the_new_size(panel, qtbot):
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("red"))
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.resize(600, 450)
    qtbot.waitUntil(lambda: panel.canvas.idle, timeout=TIMEOUT)
    width, height = panel.canvas.pixel_size()
    assert (panel.canvas.image.width(), panel.canvas.image.height()) == (width, height)
    assert panel.size_inches() == pytest.approx((panel.canvas.width() / 100, panel.canvas.height() / 100))


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_export_writes_the_file_in_the_render_process(panel, qtbot, tmp_path, draws_here, suffix, magic):
    panel.paint(fill("red"))
    written, failed = [], []
    path = tmp_path / f"figure{suffix}"
    panel.export(str(path), 100, done=written.append, failed=failed.append)
    qtbot.waitUntil(lambda: bool(written or failed), timeout=TIMEOUT)
    assert written == [str(path)] and not failed
    assert path.read_bytes().startswith(magic)
    assert draws_here == []


def test_a_render_process_that_died_is_replaced(panel, qtbot):
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("red"))
    pids = []
    service().submit("pid", render_drawings.pid, done=pids.append)
    qtbot.waitUntil(lambda: bool(pids), timeout=TIMEOUT)
    os.kill(pids[0], 9)
    with qtbot.waitSignal(panel.canvas.rendered, timeout=TIMEOUT):
        panel.paint(fill("blue"))
    assert panel.canvas.error == "" and mostly(pixels(panel.canvas), (0, 0, 255)) > 0.9
    assert not service().threaded


def test_a_users_journey_draws_no_figure_in_the_window_process(qtbot, window, dialogs, tiny_csv, tmp_path,
                                                                draws_here):
    """Open a file, train, look at the evaluation and explanations, export a figure and the report: every
    figure is drawn in the render process, none here (on the GUI thread a figure froze the window; in a
    worker thread it still held the interpreter the GUI thread needs)."""
    from conftest import fast_settings

    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(window.dataLoaded, timeout=TIMEOUT):
        window.actionOpenData.trigger()
    data = window.dataTab
    qtbot.waitUntil(lambda: data.classPlot is not None and data.classPlot.panel.canvas.image is not None,
                    timeout=TIMEOUT)
    fast_settings(window, epochs=2)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()
    window.mainTabs.setCurrentWidget(window.evaluationTab)
    qtbot.waitUntil(lambda: window.evaluationTab.confusionPanel.canvas.image is not None, timeout=TIMEOUT)
    tab = window.explanationsTab
    window.mainTabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.busyChanged, timeout=120_000, check_params_cb=lambda busy: busy is False):
        tab.computeButton.click()
    qtbot.waitUntil(lambda: tab.panels["shap"].canvas.image is not None, timeout=TIMEOUT)
    for suffix in (".png", ".pdf"):
        dialogs.save_path = str(tmp_path / f"shap{suffix}")
        with qtbot.waitSignal(window.figureExported, timeout=TIMEOUT):
            window.actionExportFigure.trigger()
    with qtbot.waitSignal(window.reportExported, timeout=120_000):
        window.export_report(str(tmp_path / "report.html"))
    assert (tmp_path / "shap.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "report.html").stat().st_size
    assert draws_here == [], f"figures drawn in the window's process, by thread: {sorted(set(draws_here))}"
    assert not dialogs.messages


def test_a_render_process_that_keeps_failing_gives_way_to_a_thread(qtbot, monkeypatch):
    """Where no render process can live (a sandbox, a broken bundle), figures are still drawn: in a thread."""
    from concurrent.futures.process import BrokenProcessPool

    from hybridxai_gui.gui.render_service import RenderService

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("the process ended")

        def shutdown(self, **kwargs):
            pass

    render = RenderService()
    real = render._new_executor
    monkeypatch.setattr(render, "_new_executor", lambda: real() if render.threaded else Broken())
    answers = []
    for k in range(3):
        render.submit(("job", k), pow, 2, k, done=answers.append, failed=answers.append)
    qtbot.waitUntil(lambda: len(answers) == 3, timeout=TIMEOUT)
    assert render.threaded and answers[1:] == [2, 4]  # the first job's two tries both met a broken pool
    assert "the process ended" in answers[0]
    render.shutdown()
