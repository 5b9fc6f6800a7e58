"""The training generator: events, stop/pause, reproducibility, divergence, recipe quality."""

import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig, TrainConfig, apply_preset
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.training.loop import (BatchProgress, EpochMetrics, TrainControl, TrainingFinished, planned_epochs,
                                         train)

from helpers import fit, signal_frame, wine_frame


@pytest.fixture(scope="module")
def wine():
    return prepare_data(wine_frame(), seed=0, val_size=0.15)  # these tests watch the validation rows


def _fast(**kw):
    base = dict(epochs=2)
    base.update(kw)
    return TrainConfig(**base)


def test_yields_one_metrics_per_epoch_then_finished(wine):
    events = list(train(wine, ModelConfig(), _fast(epochs=3), progress_every=0.0))
    metrics = [e for e in events if isinstance(e, EpochMetrics)]
    assert [m.epoch for m in metrics] == [1, 2, 3]
    assert all(m.val_acc is not None and m.test_acc is not None for m in metrics)
    assert all(0.0 <= m.train_acc <= 1.0 and m.lr > 0 and m.seconds > 0 for m in metrics)
    assert any(isinstance(e, BatchProgress) for e in events)
    assert isinstance(events[-1], TrainingFinished)
    result = events[-1].result
    assert result.reason == "completed" and len(result.history) == 3
    assert 1 <= result.best_epoch <= 3
    assert result.trained.model_config.n_features == 13 and result.trained.model_config.n_classes == 3
    assert result.trained.background.shape == (min(100, len(wine.y_train)), 13)


def test_test_set_never_chooses_the_best_epoch(wine):
    events = list(train(wine, ModelConfig(), _fast(epochs=6)))
    metrics = [e for e in events if isinstance(e, EpochMetrics)]
    best = events[-1].result.best_epoch
    keys = [(m.val_acc, -m.val_loss) for m in metrics]
    assert keys[best - 1] == max(keys)


def test_same_seed_same_weights(wine):
    a = fit(wine, ModelConfig(), _fast(seed=7)).trained.model.state_dict()
    b = fit(wine, ModelConfig(), _fast(seed=7)).trained.model.state_dict()
    c = fit(wine, ModelConfig(), _fast(seed=8)).trained.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_the_same_seed_gives_the_same_model_on_one_and_two_threads():
    """Issue 25: the thread count must not change what a seed trains. A small series set (the default recipe's
    kernel and channels, a few epochs): with two torch threads the convolutions and matrix products would add their
    sums in another order (measured ~1e-7 apart after one epoch, growing with every step); training computes on one
    thread whatever the setting, so the weights and the predictions are identical."""
    from hybridxai_gui.core.config import RuntimeConfig

    rng = np.random.default_rng(0)
    n, length = 96, 64
    y = np.arange(n) % 3
    steps = np.arange(length)
    X = np.sin(2 * np.pi * (2 + y[:, None]) * steps / length + rng.uniform(0, 6, (n, 1))) + rng.normal(0, 0.5, (n, length))
    frame = pd.DataFrame(X, columns=[f"s{i:03d}" for i in range(length)])
    frame["label"] = y
    data = prepare_data(frame, label="label", seed=0)
    model = ModelConfig(cnn_channels=16, kernel_size=9, lstm_hidden=16, num_heads=2)
    runs = [fit(data, model, TrainConfig(epochs=4, augment="on"), runtime=RuntimeConfig(threads=t)) for t in (1, 2)]
    a, b = (r.trained.model.state_dict() for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(runs[0].trained.predict_logits(data.X_test), runs[1].trained.predict_logits(data.X_test))


def test_stop_within_one_batch(wine):
    control = TrainControl()
    batches_after_stop = []
    gen = train(wine, ModelConfig(), _fast(epochs=50, batch_size=8), control, progress_every=0.0)
    for event in gen:
        if isinstance(event, BatchProgress) and event.epoch == 2 and event.batch == 3:
            control.stop()
        elif isinstance(event, BatchProgress) and control.stopped:
            batches_after_stop.append(event)
        if isinstance(event, TrainingFinished):
            result = event.result
    assert batches_after_stop == []
    assert result.reason == "stopped"
    assert len(result.history) == 2  # the interrupted epoch is still scored
    assert result.trained.model is not None
    assert "stopped by the user" in result.message and "kept the best validation epoch" in result.message


def test_control_sleep_ends_early_when_stopped():
    control = TrainControl()
    assert control.sleep(0.01) is False  # ran its course: not stopped
    threading.Timer(0.05, control.stop).start()
    assert control.sleep(60) is True  # woken by the stop, not after a minute
    assert control.sleep(60) is True  # already stopped: returns at once


def test_pause_blocks_until_resume(wine):
    control = TrainControl()
    control.pause()
    events = []
    worker = threading.Thread(target=lambda: events.extend(train(wine, ModelConfig(), _fast(epochs=1), control)))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and not any(isinstance(e, EpochMetrics) for e in events)
    control.resume()
    worker.join(60)
    assert not worker.is_alive()
    assert isinstance(events[-1], TrainingFinished)


def test_nan_loss_stops_and_keeps_best_weights(wine, monkeypatch):
    original = torch.nn.CrossEntropyLoss.forward
    calls = {"n": 0}

    def flaky(self, logits, target):
        loss = original(self, logits, target)
        if torch.is_grad_enabled() and logits.requires_grad:
            calls["n"] += 1
            if calls["n"] > 8:  # after two epochs of 4 batches
                return loss * float("nan")
        return loss

    monkeypatch.setattr(torch.nn.CrossEntropyLoss, "forward", flaky)
    result = fit(wine, ModelConfig(), _fast(epochs=10, batch_size=32))
    assert result.reason == "diverged"
    assert "NaN" in result.message and "lower learning rate" in result.message
    assert len(result.history) == 2
    for p in result.trained.model.parameters():
        assert torch.isfinite(p).all()


def test_auto_epochs_give_small_sets_enough_steps():
    cfg = TrainConfig()
    assert planned_epochs(cfg, 36) * 2 >= cfg.min_steps  # 36 rows = 2 batches per epoch
    assert planned_epochs(cfg, 100_000) == 20
    assert planned_epochs(TrainConfig(epochs=7), 36) == 7


@pytest.mark.parametrize("scheduler", ["step", "plateau", "none", "cosine"])
def test_every_scheduler_runs(wine, scheduler):
    result = fit(wine, ModelConfig(), _fast(epochs=3, scheduler=scheduler, optimizer="adam",
                                                     class_weights=True, early_stopping=1))
    assert result.history


def test_seed_preset_keeps_the_original_settings():
    model, cfg = apply_preset("seed")
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.optimizer, cfg.scheduler) == (50, 32, 0.005, "adam", "step")
    assert (model.cnn_channels, model.lstm_hidden, model.num_heads, model.kernel_size) == (16, 32, 4, 3)


def test_by_default_every_training_row_trains_and_the_last_epoch_is_kept(monkeypatch):
    """No validation rows by default (the default recipe chooses nothing on them): every row outside the test split
    trains, the history has no validation curve and marks no best epoch, and "keep the best epoch" says it has
    nothing to watch instead of picking the training batches' best epoch."""
    import copy

    from hybridxai_gui.core.training import loop as training
    from hybridxai_gui.core.config import DataConfig
    from hybridxai_gui.plotting.training_plots import best_epoch

    assert DataConfig().val_size == 0.0
    data = prepare_data(wine_frame(), seed=0)
    assert len(data.y_val) == 0 and len(data.y_train) + len(data.y_test) == 178
    # The training batches' best epoch is made epoch 1 (so "best" and "last" differ), and every epoch's weights
    # are kept aside: restoring a best epoch without validation rows would hand back epoch 1's weights.
    offered = []
    original = training.BestEpoch.offer

    def first_is_best(self, epoch, accuracy, loss, model):
        offered.append(copy.deepcopy(model.state_dict()))
        return original(self, epoch, accuracy, loss, model) if epoch == 1 else False

    monkeypatch.setattr(training.BestEpoch, "offer", first_is_best)
    for restore_best in (False, True):
        offered.clear()
        events = list(train(data, ModelConfig(), _fast(epochs=3, restore_best=restore_best), progress_every=0.0))
        metrics = [e for e in events if isinstance(e, EpochMetrics)]
        result = events[-1].result
        assert all(m.val_acc is None and m.val_loss is None and m.best_epoch == 0 for m in metrics)
        assert best_epoch(metrics) == 0 and result.best_epoch == 0  # no best epoch is named or drawn
        assert "validation epoch" not in result.message and "kept the last epoch's weights" in result.message
        assert ("needs validation rows" in result.message) is restore_best
        kept = result.trained.model.state_dict()
        assert all(torch.equal(kept[k], offered[-1][k]) for k in kept)  # the last epoch's weights
        assert not all(torch.equal(kept[k], offered[0][k]) for k in kept)


def test_default_recipe_learns_a_small_signal_set():
    from dataclasses import replace

    from hybridxai_gui.core.config import apply_preset

    data = prepare_data(signal_frame(n_rows=80, length=24), seed=1)
    model, cfg = apply_preset("quick")  # the default recipe as one network
    result = fit(data, model, replace(cfg, min_steps=300))
    from hybridxai_gui.core.evaluation.metrics import evaluate

    assert evaluate(result.trained, data.X_test, data.y_test).accuracy >= 0.9


def test_augmentation_is_seeded():
    from hybridxai_gui.core.data.prepare import looks_row_normalised

    series = prepare_data(signal_frame(n_rows=60, length=32), seed=0)
    assert looks_row_normalised(series.X_train) is False  # per-column z-scored here: tabular-looking
    cfg = _fast(epochs=2, augment="on")
    a = fit(series, ModelConfig(), cfg).trained.model.state_dict()
    b = fit(series, ModelConfig(), cfg).trained.model.state_dict()
    c = fit(series, ModelConfig(), _fast(epochs=2, augment="off")).trained.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_auto_augmentation_adds_noise_to_tables_and_none_to_series():
    from hybridxai_gui.core.training.policies import noise_level

    X = torch.randn(50, 8)
    auto = TrainConfig(augment="auto", augment_noise=0.5)
    assert noise_level(auto, X, normalised_series=True) is None  # series keep their fine shapes
    assert torch.allclose(noise_level(auto, X, normalised_series=False), 0.5 * X.std(0, correction=0))
    assert noise_level(TrainConfig(augment="on"), X, normalised_series=True) is not None  # asked for: given
    assert noise_level(TrainConfig(augment="off"), X, normalised_series=False) is None


def test_augmentation_noise_has_each_features_spread_times_the_level():
    from hybridxai_gui.core.training.loop import _augment

    std = torch.tensor([0.0, 0.5, 2.0, 10.0])
    x = torch.full((40000, 4), 3.0)
    out = _augment(x, std, torch.Generator().manual_seed(0))
    assert torch.allclose(out.mean(0), torch.full((4,), 3.0), atol=0.15)
    assert torch.allclose(out.std(0), std, rtol=0.03, atol=1e-6)
    assert torch.equal(x, torch.full((40000, 4), 3.0))  # the training tensor itself is never changed


@pytest.mark.parametrize("augment, noise, noisy", [("on", 0.5, True), ("on", 0.0, False), ("off", 0.5, False),
                                                    ("auto", 0.5, True)])
def test_augmentation_switch_and_level(wine, monkeypatch, augment, noise, noisy):
    from hybridxai_gui.core.training import loop as training

    seen = []
    real = training._augment
    monkeypatch.setattr(training, "_augment", lambda xb, std, g: seen.append(std.clone()) or real(xb, std, g))
    fit(wine, ModelConfig(), _fast(epochs=1, augment=augment, augment_noise=noise))
    assert bool(seen) is noisy  # wine is a table: "auto" adds noise
    if noisy:
        X = torch.from_numpy(wine.X_train)  # a table: each column's robust spread (IQR / 1.349), at most its sd
        q1, q3 = np.percentile(wine.X_train, [25, 75], axis=0)
        expected = noise * torch.minimum(torch.from_numpy((q3 - q1) / 1.349).float(), X.std(0, correction=0))
        assert torch.allclose(seen[0], expected, rtol=1e-4)
        assert not torch.allclose(seen[0], noise * X.std(0, correction=0))  # not the sd itself


def test_default_preset_uses_the_measured_recipe():
    model, train = apply_preset("default")
    assert model.kernel_size == 9 and model.position_channel is True
    assert train == replace(TrainConfig(), restore_best=False, augment="auto")
    assert train.augment_noise == 0.5
    # The reference design's values stay the dataclass defaults.
    assert ModelConfig().kernel_size == 3 and ModelConfig().position_channel is False


@pytest.mark.parametrize("restore_best", [False, True])
def test_kept_weights_are_the_last_or_the_best_epoch(wine, restore_best):
    result = fit(wine, ModelConfig(), _fast(epochs=6, lr=0.02, restore_best=restore_best))
    logits = torch.from_numpy(result.trained.predict_logits(wine.X_val))
    val_loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(wine.y_val)))
    kept = result.history[result.best_epoch - 1] if restore_best else result.history[-1]
    assert val_loss == pytest.approx(kept.val_loss, rel=1e-4)
    said = "kept the best validation epoch" if restore_best else "kept the last epoch's weights"
    assert said in result.message


def test_training_figure_marks_a_best_epoch_only_with_validation_rows():
    from matplotlib.figure import Figure

    from hybridxai_gui.plotting.training_plots import draw_training_history

    history = [dict(epoch=i, epochs=3, train_loss=1.0 / i, train_acc=0.5, val_loss=None, val_acc=None, test_loss=1.0,
                    test_acc=0.6, best_epoch=2) for i in (1, 2, 3)]
    for validation, labels in ((False, ["train", "test"]), (True, ["train", "validation", "test", "best epoch (2)"])):
        rows = [dict(h, val_loss=0.5, val_acc=0.7) for h in history] if validation else history
        fig = Figure()
        draw_training_history(fig, rows, 2)  # the best epoch passed explicitly, as the saved figure does
        assert [[line.get_label() for line in ax.lines] for ax in fig.axes] == [labels, labels]
