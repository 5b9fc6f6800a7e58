"""Prediction sets and the unlike flag through the pipeline, the command line and the report (issue 27): where
the calibration scores come from (cross-conformal fold models, a calibration split, or none), `predict
--coverage`, the report's measured coverage, and a model too small for a guarantee saying so."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
from hybridxai_gui.core.errors import render
from hybridxai_gui.core.evaluation import uncertainty as U
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
from hybridxai_gui.core.pipeline import TrainingRequest, drain, run_training

TINY = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2, kernel_size=3)
FAST = TrainConfig(epochs=3, batch_size=16, seed=0)
SMALL = ["--cnn-channels", "4", "--lstm-hidden", "8", "--heads", "2", "--kernel-size", "3", "--epochs", "3",
         "--batch-size", "16", "--quiet"]


def _request(frame, method: str, **training) -> TrainingRequest:
    return TrainingRequest(frame, None, DataConfig(label="label"), TINY,
                           replace(FAST, prediction_sets=method, **training))


@pytest.fixture(scope="module")
def frame(tiny_csv):
    return pd.read_csv(tiny_csv)


def test_the_fold_models_of_an_ensemble_are_single_networks(frame, monkeypatch):
    """Five ensembles of 3 would cost five times the model's training; five single networks of the same recipe
    (its member 0 is one) score the rows, and the flag reads that member's features."""
    from hybridxai_gui.core.training import loop

    seen = []
    real = loop.train

    def spy(data, model_config, *args, **kwargs):
        seen.append(model_config.ensemble)
        return real(data, model_config, *args, **kwargs)

    monkeypatch.setattr(loop, "train", spy)
    request = replace(_request(frame, "cross", epochs=1), model=replace(TINY, ensemble=3))
    outcome = drain(run_training(request))
    assert seen == [3, 1, 1, 1, 1, 1]
    kept = outcome.result.trained.uncertainty
    assert kept.calibration.method == "cross" and kept.density is not None
    assert kept.density.means.shape[1] == U.feature_width(outcome.result.trained.model_config) == 2 * TINY.cnn_channels


def test_cross_conformal_scores_every_training_row_with_a_fold_model_that_did_not_see_it(frame, monkeypatch):
    seen: list[tuple[set, int]] = []
    from hybridxai_gui.core.training import loop

    real = loop.train

    def spy(data, *args, **kwargs):  # every training: which rows it learnt from
        seen.append((set(data.rows_train.tolist()), len(data.y_test)))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(loop, "train", spy)
    items = []
    outcome = drain(run_training(_request(frame, "cross")), items.append)
    calibration = outcome.trained.uncertainty.calibration
    n = len(outcome.prepared.y_train)
    assert calibration.method == "cross" and calibration.folds == U.FOLDS and calibration.n == n
    everything, folds = seen[0][0], seen[1:]
    assert len(everything) == n and len(folds) == U.FOLDS
    left_out = [everything - rows for rows, _ in folds]
    assert set().union(*left_out) == everything and sum(map(len, left_out)) == n  # each row out of one fold
    assert all(n_test == 0 for _, n_test in folds)  # fold models are never scored on the test rows
    progress = [i for i in items if isinstance(i, U.CalibrationProgress)]
    assert {p.fold for p in progress} == set(range(1, U.FOLDS + 1)) and progress[-1].folds == U.FOLDS
    # the test rows: sets at the default coverage and the unlike flag, one per row
    rows = outcome.uncertainty
    assert rows.sets.shape == (len(outcome.prepared.y_test), 3) and rows.unlike.shape == (len(rows.sets),)
    assert rows.sets[np.arange(len(rows.sets)), outcome.evaluation.y_pred].all()  # the predicted class is in


def test_a_calibration_split_holds_rows_out_of_training(frame):
    plain = drain(run_training(_request(frame, "off")))
    split = drain(run_training(_request(frame, "split")))
    n_all = len(plain.prepared.y_train)
    calibration = split.trained.uncertainty.calibration
    per_class = np.bincount(plain.prepared.y_train)
    assert calibration.method == "split" and calibration.n == np.round(U.CALIBRATION_SHARE * per_class).sum()
    assert len(split.prepared.y_train) == n_all - calibration.n  # the held rows never trained
    assert any("held out to calibrate the prediction sets" in w for w in split.prepared.warnings)
    # known answers: the held rows' scores under the model, and the flag's limit at their 99th percentile distance
    keep, cal = U.calibration_split(plain.prepared.y_train, FAST.seed)
    X_cal, y_cal = plain.prepared.X_train[cal], plain.prepared.y_train[cal]
    np.testing.assert_array_equal(split.prepared.rows_train, plain.prepared.rows_train[keep])
    logits, features = U.logits_and_features(split.trained.model, X_cal)
    np.testing.assert_allclose(calibration.scores,
                               np.sort(U.true_class_scores(split.trained.probabilities(logits), y_cal)))
    density = split.trained.uncertainty.density
    assert density.limit == pytest.approx(np.percentile(density.distances(features), 99))
    off = plain.trained.uncertainty
    assert off.calibration is None and off.density is None
    assert "--prediction-sets off" in render(off.notes[0]) and "unlike" in off.notes[1]


def test_auto_is_cross_below_the_row_threshold_and_split_from_it():
    assert U.resolve_method("auto", U.SPLIT_MIN_ROWS - 1) == "cross"
    assert U.resolve_method("auto", U.SPLIT_MIN_ROWS) == "split"
    assert U.resolve_method("off", 10) == "off"


def test_folds_and_the_calibration_split_are_stratified():
    y = np.repeat([0, 1, 2], [50, 30, 7])
    fold = U.stratified_folds(y, 5, seed=0)
    for c in range(3):
        counts = np.bincount(fold[y == c], minlength=5)
        assert counts.max() - counts.min() <= 1
    keep, cal = U.calibration_split(y, seed=0)
    assert np.bincount(y[cal], minlength=3).tolist() == [10, 6, 1]
    assert sorted(np.concatenate([keep, cal]).tolist()) == list(range(len(y)))


def test_stopping_during_the_fold_models_keeps_the_model_without_sets(frame):
    from hybridxai_gui.core.pipeline import TrainControl

    control = TrainControl()

    def stop_at_the_first_fold(item):
        if isinstance(item, U.CalibrationProgress):
            control.stop()

    outcome = drain(run_training(_request(frame, "cross"), control), stop_at_the_first_fold)
    kept = outcome.trained.uncertainty
    assert kept.calibration is None and "stopped" in kept.notes[0]
    sets, why = U.sets_at(kept, np.full((2, 3), 1 / 3), 0.9)
    assert sets is None and "sets are not available" in why


# ---- the command line --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model(tmp_path_factory, tiny_csv):
    folder = tmp_path_factory.mktemp("sets")
    assert main(["train", str(tiny_csv), "--out", str(folder / "m.pth"), *SMALL]) == 0
    return folder / "m.pth"


def test_predict_with_coverage_adds_the_set_and_the_flag(model, tiny_csv, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(tiny_csv), "--coverage", "0.9", "--out", str(out)]) == 0
    pred = pd.read_csv(out, keep_default_na=False)
    assert list(pred.columns[:4]) == ["predicted", "prediction_set", "unlike_training", "p_c0"]  # beside the class
    classes = {"c0", "c1", "c2"}
    assert all(set(s.split("|")) <= classes and s.split("|")[0] == p
               for s, p in zip(pred["prediction_set"], pred["predicted"]))
    assert set(pred["unlike_training"]) <= {"yes", "no"}
    trained = load_checkpoint(model)
    proba = pred[[f"p_{c}" for c in trained.class_names]].to_numpy()
    expected = U.set_names(U.prediction_sets(proba, trained.uncertainty.calibration.threshold(0.9)),
                           trained.class_names, proba)
    assert pred["prediction_set"].tolist() == expected
    assert "prediction sets at coverage 0.9" in capsys.readouterr().out


def test_predict_without_coverage_writes_the_columns_it_always_did(model, tiny_csv, tmp_path):
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(tiny_csv), "--out", str(out)]) == 0
    assert list(pd.read_csv(out).columns) == ["predicted", "p_c0", "p_c1", "p_c2"]


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2", "nan", "abc"])
def test_a_coverage_outside_0_1_is_refused_in_one_line(model, tiny_csv, tmp_path, capsys, value):
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(tiny_csv), "--coverage", value, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--coverage" in err
    assert not out.exists()


def test_too_few_calibration_rows_for_the_coverage_say_so_instead_of_a_set(model, tiny_csv, tmp_path, capsys):
    out = tmp_path / "p.csv"
    n = load_checkpoint(model).uncertainty.calibration.n  # 48 training rows of 60
    assert main(["predict", str(model), str(tiny_csv), "--coverage", "0.99", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"kept {n} calibration scores" in err and "needs at least 99" in err
    pred = pd.read_csv(out)
    assert pred["prediction_set"].isna().all() and pred["predicted"].notna().all()


def test_evaluate_and_the_report_state_the_coverage_measured(model, tiny_csv, tmp_path, capsys):
    assert main(["evaluate", str(model), str(tiny_csv)]) == 0
    out = capsys.readouterr().out
    assert "coverage 0.9: the set held the true class in" in out and "mean set size" in out
    report = tmp_path / "r.html"
    assert main(["report", str(model), "--out", str(report)]) == 0
    html = report.read_text(encoding="utf-8")
    assert "Prediction sets" in html and "coverage measured" in html and "cross-conformal" in html


def test_the_report_measures_coverage_on_the_test_rows():
    from hybridxai_gui.core.evaluation.metrics import compute_metrics
    from hybridxai_gui.core.evaluation.run_report import build_report
    from hostile_models import small_trained

    trained = small_trained()
    trained.uncertainty = U.Uncertainty(U.Calibration("split", np.linspace(0.5, 1.0, 99)))
    proba = np.array([[0.9, 0.05, 0.05], [0.5, 0.4, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 0, 2])
    content = build_report(trained, evaluation=compute_metrics(trained.class_names, y, proba))
    at = {c.coverage: c for c in content.prediction_sets}
    q = U.threshold(np.linspace(0.5, 1.0, 99), 0.9)  # the 90th of 99 scores
    sets = U.prediction_sets(proba, q)
    assert at[0.9].measured == pytest.approx(sets[np.arange(4), y].mean())
    assert at[0.9].mean_size == pytest.approx(sets.sum(axis=1).mean())
    assert at[0.9].bounds == pytest.approx((0.9, 0.91))
    assert "split conformal" in content.prediction_sets_method


def test_a_fold_model_that_cannot_train_leaves_the_model_without_sets(frame, monkeypatch):
    from hybridxai_gui.core.errors import HybridXAIError
    from hybridxai_gui.core.training import loop

    real, calls = loop.train, []

    def failing_folds(data, *args, **kwargs):
        calls.append(len(data.y_train))
        if len(calls) > 1:
            raise HybridXAIError("No training rows are left after the split.")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(loop, "train", failing_folds)
    outcome = drain(run_training(_request(frame, "cross")))
    assert outcome.evaluation is not None  # the model trained on every row is kept and evaluated
    kept = outcome.trained.uncertainty
    assert kept.calibration is None and kept.density is None
    assert "could not be trained (No training rows are left after the split)" in kept.notes[0]
