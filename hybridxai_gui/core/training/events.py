"""What a training run says while it runs, and how it is stopped: plain dataclasses and flags, no torch, so the
front ends and the pipeline can name them without importing the network (opening a table must stay quick)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BatchProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, batches done in this epoch
    batches: int
    elapsed: float  # seconds since training started


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    epochs: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    test_loss: float | None
    test_acc: float | None
    lr: float
    seconds: float  # wall time of this epoch
    best_epoch: int  # best epoch so far by validation, 1-based; 0 without validation rows

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class TrainResult:
    trained: Any  # core.model.trained.TrainedModel
    history: list[EpochMetrics]
    best_epoch: int
    reason: str  # completed, early_stopping, stopped, diverged
    message: str
    seconds: float
    optimizer_state: dict | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TrainingFinished:
    result: TrainResult


class TrainControl:
    """Thread-safe stop / pause flags that the training loop checks between batches."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to notice the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> None:
        while not self._running.wait(0.1):
            pass

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`, returning early once stopped; True if stopped."""
        return self._stop.wait(seconds)


@dataclass(frozen=True)
class CalibrationProgress:
    """A fold model training to score calibration rows for the prediction sets (cross-conformal)."""

    fold: int  # 1-based
    folds: int
    epoch: int  # 1-based, of this fold model's training
    epochs: int
    elapsed: float  # seconds since the fold models started
