"""A series channel whose series' amplitudes span orders of magnitude is read on a signed-log scale (asinh) before it
is standardised: the rule, the numbers, the note, training and prediction alike, and the model file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data import series_data
from hybridxai_gui.core.data.prepare import Scaler, prepare_data
from hybridxai_gui.core.errors import CheckpointError
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

from helpers import fit


def long_frame(seed: int, per_class: int = 12, steps: int = 32) -> pd.DataFrame:
    """A long file: channel 'current' with amplitudes from 1e-3 to 1e2 (a quiet and a loud class shape at every
    scale), channel 'volts' on one scale."""
    rng = np.random.default_rng(seed)
    rows = []
    t = np.arange(steps)
    for k in range(2 * per_class):
        label = k % 2
        scale = 10.0 ** rng.uniform(-3, 2)
        wave = np.sin(2 * np.pi * t / 8) if label == 0 else np.sign(np.sin(2 * np.pi * t / 8))
        current = scale * wave + scale * 0.05 * rng.normal(size=steps)
        volts = 230 + rng.normal(size=steps)
        rows += [(f"m{seed}_{k}", i, current[i], volts[i], f"c{label}") for i in range(steps)]
    return pd.DataFrame(rows, columns=["id", "step", "current", "volts", "kind"])


def test_the_scaler_reads_asinh_then_standardises_and_gives_the_values_back():
    soft = np.array([0.5, 0.0])
    scaler = Scaler(mean=np.array([1.0, 2.0]), std=np.array([2.0, 4.0]), soft=soft)
    X = np.array([[0.5 * np.sinh(3.0), 10.0], [-0.5 * np.sinh(1.0), -2.0]])
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z, [[(3.0 - 1.0) / 2.0, 2.0], [(-1.0 - 1.0) / 2.0, -1.0]], rtol=1e-5)
    np.testing.assert_allclose(scaler.original(Z), X, rtol=1e-5)
    plain = Scaler(mean=np.array([1.0, 2.0]), std=np.array([2.0, 4.0]))
    np.testing.assert_allclose(plain.transform(X[:, 1:2].repeat(2, 1))[:, 1], (X[:, 1] - 2.0) / 4.0, rtol=1e-6)


def test_only_a_channel_spanning_orders_of_magnitude_is_read_on_the_signed_log_scale():
    rng = np.random.default_rng(0)
    n, T = 40, 16
    wide = (10.0 ** rng.uniform(-3, 2, size=(n, 1))) * rng.normal(size=(n, T))  # 5 decades of amplitude
    narrow = rng.uniform(0.5, 2.0, size=(n, 1)) * rng.normal(size=(n, T))
    notes: list[str] = []
    scaler = series_data.channel_scaler(np.hstack([wide, narrow]), 2, ["current", "volts"], notes)
    assert scaler.soft is not None
    assert (scaler.soft[:T] > 0).all() and (scaler.soft[T:] == 0).all()
    spread, _q10, q50 = series_data.amplitude_spread(wide)
    assert spread > series_data.AMPLITUDE_SPREAD
    np.testing.assert_allclose(scaler.soft[0], series_data.SOFT_SHARE * q50)
    assert len(notes) == 1 and "'current'" in notes[0] and "signed-log" in notes[0] and "zscore" in notes[0]
    Z = scaler.transform(np.hstack([wide, narrow]))
    assert abs(Z[:, :T].mean()) < 1e-6 and abs(Z[:, :T].std() - 1) < 1e-4  # standardised after the asinh
    off = series_data.channel_scaler(np.hstack([wide, narrow]), 2, ["current", "volts"], [], signed_log=False)
    assert off.soft is None
    assert series_data.channel_scaler(np.hstack([narrow, narrow]), 2).soft is None


def test_training_and_prediction_read_the_channel_alike_and_the_model_file_keeps_it(tmp_path):
    data = prepare_data(long_frame(0), long_frame(1), label="kind", seed=0)
    assert data.scaler.soft is not None
    assert any("Channel 'current'" in note for note in data.warnings)
    assert not any("Channel 'volts'" in note for note in data.warnings)
    zscore = prepare_data(long_frame(0), long_frame(1), label="kind", seed=0, scaling="zscore")
    assert zscore.scaler.soft is None and not any("signed-log" in n for n in zscore.warnings)
    trained = fit(data, ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2),
                  TrainConfig(epochs=1)).trained
    np.testing.assert_allclose(trained.transform(long_frame(1)), data.X_test, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(trained.unscale(data.X_test[:1]), data.X_test_raw[:1], rtol=1e-4, atol=1e-6)
    loaded = load_checkpoint(save_checkpoint(trained, tmp_path / "soft.pth"))
    np.testing.assert_array_equal(loaded.scaler.soft, trained.scaler.soft)
    np.testing.assert_allclose(loaded.transform(long_frame(1)), data.X_test, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("value, message", [(-1.0, "outside 0"), (float("nan"), "NaN or infinite"),
                                            (1e-300, "would overflow")])
def test_a_model_file_with_a_broken_signed_log_scale_is_refused(tmp_path, value, message):
    data = prepare_data(long_frame(0), long_frame(1), label="kind", seed=0)
    trained = fit(data, ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2),
                  TrainConfig(epochs=1)).trained
    save_checkpoint(trained, tmp_path / "good.pth")
    raw = torch.load(tmp_path / "good.pth", weights_only=True)
    raw["scaler"]["soft"][0] = value
    torch.save(raw, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "bad.pth")
