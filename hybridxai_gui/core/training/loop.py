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
The loop's policies (loss, best epoch, early stopping, schedule, noise) live in `policies.py`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

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
from .events import BatchProgress, EpochMetrics, TrainControl, TrainingFinished, TrainResult
from .policies import BatchLoss, BestEpoch, EarlyStopping, LearningRateSchedule, make_criterion, noise_level

TRAINING_THREADS = 1  # torch CPU threads while a network trains (see train())
EVAL_BATCH = 512
# The test rows (only reported, never used to choose) are scored at most this many times per run, and at its
# last epoch: scoring 100 test series of 1,460 steps every one of 500 epochs took a quarter of an ACSF1 run.
TEST_SCORES = 100  # rows per scoring pass: at 150 features 2048 was 1.4-1.6x slower per row (cache)
BACKGROUND_ROWS = 100  # training rows kept in the checkpoint as SHAP's default background


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


def table_tokens(model_config: ModelConfig, data: PreparedData) -> ModelConfig:
    """The configuration with column tokens made concrete for this data: a table gets its columns' sizes (a text
    column's one-hot parts form one token); series (and rows normalised like series) never use tokens, so a series
    model is exactly as before whatever the preset asks."""
    if model_config.tokens == "none":
        return replace(model_config, column_sizes=())
    if rows_are_series(data):
        return replace(model_config, tokens="none", column_sizes=())
    encoding = getattr(data, "encoding", None)
    sizes = tuple(len(g) for g in encoding.groups) if encoding is not None else ()
    return replace(model_config, column_sizes=sizes)


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
    model_config = table_tokens(model_config, data)
    model_config.validate()
    control = control or TrainControl()
    device = distributed.device_for(world, resolve_device(runtime.device))
    previous_threads = torch.get_num_threads()
    if device.type == "cpu":
        # One thread, whatever `runtime.threads` says: with more, convolutions and matrix products add their float
        # sums in another order (weights ~1e-7 apart after an epoch), which 1,500 steps compound into another
        # network -- the same seed would not give the same model on another thread count (issue 25). Threads
        # still speed up prediction and explanations, where the difference stays ~1e-7 in a probability.
        torch.set_num_threads(TRAINING_THREADS)
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


def _members(model_config: ModelConfig, seed: int, X_train: np.ndarray | None = None) -> nn.Module:
    """The network: one, or an ensemble whose member k is initialised as a single network of seed + k. A table
    network whose column tokens bin numbers (tokens="bins") takes its bin edges from the training rows."""
    if model_config.ensemble == 1:
        torch.manual_seed(seed)
        return _fit_edges(HybridCNNLSTMAttention(model_config), X_train)
    from ..model.network import EnsembleNet

    network = EnsembleNet(model_config)
    for k, member in enumerate(network.members):
        torch.manual_seed(seed + k)
        member.load_state_dict(_fit_edges(HybridCNNLSTMAttention(member.config), X_train).state_dict())
    return network


def _fit_edges(network: HybridCNNLSTMAttention, X_train: np.ndarray | None) -> HybridCNNLSTMAttention:
    if network.columns is not None and X_train is not None:
        network.columns.fit_edges(torch.as_tensor(X_train, dtype=torch.float32))
    return network


@dataclass
class _Run:
    """One training run's working parts, set up once (`_setup`) and used by the loop's units: the network (and
    its distributed wrapper `net`), optimiser, loss, schedule, per-member generators, the splits on the device."""

    config: TrainConfig
    runtime: RuntimeConfig
    world: World
    control: TrainControl
    device: torch.device
    members: int
    model: nn.Module
    net: nn.Module
    optimizer: torch.optim.Optimizer
    grad_scaler: torch.amp.GradScaler
    loss: BatchLoss
    schedule: LearningRateSchedule
    generators: list[torch.Generator]
    noise_std: torch.Tensor | None
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor | None
    y_val: torch.Tensor | None
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    epochs: int
    batches: int
    test_every: int
    started: float
    lr: float = 0.0


@dataclass
class _EpochTotals:
    """The epoch's running batch metrics, as the seed script reported them (re-scoring the whole training set cost
    ~24 % of an epoch at 10,000 x 150): summed loss, rows right, rows seen, batches whose loss was not finite."""

    loss_sum: float
    correct: float
    seen: float
    nonfinite: float


def _train_loop(data, model_config, config, runtime, control, device, progress_every, world=SINGLE):
    """Epochs until the plan, a stop, early stopping or divergence; then the model is finished. One network, or an
    ensemble's members in lockstep: member k draws its shuffles and noise from its own generator (seed + k) and is
    initialised from seed + k, so it trains as a single network of that seed would (one optimiser step of every
    member per batch); the metrics are the ensemble's (averaged logits)."""
    run = _setup(data, model_config, config, runtime, control, device, world)
    best, stopping = BestEpoch(), EarlyStopping(config.early_stopping)
    history: list[EpochMetrics] = []
    reason, message = "completed", ""
    for epoch in range(1, run.epochs + 1):
        epoch_start = time.perf_counter()
        totals = yield from _run_epoch(run, epoch, progress_every)
        reason, message = _epoch_ended(run, epoch, totals)
        if reason != "completed":
            break
        metrics, improved = _score_epoch(run, epoch, totals, best, time.perf_counter() - epoch_start)
        if not math.isfinite(metrics.train_loss):
            reason = "diverged"
            message = (f"Training stopped at epoch {epoch}: the model's outputs became NaN or infinite. "
                       "The best weights so far are kept; try a lower learning rate.")
            break
        history.append(metrics)
        yield metrics
        if control.stopped:
            reason, message = "stopped", f"Training stopped by the user after epoch {epoch}."
            break
        if stopping.should_stop(improved):
            watched = "validation" if run.X_val is not None else "training-batch"
            reason, message = "early_stopping", (f"Early stopping after epoch {epoch}: no {watched} improvement "
                                                 f"for {config.early_stopping} epochs.")
            break
    yield TrainingFinished(_finish(run, data, model_config, history, best, reason, message))


def _setup(data, model_config, config, runtime, control, device, world) -> _Run:
    """The network, optimiser, loss and schedule, and the splits on the training device."""
    members = model_config.ensemble
    # Shuffles and noise come from seeded generators on the training device: on the CPU the same stream as
    # ever; every distributed worker draws the same global batches and keeps its own rows of them.
    generators = [torch.Generator(device=device).manual_seed(config.seed + k) for k in range(members)]
    model = _members(model_config, config.seed, data.X_train)
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
    if X_train is None:
        raise HybridXAIError("No training rows are left after the split: add rows or lower the test/validation share.")
    n = len(X_train)
    opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    # foreach: the update runs as a few fused C++ calls instead of a Python loop over parameters,
    # ~30% faster per step here and shorter GIL holds for the GUI thread beside it.
    optimizer = opt_cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    epochs, batches = planned_epochs(config, n), batches_per_epoch(n, config.batch_size)
    return _Run(
        config=config, runtime=runtime, world=world, control=control, device=device, members=members, model=model,
        net=net, optimizer=optimizer, grad_scaler=torch.amp.GradScaler(device.type, enabled=runtime.precision == "fp16"),
        loss=make_criterion(config, data.y_train, model_config.n_classes, device),
        schedule=LearningRateSchedule(optimizer, config, epochs, batches), generators=generators,
        noise_std=noise_level(config, X_train, rows_are_series(data),
                              data.encoding.one_hot if getattr(data, "encoding", None) is not None else None,
                              robust=not rows_are_series(data)),  # series: as they always were
        X_train=X_train, y_train=y_train,
        X_val=_tensor(data.X_val, torch.float32, device), y_val=_tensor(data.y_val, torch.long, device),
        X_test=_tensor(data.X_test, torch.float32, device), y_test=_tensor(data.y_test, torch.long, device),
        epochs=epochs, batches=batches, test_every=max(1, math.ceil(epochs / TEST_SCORES)),
        started=time.perf_counter(), lr=config.lr)


def _run_epoch(run: _Run, epoch: int, progress_every: float):
    """One pass over the training rows in batches (yields BatchProgress now and then); returns the epoch's totals,
    added over the distributed workers."""
    run.net.train()
    n, size = len(run.X_train), run.config.batch_size
    orders = [torch.randperm(n, generator=g, device=run.device) for g in run.generators]
    sums = torch.zeros(4, dtype=torch.float64, device=run.device)  # loss sum, correct, rows, non-finite losses
    last_progress = 0.0
    for b in range(run.batches):
        run.control.wait_if_paused()
        if run.control.stopped:
            break
        if len(orders[0][b * size:(b + 1) * size]) < 2 and n >= 2:
            continue
        logits, yb, loss = _step(run, [order[b * size:(b + 1) * size] for order in orders])
        with torch.no_grad():  # accumulated on the device: no host synchronisation per batch
            detached = logits.detach().float()
            sums[0] += nn.functional.cross_entropy(detached, yb, reduction="sum").double()
            sums[1] += (detached.argmax(1) == yb).sum()
            sums[2] += len(yb)
            sums[3] += (~torch.isfinite(loss.detach())).sum()
        now = time.perf_counter()
        if now - last_progress >= progress_every:
            last_progress = now
            yield BatchProgress(epoch, run.epochs, b + 1, run.batches, now - run.started)
    return _EpochTotals(*distributed.all_sum(sums, run.world).tolist())  # once per epoch


def _step(run: _Run, indices: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One optimiser step of every member on its own batch (`indices`: each member's rows of the global batch);
    returns the logits and labels of the rows this worker trained on, and the loss."""
    xs, ys, totals = [], [], []
    for idx, g in zip(indices, run.generators):
        xb, yb = run.X_train[idx], run.y_train[idx]
        if run.noise_std is not None:
            xb = _augment(xb, run.noise_std, g)  # drawn for the whole global batch
        totals.append(run.loss.total_weight(yb))  # of the global batch: the loss is this worker's share of it
        if run.world.distributed:
            mine = distributed.shard(torch.arange(len(idx), device=run.device), run.world)
            xb, yb = xb[mine], yb[mine]
        xs.append(xb)
        ys.append(yb)
    run.optimizer.zero_grad(set_to_none=True)
    with _autocast(run.device, run.runtime.precision):
        if run.members == 1:
            logits, _ = run.net(xs[0])  # (B, C)
            yb = ys[0]
            loss = run.loss(logits, yb, totals[0], run.world.size)
        else:  # each member on its own batch; the members' losses add (their gradients do not meet)
            outputs, _ = run.net(torch.stack(xs))  # (members, B, C)
            loss = sum(run.loss(out, y, t, run.world.size) for out, y, t in zip(outputs, ys, totals))
            logits, yb = outputs.reshape(-1, outputs.shape[-1]), torch.cat(ys)
    run.grad_scaler.scale(loss).backward()
    run.lr = run.optimizer.param_groups[0]["lr"]  # the rate this step used (reported per epoch)
    run.grad_scaler.step(run.optimizer)
    run.grad_scaler.update()
    run.schedule.after_batch()
    return logits, yb, loss


def _epoch_ended(run: _Run, epoch: int, totals: _EpochTotals) -> tuple[str, str]:
    """("completed", "") to go on, or why the run ends now: a non-finite loss, or a stop before any batch ran."""
    if totals.nonfinite:
        return "diverged", (f"Training stopped at epoch {epoch}: the loss became NaN or infinite. "
                            "The best weights so far are kept; try a lower learning rate.")
    if run.control.stopped and totals.seen == 0:
        return "stopped", f"Training stopped by the user during epoch {epoch}."
    return "completed", ""


def _score_epoch(run: _Run, epoch: int, totals: _EpochTotals, best: BestEpoch,
                 seconds: float) -> tuple[EpochMetrics, bool]:
    """The epoch's metrics (validation every epoch, test rows at most TEST_SCORES times and at the last epoch),
    the schedule's end-of-epoch step, and whether this is the best epoch so far."""
    train_loss, train_acc = totals.loss_sum / max(1, totals.seen), totals.correct / max(1, totals.seen)
    val_loss = val_acc = test_loss = test_acc = None
    if run.X_val is not None:
        val_loss, val_acc = score_sharded(run.model, run.X_val, run.y_val, run.world)
    if run.X_test is not None and (epoch % run.test_every == 0 or epoch == run.epochs):
        test_loss, test_acc = score_sharded(run.model, run.X_test, run.y_test, run.world)
    run.schedule.after_epoch(val_loss, train_loss)
    improved = False
    if math.isfinite(train_loss):
        improved = (best.offer(epoch, val_acc, val_loss, run.model) if run.X_val is not None
                    else best.offer(epoch, train_acc, train_loss, run.model))
    metrics = EpochMetrics(epoch, run.epochs, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, run.lr,
                           seconds, best.epoch if run.X_val is not None else 0)
    return metrics, improved


def _finish(run: _Run, data, model_config, history, best: BestEpoch, reason: str, message: str) -> TrainResult:
    """The weights to keep (the best validation epoch when asked and there are validation rows; a diverged run's
    last finite epoch), the sentence that says so, and the TrainedModel (calibrated when asked)."""
    has_val = run.X_val is not None
    config = run.config
    # "Keep the best epoch" watches validation rows; without any, the training batches' best epoch is noise under
    # augmentation, so the last epoch is kept (a diverged run still falls back to its last finite epoch).
    if best.state is not None and ((config.restore_best and has_val) or reason == "diverged"):
        run.model.load_state_dict(best.state)
    elif best.state is None and reason == "diverged":
        raise HybridXAIError(message.replace("The best weights so far are kept; ",
                                             "No epoch gave finite outputs, so there is no model to keep; "))
    # 0: stopped before the first epoch ended, or no validation rows to say which epoch was best
    best_epoch = best.epoch if best.state is not None and has_val else 0
    message = _kept_message(config, has_val, best_epoch, reason, message, len(history))
    model = run.model
    if run.world.distributed:  # the plain network (BatchNorm1d) with the trained weights
        from ..model.network import build_model

        model = build_model(model_config)
        model.load_state_dict({k: v.detach().cpu() for k, v in run.model.state_dict().items()})
    model = model.to("cpu").eval()
    trained = TrainedModel(
        model=model, model_config=model_config, train_config=config, feature_names=list(data.feature_names),
        class_names=list(data.class_names), label_column=data.label_column, scaler=data.scaler,
        fill_values=data.fill_values, history=[m.to_dict() for m in history], evaluation=None,
        data_hash=data.data_hash, seed=config.seed, background=_background_rows(data.X_train, config.seed),
        best_epoch=best_epoch, data_config=data.config, runtime_config=run.runtime, series=data.series,
        encoding=getattr(data, "encoding", None),
    )
    if config.calibrate:
        message += " " + calibrate_temperature(trained, data)
    return TrainResult(trained, history, best_epoch, reason, message, time.perf_counter() - run.started,
                       optimizer_state=run.optimizer.state_dict())


def _kept_message(config: TrainConfig, has_val: bool, best_epoch: int, reason: str, message: str,
                  epochs_run: int) -> str:
    """The run's closing sentence: how it ended and which weights it kept."""
    if has_val:
        kept = (f"kept the best validation epoch ({best_epoch})" if config.restore_best
                else f"kept the last epoch's weights (best validation epoch: {best_epoch})")
    elif config.restore_best and reason != "diverged":
        kept = "kept the last epoch's weights (keeping the best epoch needs validation rows, and there are none)"
    else:
        kept = "kept the last epoch's weights"
    if not message:
        return f"Training completed: {epochs_run} epochs; {kept}."
    if reason in ("stopped", "early_stopping") and epochs_run:
        return f"{message[:-1]}; {kept}."
    return message


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
