"""A table's numeric column whose values span orders of magnitude (counts, sizes, intensities) is read on a
signed-log scale before it is standardised: which columns, the scale, the note, training and prediction alike, and
the model file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data import prepare
from hybridxai_gui.core.data.prepare import heavy_tail_scales, prepare_data
from hybridxai_gui.core.data.series_data import SOFT_SHARE
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

from helpers import fit


def jobs_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """'fields' a count from a log-normal (99th percentile ~33x its median), 'pending' mostly 0 with a long tail,
    'score' a 1-10 rating, 'temp' normal around 20, 'drift' heavy-tailed but signed, 'site' text; the class
    depends on the order of magnitude of 'fields'."""
    rng = np.random.default_rng(seed)
    fields = np.round(np.exp(rng.normal(5.0, 1.5, n))) + 1
    pending = np.where(rng.random(n) < 0.6, 0.0, np.round(np.exp(rng.normal(3.0, 2.0, n))))
    return pd.DataFrame({
        "fields": fields, "pending": pending, "score": rng.integers(1, 11, n).astype(float),
        "temp": rng.normal(20.0, 3.0, n), "drift": rng.standard_t(1.5, n),
        "site": rng.choice(["north", "south", "east"], n),
        "size": np.where(fields > np.exp(5.0), "big", "small"),
    })


def test_only_columns_spanning_orders_of_magnitude_get_a_signed_log_scale():
    frame = jobs_frame()
    X = frame[["fields", "pending", "score", "temp", "drift"]].to_numpy(np.float64)
    soft, found = heavy_tail_scales(X)
    assert [j for j, _, _ in found] == [0, 1]  # not the 1-10 rating, the normal one, nor the signed one
    for j in (0, 1):
        positive = X[X[:, j] > 0, j]
        np.testing.assert_allclose(soft[j], SOFT_SHARE * np.median(positive))
        assert np.quantile(X[:, j], 0.99) > prepare.TAIL_RATIO * np.median(positive)
    assert (soft[2:] == 0).all()
    only = np.array([False, True, False, False, False])
    assert [j for j, _, _ in heavy_tail_scales(X, only)[1]] == [1]


def test_a_table_reads_the_column_on_the_signed_log_scale_and_says_so():
    data = prepare_data(jobs_frame(), label="size", seed=0)
    names = list(data.feature_names)
    soft = data.scaler.soft
    assert soft is not None
    on = {names[j] for j in np.flatnonzero(soft > 0)}
    assert on == {"fields", "pending"}  # the text column's one-hot parts are never read so
    notes = [n for n in data.warnings if "signed-log" in n]
    assert len(notes) == 2 and "'fields'" in notes[0] and "'pending'" in notes[1] and "zscore" in notes[0]
    j = names.index("fields")
    z = data.X_train[:, j].astype(np.float64)
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-4  # standardised after the asinh
    plain = (data.X_test_raw[:, j] - data.X_test_raw[:, j].mean()) / data.X_test_raw[:, j].std()
    skew = lambda v: float(((v - v.mean()) ** 3).mean() / v.std() ** 3)  # noqa: E731
    assert abs(skew(z)) < 1.0 < skew(plain)  # the bulk spread out, not squeezed under the tail
    np.testing.assert_allclose(data.scaler.original(data.X_test), data.X_test_raw, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("how", ["zscore", "rule off"])
def test_zscore_or_the_rule_off_standardises_every_column_as_it_is(how, monkeypatch):
    if how == "rule off":
        monkeypatch.setattr(prepare, "TAIL_RATIO", 0.0)
    data = prepare_data(jobs_frame(), label="size", seed=0, scaling="zscore" if how == "zscore" else "auto")
    assert data.scaler.soft is None or not data.scaler.soft.any()
    assert not any("signed-log" in n for n in data.warnings)


def test_training_and_prediction_read_the_column_alike_and_the_model_file_keeps_it(tmp_path):
    train, test = jobs_frame(240, 0), jobs_frame(60, 1)
    data = prepare_data(train, test, label="size", seed=0)
    trained = fit(data, ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2),
                  TrainConfig(epochs=1)).trained
    np.testing.assert_allclose(trained.transform(test.drop(columns="size")), data.X_test, rtol=1e-5, atol=1e-5)
    loaded = load_checkpoint(save_checkpoint(trained, tmp_path / "tail.pth"))
    np.testing.assert_array_equal(loaded.scaler.soft, trained.scaler.soft)
    np.testing.assert_allclose(loaded.predict_proba(data.X_test), trained.predict_proba(data.X_test), atol=1e-6)


def test_the_by_class_view_bins_a_long_tailed_column_on_the_same_signed_log_axis():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from hybridxai_gui.core.data.class_profile import class_profile
    from hybridxai_gui.core.data.layout import detect_layout
    from hybridxai_gui.plotting.data_plots import draw_class_profile

    frame = jobs_frame()
    profile = class_profile(frame, detect_layout(frame, "size"), "size")
    soft = dict(zip(profile.features, profile.soft))
    assert soft["fields"] > 0 and soft["pending"] > 0 and soft["temp"] == soft["score"] == soft["drift"] == 0
    edges = profile.edges[profile.features.index("fields")]
    z = np.arcsinh(edges / soft["fields"])
    np.testing.assert_allclose(np.diff(z), np.diff(z)[0])  # even on the signed-log axis, not in the file's units
    # the classes differ by the order of magnitude of 'fields': on that axis they barely overlap
    density = profile.density[profile.features.index("fields")]
    overlap = np.minimum(density[0], density[1]).sum() / density.sum(axis=1).min()
    assert overlap < 0.07  # 0.034 here; 0.10 with even bins in the file's units
    fig = Figure(figsize=(8, 5), layout="constrained")
    FigureCanvasAgg(fig)
    draw_class_profile(fig, profile)
    fig.canvas.draw()
    axes = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_visible()}
    assert axes["fields (signed-log axis)"].get_xscale() == "asinh"
    assert axes["temp"].get_xscale() == "linear"
    labels = [t.get_text() for t in axes["fields (signed-log axis)"].get_xticklabels() if t.get_text()]
    assert labels and not any("$" in t for t in labels)  # plain numbers, not raw mathtext


def test_a_huge_value_over_a_small_scale_stays_finite_and_a_negative_value_anywhere_keeps_a_column_linear():
    rng = np.random.default_rng(1)
    tiny = np.exp(rng.normal(-14.0, 2.0, 400))  # a scale s of about 1e-7
    X = np.stack([tiny, rng.normal(size=400)], axis=1).astype(np.float32)
    scaler = prepare.fit_table_scaler(X, ["tiny", "other"])
    assert scaler.soft[0] > 0
    Z = scaler.transform(np.array([[1e33, 0.0], [-1e33, 0.0]], dtype=np.float32))
    assert np.isfinite(Z).all() and Z[0, 0] > 0 > Z[1, 0]  # x / s would be inf in float32
    # more rows than the rule samples: a single negative value between the sampled rows still counts
    n = 2 * prepare._TAIL_SAMPLE_ROWS + 2
    column = np.exp(rng.normal(3.0, 2.0, n)).astype(np.float32)
    assert heavy_tail_scales(column[:, None])[0][0] > 0
    column[1] = -1.0  # row 1: not in the every-other-row sample
    assert heavy_tail_scales(column[:, None])[0][0] == 0


def test_gaps_in_a_long_tailed_column_are_filled_at_its_centre_on_the_signed_log_scale():
    frame = jobs_frame()
    frame.loc[::10, "fields"] = np.nan
    data = prepare_data(frame, label="size", seed=0, missing="mean")
    j = list(data.feature_names).index("fields")
    s = data.scaler.soft[j]
    filled = data.fill_values[j]
    train = frame.loc[data.rows_train, "fields"].to_numpy(np.float64)
    np.testing.assert_allclose(filled, np.sinh(np.nanmean(np.arcsinh(train / s))) * s, rtol=1e-6)
    assert filled < np.nanmean(train)  # not the plain mean, which the tail pulls up
    gaps = np.isnan(train)
    assert gaps.any() and np.abs(data.X_train[gaps, j]).max() < 0.1  # the middle of what the network reads
    assert any("'fields': its gaps are filled" in n for n in data.warnings)


def test_explain_auto_workers_stay_one_process_when_each_would_run_several_threads():
    from hybridxai_gui.core.explain import parallel

    assert parallel.auto_workers(500, threads=4) == 1
    assert parallel.auto_workers(500, threads=1) == parallel.default_workers()


def test_signed_log_axis_ticks_read_as_short_plain_numbers():
    from hybridxai_gui.plotting.data_plots import _compact

    assert [_compact(v) for v in (0, 0.05, 3, 100, 2000, 10_000, 250_000, 3e6, -1e4, 1e9)] == \
        ["0", "0.05", "3", "100", "2000", "10k", "250k", "3M", "-10k", "1e+09"]
