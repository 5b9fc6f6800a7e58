"""The Predict tab on a long file: one line per series, id first, the columns `hybridxai predict` writes."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from hybridxai_gui.core.config import ModelConfig, TrainConfig  # noqa: E402

from conftest import drawn  # noqa: E402
from helpers import fit  # noqa: E402
from test_series import recordings  # noqa: E402

TINY = ModelConfig(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)


@pytest.fixture(scope="module")
def long_model(tmp_path_factory):
    """A long file of 40 recordings × 100 steps and a model trained on it, saved."""
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.model_files.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("long")
    data_path = folder / "recordings.csv"
    recordings(n_series=40, length=100).to_csv(data_path, index=False)
    trained = fit(prepare_data(data_path, label="activity", seed=0), TINY, TrainConfig(epochs=1, augment="off")).trained
    model_path = save_checkpoint(trained, folder / "long.pth")
    return model_path, data_path


def test_predictions_of_a_long_file_are_one_line_per_series_as_the_command_line_writes(
        qtbot, window, dialogs, long_model, tmp_path):
    from hybridxai_gui.cli import main

    model_path, data_path = long_model
    with qtbot.waitSignal(window.modelLoaded, timeout=30_000):
        window.open_model(str(model_path))
    tab = window.predictTab
    window.mainTabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.open_data(str(data_path))
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000):
        tab.predictButton.click()
    coverage = f"{tab.coverageSpin.value():g}"  # the tab shows the sets at its coverage, as predict --coverage
    assert main(["predict", str(model_path), str(data_path), "--coverage", coverage,
                 "--out", str(tmp_path / "cli.csv")]) == 0
    expected = pd.read_csv(tmp_path / "cli.csv", keep_default_na=False)
    assert list(expected.columns) == ["recording", "predicted", "prediction_set", "unlike_training", "p_still",
                                      "p_wave"] and len(expected) == 40
    shown = tab.model.frame()
    assert list(shown.columns) == list(expected.columns) and len(shown) == 40  # no stray `recording`, no steps
    assert tab.model.rowCount() == 40 and tab.model.columnCount() == 6
    assert shown["recording"].tolist() == expected["recording"].tolist()
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.export_csv(str(tmp_path / "window.csv"))
    exported = pd.read_csv(tmp_path / "window.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(exported, expected)
    assert not dialogs.messages
    assert drawn(tab.confusionPanel).axes  # the series carry the label column: their confusion matrix
