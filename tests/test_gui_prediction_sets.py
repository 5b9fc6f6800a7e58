"""The window's prediction sets and unlike flag (issue 27): the Predict tab shows each row's set beside its class
at the coverage chosen in the tab and marks rows unlike the training data; the Explanations tab says so above
such a row's explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from conftest import train_in_window  # noqa: E402
from hybridxai_gui.core.evaluation import uncertainty as U  # noqa: E402


@pytest.fixture
def trained_window(qtbot, window, dialogs, tiny_csv):
    return train_in_window(qtbot, window, dialogs, tiny_csv, epochs=2)


def _predict(qtbot, tab, dialogs, path):
    dialogs.open_path = str(path)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.openPredictDataButton.click()
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000) as blocker:
        tab.predictButton.click()
    return blocker.args[0]


def test_the_set_shows_beside_the_class_and_unlike_rows_are_marked(qtbot, trained_window, dialogs, tiny_csv,
                                                                    tmp_path):
    frame = pd.read_csv(tiny_csv)
    features = [c for c in frame.columns if c != "label"]
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(frame[features].mean().to_numpy() + 10 * frame[features].std().to_numpy()
                         * rng.normal(size=(5, len(features))), columns=features)
    data = pd.concat([frame, noise.assign(label="c0")], ignore_index=True)
    path = tmp_path / "with_noise.csv"
    data.to_csv(path, index=False)
    tab = trained_window.predictTab
    table = _predict(qtbot, tab, dialogs, path)
    assert list(table.columns[:3]) == ["predicted", "prediction_set", "unlike_training"]
    assert table["unlike_training"].iloc[-5:].eq("yes").all()
    assert table["unlike_training"].iloc[:-5].eq("no").mean() >= 0.9
    model = tab.predictionsTable.model()
    assert model.data(model.index(len(table) - 1, 0), Qt.ItemDataRole.BackgroundRole) is not None
    first_normal = int(np.flatnonzero(table["unlike_training"].eq("no"))[0])
    assert model.data(model.index(first_normal, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert "Prediction sets at coverage 0.90" in tab.statusLabel.text()
    assert "rows unlike the training data" in tab.statusLabel.text()
    trained = trained_window.trained
    proba = table[[f"p_{c}" for c in trained.class_names]].to_numpy()
    q = trained.uncertainty.calibration.threshold(0.9)
    assert table["prediction_set"].tolist() == U.set_names(U.prediction_sets(proba, q), trained.class_names, proba)


def test_a_new_coverage_recomputes_the_sets_without_predicting_again(qtbot, trained_window, dialogs, tiny_csv):
    tab = trained_window.predictTab
    _predict(qtbot, tab, dialogs, tiny_csv)
    trained = trained_window.trained
    proba = tab.outcome.proba
    for coverage in (0.5, 0.97):
        tab.coverageSpin.setValue(coverage)  # no job: the GUI thread recomputes from the probabilities
        q = trained.uncertainty.calibration.threshold(coverage)
        shown = tab.predictions["prediction_set"].tolist()
        assert shown == U.set_names(U.prediction_sets(proba, q), trained.class_names, proba)
        assert f"Prediction sets at coverage {coverage:.2f}" in tab.statusLabel.text()
    tab.coverageSpin.setValue(0.99)  # 48 calibration scores cannot promise 0.99
    assert tab.predictions["prediction_set"].isna().all()
    assert "No prediction sets at coverage 0.99" in tab.statusLabel.text()


def test_a_model_without_sets_predicts_and_says_so(qtbot, trained_window, dialogs, tiny_csv):
    trained_window.trained.uncertainty = None  # as a model file from before issue 27 loads
    tab = trained_window.predictTab
    table = _predict(qtbot, tab, dialogs, tiny_csv)
    assert table["predicted"].notna().all() and table["prediction_set"].isna().all()
    assert "sets are not available" in tab.statusLabel.text()


def test_the_explanations_tab_says_a_row_is_unlike_the_training_data(qtbot, trained_window):
    tab = trained_window.explanationsTab
    window = trained_window
    prepared = window.prepared
    unlike = np.zeros(len(prepared.y_test), dtype=bool)
    unlike[1] = True
    tab.set_model(window.trained, prepared.X_test, prepared.X_test_raw, prepared.y_test, prepared.rows_test,
                  unlike=unlike)
    tab.show_row(1)
    assert tab.unlikeLabel.isVisibleTo(tab)
    assert "this row is unlike the training data: its explanation describes extrapolation" in tab.unlikeLabel.text()
    assert "unlike the training data" in tab.sampleList.currentItem().text()
    tab.show_row(0)
    assert not tab.unlikeLabel.isVisibleTo(tab)


def test_training_passes_the_test_rows_flags_to_the_explanations_tab(trained_window):
    tab, outcome_rows = trained_window.explanationsTab, len(trained_window.prepared.y_test)
    assert tab.unlike is not None and len(tab.unlike) == outcome_rows
