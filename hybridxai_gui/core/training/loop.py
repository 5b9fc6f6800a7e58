"""Training as a plain generator.

`train(data, model_config, train_config, control)` yields `BatchProgress` now and then, one
`EpochMetrics` per epoch, and finally `TrainingFinished` with the `TrainResult`. The GUI wraps it in
a thin worker thread; the CLI and tests just iterate. Stop and pause are flags checked between
batches (never an exception thrown into the loop).

Why the default recipe differs from the seed script: 50 epochs of Adam 0.005 with a StepLR drop
every 16 epochs give a 36-row training set 32 optimiser steps before the first drop, and it stays
underfit. The default counts optimiser steps instead (`min_steps`, epochs = auto), uses AdamW with
a short warm-up and cosine decay, light dropout and label smoothing, and (the default preset) keeps the
last epoch, training on every training row. The seed recipe remains available as the preset "seed".
The loop's policies (loss, best epoch, early stopping, schedule, noise) live in `training_policies`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from ..model.trained import TrainedModel
from . import distributed
from ..config import ModelConfig, RuntimeConfig, TrainConfig, resolve_ensemble
from .distributed import SINGLE, World
from ..data.prepare import PreparedData, looks_row_normalised
from ..errors import HybridXAIError, setting
from ..model.network import HybridCNNLSTMAttention
from .control import TrainControl  # noqa: F401  (re-exported: the loop's flags)
from .policies import BestEpoch, EarlyStopping, LearningRateSchedule, make_criterion, noise_level

EVAL_BATCH = 512
# The test rows (only reported, never used to choose) are scored at most this many times per run, and at its
# last epoch: scoring 100 test series of 1,460 steps every one of 500 epochs took a quarter of an ACSF1 run.
TEST_SCORES = 100  # rows per scoring pass: at 150 features 2048 was 1.4-1.6x slower per row (cache)
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
    best_epoch: int  # best epoch so far by validation, 1-based; 0 without validation rows

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


def resolve_device(name: str) -> torch.device:
    """Map auto/cpu/cuda/cuda:N/mps to a torch device, with a clear error when it is absent."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise HybridXAIError(f"Device '{name}' was asked for, but no CUDA GPU is available: use "
                                 f"{setting('device', 'cpu')}.")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise HybridXAIError(
                f"Device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)."
            )
        return torch.device(name)
    if name == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise HybridXAIError(f"Device 'mps' was asked for, but Apple's MPS is not available: use "
                                 f"{setting('device', 'cpu')}.")
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


def batches_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimiser steps per epoch; a trailing batch of one row is dropped (BatchNorm cannot train on one row)."""
    return max(1, n_train // batch_size + (1 if n_train % batch_size > 1 else 0))


def rows_are_series(data: PreparedData) -> bool:
    """A series file, or rows normalised like series: what the `auto` choices (noise, ensemble) treat as series."""
    return data.series is not None or looks_row_normalised(data.X_train)


def train(data: PreparedData, model_config: ModelConfig, train_config: TrainConfig,
          control: TrainControl | None = None, progress_every: float = 0.2,
          runtime: RuntimeConfig | None = None, world: World = SINGLE,
          ) -> Iterator[BatchProgress | EpochMetrics | TrainingFinished]:
    """Train a model on `data`, yielding progress; the last item is TrainingFinished.

    world: this process's place among distributed workers (core.training.distributed; every worker runs this same
    call on the same data and yields the same metrics)."""
    runtime = runtime or RuntimeConfig()
    train_config.validate()
    runtime.validate()
    channels = data.series.n_channels if getattr(data, "series", None) is not None else 1
    model_config = replace(model_config, n_features=len(data.feature_names), n_classes=len(data.class_names),
                           n_channels=channels)
    model_config = resolve_ensemble(model_config, rows_are_series(data))
    model_config.validate()
    control = control or TrainControl()
    device = distributed.device_for(world, resolve_device(runtime.device))
    previous_threads = torch.get_num_threads()
    if device.type == "cpu" and runtime.threads > 0:
        torch.set_num_threads(runtime.threads)
    try:
        distributed.init(world, device)
        yield from _train_loop(data, model_config, train_config, runtime, control, device, progress_every, world)
    finally:
        torch.set_num_threads(previous_threads)


def _tensor(array: np.ndarray | None, dtype, device) -> torch.Tensor | None:
    if array is None or len(array) == 0:
        return None
    tensor = torch.as_tensor(array, dtype=dtype)
    if device.type == "cuda":  # one pinned, asynchronous copy of each split to the GPU
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def _autocast(device: torch.device, precision: str):
    """Mixed precision for the forward pass and the loss (fp32: none)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.inference_mode()
def score_sharded(model: nn.Module, X: torch.Tensor, y: torch.Tensor, world: World) -> tuple[float, float]:
    """Mean plain cross-entropy and accuracy over (X, y): each worker scores its share, the sums are added."""
    model.eval()
    mine = torch.arange(world.rank, len(X), world.size, device=X.device) if world.distributed else None
    Xs, ys = (X, y) if mine is None else (X[mine], y[mine])
    sums = torch.zeros(2, dtype=torch.float64, device=X.device)
    for start in range(0, len(Xs), EVAL_BATCH):
        logits, _ = model(Xs[start:start + EVAL_BATCH])
        yb = ys[start:start + EVAL_BATCH]
        sums[0] += nn.functional.cross_entropy(logits.float(), yb, reduction="sum").double()
        sums[1] += (logits.argmax(1) == yb).sum()
    sums = distributed.all_sum(sums, world).tolist()  # the one host synchronisation of a scoring pass
    return sums[0] / len(X), sums[1] / len(X)


def _members(model_config: ModelConfig, seed: int) -> nn.Module:
    """The network: one, or an ensemble whose member k is initialised as a single network of seed + k."""
    if model_config.ensemble == 1:
        torch.manual_seed(seed)
        return HybridCNNLSTMAttention(model_config)
    from ..model.network import EnsembleNet

    network = EnsembleNet(model_config)
    for k, member in enumerate(network.members):
        torch.manual_seed(seed + k)
        member.load_state_dict(HybridCNNLSTMAttention(member.config).state_dict())
    return network


def _train_loop(data, model_config, config, runtime, control, device, progress_every, world=SINGLE):
    """One network, or an ensemble's members in lockstep: member k draws its own shuffles and noise from its own
    generator (seed + k) and is initialised from seed + k, so it trains as a single network of that seed would
    (one optimiser step of every member per batch); the metrics are the ensemble's (averaged logits)."""
    started = time.perf_counter()
    members = model_config.ensemble
    # Shuffles and noise come from seeded generators on the training device: on the CPU the same stream as
    # ever; every distributed worker draws the same global batches and keeps its own rows of them.
    generators = [torch.Generator(device=device).manual_seed(config.seed + k) for k in range(members)]
    model = _members(model_config, config.seed)
    if members > 1:
        torch.manual_seed(config.seed)  # dropout draws from here on, as one network's would
    if world.distributed:
        distributed.synchronise_batch_norm(model)  # statistics of the whole global batch
    model = model.to(device)
    net = model
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    X_train, y_train = _tensor(data.X_train, torch.float32, device), _tensor(data.y_train, torch.long, device)
    X_val, y_val = _tensor(data.X_val, torch.float32, device), _tensor(data.y_val, torch.long, device)
    X_test, y_test = _tensor(data.X_test, torch.float32, device), _tensor(data.y_test, torch.long, device)
    if X_train is None:
        raise HybridXAIError("No training rows are left after the split: add rows or lower the test/validation share.")
    n = len(X_train)

    criterion = make_criterion(config, data.y_train, model_config.n_classes, device)
    summed = nn.CrossEntropyLoss(weight=criterion.weight, label_smoothing=criterion.label_smoothing,
                                 reduction="sum")
    opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    # foreach: the update runs as a few fused C++ calls instead of a Python loop over parameters,
    # ~30% faster per step here and shorter GIL holds for the GUI thread beside it.
    optimizer = opt_cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    scaler = torch.amp.GradScaler(device.type, enabled=runtime.precision == "fp16")
    epochs, batches = planned_epochs(config, n), batches_per_epoch(n, config.batch_size)
    test_every = max(1, math.ceil(epochs / TEST_SCORES))
    schedule = LearningRateSchedule(optimizer, config, epochs, batches)
    noise_std = noise_level(config, X_train, rows_are_series(data))
    best, stopping = BestEpoch(), EarlyStopping(config.early_stopping)
    history: list[EpochMetrics] = []
    reason, message = "completed", ""
    last_progress = 0.0
    lr = config.lr

    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        net.train()
        orders = [torch.randperm(n, generator=g, device=device) for g in generators]
        sums = torch.zeros(4, dtype=torch.float64, device=device)  # loss sum, correct, rows, non-finite losses
        for b in range(batches):
            control.wait_if_paused()
            if control.stopped:
                break
            if len(orders[0][b * config.batch_size:(b + 1) * config.batch_size]) < 2 and n >= 2:
                continue
            xs, ys, totals = [], [], []
            for order, g in zip(orders, generators):
                idx = order[b * config.batch_size:(b + 1) * config.batch_size]
                xb, yb = X_train[idx], y_train[idx]
                if noise_std is not None:
                    xb = _augment(xb, noise_std, g)  # drawn for the whole global batch
                # The loss of the global batch: this worker's rows' sum over the batch's total weight (scaled by
                # the workers, whose gradients DDP averages).
                totals.append(criterion.weight[yb].sum() if criterion.weight is not None else float(len(yb)))
                if world.distributed:
                    mine = distributed.shard(torch.arange(len(idx), device=device), world)
                    xb, yb = xb[mine], yb[mine]
                xs.append(xb)
                ys.append(yb)
            optimizer.zero_grad(set_to_none=True)
            with _autocast(device, runtime.precision):
                if members == 1:
                    logits, _ = net(xs[0])
                    yb = ys[0]
                    loss = summed(logits.float(), yb) * (world.size / totals[0])
                else:  # each member on its own batch; the members' losses add (their gradients do not meet)
                    outputs, _ = net(torch.stack(xs))  # (members, B, C)
                    loss = sum(summed(out.float(), y) * (world.size / t) for out, y, t in zip(outputs, ys, totals))
                    logits, yb = outputs.reshape(-1, outputs.shape[-1]), torch.cat(ys)
            scaler.scale(loss).backward()
            lr = optimizer.param_groups[0]["lr"]  # the rate this step used (reported per epoch)
            scaler.step(optimizer)
            scaler.update()
            schedule.after_batch()
            with torch.no_grad():  # accumulated on the device: no host synchronisation per batch
                detached = logits.detach().float()
                sums[0] += nn.functional.cross_entropy(detached, yb, reduction="sum").double()
                sums[1] += (detached.argmax(1) == yb).sum()
                sums[2] += len(yb)
                sums[3] += (~torch.isfinite(loss.detach())).sum()
            now = time.perf_counter()
            if now - last_progress >= progress_every:
                last_progress = now
                yield BatchProgress(epoch, epochs, b + 1, batches, now - started)
        loss_sum, correct, seen, nonfinite = distributed.all_sum(sums, world).tolist()  # once per epoch
        if nonfinite:
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
        if X_val is not None:
            val_loss, val_acc = score_sharded(model, X_val, y_val, world)
        if X_test is not None and (epoch % test_every == 0 or epoch == epochs):
            test_loss, test_acc = score_sharded(model, X_test, y_test, world)
        schedule.after_epoch(val_loss, train_loss)
        if not math.isfinite(train_loss):
            reason = "diverged"
            message = (f"Training stopped at epoch {epoch}: the model's outputs became NaN or infinite. "
                       "The best weights so far are kept; try a lower learning rate.")
            break
        improved = (best.offer(epoch, val_acc, val_loss, model) if X_val is not None
                    else best.offer(epoch, train_acc, train_loss, model))
        metrics = EpochMetrics(epoch, epochs, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc,
                               lr, time.perf_counter() - epoch_start, best.epoch if X_val is not None else 0)
        history.append(metrics)
        yield metrics

        if control.stopped:
            reason, message = "stopped", f"Training stopped by the user after epoch {epoch}."
            break
        if stopping.should_stop(improved):
            reason = "early_stopping"
            watched = "validation" if X_val is not None else "training-batch"
            message = (f"Early stopping after epoch {epoch}: no {watched} improvement for "
                       f"{config.early_stopping} epochs.")
            break

    # "Keep the best epoch" watches validation rows; without any, the training batches' best epoch is noise under
    # augmentation, so the last epoch is kept (a diverged run still falls back to its last finite epoch).
    if best.state is not None and ((config.restore_best and X_val is not None) or reason == "diverged"):
        model.load_state_dict(best.state)
    elif best.state is None and reason == "diverged":
        raise HybridXAIError(message.replace("The best weights so far are kept; ",
                                             "No epoch gave finite outputs, so there is no model to keep; "))
    # 0: stopped before the first epoch ended, or no validation rows to say which epoch was best
    best_epoch = best.epoch if best.state is not None and X_val is not None else 0
    if X_val is not None:
        kept = (f"kept the best validation epoch ({best_epoch})" if config.restore_best
                else f"kept the last epoch's weights (best validation epoch: {best_epoch})")
    elif config.restore_best and reason != "diverged":
        kept = "kept the last epoch's weights (keeping the best epoch needs validation rows, and there are none)"
    else:
        kept = "kept the last epoch's weights"
    if not message:
        message = f"Training completed: {len(history)} epochs; {kept}."
    elif reason in ("stopped", "early_stopping") and history:
        message = f"{message[:-1]}; {kept}."

    if world.distributed:  # the plain network (BatchNorm1d) with the trained weights
        from ..model.network import build_model

        plain = build_model(model_config)
        plain.load_state_dict({k: v.detach().cpu() for k, v in model.state_dict().items()})
        model = plain
    model = model.to("cpu").eval()
    trained = TrainedModel(
        model=model, model_config=model_config, train_config=config, feature_names=list(data.feature_names),
        class_names=list(data.class_names), label_column=data.label_column, scaler=data.scaler,
        fill_values=data.fill_values, history=[m.to_dict() for m in history], evaluation=None,
        data_hash=data.data_hash, seed=config.seed, background=_background_rows(data.X_train, config.seed),
        best_epoch=best_epoch, data_config=data.config, runtime_config=runtime, series=data.series,
    )
    if config.calibrate:
        message += " " + calibrate_temperature(trained, data)
    result = TrainResult(trained, history, best_epoch, reason, message, time.perf_counter() - started,
                         optimizer_state=optimizer.state_dict())
    yield TrainingFinished(result)


def calibrate_temperature(trained: TrainedModel, data: PreparedData) -> str:
    """Fit the model's temperature on the validation rows (never the test rows); a sentence saying what was done."""
    from ..evaluation.calibration import expected_calibration_error, fit_temperature

    if len(data.y_val) == 0:
        return "No temperature was fitted: there are no validation rows to fit it on (set a validation share above 0)."
    logits = trained.predict_logits(data.X_val)
    before = expected_calibration_error(trained.probabilities(logits), data.y_val)
    trained.temperature = fit_temperature(logits, data.y_val)
    after = expected_calibration_error(trained.probabilities(logits), data.y_val)
    return (f"Temperature {trained.temperature:.3f} fitted on {len(data.y_val)} validation rows (their calibration "
            f"error {before:.3f} -> {after:.3f}).")


def _augment(xb: torch.Tensor, noise_std: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """xb plus Gaussian noise with per-feature std `noise_std` (F,); seeded, so runs repeat; drawn on the
    generator's device (the training device).

    Training on noisy copies is a smoothness (Tikhonov) regulariser: it keeps a network that fits 76 rows
    exactly from placing its class boundary anywhere in the gap between them (benchmarks/README.md).
    """
    noise = torch.randn(xb.shape, generator=generator, device=generator.device, dtype=xb.dtype)
    return xb + noise * noise_std


def _background_rows(X_train: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = min(BACKGROUND_ROWS, len(X_train))
    return np.asarray(X_train[np.sort(rng.choice(len(X_train), size=k, replace=False))], dtype=np.float32)
