"""Issue 22, "tests that would see the next leak": each test fails when its guard is removed (a held-out fold
in the baselines' training rows, test series in the per-channel scaler, the random ordering drawn from a view's
tie-break stream, unescaped names in the HTML report). The model-file byte limit has its own test in
test_integrity_files.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.evaluation.crossval import CrossValidationConfig, cross_validate
from hybridxai_gui.core.pipeline import TrainingRequest, drain

from test_crossval import SMALL, frame
from test_series import recordings


def test_cross_validation_baselines_never_see_the_held_out_fold(monkeypatch):
    from hybridxai_gui.core.evaluation import baselines

    calls = []
    real = baselines.fit_and_score

    def spy(X_fit, y_fit, X_test, y_test, *args, **kwargs):
        calls.append((np.array(X_fit), np.array(X_test)))
        return real(X_fit, y_fit, X_test, y_test, *args, **kwargs)

    monkeypatch.setattr(baselines, "fit_and_score", spy)
    data = frame(n_per_class=12)
    request = TrainingRequest(data, None, DataConfig(val_size=0.2), SMALL, TrainConfig(epochs=1, batch_size=16))
    result = drain(cross_validate(request, CrossValidationConfig(folds=3, baselines="on")))
    assert len(calls) == 3 and all(fold.baselines for fold in result.folds)
    for X_fit, X_test in calls:
        fitted = {row.tobytes() for row in X_fit.astype(np.float32)}
        held = {row.tobytes() for row in X_test.astype(np.float32)}
        assert len(held) == 12 and not fitted & held  # every row is distinct: no held-out row was fitted on
        assert len(X_fit) + len(X_test) == len(data)  # and every other row was


def _channel_means(frame: pd.DataFrame, ids) -> np.ndarray:
    rows = frame[frame["recording"].isin(ids)]
    return rows[["ax", "ay", "gz"]].to_numpy(dtype=np.float64).mean(axis=0)


@pytest.mark.parametrize("separate_test", [False, True])
def test_the_series_scaler_is_fitted_on_the_training_series_alone(separate_test):
    train = recordings(n_series=24, length=12, seed=1, shuffle=False)
    test = None
    if separate_test:
        test = recordings(n_series=8, length=12, seed=2, shuffle=False)
        test[["ax", "ay", "gz"]] += 1000.0  # far away: any of it in the scaler would show
    prepared = prepare_data(train, test, label="activity", val_size=0.25, scaling="zscore")
    ids = [f"r{i:03d}" for i in prepared.rows_train]  # series in order of first appearance: r000, r001, ...
    assert len(ids) < 24 and not set(ids) & {f"r{i:03d}" for i in prepared.rows_val}
    mean = np.asarray(prepared.scaler.mean).reshape(3, -1)
    np.testing.assert_allclose(mean, np.repeat(_channel_means(train, ids)[:, None], 12, axis=1), rtol=0, atol=1e-5)


def _ranks(order: np.ndarray) -> np.ndarray:
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    return ranks


def test_the_random_ordering_is_independent_of_every_views_tie_break(monkeypatch):
    """A flat view (all ties: its order is its tie-break draw) against the random baseline: drawn from one
    stream, the two orderings move together (rank correlation ±1) and the flat view would look unlike random."""
    from hybridxai_gui.core.explain import faithfulness as faith
    from hybridxai_gui.core.model.network import build_model

    orders = []
    real = faith.orderings

    def spy(scores, seed=0):
        order = real(scores, seed)
        orders.append(order)
        return order

    monkeypatch.setattr(faith, "orderings", spy)
    torch.manual_seed(0)
    R, F = 40, 24
    model = build_model(ModelConfig(n_features=F, n_classes=2, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                                    num_heads=2)).eval()
    rng = np.random.default_rng(0)
    X, background = rng.normal(size=(R, F)).astype(np.float32), rng.normal(size=(10, F)).astype(np.float32)
    for flat_views in (1, 3):  # the flat view first, or third (each view draws its own tie-break)
        orders.clear()
        views = {f"flat{v}": np.zeros((R, F)) for v in range(flat_views)}
        for _ in faith.iter_faithfulness(model, X, 1, views, background, replacement_rows=5, max_points=5):
            pass
        random_ranks = _ranks(orders[-1]).astype(float)  # the random view comes last
        for order in orders[:-1]:
            flat = _ranks(order).astype(float)
            rho = [np.corrcoef(flat[r], random_ranks[r])[0, 1] for r in range(R)]
            assert abs(float(np.mean(rho))) < 0.3, np.mean(rho)


def test_names_in_the_html_report_are_escaped():
    from hybridxai_gui.core.evaluation.run_report import build_report
    from hybridxai_gui.plotting.report import report_document
    from hybridxai_gui.plotting.report_render import render_html

    from hostile_models import small_trained

    trained = small_trained(n_features=4, n_classes=3)
    trained.class_names = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "c&\"d'"]
    trained.feature_names = ["<b>f0</b>", "f1\"><svg onload=alert(3)>", "f2", "f3"]
    trained.label_column = "<iframe src=javascript:alert(4)>"
    text = render_html(report_document(build_report(trained, title="<title>x</title>")))
    for raw in ("<script>", "<img src=x", "<svg", "<iframe", "<b>f0", "<title>x</title>"):
        assert raw not in text, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;iframe src=javascript:alert(4)&gt;" in text
    assert "f1&quot;&gt;&lt;svg" in text
