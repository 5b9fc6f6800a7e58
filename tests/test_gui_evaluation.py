"""The Evaluation tab's threshold, calibration, baselines and repeated evaluation, the Predict tab's confusion
matrix for a labelled file, and File ▸ Export report… (HTML and PDF)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from conftest import drawn, fast_settings  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QDoubleSpinBox, QPushButton, QSpinBox, QTableWidget  # noqa: E402


def two_class_csv(folder, n: int = 80) -> str:
    """Two overlapping classes, so that a threshold trades sensitivity for specificity."""
    rng = np.random.default_rng(1)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 6)) + y[:, None] * 1.2
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame["label"] = np.where(y == 1, "sick", "healthy")
    path = folder / "two.csv"
    frame.to_csv(path, index=False)
    return str(path)


def train_on(qtbot, window, dialogs, path, epochs: int = 3) -> None:
    dialogs.open_path = path
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    fast_settings(window, epochs=epochs)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()


def test_threshold_moves_sensitivity_and_specificity(qtbot, window, dialogs, tmp_path):
    train_on(qtbot, window, dialogs, two_class_csv(tmp_path))
    tab = window.evaluationTab
    window.mainTabs.setCurrentWidget(tab)
    tab.figureTabs.setCurrentWidget(tab.thresholdPanel)
    spin = window.findChild(QDoubleSpinBox, "thresholdSpin")
    assert spin is not None and spin.isEnabled() and spin.accessibleName()
    panel = tab.thresholdPanel
    assert panel.positiveClassCombo.currentText() == "sick"
    spin.setValue(0.0)  # every row called positive
    low = panel.metrics
    assert low.sensitivity == 1.0 and low.specificity == 0.0 and low.fn == 0 and low.tn == 0
    spin.setValue(1.0 + 1e-9)  # the spin box keeps it at 1.0: only rows at probability 1 are positive
    high = panel.metrics
    assert high.sensitivity <= low.sensitivity and high.specificity >= low.specificity
    spin.setValue(0.5)
    middle = panel.metrics
    p = tab.result.proba[:, 1]
    sick = tab.result.y_true == 1
    assert middle.tp == int(np.sum((p >= 0.5) & sick)) and middle.fp == int(np.sum((p >= 0.5) & ~sick))
    assert f"{middle.sensitivity:.3f}" in panel.thresholdMetricsLabel.text()
    assert window.findChild(QPushButton, "crossValidateButton") is not None
    qtbot.waitUntil(lambda: not panel._redraw.isActive(), timeout=5_000)
    assert "0.50" in drawn(panel.confusionPanel).axes[0].get_title()
    tab.figureTabs.setCurrentWidget(tab.calibrationPanel)
    from hybridxai_gui.gui.figure_canvas import RenderCanvas

    for name in ("calibrationCanvas", "prCanvas", "thresholdConfusionCanvas", "cvSpreadCanvas"):
        canvas = window.findChild(RenderCanvas, name)
        assert canvas is not None and canvas.accessibleName(), name
    assert "calibration error" in tab.calibrationPanel.eceLabel.text()
    assert drawn(tab.calibrationPanel.panel).axes  # drawn: its page shows


def test_baselines_sit_beside_the_network_after_training(qtbot, window, dialogs, tiny_csv):
    train_on(qtbot, window, dialogs, str(tiny_csv))
    tab = window.evaluationTab
    table = window.findChild(QTableWidget, "baselinesTable")
    qtbot.waitUntil(lambda: table.rowCount() == 5, timeout=30_000)
    models = [table.item(r, 0).text() for r in range(5)]
    assert models[0].startswith("hybrid") and "logistic regression" in models and "random forest (200 trees)" in models
    assert "gradient boosting (histogram trees)" in models
    hybrid = float(table.item(0, 1).text())
    assert hybrid == pytest.approx(tab.result.accuracy, abs=5e-4)
    tab.baselinesCheck.setChecked(False)  # skippable
    assert not table.isVisible() and "off" in tab.baselinesLabel.text()


def test_repeated_evaluation_with_progress_and_every_fold(qtbot, window, dialogs, tiny_csv):
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    fast_settings(window, epochs=2)
    tab = window.evaluationTab
    window.mainTabs.setCurrentWidget(tab)
    panel = tab.crossValidationPanel
    tab.figureTabs.setCurrentWidget(panel)
    folds = window.findChild(QSpinBox, "foldsSpin")
    folds.setValue(3)
    tab.baselinesCheck.setChecked(False)
    seen = []
    panel.cvProgress.valueChanged.connect(seen.append)
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        window.findChild(QPushButton, "crossValidateButton").click()
        assert panel.cancelCrossValidationButton.isEnabled()
    result = blocker.args[0]
    assert len(result.folds) == 3 and not result.cancelled
    assert sum(f.n_test for f in result.folds) == 60  # every row held out exactly once
    table = panel.cvFoldsTable
    assert table.rowCount() == 5  # three folds, mean, sd
    assert [table.verticalHeaderItem(r).text() for r in range(5)] == ["fold 1", "fold 2", "fold 3", "mean", "sd"]
    mean, sd = result.summary("accuracy")
    assert table.item(3, 0).text() == f"{mean:.3f}" and table.item(4, 0).text() == f"{sd:.3f}"
    assert seen and max(seen) == 1000
    assert "±" in panel.cvSummaryLabel.text()
    assert drawn(panel.spreadPanel).axes  # its page shows: drawn
    assert tab.baselinesTable.rowCount() == 1 and "±" in tab.baselinesTable.item(0, 1).text()  # the network alone


def test_cancel_keeps_the_finished_folds(qtbot, window, dialogs, tiny_csv):
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    fast_settings(window, epochs=400)
    panel = window.evaluationTab.crossValidationPanel
    panel.foldsSpin.setValue(3)
    window.evaluationTab.baselinesCheck.setChecked(False)
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        panel.crossValidateButton.click()
        qtbot.waitUntil(lambda: panel.cvProgress.value() > 0, timeout=60_000)
        panel.cancelCrossValidationButton.click()
    result = blocker.args[0]
    assert result.cancelled and len(result.folds) < 3
    assert "Stopped" in panel.cvProgress.format()
    assert panel.crossValidateButton.isEnabled()


def _no_external_references(text: str) -> None:
    assert 'src="http' not in text and "href=\"http" not in text and "url(http" not in text
    images = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


def test_export_report_writes_html_and_pdf_in_a_worker(qtbot, window, dialogs, tmp_path):
    action = window.findChild(QAction, "actionExportReport")
    assert action is not None and action.parent() is window and not action.isEnabled()
    train_on(qtbot, window, dialogs, two_class_csv(tmp_path))
    assert action.isEnabled()
    window.evaluationTab.thresholdPanel.thresholdSpin.setValue(0.3)
    dialogs.save_path = str(tmp_path / "run.html")
    with qtbot.waitSignal(window.reportExported, timeout=120_000) as blocker:
        action.trigger()
    assert blocker.args[0] == str(tmp_path / "run.html")
    text = (tmp_path / "run.html").read_text(encoding="utf-8")
    _no_external_references(text)
    for section in ("Data", "Settings", "Training", "Evaluation", "Calibration", "Explanations", "Reproducibility"):
        assert f">{section}</h2>" in text, section
    assert "threshold 0.30" in text.lower() or ">0.30<" in text
    assert window.trained.data_hash in text
    dialogs.save_path = str(tmp_path / "run.pdf")
    with qtbot.waitSignal(window.reportExported, timeout=120_000):
        action.trigger()
    data = (tmp_path / "run.pdf").read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") >= 3
    assert not dialogs.messages


def test_predict_tab_shows_accuracy_and_confusion_of_a_labelled_file(qtbot, window, dialogs, tiny_csv):
    train_on(qtbot, window, dialogs, str(tiny_csv))
    tab = window.predictTab
    window.mainTabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.open_data(str(tiny_csv))
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000):
        tab.predictButton.click()
    evaluation = tab.outcome.evaluation
    assert "accuracy" in tab.statusLabel.text() and f"{evaluation.accuracy:.3f}" in tab.statusLabel.text()
    from hybridxai_gui.gui.figure_canvas import RenderCanvas

    canvas = window.findChild(RenderCanvas, "predictConfusionCanvas")
    assert canvas is not None and canvas.isVisible() and canvas.accessibleName()
    texts = [t.get_text() for t in drawn(tab.confusionPanel).axes[0].texts]
    assert sorted(int(t) for t in texts) == sorted(evaluation.confusion.ravel().tolist())


def test_export_report_of_a_model_opened_from_a_file(qtbot, window, dialogs, tmp_path):
    from hybridxai_gui.cli import main

    from helpers import write_wine_csv

    csv = write_wine_csv(tmp_path)
    assert main(["train", str(csv), "--out", str(tmp_path / "w.pth"), "--quiet", "--epochs", "1", "--cnn-channels",
                 "4", "--lstm-hidden", "8", "--heads", "2"]) == 0
    with qtbot.waitSignal(window.modelLoaded, timeout=30_000):
        window.open_model(str(tmp_path / "w.pth"))
    assert window.evaluationTab.baselinesTable.rowCount() == 0  # no training rows at hand: no baselines
    assert "Baselines need the model's training rows" in window.evaluationTab.baselinesLabel.text()
    with qtbot.waitSignal(window.reportExported, timeout=120_000):
        window.export_report(str(tmp_path / "opened.html"))
    text = (tmp_path / "opened.html").read_text(encoding="utf-8")
    _no_external_references(text)
    assert "test rows (saved with the model)" in text and "w.pth" in text
    window.export_report(str(tmp_path / "opened.docx"))
    assert any(".html or .pdf" in m for m in dialogs.texts())
