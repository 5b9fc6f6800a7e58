"""The training loop's policies, each a small unit with its own tests (tests/test_training_policies.py): the loss
and its class weights, which epoch is the best, when to stop early, when the learning rate steps, and how much
augmentation noise a batch gets. `core.training.loop` runs them; they know nothing of the loop."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..config import TrainConfig


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Inverse-frequency weights n / (C × count_c), so every class adds the same total weight to the loss
    (a class absent from the training rows is weighted as if it had one row)."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).astype(np.float64)
    return len(y) / (n_classes * np.maximum(counts, 1))


class BatchLoss:
    """The training loss of one batch, as the loop runs it: cross-entropy with the configured label smoothing and,
    if asked, class weights, summed over the rows and divided by the batch's total weight (its row count without
    class weights) -- the weighted mean. On distributed workers each scores its share of the global batch and
    divides by the global batch's total weight times the number of workers (whose gradients DDP averages), so
    the workers' losses add up to the global batch's."""

    def __init__(self, weight: torch.Tensor | None, label_smoothing: float) -> None:
        self.weight = weight  # (C,) or None
        self.label_smoothing = label_smoothing
        self._summed = nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing, reduction="sum")

    def total_weight(self, y: torch.Tensor) -> torch.Tensor | float:
        """The batch's total weight: the sum of its rows' class weights, or its row count."""
        return self.weight[y].sum() if self.weight is not None else float(len(y))

    def __call__(self, logits: torch.Tensor, y: torch.Tensor, total: torch.Tensor | float | None = None,
                 workers: int = 1) -> torch.Tensor:
        """logits (B, C), y (B,): the loss of these rows as a share of a batch of total weight `total` (default:
        these rows' own)."""
        total = self.total_weight(y) if total is None else total
        return self._summed(logits.float(), y) * (workers / total)


def make_criterion(config: TrainConfig, y_train: np.ndarray, n_classes: int, device) -> BatchLoss:
    """The training loss: cross-entropy with the configured label smoothing and, if asked, class weights."""
    weight = None
    if config.class_weights:
        weight = torch.as_tensor(class_weights(y_train, n_classes), dtype=torch.float32, device=device)
    return BatchLoss(weight, config.label_smoothing)


class BestEpoch:
    """The best epoch so far and a copy of its weights.

    Best = highest validation accuracy, ties broken by lower validation loss (the training batches' metrics
    when there is no validation split). The test set never chooses anything, and an epoch whose loss is not
    finite is never the best.
    """

    def __init__(self) -> None:
        self.key: tuple[float, float] | None = None
        self.epoch = 0
        self.state: dict | None = None

    def offer(self, epoch: int, accuracy: float, loss: float, model: nn.Module) -> bool:
        """Consider this epoch; True (and its weights kept) when it is the best so far."""
        if not math.isfinite(loss):
            return False
        key = (accuracy, -loss)
        if self.key is not None and key <= self.key:
            return False
        self.key, self.epoch = key, epoch
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return True


class EarlyStopping:
    """Stop after `patience` epochs in a row without a new best epoch (patience 0: never)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.stale = 0

    def should_stop(self, improved: bool) -> bool:
        self.stale = 0 if improved else self.stale + 1
        return bool(self.patience) and self.stale >= self.patience


class LearningRateSchedule:
    """The learning-rate schedule and when it steps: cosine (with linear warm-up) after every optimiser
    step; step (every epochs // 3 epochs × gamma, the seed design) and plateau (on the validation loss, the
    training loss without a validation split) after every epoch; none never."""

    def __init__(self, optimizer, config: TrainConfig, epochs: int, steps_per_epoch: int) -> None:
        self.kind = config.scheduler
        self.scheduler = None
        if self.kind == "cosine":
            total = max(1, epochs * steps_per_epoch)
            warmup = max(1, int(config.warmup_fraction * total))

            def factor(step: int) -> float:
                if step < warmup:
                    return (step + 1) / warmup
                progress = (step - warmup) / max(1, total - warmup)
                return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

            self.scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        elif self.kind == "step":
            self.scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3),
                                                             gamma=config.step_gamma)
        elif self.kind == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.step_gamma,
                                                                        patience=5)

    def after_batch(self) -> None:
        if self.kind == "cosine":
            self.scheduler.step()

    def after_epoch(self, val_loss: float | None, train_loss: float) -> None:
        if self.kind == "step":
            self.scheduler.step()
        elif self.kind == "plateau":
            self.scheduler.step(val_loss if val_loss is not None else train_loss)


def noise_level(config: TrainConfig, X_train: torch.Tensor, normalised_series: bool,
                exact: np.ndarray | None = None, robust: bool = False) -> torch.Tensor | None:
    """Per-feature standard deviation of the augmentation noise (F,), or None when there is none: `on`
    always, `auto` for tables but not for series (noise of half the per-step spread blurred the fine shapes that
    tell series classes apart: PigCVP 0.17 -> 0.55, PLAID 0.22 -> 0.49 without it, no set lower;
    benchmarks/RECIPE_RESEARCH.md, issue 25), `off` never. `exact` (F,) marks features that get
    none: a text column's one-hot parts, whose noisy copies (0.83 of Biscoe) are no value the column can hold.
    robust (tables): in units of each feature's robust spread (interquartile range / 1.349, which is the standard
    deviation of a normal column) instead of its standard deviation, which a few huge values inflate: a count
    column with a long tail (hpc_jobs' compounds) got noise that drowned most of its rows (benchmarks/
    RECIPE_RESEARCH.md, "Tables")."""
    wanted = config.augment == "on" or (config.augment == "auto" and not normalised_series)
    if not wanted or config.augment_noise <= 0 or len(X_train) < 2:
        return None
    if robust:
        sample = X_train[:: max(1, len(X_train) // 100_000)].float()  # quartiles need no more (torch.quantile's limit)
        q = torch.quantile(sample, torch.tensor([0.25, 0.75], device=X_train.device), dim=0)  # (2, F)
        spread = torch.minimum((q[1] - q[0]) / 1.349, X_train.std(dim=0, correction=0))
    else:
        spread = X_train.std(dim=0, correction=0)
    std = config.augment_noise * spread
    if exact is not None and np.any(exact):
        std = std * torch.as_tensor(~np.asarray(exact, dtype=bool), dtype=std.dtype, device=std.device)
    return std
