"""The Explanations tab: compute SHAP in the background, draw all three canvases, cancel, export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("pytestqt")

import torch  # noqa: E402
from conftest import drawn  # noqa: E402

from hybridxai_gui.core.model.trained import TrainedModel  # noqa: E402
from hybridxai_gui.core.config import ModelConfig, TrainConfig  # noqa: E402
from hybridxai_gui.core.data.prepare import Scaler  # noqa: E402
from hybridxai_gui.core.explain import clear_cache  # noqa: E402
from hybridxai_gui.core.model.network import build_model  # noqa: E402

torch.set_num_threads(1)
F, C = 6, 3


def make_trained(n_features=F, n_classes=C) -> TrainedModel:
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=n_features, n_classes=n_classes, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                      num_heads=2)
    model = build_model(cfg).eval()
    return TrainedModel(model=model, model_config=cfg, train_config=TrainConfig(),
                        feature_names=[f"feat{i}" for i in range(n_features)],
                        class_names=[f"k{c}" for c in range(n_classes)], label_column="label",
                        scaler=Scaler(np.zeros(n_features), np.ones(n_features)))


@pytest.fixture
def tab(qtbot):
    from hybridxai_gui.gui.explanations_tab import ExplanationsTab

    clear_cache()
    widget = ExplanationsTab()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    widget.shutdown()  # never leave the SHAP thread running


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, F)).astype(np.float32)
    y = rng.integers(0, C, size=20)
    return X, X * 2 + 1, y, np.arange(20) + 100, rng.normal(size=(40, F)).astype(np.float32)


def test_names_and_disabled_before_a_model(tab):
    from PySide6.QtWidgets import QPushButton

    assert tab.objectName() == "explanationsTab" and tab.accessibleName()
    button = tab.findChild(QPushButton, "computeExplanationsButton")
    assert button is not None and not button.isEnabled()
    assert tab.current_figure() is None


def test_compute_draws_every_canvas(tab, qtbot, data):
    from hybridxai_gui.gui.figure_canvas import RenderCanvas

    X, X_raw, y, rows, pool = data
    tab.set_model(make_trained(), X, X_raw, y, rows, background_pool=pool)
    canvases = {name: tab.findChild(RenderCanvas, name) for name in ("shapCanvas", "gradcamCanvas",
                                                                     "attentionCanvas")}
    assert all(canvases.values())
    # Grad-CAM and attention draw for the selected row when their page is shown, not while hidden
    assert tab.panels["gradcam"].pending and tab.panels["attention"].pending
    for page, name in ((1, "gradcamCanvas"), (2, "attentionCanvas")):
        tab.figureTabs.setCurrentIndex(page)
        assert drawn(canvases[name]).axes, name
    tab.figureTabs.setCurrentIndex(0)
    tab.scopeCombo.setCurrentIndex(1)  # shown rows, up to 25
    with qtbot.waitSignal(tab.busyChanged, timeout=60_000, check_params_cb=lambda busy: busy is False):
        qtbot.mouseClick(tab.computeButton, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    assert tab.result is not None
    assert tab.result.values.shape == (20, F, C)
    assert tab.result.method == "exact"  # auto with 6 features
    assert tab.result.additive and "OK" in tab.additivityLabel.text()
    assert tab.progressBar.value() == tab.progressBar.maximum() == 20
    for view in range(tab.shapViewCombo.count()):
        tab.shapViewCombo.setCurrentIndex(view)
        assert drawn(canvases["shapCanvas"]).axes, tab.shapViewCombo.currentText()
        canvases["shapCanvas"].render()
    assert tab.current_figure() is canvases["shapCanvas"].figure
    tab.figureTabs.setCurrentIndex(1)
    assert tab.current_figure() is canvases["gradcamCanvas"].figure
    tab.classCombo.setCurrentIndex(2)  # an explicit class redraws Grad-CAM for it
    assert "k1" in drawn(canvases["gradcamCanvas"]).axes[0].get_title(loc="left")


def test_show_row_and_filters(tab, data):
    X, X_raw, y, rows, pool = data
    tab.set_model(make_trained(), X, X_raw, y, rows, background_pool=pool)
    wrong = np.nonzero(tab.predicted != y)[0]
    tab.misclassifiedOnlyCheck.setChecked(True)
    assert tab.sampleList.count() == len(wrong)
    right = int(np.nonzero(tab.predicted == y)[0][0])
    tab.show_row(right)  # hidden by the filter: the filter is lifted
    assert tab.current_index() == right and not tab.misclassifiedOnlyCheck.isChecked()
    tab.classFilterCombo.setCurrentIndex(1)
    assert all(y[tab.sampleList.item(k).data(256)] == 0 for k in range(tab.sampleList.count()))


def test_cancel_stops_the_worker(tab, qtbot, data):
    X, X_raw, y, rows, pool = data
    trained = make_trained(12, 2)
    rng = np.random.default_rng(1)
    X12 = rng.normal(size=(20, 12)).astype(np.float32)
    tab.set_model(trained, X12, None, None, None, background_pool=rng.normal(size=(100, 12)).astype(np.float32))
    tab.methodCombo.setCurrentText("exact")  # 4096 coalitions × 100 rows per row: long enough to cancel
    tab.scopeCombo.setCurrentIndex(2)
    with qtbot.waitSignal(tab.busyChanged, timeout=5_000):
        tab.compute()
    assert tab.is_busy()
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: busy is False):
        tab.cancelButton.click()
    assert tab.result is None
    assert "cancelled" in tab.additivityLabel.text().lower()
    assert tab.computeButton.isEnabled()


def test_export_current_figure(tab, data, tmp_path):
    from hybridxai_gui.plotting.export import export_figure

    X, X_raw, y, rows, pool = data
    tab.set_model(make_trained(), X, X_raw, y, rows, background_pool=pool)
    tab.figureTabs.setCurrentIndex(2)
    for ext in ("png", "svg"):
        path = export_figure(tab.current_figure(), tmp_path / f"attention.{ext}")
        assert path.stat().st_size > 1000


def test_a_hidden_page_is_drawn_for_export_and_a_hidden_tab_draws_nothing(qtbot, data):
    """Figures of a tab that is not showing are drawn on demand (export) or when shown, never before."""
    from hybridxai_gui.gui.explanations_tab import ExplanationsTab

    X, X_raw, y, rows, pool = data
    trained = make_trained()
    predicted = trained.predict_logits(X).argmax(axis=1)
    hidden = ExplanationsTab()
    qtbot.addWidget(hidden)  # never shown
    try:
        hidden.set_model(trained, X, X_raw, y, rows, background_pool=pool, predicted=predicted)
        assert (hidden.predicted == predicted).all()
        assert all(panel.pending and not panel.figure.axes for key, panel in hidden.panels.items()
                   if key not in ("shap", "faithfulness"))  # these two wait for Compute
        hidden.figureTabs.setCurrentIndex(1)  # still hidden: the page's figure waits
        assert not hidden.panels["gradcam"].figure.axes
        assert hidden.current_figure().axes  # what File > Export figure asks for: drawn on demand
        assert not hidden.panels["gradcam"].pending
        hidden.show()
        qtbot.waitUntil(lambda: hidden.isVisible())
        assert drawn(hidden.panels["gradcam"]).axes
    finally:
        hidden.shutdown()


def test_a_filter_that_leaves_no_rows_says_so(tab, data):
    X, X_raw, y, rows, pool = data
    y = np.zeros_like(y)  # every row is class 0
    tab.set_model(make_trained(), X, X_raw, y, rows, background_pool=pool)
    tab.classFilterCombo.setCurrentIndex(2)  # class 1: no rows
    assert tab.sampleList.count() == 0 and not tab.computeButton.isEnabled()
    for key in ("gradcam", "attention"):
        text = " ".join(t.get_text() for t in drawn(tab.panels[key]).texts)
        assert "No rows match this filter" in text
    tab.shapViewCombo.setCurrentText("waterfall")
    tab.compute()  # nothing to explain: said, not silently ignored
    assert "No rows match this filter" in tab.additivityLabel.text()
    tab.classFilterCombo.setCurrentIndex(0)
    assert tab.computeButton.isEnabled()


def test_units_summary_and_faithfulness(tab, qtbot, data):
    """One row explained: its summary in words, SHAP in probability (switchable to logits without recomputing),
    the faithfulness curves and verdicts, and the background size that was used."""
    from hybridxai_gui.gui.figure_canvas import RenderCanvas
    from PySide6.QtWidgets import QComboBox, QLabel

    X, X_raw, y, rows, pool = data
    trained = make_trained()
    tab.set_model(trained, X, X_raw, y, rows, background_pool=pool)
    assert tab.backgroundCombo.itemText(0) == "Training sample (40 rows)"  # all 40 pool rows are used
    units = tab.findChild(QComboBox, "unitsCombo")
    summary = tab.findChild(QLabel, "explanationSummaryLabel")
    canvas = tab.findChild(RenderCanvas, "faithfulnessCanvas")
    assert units is not None and summary is not None and canvas is not None
    assert units.currentText() == "Probability" and tab.shapViewCombo.currentText() == "waterfall"
    assert "Compute" in summary.text()
    tab.show_row(4)
    with qtbot.waitSignal(tab.busyChanged, timeout=60_000, check_params_cb=lambda busy: busy is False):
        tab.compute()
    result = tab.result
    assert result.units == "probability" and result.background_size == 40
    headline = tab.run.faithfulness.headline()  # this untrained model's SHAP ties random: no view is called faithful
    assert "background 40 rows" in tab.additivityLabel.text() and headline and headline in tab.additivityLabel.text()
    assert result.sampling_message and result.sampling_message in tab.additivityLabel.text()  # how far to trust it
    text = summary.text()
    assert text.startswith(f"Row {rows[4]}: the model predicts ") and "with probability 0." in text
    assert "Pushed most" in text and "logit" not in text
    # the waterfall reads in probability; the logit view comes from the same run
    waterfall = drawn(tab.panels["shap"]).axes[0]
    assert waterfall.get_xlabel().startswith("probability of class")
    units.setCurrentIndex(1)
    assert tab.result is result and tab.shown_result().units == "logit"
    assert drawn(tab.panels["shap"]).axes[0].get_xlabel().startswith("logit")
    tab.figureTabs.setCurrentIndex(3)
    assert tab.current_figure() is canvas.figure
    titles = [ax.get_title(loc="left") for ax in canvas.figure.axes]
    assert any(t.startswith("Deletion (row") for t in titles) and any(t.startswith("Insertion") for t in titles)
    words = " ".join(t.get_text() for ax in canvas.figure.axes for t in ax.texts)
    assert "SHAP: removing its top" in words and "Random order" in words and "Model-randomisation check" in words
    faith = tab.run.faithfulness
    assert set(faith.views) == {"shap", "gradcam", "attention", "random"}
    # another class chosen: the summary follows at once
    tab.classCombo.setCurrentIndex(1)
    assert "k0" in summary.text()


def test_explaining_runs_with_the_training_tabs_threads(tab, qtbot, data, monkeypatch):
    """torch's default of one thread per core made one series row take 83 s instead of 19 on a busy 2-core
    machine: the explanation runs with the threads the app is set to (1 by default), and gives them back."""
    import hybridxai_gui.core.explain.run as run_module

    seen = []
    original = run_module.iter_explanation_run

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return (yield from original(*args, **kwargs))

    monkeypatch.setattr(run_module, "iter_explanation_run", spy)
    X, X_raw, y, rows, pool = data
    tab.set_model(make_trained(), X, X_raw, y, rows, background_pool=pool)
    torch.set_num_threads(2)  # torch's default on a 2-core machine
    try:
        with qtbot.waitSignal(tab.busyChanged, timeout=60_000, check_params_cb=lambda busy: busy is False):
            tab.compute()
        assert seen == [1] and tab.threads == 1
        assert torch.get_num_threads() == 2  # given back
    finally:
        torch.set_num_threads(1)


def test_a_background_csv_is_read_in_a_worker_and_used(tab, qtbot, data, tmp_path, monkeypatch):
    import threading

    import pandas as pd
    from PySide6.QtWidgets import QFileDialog

    from hybridxai_gui.core import pipeline

    X, X_raw, y, rows, pool = data
    trained = make_trained()
    tab.set_model(trained, X, X_raw, y, rows, background_pool=pool)
    good = tmp_path / "bg.csv"
    pd.DataFrame(np.full((7, F), 3.0), columns=trained.feature_names).to_csv(good, index=False)
    readers = []
    real = pipeline.read_table
    monkeypatch.setattr(pipeline, "read_table", lambda *a, **k: readers.append(threading.current_thread()) or
                        real(*a, **k))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(good), ""))
    tab.backgroundCombo.setCurrentIndex(2)
    tab.backgroundCombo.activated.emit(2)  # as a user's choice does
    assert not tab.computeButton.isEnabled()  # not before the rows are read
    qtbot.waitUntil(lambda: tab.csv_background is not None, timeout=30_000)
    assert readers and all(t is not threading.main_thread() for t in readers)  # never the GUI thread
    assert "bg.csv (7 rows)" in tab.backgroundCombo.itemText(2)
    assert np.allclose(tab._background(), 3.0)  # scaled with a zero mean and unit spread: the file's own values
    qtbot.waitUntil(tab.computeButton.isEnabled, timeout=5_000)

    bad = tmp_path / "bad.csv"
    pd.DataFrame({"other": [1, 2]}).to_csv(bad, index=False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    tab.backgroundCombo.setCurrentIndex(2)
    tab.backgroundCombo.activated.emit(2)
    qtbot.waitUntil(lambda: tab.backgroundCombo.currentIndex() == 0, timeout=30_000)
    assert tab.csv_background is None and "feat0" in tab.additivityLabel.text()  # names a missing column
