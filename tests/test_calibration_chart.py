"""The reliability diagram says what it plots (issue 22.9): per bin of the predicted class's probability, the
share of rows predicted right (accuracy) as bars, and the bin's mean predicted probability as a marker; the
report words how the kept epoch was chosen from the model's own history and settings."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from hybridxai_gui.core.evaluation.calibration import reliability
from hybridxai_gui.plotting.evaluation_plots import draw_reliability

SHARE_RIGHT = "share predicted right (accuracy)"
MEAN_PROBABILITY = "mean predicted probability"


def all_right(n: int = 40):
    """40 rows, every one predicted right, with the predicted class's probability spread over 0.52-0.92."""
    top = np.linspace(0.52, 0.92, n)
    return np.column_stack([top, 1 - top]), np.zeros(n, dtype=np.int64)


def drawn_reliability(r):
    fig = Figure(figsize=(5, 4), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw_reliability(ax, r)
    canvas.draw()
    return fig, ax, np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


def legend_entries(ax) -> dict:
    handles, labels = ax.get_legend_handles_labels()
    return dict(zip(labels, handles))


def test_the_core_bins_share_right_against_mean_probability():
    r = reliability(*all_right())
    filled = r.counts > 0
    assert r.counts.tolist() == [0, 0, 0, 0, 0, 8, 10, 10, 10, 2]
    np.testing.assert_array_equal(r.accuracy[filled], 1.0)  # every row right: a share of 1 in every bin
    assert 0.52 < r.confidence[filled].min() < 0.6 and 0.9 < r.confidence[filled].max() < 0.93


def test_rows_all_right_show_bars_at_a_share_of_one_and_the_mean_probability_apart():
    r = reliability(*all_right())
    _, ax, pixels = drawn_reliability(r)
    entries = legend_entries(ax)
    assert set(entries) == {SHARE_RIGHT, f"{MEAN_PROBABILITY} in the bin", "perfectly calibrated"}
    bars = entries[SHARE_RIGHT]
    assert isinstance(bars, BarContainer)
    np.testing.assert_allclose([b.get_height() for b in bars], 1.0)
    filled = r.counts > 0
    marker = entries[f"{MEAN_PROBABILITY} in the bin"]
    levels = sorted(segment[0][1] for segment in marker.get_segments())
    np.testing.assert_allclose(levels, sorted(r.confidence[filled]))
    assert ax.get_ylabel() == "share of rows predicted right (accuracy)"
    assert ax.get_xlabel() == "probability of the predicted class (bins of 0.1)"
    # As the eye reads it: each bar is one colour from the floor to 1.0, above its mean probability too (nothing
    # painted over the bar makes its top look like the mean probability).
    height = pixels.shape[0]

    def colour(x, y0, y1):
        """The median colour of a thin column at x between heights y0 and y1 (data units)."""
        (px, top), (_, bottom) = ax.transData.transform([(x, y1), (x, y0)])
        rows = slice(int(height - top) + 2, int(height - bottom) - 2)
        return np.median(pixels[rows, int(px) - 3:int(px) + 4].reshape(-1, 3), axis=0)

    for bar, conf in zip(bars, r.confidence[filled]):
        x = bar.get_x() + bar.get_width() / 2
        below, above = colour(x, 0.02, conf - 0.03), colour(x, conf + 0.03, 0.99)
        assert np.abs(below - above).max() <= 8, (conf, below, above)


def test_an_over_confident_model_shows_its_mean_probability_above_the_bars():
    proba = np.column_stack([np.full(20, 0.95), np.full(20, 0.05)])
    y = np.array([0] * 12 + [1] * 8)  # right 60 % of the time at 0.95
    r = reliability(proba, y)
    _, ax, _ = drawn_reliability(r)
    entries = legend_entries(ax)
    assert [b.get_height() for b in entries[SHARE_RIGHT]] == pytest.approx([0.6])
    segments = entries[f"{MEAN_PROBABILITY} in the bin"].get_segments()
    assert [s[0][1] for s in segments] == pytest.approx([0.95])


# ---- the report: the same chart, and how the kept epoch was chosen --------------------------------------------


def _report_for(val_size: float, restore_best: bool, epochs: int = 3, source: str = "test rows",
                early_stopping: int = 0):
    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.evaluation.metrics import evaluate
    from hybridxai_gui.core.evaluation.run_report import build_report
    from hybridxai_gui.plotting.report import report_document

    from helpers import fit, wine_frame

    data = prepare_data(wine_frame(), seed=0, val_size=val_size)
    tiny = ModelConfig(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)
    trained = fit(data, tiny, TrainConfig(epochs=epochs, restore_best=restore_best, augment="off",
                                                 early_stopping=early_stopping)).trained
    evaluation = evaluate(trained, data.X_test, data.y_test, data.rows_test)
    content = build_report(trained, evaluation=evaluation, evaluation_source=source, prepared=data)
    return trained, report_document(content)


def _texts(document) -> str:
    from hybridxai_gui.plotting.report import FigureBlock, Paragraph

    return "\n".join(b.text if isinstance(b, Paragraph) else b.caption for b in document.blocks
                     if isinstance(b, (Paragraph, FigureBlock)))


def test_the_report_says_no_epoch_was_chosen_on_validation_rows_when_there_were_none():
    _, document = _report_for(val_size=0.0, restore_best=True)
    text = _texts(document)
    assert "chosen on the validation rows" not in text
    assert ("These rows chose nothing: there were no validation rows, so no epoch was chosen on them; the model keeps "
            "the weights of its last epoch (3).") in text
    # the report's reliability diagram is the window's, labelled alike
    from hybridxai_gui.plotting.report import FigureBlock

    figure = next(b.figure for b in document.blocks if isinstance(b, FigureBlock) and b.title == "Reliability diagram")
    assert SHARE_RIGHT in legend_entries(figure.axes[0])


def test_the_report_names_the_best_validation_epoch_it_kept_or_the_last_one():
    trained, document = _report_for(val_size=0.2, restore_best=True)
    assert trained.best_epoch >= 1
    assert (f"These rows chose nothing: the model keeps the weights of epoch {trained.best_epoch} of 3, the best on "
            "the validation rows.") in _texts(document)
    trained, document = _report_for(val_size=0.2, restore_best=False, source="rows of other.csv")
    text = _texts(document)
    assert ("The model keeps the weights of its last epoch (3); the validation rows were watched, not used to choose "
            "it.") in text
    assert "chose nothing" not in text  # rows of a file given to the report may have trained the model


def test_the_windows_reliability_diagram_is_labelled_alike(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from types import SimpleNamespace

    from conftest import drawn
    from hybridxai_gui.gui.calibration_panel import CalibrationPanel

    panel = CalibrationPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 520)
    panel.show()
    proba, y = all_right()
    panel.set_result(SimpleNamespace(proba=proba, y_true=y))
    panel.ensure_canvases()
    ax = drawn(panel.panel).axes[0]
    entries = legend_entries(ax)
    np.testing.assert_allclose([b.get_height() for b in entries[SHARE_RIGHT]], 1.0)
    assert ax.get_ylabel() == "share of rows predicted right (accuracy)"
    assert "0.280" in panel.eceLabel.text()  # Σ (n_b / N) |1 − mean probability_b|


def test_the_report_says_early_stopping_watched_the_validation_rows():
    trained, document = _report_for(val_size=0.2, restore_best=False, epochs=40, early_stopping=1)
    n = len(trained.history)
    assert 1 <= n < 40  # one epoch without improvement ends it
    assert (f"These rows chose nothing: the model keeps the weights of its last epoch ({n}); early stopping watched "
            f"the validation rows and ended training after epoch {n} of 40.") in _texts(document)
