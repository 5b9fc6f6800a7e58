"""Known answers for the two-class threshold, the precision-recall curve, the reliability diagram and
expected calibration error, and temperature scaling (fitted on validation rows, stored in the model)."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai_gui.core.model.trained import softmax
from hybridxai_gui.core.evaluation.calibration import (expected_calibration_error, fit_temperature, negative_log_likelihood,
                                            reliability)
from hybridxai_gui.core.evaluation.metrics import compute_metrics, format_report, precision_recall, threshold_metrics

Y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
P = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.1, 0.55, 0.3])


def test_threshold_metrics_by_hand():
    at_half = threshold_metrics(Y, P, 0.5)
    # called positive: rows 0, 1, 3, 6; positives: rows 0, 1, 2, 7
    assert (at_half.tp, at_half.fn, at_half.fp, at_half.tn) == (2, 2, 2, 2)
    assert at_half.sensitivity == at_half.specificity == at_half.precision == at_half.accuracy == 0.5
    lower = threshold_metrics(Y, P, 0.35)  # row 2 (0.4) becomes positive too
    assert (lower.tp, lower.fn, lower.fp, lower.tn) == (3, 1, 2, 2)
    assert lower.sensitivity == 0.75 and lower.specificity == 0.5 and lower.precision == pytest.approx(0.6)
    assert lower.confusion.tolist() == [[2, 2], [1, 3]]  # rows true (0, 1), columns predicted (0, 1)
    assert threshold_metrics(Y, P, 0.9).tp == 1  # "at least the threshold": 0.9 itself is positive


def test_threshold_with_the_first_class_positive():
    p0 = 1 - P  # the probability of class 0
    m = threshold_metrics(Y, p0, 0.5, positive=0)
    # called class 0 where P <= 0.5: rows 2, 4, 5, 7; class 0 rows: 3, 4, 5, 6
    assert (m.tp, m.fn, m.fp, m.tn) == (2, 2, 2, 2)
    assert m.confusion.tolist() == [[2, 2], [2, 2]]
    assert m.confusion[0, 0] == m.tp and m.confusion[1, 0] == m.fp


def test_undefined_ratios_are_nan_not_zero():
    m = threshold_metrics(np.zeros(4, dtype=int), np.array([0.1, 0.2, 0.3, 0.4]), 0.5)
    assert np.isnan(m.sensitivity) and np.isnan(m.precision) and m.specificity == 1.0


def test_precision_recall_curve():
    curve = precision_recall(Y, P)
    assert curve.prevalence == 0.5
    # ranks: 0.9 (+), 0.7 (-), 0.6 (+), 0.55 (-), 0.4 (+), 0.3 (+): AP = mean of precision at each positive
    assert curve.average_precision == pytest.approx((1 / 1 + 2 / 3 + 3 / 5 + 4 / 6) / 4)
    assert precision_recall(np.ones(3, dtype=int), np.array([0.1, 0.5, 0.9])) is None


def test_expected_calibration_error_on_a_constructed_case():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.6, 0.4]])
    y = np.array([0, 0, 1, 1])
    r = reliability(proba, y)
    # bin (0.8, 0.9]: two rows, both right at 0.9 -> gap 0.1; bin (0.5, 0.6]: one right, one wrong at 0.6 -> 0.1
    assert r.counts.tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 2, 0]
    assert r.accuracy[8] == 1.0 and r.accuracy[5] == 0.5
    assert r.confidence[8] == pytest.approx(0.9) and r.confidence[5] == pytest.approx(0.6)
    assert r.ece == pytest.approx(0.5 * 0.1 + 0.5 * 0.1)
    assert r.max_gap == pytest.approx(0.1)
    assert reliability(np.array([[0.3, 0.7]]), np.array([1])).counts[6] == 1  # 0.7 in (0.6, 0.7]


def test_calibrated_probabilities_have_a_small_ece_and_overconfident_ones_a_large_one():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.5, 1.0, 20_000)
    right = rng.uniform(size=p.size) < p  # right exactly as often as it says
    proba = np.column_stack([p, 1 - p])
    y = np.where(right, 0, 1)
    assert expected_calibration_error(proba, y) < 0.01
    y_over = np.where(rng.uniform(size=p.size) < 0.6, 0, 1)  # right 60 % of the time whatever it says
    # five bins of 0.1 from 0.5 up, equally full, with mean probabilities 0.55 ... 0.95 against 0.6 right
    expected = np.mean(np.abs(np.array([0.55, 0.65, 0.75, 0.85, 0.95]) - 0.6))
    assert expected_calibration_error(proba, y_over) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("true_t", [0.5, 2.0, 4.0])
def test_temperature_scaling_recovers_a_known_temperature(true_t):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(30_000, 3)) * 3
    p = softmax(logits / true_t)
    y = np.array([rng.choice(3, p=row) for row in p])
    fitted = fit_temperature(logits, y)
    assert fitted == pytest.approx(true_t, rel=0.05)
    assert negative_log_likelihood(logits, y, fitted) <= negative_log_likelihood(logits, y, 1.0)


def test_temperature_without_rows_or_with_broken_logits_stays_one():
    assert fit_temperature(np.zeros((0, 2)), np.zeros(0, dtype=int)) == 1.0
    assert fit_temperature(np.array([[np.nan, 1.0]]), np.array([0])) == 1.0


def test_format_report_prints_confusion_calibration_and_two_class_rates():
    proba = np.column_stack([1 - P, P])
    text = format_report(compute_metrics(["neg", "pos"], Y, proba))
    assert "confusion matrix" in text and "expected calibration error" in text
    assert "positive class 'pos' at threshold 0.5: sensitivity 0.5000, specificity 0.5000" in text


def test_temperature_is_stored_in_the_model_and_applied(tmp_path):
    import torch

    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.model.trained import softmax

    from helpers import fit, wine_frame

    data = prepare_data(wine_frame(), seed=0, val_size=0.15)  # the temperature is fitted on validation rows
    small = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2)
    result = fit(data, small, TrainConfig(epochs=3, calibrate=True, seed=0))
    trained = result.trained
    logits_val = trained.predict_logits(data.X_val)
    # fitted on the validation rows, and on nothing else
    assert trained.temperature == pytest.approx(fit_temperature(logits_val, data.y_val))
    assert trained.temperature != 1.0 and "Temperature" in result.message
    logits = trained.predict_logits(data.X_test)
    assert np.allclose(trained.predict_proba(data.X_test), softmax(logits / trained.temperature))
    assert (trained.predict_proba(data.X_test).argmax(1) == logits.argmax(1)).all()  # no prediction changes
    table = trained.prediction_table(data.X_test, with_logits=True)
    assert np.allclose(table["p_cultivar 0"], softmax(logits / trained.temperature)[:, 0])
    assert np.allclose(table["logit_cultivar 0"], logits[:, 0])  # the network's own outputs
    path = save_checkpoint(trained, tmp_path / "m.pth")
    assert load_checkpoint(path).temperature == pytest.approx(trained.temperature)
    payload = torch.load(path, weights_only=True)
    del payload["temperature"]  # a file from before calibration
    torch.save(payload, tmp_path / "old.pth")
    assert load_checkpoint(tmp_path / "old.pth").temperature == 1.0


def test_without_calibrate_or_validation_rows_the_temperature_stays_one():
    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data

    from helpers import fit, wine_frame

    small = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2)
    assert fit(prepare_data(wine_frame()), small, TrainConfig(epochs=1)).trained.temperature == 1.0
    result = fit(prepare_data(wine_frame(), val_size=0), small, TrainConfig(epochs=1, calibrate=True))
    assert result.trained.temperature == 1.0 and "no validation rows" in result.message


def test_calibration_without_a_validation_share_holds_rows_out_and_says_so():
    """The default holds no validation rows out; ticking calibration (or early stopping) without choosing a share
    holds WATCHED_VAL_SIZE out, records that share in the model and says so, instead of fitting nothing."""
    from dataclasses import replace

    from hybridxai_gui.core.config import WATCHED_VAL_SIZE, DataConfig, ModelConfig, TrainConfig
    from hybridxai_gui.core.errors import render
    from hybridxai_gui.core.pipeline import TrainingRequest, drain, run_training

    from helpers import wine_frame

    small = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2)
    base = TrainingRequest(wine_frame(), None, DataConfig(label="label"), small, TrainConfig(epochs=2, seed=0))
    plain = drain(run_training(base))
    assert len(plain.prepared.y_val) == 0 and plain.result.trained.data_config.val_size == 0
    for training in (TrainConfig(epochs=2, seed=0, calibrate=True), TrainConfig(epochs=3, seed=0, early_stopping=1)):
        outcome = drain(run_training(replace(base, training=training)))
        n_train = len(plain.prepared.y_train)
        assert len(outcome.prepared.y_val) == pytest.approx(WATCHED_VAL_SIZE * n_train, abs=2)
        assert outcome.result.trained.data_config.val_size == WATCHED_VAL_SIZE  # the model records the share used
        note = [render(w) for w in outcome.prepared.warnings if "held out for validation" in str(w)]
        n_val = len(outcome.prepared.y_val)
        assert len(note) == 1 and note[0].startswith(f"{n_val} of the {n_val + len(outcome.prepared.y_train)} ")
        assert "--val-size" in note[0]
    assert outcome.result.trained.temperature == 1.0  # early stopping alone fits no temperature
    calibrated = drain(run_training(replace(base, training=TrainConfig(epochs=2, seed=0, calibrate=True))))
    assert calibrated.result.trained.temperature != 1.0
    # a share the user chose is kept as it is
    chosen = drain(run_training(replace(base, data=DataConfig(label="label", val_size=0.3),
                                        training=TrainConfig(epochs=2, seed=0, calibrate=True))))
    assert chosen.result.trained.data_config.val_size == 0.3
    assert not any("held out for validation" in str(w) for w in chosen.prepared.warnings)


def test_a_hold_out_that_cannot_be_made_trains_without_one_and_says_why(tmp_path):
    """A class with one training row cannot lend one to a validation split: calibration asked without a share then
    trains without validation rows (as with the default) and the note says why, instead of failing the run. The
    note's counts are the split's own, and an exported report shows it in words, not as setting markers."""
    import pandas as pd

    from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
    from hybridxai_gui.core.errors import render
    from hybridxai_gui.core.pipeline import TrainingRequest, drain, run_training
    from hybridxai_gui.core.evaluation.run_report import data_summary

    from helpers import wine_frame

    frame = wine_frame()
    few = frame.iloc[:2].copy()
    few["label"] = "rare"
    frame = pd.concat([frame, few], ignore_index=True)
    small = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2)
    request = TrainingRequest(frame, None, DataConfig(label="label"), small, TrainConfig(epochs=2, calibrate=True))
    outcome = drain(run_training(request))
    assert len(outcome.prepared.y_val) == 0 and outcome.result.trained.temperature == 1.0
    note = [render(w) for w in outcome.prepared.warnings if "none could be held out" in str(w)]
    assert len(note) == 1 and "too few for a stratified validation split" in note[0]
    assert "without a validation split" in note[0]
    summary = data_summary(outcome.result.trained, outcome.prepared)
    assert not any("\x1e" in n or "\x1f" in n for n in summary.notes)
