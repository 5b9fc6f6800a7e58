"""Training as a plain generator.

`train(data, model_config, train_config, control)` yields `BatchProgress` now and then, one
`EpochMetrics` per epoch, and finally `TrainingFinished` with the `TrainResult`. The GUI wraps it in
a thin worker thread; the CLI and tests just iterate. Stop and pause are flags checked between
batches (never an exception thrown into the loop).

Why the default recipe differs from the seed script: 50 epochs of Adam 0.005 with a StepLR drop
every 16 epochs give a 36-row training set 32 optimiser steps before the first drop, and it stays
underfit. The default counts optimiser steps instead (`min_steps`, epochs = auto), uses AdamW with
a short warm-up and cosine decay, light dropout and label smoothing, and keeps the weights of the
best validation epoch. The seed recipe remains available as the preset "seed".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .checkpoint import TrainedModel
from .config import ModelConfig, TrainConfig
from .data import PreparedData, looks_row_normalised
from .errors import HybridXAIError
from .model import HybridCNNLSTMAttention

EVAL_BATCH = 512  # rows per scoring pass: at 150 features 2048 was 1.4-1.6x slower per row (cache)
BACKGROUND_ROWS = 100  # training rows kept in the checkpoint as SHAP's default background


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
    best_epoch: int  # best epoch so far (by validation), 1-based

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class TrainResult:
    trained: TrainedModel
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


def resolve_device(name: str) -> torch.device:
    """Map auto/cpu/cuda/cuda:N/mps to a torch device, with a clear error when it is absent."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise HybridXAIError(f"Device '{name}' was asked for, but no CUDA GPU is available: use --device cpu.")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise HybridXAIError(
                f"Device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)."
            )
        return torch.device(name)
    if name == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise HybridXAIError("Device 'mps' was asked for, but Apple's MPS is not available: use --device cpu.")
        return torch.device("mps")
    return torch.device("cpu")


def available_devices() -> list[tuple[str, str]]:
    """(device id, human label) for every device this machine can train on."""
    out = [("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}"))
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        out.append(("mps", "Apple MPS"))
    return out


def planned_epochs(config: TrainConfig, n_train: int) -> int:
    """Epochs to run: the configured number, or (auto) enough for `min_steps` optimiser steps."""
    if config.epochs > 0:
        return config.epochs
    steps_per_epoch = max(1, math.ceil(n_train / config.batch_size))
    return int(min(config.max_auto_epochs, max(20, math.ceil(config.min_steps / steps_per_epoch))))


def _make_scheduler(optimizer, config: TrainConfig, epochs: int, steps_per_epoch: int):
    """Return (scheduler, steps_per_batch): per-batch schedulers step every batch, others per epoch."""
    if config.scheduler == "cosine":
        total = max(1, epochs * steps_per_epoch)
        warmup = max(1, int(config.warmup_fraction * total))

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = (step - warmup) / max(1, total - warmup)
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

        return torch.optim.lr_scheduler.LambdaLR(optimizer, factor), True
    if config.scheduler == "step":  # the seed design: every epochs // 3 epochs, times gamma
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3),
                                               gamma=config.step_gamma), False
    if config.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.step_gamma,
                                                          patience=5), False
    return None, False


@torch.inference_mode()
def score(model: nn.Module, X: torch.Tensor, y: torch.Tensor, criterion: nn.Module) -> tuple[float, float]:
    """Mean loss and accuracy over (X, y) in large inference-mode batches."""
    model.eval()
    total_loss = 0.0
    correct = 0
    for start in range(0, len(X), EVAL_BATCH):
        xb, yb = X[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
        logits, _ = model(xb)
        total_loss += float(criterion(logits, yb)) * len(xb)
        correct += int((logits.argmax(1) == yb).sum())
    return total_loss / len(X), correct / len(X)


def train(data: PreparedData, model_config: ModelConfig, train_config: TrainConfig,
          control: TrainControl | None = None, progress_every: float = 0.2,
          ) -> Iterator[BatchProgress | EpochMetrics | TrainingFinished]:
    """Train a model on `data`, yielding progress; the last item is TrainingFinished."""
    train_config.validate()
    model_config.validate()
    control = control or TrainControl()
    device = resolve_device(train_config.device)
    previous_threads = torch.get_num_threads()
    if device.type == "cpu" and train_config.threads > 0:
        torch.set_num_threads(train_config.threads)
    try:
        yield from _train_loop(data, model_config, train_config, control, device, progress_every)
    finally:
        torch.set_num_threads(previous_threads)


def _train_loop(data, model_config, config, control, device, progress_every):
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    n_classes = len(data.class_names)
    model_config = ModelConfig(**{**model_config.__dict__, "n_features": len(data.feature_names),
                                  "n_classes": n_classes})
    model = HybridCNNLSTMAttention(model_config).to(device)

    X_train = torch.as_tensor(data.X_train, dtype=torch.float32, device=device)
    y_train = torch.as_tensor(data.y_train, dtype=torch.long, device=device)
    has_val = len(data.y_val) > 0
    has_test = data.X_test is not None and len(data.y_test) > 0
    X_val = torch.as_tensor(data.X_val, dtype=torch.float32, device=device) if has_val else None
    y_val = torch.as_tensor(data.y_val, dtype=torch.long, device=device) if has_val else None
    X_test = torch.as_tensor(data.X_test, dtype=torch.float32, device=device) if has_test else None
    y_test = torch.as_tensor(data.y_test, dtype=torch.long, device=device) if has_test else None
    n = len(X_train)
    if n == 0:
        raise HybridXAIError("No training rows are left after the split: add rows or lower the test/validation share.")

    weight = None
    if config.class_weights:
        counts = np.bincount(data.y_train, minlength=n_classes).astype(np.float64)
        weight = torch.as_tensor(n / (n_classes * np.maximum(counts, 1)), dtype=torch.float32, device=device)
    criterion = nn.CrossEntropyLoss(weight=weight, label_smoothing=config.label_smoothing)
    plain_loss = nn.CrossEntropyLoss()  # reported losses are comparable across recipes

    opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    # foreach: the update runs as a few fused C++ calls instead of a Python loop over parameters,
    # ~30% faster per step here and shorter GIL holds for the GUI thread beside it.
    optimizer = opt_cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    epochs = planned_epochs(config, n)
    # Drop a trailing batch of one row: BatchNorm cannot train on a single row.
    batches = max(1, n // config.batch_size + (1 if n % config.batch_size > 1 else 0))
    scheduler, per_batch = _make_scheduler(optimizer, config, epochs, batches)

    # Noise augmentation: fresh Gaussian noise on every batch, scaled per feature to its spread over the
    # training rows (1 for z-scored features). "auto" keeps it to rows that are normalised series.
    augment = config.augment_noise > 0 and (
        config.augment == "on" or (config.augment == "auto" and looks_row_normalised(data.X_train)))
    noise_std = (config.augment_noise * X_train.std(dim=0, correction=0)) if augment and n > 1 else None
    augment = noise_std is not None
    history: list[EpochMetrics] = []
    best_key: tuple[float, float] | None = None
    best_epoch = 0
    best_state = None
    stale = 0
    reason, message = "completed", ""
    last_progress = 0.0
    lr = config.lr

    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        loss_sum, correct, seen = 0.0, 0, 0
        diverged = False
        for b in range(batches):
            control.wait_if_paused()
            if control.stopped:
                break
            idx = order[b * config.batch_size:(b + 1) * config.batch_size]
            if len(idx) < 2 and n >= 2:
                continue
            xb, yb = X_train[idx], y_train[idx]
            if augment:
                xb = _augment(xb, noise_std, generator)
            optimizer.zero_grad(set_to_none=True)
            logits, _ = model(xb)
            loss = criterion(logits, yb)
            if not torch.isfinite(loss):
                diverged = True
                break
            loss.backward()
            lr = optimizer.param_groups[0]["lr"]  # the rate this step used (reported per epoch)
            optimizer.step()
            if per_batch:
                scheduler.step()
            loss_sum += float(plain_loss(logits.detach(), yb)) * len(idx)  # comparable across recipes
            correct += int((logits.detach().argmax(1) == yb).sum())
            seen += len(idx)
            now = time.perf_counter()
            if now - last_progress >= progress_every:
                last_progress = now
                yield BatchProgress(epoch, epochs, b + 1, batches, now - started)
        if diverged:
            reason = "diverged"
            message = (f"Training stopped at epoch {epoch}: the loss became NaN or infinite. "
                       "The best weights so far are kept; try a lower learning rate.")
            break
        if control.stopped and seen == 0:
            reason, message = "stopped", f"Training stopped by the user during epoch {epoch}."
            break

        # The epoch's running batch metrics, as the seed script reported them: re-scoring the whole
        # training set cost ~24% of an epoch at 10,000 x 150 (benchmarks/README.md).
        train_loss, train_acc = loss_sum / max(1, seen), correct / max(1, seen)
        val_loss = val_acc = test_loss = test_acc = None
        if has_val:
            val_loss, val_acc = score(model, X_val, y_val, plain_loss)
        if has_test:
            test_loss, test_acc = score(model, X_test, y_test, plain_loss)
        if scheduler is not None and not per_batch:
            if config.scheduler == "plateau":
                scheduler.step(val_loss if val_loss is not None else train_loss)
            else:
                scheduler.step()

        if not math.isfinite(train_loss):
            reason = "diverged"
            message = (f"Training stopped at epoch {epoch}: the model's outputs became NaN or infinite. "
                       "The best weights so far are kept; try a lower learning rate.")
            break
        # Best epoch: highest validation accuracy, ties broken by lower validation loss. The test
        # set is never used to choose anything.
        key = (val_acc, -val_loss) if has_val else (train_acc, -train_loss)
        if not math.isfinite(key[1]):  # outputs that are NaN or infinite are never the best epoch
            key = None
        if key is not None and (best_key is None or key > best_key):
            best_key, best_epoch, stale = key, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        metrics = EpochMetrics(epoch, epochs, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc,
                               lr, time.perf_counter() - epoch_start, best_epoch)
        history.append(metrics)
        yield metrics

        if control.stopped:
            reason, message = "stopped", f"Training stopped by the user after epoch {epoch}."
            break
        if config.early_stopping and stale >= config.early_stopping:
            reason = "early_stopping"
            message = (f"Early stopping after epoch {epoch}: no validation improvement for "
                       f"{config.early_stopping} epochs.")
            break

    if best_state is not None and (config.restore_best or reason == "diverged"):
        model.load_state_dict(best_state)
    elif best_state is None and reason == "diverged":
        raise HybridXAIError(message.replace("The best weights so far are kept; ",
                                             "No epoch gave finite outputs, so there is no model to keep; "))
    if best_state is None:  # stopped before the first epoch ended: keep what there is
        best_epoch = 0
    kept = (f"kept the best validation epoch ({best_epoch})" if config.restore_best
            else f"kept the last epoch's weights (best validation epoch: {best_epoch})")
    if not message:
        message = f"Training completed: {len(history)} epochs; {kept}."
    elif reason in ("stopped", "early_stopping") and history:
        message = f"{message[:-1]}; {kept}."

    model = model.to("cpu").eval()
    trained = TrainedModel(
        model=model,
        model_config=model_config,
        train_config=config,
        feature_names=list(data.feature_names),
        class_names=list(data.class_names),
        label_column=data.label_column,
        scaler=data.scaler,
        fill_values=data.fill_values,
        history=[m.to_dict() for m in history],
        evaluation=None,
        data_hash=data.data_hash,
        seed=config.seed,
        background=_background_rows(data.X_train, config.seed),
        best_epoch=best_epoch,
    )
    result = TrainResult(trained, history, best_epoch, reason, message, time.perf_counter() - started,
                         optimizer_state=optimizer.state_dict())
    yield TrainingFinished(result)


def _augment(xb: torch.Tensor, noise_std: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """xb plus Gaussian noise with per-feature std `noise_std` (F,); seeded, so runs repeat.

    Training on noisy copies is a smoothness (Tikhonov) regulariser: it keeps a network that fits 76 rows
    exactly from placing its class boundary anywhere in the gap between them (benchmarks/README.md).
    """
    noise = torch.randn(xb.shape, generator=generator).to(xb.device)
    return xb + noise * noise_std


def _background_rows(X_train: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = min(BACKGROUND_ROWS, len(X_train))
    return np.asarray(X_train[np.sort(rng.choice(len(X_train), size=k, replace=False))], dtype=np.float32)


def run_training(data: PreparedData, model_config: ModelConfig, train_config: TrainConfig,
                 control: TrainControl | None = None, on_event=None) -> TrainResult:
    """Drain `train(...)`, calling `on_event(item)` for each yielded item; return the TrainResult."""
    result = None
    for item in train(data, model_config, train_config, control):
        if on_event is not None:
            on_event(item)
        if isinstance(item, TrainingFinished):
            result = item.result
    assert result is not None
    return result
