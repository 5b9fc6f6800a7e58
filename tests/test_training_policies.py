"""The training loop's policies, each alone with a known answer, and each as the loop applies it.

Every test here fails when its policy is dropped from the loop: class weights ignored, the step scheduler
never stepped, early stopping never triggered, the best epoch chosen by another rule.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai_gui.core.training import loop as training
from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.training.loop import EpochMetrics, batches_per_epoch, train
from hybridxai_gui.core.training.policies import (BestEpoch, EarlyStopping, LearningRateSchedule, class_weights,
                                                  make_criterion)

from helpers import fit, wine_frame

TINY = ModelConfig(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)


@pytest.fixture(scope="module")
def wine():
    return prepare_data(wine_frame(), seed=0, val_size=0.15)  # the policies watch validation rows


@pytest.fixture(scope="module")
def imbalanced():
    frame = wine_frame()
    keep = np.r_[np.flatnonzero(frame["label"] != "cultivar 3"), np.flatnonzero(frame["label"] == "cultivar 3")[:8]]
    return prepare_data(frame.iloc[np.sort(keep)].reset_index(drop=True), seed=0)


# ---- class weights ------------------------------------------------------------------------------------


def test_class_weights_are_inverse_frequency():
    y = np.array([0, 0, 0, 1, 2, 2])
    # n / (C × count): 6 / (3 × 3), 6 / (3 × 1), 6 / (3 × 2)
    np.testing.assert_allclose(class_weights(y, 3), [2 / 3, 2.0, 1.0])
    # an absent class counts as one row; every class's total weight is equal otherwise
    np.testing.assert_allclose(class_weights(np.array([0, 0, 1, 1]), 3), [4 / 6, 4 / 6, 4 / 3])


def test_criterion_carries_the_weights_only_when_asked():
    y = np.array([0, 0, 0, 1])
    plain = make_criterion(TrainConfig(), y, 2, "cpu")
    weighted = make_criterion(TrainConfig(class_weights=True, label_smoothing=0.0), y, 2, "cpu")
    assert plain.weight is None and plain.label_smoothing == TrainConfig().label_smoothing
    np.testing.assert_allclose(weighted.weight.numpy(), [4 / 6, 2.0], rtol=1e-6)


def test_the_loop_uses_class_weights(imbalanced, monkeypatch):
    seen = []
    real = training.make_criterion

    def spy(config, y, n_classes, device):
        criterion = real(config, y, n_classes, device)
        seen.append(None if criterion.weight is None else criterion.weight.numpy().copy())
        return criterion

    monkeypatch.setattr(training, "make_criterion", spy)
    a = fit(imbalanced, TINY, TrainConfig(epochs=1, class_weights=True, augment="off"))
    b = fit(imbalanced, TINY, TrainConfig(epochs=1, class_weights=False, augment="off"))
    np.testing.assert_allclose(seen[0], class_weights(imbalanced.y_train, 3), rtol=1e-6)
    assert seen[1] is None
    # The same seed and data: only the loss weights differ, so the first epoch's weights differ.
    sa, sb = a.trained.model.state_dict(), b.trained.model.state_dict()
    assert not all(torch.equal(sa[k], sb[k]) for k in sa)


def test_the_batch_loss_is_the_weighted_mean_by_hand():
    """Two rows, classes 0 and 1, weights 2/3 and 2 (three rows of class 0 to one of class 1), no smoothing: the
    loss is (w0 * CE_0 + w1 * CE_1) / (w0 + w1), each CE = -log softmax(logits)[y] computed here by hand."""
    loss = make_criterion(TrainConfig(class_weights=True, label_smoothing=0.0), np.array([0, 0, 0, 1]), 2, "cpu")
    logits = torch.tensor([[2.0, 0.0], [0.5, 1.5]])
    y = torch.tensor([0, 1])
    ce0 = -(2.0 - np.log(np.exp(2.0) + np.exp(0.0)))
    ce1 = -(1.5 - np.log(np.exp(0.5) + np.exp(1.5)))
    w0, w1 = 4 / 6, 2.0
    expected = (w0 * ce0 + w1 * ce1) / (w0 + w1)
    assert float(loss(logits, y)) == pytest.approx(expected, rel=1e-6)
    # a worker's share: its rows over the global batch's weight, times the workers (DDP averages their gradients)
    share = loss(logits[:1], y[:1], total=w0 + w1, workers=2)
    assert float(share) == pytest.approx(2 * w0 * ce0 / (w0 + w1), rel=1e-6)
    # without class weights: the plain mean, with label smoothing as configured
    plain = make_criterion(TrainConfig(label_smoothing=0.1), np.array([0, 1]), 2, "cpu")
    assert float(plain(logits, y)) == pytest.approx(float(nn.CrossEntropyLoss(label_smoothing=0.1)(logits, y)),
                                                  rel=1e-6)


def test_the_loop_trains_on_the_batch_loss_it_is_given(imbalanced, monkeypatch):
    """The loss the loop minimises is the tested unit: every training step calls it (a loop that built its own
    loss beside make_criterion would make no call)."""
    from hybridxai_gui.core.training.policies import BatchLoss

    calls = []
    real = BatchLoss.__call__

    def spy(self, logits, y, total=None, workers=1):
        out = real(self, logits, y, total, workers)
        calls.append((self.weight is not None, len(y), float(out)))
        return out

    monkeypatch.setattr(BatchLoss, "__call__", spy)
    result = fit(imbalanced, TINY, TrainConfig(epochs=1, class_weights=True, augment="off", batch_size=32))
    steps = training.batches_per_epoch(len(imbalanced.y_train), 32)
    assert len(calls) == steps and all(weighted for weighted, _, _ in calls)
    assert result.history[0].train_loss > 0


# ---- learning-rate schedules --------------------------------------------------------------------------


def _schedule(kind: str, epochs: int, steps: int, **kw):
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    return optimizer, LearningRateSchedule(optimizer, TrainConfig(scheduler=kind, **kw), epochs, steps)


def test_step_schedule_divides_every_third_of_the_epochs():
    optimizer, schedule = _schedule("step", epochs=9, steps=4, step_gamma=0.1)
    rates = []
    for _epoch in range(9):
        rates.append(optimizer.param_groups[0]["lr"])
        for _ in range(4):
            optimizer.step()
            schedule.after_batch()  # a per-epoch schedule ignores batches
        schedule.after_epoch(val_loss=1.0, train_loss=1.0)
    np.testing.assert_allclose(rates, [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01])


def test_cosine_schedule_warms_up_then_decays_per_step():
    optimizer, schedule = _schedule("cosine", epochs=2, steps=10, warmup_fraction=0.1)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.after_batch()
    assert rates[0] == pytest.approx(0.5) and rates[1] == pytest.approx(1.0)  # 2 warm-up steps of 20
    assert all(a >= b for a, b in zip(rates[1:], rates[2:])) and rates[-1] < 0.02


def test_plateau_schedule_reads_the_validation_loss():
    optimizer, schedule = _schedule("plateau", epochs=20, steps=1, step_gamma=0.5)
    for _ in range(7):
        optimizer.step()
        schedule.after_epoch(val_loss=1.0, train_loss=0.0)  # training improves, validation does not
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5)


def test_the_loop_steps_the_step_schedule(wine):
    result = fit(wine, TINY, TrainConfig(epochs=6, scheduler="step", optimizer="adam", lr=0.01, step_gamma=0.1,
                                         augment="off"))
    np.testing.assert_allclose([m.lr for m in result.history], [0.01, 0.01, 0.001, 0.001, 1e-4, 1e-4], rtol=1e-6)


# ---- best epoch and early stopping ----------------------------------------------------------------------


def test_best_epoch_prefers_accuracy_then_lower_loss():
    model = nn.Linear(1, 1)
    best = BestEpoch()
    assert best.offer(1, 0.8, 0.50, model)
    assert not best.offer(2, 0.7, 0.10, model)  # lower loss, lower accuracy
    assert best.offer(3, 0.8, 0.40, model)  # same accuracy, lower loss
    assert not best.offer(4, 0.8, 0.40, model)  # a tie is not an improvement
    assert not best.offer(5, 1.0, float("nan"), model)  # a non-finite loss never wins
    assert best.epoch == 3 and set(best.state) == {"weight", "bias"}


def test_early_stopping_counts_epochs_without_improvement():
    stopping = EarlyStopping(3)
    assert [stopping.should_stop(i) for i in (True, False, False, True, False, False, False)] == [
        False, False, False, False, False, False, True]
    never = EarlyStopping(0)
    assert not any(never.should_stop(False) for _ in range(50))


def test_the_loop_stops_early_and_restores_the_best_epoch(wine, monkeypatch):
    # Validation scores that peak at epoch 2 and never improve again.
    scores = iter([(1.0, 0.5), (0.9, 0.6), (0.9, 0.6), (0.95, 0.6), (1.2, 0.4), (1.0, 0.5)] * 10)
    real_score = training.score_sharded

    def fake_score(model, X, y, world):
        if X.shape[0] == len(wine.y_val):
            return next(scores)
        return real_score(model, X, y, world)

    monkeypatch.setattr(training, "score_sharded", fake_score)
    events = list(train(wine, TINY, TrainConfig(epochs=30, early_stopping=3, restore_best=True, augment="off")))
    metrics = [e for e in events if isinstance(e, EpochMetrics)]
    result = events[-1].result
    assert len(metrics) == 5 and result.reason == "early_stopping"  # epoch 2 best, then 3 without improvement
    assert result.best_epoch == 2 and "Early stopping after epoch 5" in result.message


def test_batches_drop_a_trailing_single_row():
    assert batches_per_epoch(64, 32) == 2
    assert batches_per_epoch(65, 32) == 2  # the 65th row alone cannot train BatchNorm
    assert batches_per_epoch(66, 32) == 3
    assert batches_per_epoch(5, 32) == 1
