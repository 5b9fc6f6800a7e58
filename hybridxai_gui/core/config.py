"""Hyperparameters as dataclasses, and the named presets.

Both dataclasses are saved inside every checkpoint (as plain dicts), so a model can always be
rebuilt and its training repeated. Field comments say what each value does; the GUI uses them as
tooltips.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .errors import HybridXAIError, setting


def _f(default: Any, help_text: str):
    """A dataclass field whose help text travels with it (GUI tooltips, CLI help)."""
    return field(default=default, metadata={"help": help_text})


# ensemble = 0 ("auto"): members for series files; tables get one network. Measured on real data
# (benchmarks/RECIPE_RESEARCH.md, 3 seeds): 3 members gained 5 points on PickupGestureWiimoteZ, 2.5 on BasicMotions
# and 1.3 on ACSF1, but nothing on wine (0.963 both) and 0.3 on breast cancer, at 3x the training and explanation
# time (100 breast-cancer rows explained: 18.7 s with one network, 34 s with three).
AUTO_ENSEMBLE_SERIES = 3
FRONT_ENDS = ("pooled", "late", "inception")
TOKENS = ("none", "linear", "periodic", "bins")


def resolve_ensemble(config: ModelConfig, series: bool) -> ModelConfig:
    """The configuration with `ensemble = 0` (auto) made concrete: AUTO_ENSEMBLE_SERIES members for series, one
    network for a table. Any other value is kept."""
    if config.ensemble != 0:
        return config
    return replace(config, ensemble=AUTO_ENSEMBLE_SERIES if series else 1)


@dataclass(frozen=True)
class ModelConfig:
    n_features: int = _f(4, "input values per row F (feature columns; for a series of C channels x T steps, C * T)")
    n_channels: int = _f(1, "input channels C: a row of F values is read as C channels of F / C time steps each "
                         "(1 for a table or a single series)")
    n_classes: int = _f(2, "number of output classes C")
    cnn_channels: int = _f(16, "channels of the first Conv1d block; the second has twice as many")
    kernel_size: int = _f(3, "Conv1d kernel size; padding keeps the sequence length (3 in the reference "
                            "design; the 'default' preset uses 9, measured better on series and tables)")
    lstm_hidden: int = _f(32, "hidden units per direction of the BiLSTM")
    lstm_layers: int = _f(2, "stacked BiLSTM layers")
    num_heads: int = _f(4, "attention heads (2 * lstm_hidden must divide by this)")
    dropout: float = _f(0.1, "dropout before the classifier (and between LSTM layers)")
    max_lstm_steps: int = _f(0, "long series: each conv block max-pools by the smallest size k >= 2 that leaves the "
                             "BiLSTM at most this many steps (0 = pool by 2, as in the reference design)")
    ensemble: int = _f(1, "members trained from seeds seed, seed+1, … whose logits are averaged (1 = one network; "
                       f"0 = auto: {AUTO_ENSEMBLE_SERIES} for series, 1 for tables); each member costs one training")
    front_end: str = _f("pooled", "pooled: each conv block max-pools (the reference design); late: both blocks "
                        "convolve the series at full resolution and the pools follow them; inception: one residual "
                        "pair of multi-scale (kernel k, 2k+1, 4k+1) blocks at full resolution, then the pools")
    global_pool: bool = _f(False, "also average the convolutions' features over every step and feed them to the "
                           "classifier beside the attention's output (off in the reference design)")
    position_channel: bool = _f(False, "feed a second input channel holding each feature's position (-1 ... 1), so "
                                "the network can tell where along the row a pattern sits (off in the reference design)")
    tokens: str = _f("none", "tables only (series ignore it): none reads a row as a 1-channel sequence of its values "
                     "(the reference design); linear makes each column one token of `cnn_channels` numbers, its own "
                     "learned linear map of its value (a text column's one-hot parts: a learned embedding of its "
                     "values), read by the convolutions without pooling; periodic passes each number through "
                     "learned sine/cosine features instead; bins adds a piecewise-linear encoding of each number "
                     "over bins at its training quantiles")
    column_sizes: tuple[int, ...] = _f((), "set by training when tokens are on: the features of each column in "
                                       "order (a text column's one-hot parts; empty: one feature per column)")

    def __post_init__(self) -> None:  # a list from a checkpoint becomes a tuple
        if not isinstance(self.column_sizes, tuple):
            object.__setattr__(self, "column_sizes", tuple(self.column_sizes or ()))

    def validate(self) -> None:
        if self.n_features < 1:
            raise HybridXAIError("The data has no feature columns: at least one numeric column is needed.")
        if self.n_channels < 1 or self.n_features % self.n_channels:
            raise HybridXAIError(
                f"{self.n_features} input values cannot be read as {self.n_channels} channels of equal length."
            )
        if self.n_classes < 2:
            raise HybridXAIError(
                f"The label column has {self.n_classes} class(es): a classifier needs at least two."
            )
        if self.num_heads < 1:
            raise HybridXAIError(f"Attention heads must be at least 1, got {self.num_heads}.")
        if (2 * self.lstm_hidden) % self.num_heads:
            raise HybridXAIError(
                f"Attention heads ({self.num_heads}) must divide 2 × LSTM hidden size ({2 * self.lstm_hidden})."
            )
        if not 0 <= self.ensemble <= 32:
            raise HybridXAIError(f"Ensemble members must be 0 (auto) or 1 to 32, got {self.ensemble}.")
        if self.front_end not in FRONT_ENDS:
            raise HybridXAIError(f"Unknown front end {self.front_end!r}: use {', '.join(FRONT_ENDS)}.")
        if self.tokens not in TOKENS:
            raise HybridXAIError(f"Unknown tokens {self.tokens!r}: use {', '.join(TOKENS)}.")
        if self.column_sizes and (any(type(s) is not int or s < 1 for s in self.column_sizes)
                                  or sum(self.column_sizes) != self.n_features):
            raise HybridXAIError(f"The column sizes {self.column_sizes[:8]} do not add up to the {self.n_features} "
                                 "input values.")
        if self.tokens != "none" and self.n_channels != 1:
            raise HybridXAIError("Column tokens are for tables: a series of several channels reads its values in "
                                 "order.")
        if self.max_lstm_steps < 0:
            raise HybridXAIError(f"Max LSTM steps must be 0 (off) or more, got {self.max_lstm_steps}.")
        if self.kernel_size < 1 or self.cnn_channels < 1 or self.lstm_hidden < 1 or self.lstm_layers < 1:
            raise HybridXAIError("Kernel size, channels, LSTM hidden size and layers must be at least 1.")
        if not 0.0 <= self.dropout < 1.0:
            raise HybridXAIError(f"Dropout must be in [0, 1), got {self.dropout}.")


SCHEDULERS = ("cosine", "step", "plateau", "none")
OPTIMIZERS = ("adamw", "adam")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16", "fp16")
PREDICTION_SET_METHODS = ("auto", "cross", "split", "off")  # core.evaluation.uncertainty


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = _f(0, "passes over the training rows; 0 = auto (enough epochs for `min_steps` updates)")
    min_steps: int = _f(1500, "with epochs = 0: optimiser steps to aim for (small sets need many epochs)")
    max_auto_epochs: int = _f(1000, "with epochs = 0: never more epochs than this")
    batch_size: int = _f(32, "rows per optimiser step")
    lr: float = _f(0.003, "peak learning rate")
    optimizer: str = _f("adamw", "adamw (decoupled weight decay) or adam (the seed design)")
    weight_decay: float = _f(1e-4, "L2 / decoupled weight decay")
    scheduler: str = _f("cosine", "cosine (with warm-up), step (seed: every epochs//3 by 0.1), plateau, none")
    warmup_fraction: float = _f(0.05, "cosine: share of steps spent warming the learning rate up")
    step_gamma: float = _f(0.1, "step / plateau: factor applied to the learning rate")
    label_smoothing: float = _f(0.1, "cross-entropy label smoothing (0 = plain cross-entropy)")
    augment: str = _f("off", "add fresh Gaussian noise to every training batch (a regulariser for small data): on, "
                      "off, or auto (tables only: series lose their fine shapes to it); the 'default' preset "
                      "uses auto")
    augment_noise: float = _f(0.5, "augmentation noise, in units of each feature's standard deviation over the "
                              "training rows")
    class_weights: bool = _f(False, "weight the loss by inverse class frequency (for imbalanced data)")
    early_stopping: int = _f(0, "stop after this many epochs without validation improvement; 0 = off")
    restore_best: bool = _f(True, "keep the weights of the best validation epoch, not the last")
    seed: int = _f(0, "seeds weights, shuffling and the data split: same seed + data on CPU = same model")
    calibrate: bool = _f(False, "after training, fit a temperature on the validation rows so that the probabilities "
                         "match how often the model is right (predictions do not change; needs a validation split)")
    prediction_sets: str = _f("auto", "prediction sets with a stated coverage need scores of rows a model did not "
                              "train on: cross (5 extra fold models score every training row; every row still "
                              "trains), split (20 % of the training rows, at most 5,000, held out of training), auto "
                              "(cross below 2,000 training rows, else split) or off")

    def validate(self) -> None:
        if self.epochs < 0:
            raise HybridXAIError(f"Epochs must be 0 (auto) or more, got {self.epochs}.")
        if self.batch_size < 1:
            raise HybridXAIError(f"Batch size must be at least 1, got {self.batch_size}.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise HybridXAIError(f"Learning rate must be a positive number, got {self.lr}.")
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise HybridXAIError(f"Weight decay must be 0 or a positive number, got {self.weight_decay}.")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise HybridXAIError(f"Label smoothing must be in [0, 1), got {self.label_smoothing}.")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise HybridXAIError(f"Warm-up share must be in [0, 1), got {self.warmup_fraction}.")
        if not 0.0 < self.step_gamma <= 1.0:
            raise HybridXAIError(f"The learning-rate decay factor must be in (0, 1], got {self.step_gamma}.")
        if self.min_steps < 1 or self.max_auto_epochs < 1:
            raise HybridXAIError("Steps (auto epochs) and max auto epochs must be at least 1.")
        if self.early_stopping < 0:
            raise HybridXAIError(f"Early stopping patience must be 0 (off) or more, got {self.early_stopping}.")
        if not 0 <= self.seed < 2**63:
            raise HybridXAIError(f"Seed must be a whole number from 0 to 2^63 - 1, got {self.seed}.")
        if self.optimizer not in OPTIMIZERS:
            raise HybridXAIError(f"Unknown optimizer '{self.optimizer}': use one of {', '.join(OPTIMIZERS)}.")
        if self.scheduler not in SCHEDULERS:
            raise HybridXAIError(f"Unknown scheduler '{self.scheduler}': use one of {', '.join(SCHEDULERS)}.")
        if self.augment not in ("auto", "on", "off"):
            raise HybridXAIError(f"Unknown augmentation '{self.augment}': use auto, on or off.")
        if self.prediction_sets not in PREDICTION_SET_METHODS:
            raise HybridXAIError(f"Unknown prediction-set calibration {self.prediction_sets!r}: use "
                                 f"{', '.join(setting('prediction_sets', m) for m in PREDICTION_SET_METHODS)}.")
        if not 0.0 <= self.augment_noise <= 10.0:
            raise HybridXAIError(f"Augmentation noise must be between 0 and 10 standard deviations, got {self.augment_noise}.")


MISSING_POLICIES = ("error", "drop", "mean")
SCALINGS = ("auto", "zscore", "none")
LAYOUTS = ("auto", "table", "wide", "long")
UNEQUAL = ("resample", "pad")  # series of unequal length (core.data.series.SeriesSpec.unequal)


@dataclass(frozen=True)
class DataConfig:
    """How a table becomes the model's rows: which columns, what to do with gaps, how to split and scale."""

    label: str | None = _f(None, "label column (None: guessed from the values and names, core.data.label_guess, "
                           "and said so)")
    features: tuple[str, ...] | None = _f(None, "feature columns to use, in file order (None: every other column but "
                                          "identifiers, which are left out with a note); text columns become one-hot "
                                          "parts")
    exclude: tuple[str, ...] = _f((), "columns to leave out (an ID, a date)")
    # mean by default: real tables have gaps (penguins, biopsy), and a note says what was filled. Gaps in rows to
    # predict stay an error unless asked (predict's own --missing), whatever training used.
    missing: str = _f("mean", "missing/infinite values in training rows: mean (fill with the training rows' column "
                      "mean, noted), drop (rows) or error; gaps in a text column are its own value")
    scaling: str = _f("auto", "zscore, none, or auto (z-score unless rows are already normalised series; a series "
                      "channel whose series' amplitudes span more than two orders of magnitude is read on a signed-log "
                      "scale first, and so is a table column whose 99th percentile is more than five times its median)")
    test_size: float = _f(0.2, "share of rows held out as test set when no test CSV is given")
    # 0 by default: the default recipe chooses nothing on validation rows (last epoch, fixed augmentation), and
    # holding 15 % out cost it 0-6 points on the real series (benchmarks/README.md, default recipe on real data).
    val_size: float = _f(0.0, "share of the training rows held out for validation: a validation curve, and what "
                         "best epoch, early stopping and calibration watch (0: none, every training row trains)")
    layout: str = _f("auto", "how rows hold series: table (one row per sample, each column a feature), wide (one "
                     "series per row), long (one row per time step, grouped by a series id), or auto (detected; a "
                     "file that cannot be read as long is read as a table, with a note)")
    id_column: str | None = _f(None, "long layout: the column naming each series (None: detected)")
    time_column: str | None = _f(None, "long layout: the column ordering a series' steps (None: detected, else file "
                                 "order)")
    channels: tuple[str, ...] | None = _f(None, "the series' channels: long: channel columns; wide: channel names "
                                          "of <channel>_<index> columns (None: every numeric one)")
    series_length: int = _f(0, "steps per channel the model reads; series of other lengths are resampled linearly, "
                            "or padded and cut (unequal) (0: the longest training series)")
    unequal: str = _f("resample", "series of unequal length: resample (each stretched linearly onto the model's "
                      "length: for movements and processes whose pace varies) or pad (each on its own time axis, "
                      "zeros after its end, a longer one cut: for recordings at one fixed sampling rate)")

    def __post_init__(self) -> None:  # lists from a checkpoint or the command line become tuples
        for name in ("features", "channels"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.exclude, tuple):
            object.__setattr__(self, "exclude", tuple(self.exclude or ()))

    def validate(self, has_test_file: bool = False) -> None:
        if self.missing not in MISSING_POLICIES:
            raise HybridXAIError(f"Unknown missing-value policy {self.missing!r}: use "
                                 f"{', '.join(setting('missing', m) for m in MISSING_POLICIES)}.")
        if self.unequal not in UNEQUAL:
            raise HybridXAIError(f"Unknown reading of unequal lengths {self.unequal!r}: use "
                                 f"{', '.join(setting('unequal', m) for m in UNEQUAL)}.")
        if self.scaling not in SCALINGS:
            raise HybridXAIError(f"Unknown scaling {self.scaling!r}: use "
                                 f"{', '.join(setting('scaling', m) for m in SCALINGS)}.")
        if not has_test_file and not 0.0 < self.test_size < 1.0:
            raise HybridXAIError(f"The test share ({setting('test_size')}) must be between 0 and 1, got "
                                 f"{self.test_size}.")
        if not 0.0 <= self.val_size < 1.0:
            raise HybridXAIError(f"The validation share ({setting('val_size')}) must be from 0 to below 1, got "
                                 f"{self.val_size}.")
        if self.layout not in LAYOUTS:
            raise HybridXAIError(f"Unknown layout {self.layout!r}: use "
                                 f"{', '.join(setting('layout', m) for m in LAYOUTS)}.")
        if not 0 <= self.series_length <= 100_000:
            raise HybridXAIError(f"The series length ({setting('series_length')}) must be 0 (the longest training "
                                 f"series) or 1 to 100,000 steps, got {self.series_length}.")


@dataclass(frozen=True)
class RuntimeConfig:
    """Where and how fast training runs; none of it changes what the model learns on the CPU."""

    device: str = _f("auto", "auto, cpu, cuda, cuda:N or mps")
    threads: int = _f(1, "torch CPU threads for predicting and explaining (0: torch's default); training computes "
                      "each network on one thread, so the same seed gives the same model whatever this is")
    precision: str = _f("fp32", "fp32, or mixed precision bf16 / fp16 (autocast; fp16 with loss scaling, on GPUs)")

    def validate(self) -> None:
        if self.precision not in PRECISIONS:
            raise HybridXAIError(f"Unknown precision {self.precision!r}: use "
                                 f"{', '.join(setting('precision', p) for p in PRECISIONS)}.")
        if self.threads < 0:
            raise HybridXAIError(f"CPU threads must be 0 (torch's default) or more, got {self.threads}.")
        dev = self.device
        if not (dev in DEVICES or (dev.startswith("cuda:") and dev[5:].isdigit())):
            raise HybridXAIError(f"Unknown device {dev!r}: use auto, cpu, cuda, cuda:N or mps.")


# Presets apply to both dataclasses. "seed" is the original script's recipe, kept for comparison:
# it underfits small data sets (see README), which is why "default" differs.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # kernel 9: +20 points on a 48-point frequency set, +4 on digits, +3 on wine, none lost
    # (benchmarks/README.md, default recipe quality).
    # position channel: +2 points on bump24 (class = where a bump sits), +2.6 on freq48; last epoch instead
    # of the best validation epoch: a 14-row validation set hit 1.0 at epoch 16 of 500 and kept that
    # undertrained model (benchmarks/README.md, "Default recipe quality").
    # noise augmentation (0.5 sd) on tables only ("auto"): breast cancer 0.954 -> 0.98 (benchmarks/README.md); on
    # the six real series sets it cost up to 38 points (PigCVP 0.17 with it, 0.55 without; PLAID 0.22 / 0.49;
    # ACSF1 0.76 / 0.83; no set higher with it: RECIPE_RESEARCH.md, issue 25), so series train without it.
    # Chosen on real archive series (benchmarks/RECIPE_RESEARCH.md, 3 seeds): 32 conv channels (+8.7 points on
    # PickupGestureWiimoteZ), a BiLSTM that reads at most 128 steps (ACSF1's 1,460 steps: 516 -> ~95 CPU s per
    # model, for -2 points), and an ensemble of 3 members (+5 Pickup, +2.5 BasicMotions, +1.3 ACSF1; 2.6 points
    # under MiniRocket on average, where one model is 5.6 under). Choosing augmentation on the validation split
    # did not pay: the splits hold 6-15 rows.
    # Members: auto (3 for series, 1 for tables; see AUTO_ENSEMBLE_SERIES). Every training row trains (DataConfig's
    # val_size 0): Pickup 0.78 -> 0.84, mean gap to MiniRocket -3.3 -> -1.2 points (RECIPE_RESEARCH.md, addendum).
    "default": {"model": {"kernel_size": 9, "position_channel": True, "cnn_channels": 32, "max_lstm_steps": 128,
                          "ensemble": 0},
                "train": {"restore_best": False, "augment": "auto"}},
    # The default recipe as one network: a third of the time, 4-11 points less on the small real series sets (ACSF1,
    # Pickup), level on BasicMotions and the tables (benchmarks/README.md, default recipe on real data, 12:12).
    "quick": {"model": {"kernel_size": 9, "position_channel": True, "cnn_channels": 32, "max_lstm_steps": 128,
                        "ensemble": 1},
              "train": {"restore_best": False, "augment": "auto"}},
    "seed": {
        "model": {"cnn_channels": 16, "kernel_size": 3, "lstm_hidden": 32, "lstm_layers": 2, "num_heads": 4,
                  "dropout": 0.0, "max_lstm_steps": 0, "ensemble": 1},
        "train": {"epochs": 50, "batch_size": 32, "lr": 0.005, "optimizer": "adam", "weight_decay": 0.0,
                  "scheduler": "step", "step_gamma": 0.1, "label_smoothing": 0.0, "early_stopping": 0, "augment": "off",
                  "restore_best": False},
    },
}


WATCHED_VAL_SIZE = 0.15  # held out when calibration or early stopping asks for validation rows and none were set


def data_for_training(data: DataConfig, training: TrainConfig) -> tuple[DataConfig, str | None]:
    """The data settings a training uses, and what asked for a change: with no validation share (the default),
    calibration and early stopping, which only work on validation rows, get WATCHED_VAL_SIZE of the training rows
    (the user ticked them; silently fitting nothing would not be what they asked for). The second item names
    them ("calibration and early stopping"), or is None when the settings are used as they are."""
    if data.val_size > 0 or not (training.calibrate or training.early_stopping > 0):
        return data, None
    wants = " and ".join(w for w, on in (("calibration", training.calibrate),
                                          ("early stopping", training.early_stopping > 0)) if on)
    return replace(data, val_size=WATCHED_VAL_SIZE), wants


def held_out_note(wants: str, n_val: int, n_rows: int, why_none: str = "") -> str:
    """What data_for_training's hold-out did, in words: `n_val` of `n_rows` training rows held out for `wants`, or
    none (with why)."""
    verb = "watches" if " and " not in wants else "watch"
    if n_val == 0:
        return (f"{wants.capitalize()} {verb} validation rows, and none could be held out"
                f"{': ' + why_none if why_none else ''}; training ran without a validation split.")
    return (f"{n_val} of the {n_rows} training rows ({n_val / max(1, n_rows):.0%}) were held out for validation: "
            f"{wants} {verb} validation rows, and none were set aside ({setting('val_size')} is 0); set "
            f"{setting('val_size')} to choose the share.")


def apply_preset(name: str, model: ModelConfig | None = None,
                 train: TrainConfig | None = None) -> tuple[ModelConfig, TrainConfig]:
    """Return (model, train) configs with the preset's values laid over the given ones."""
    if name not in PRESETS:
        raise HybridXAIError(f"Unknown preset '{name}': use one of {', '.join(PRESETS)}.")
    preset = PRESETS[name]
    model = replace(model or ModelConfig(), **preset["model"])
    train = replace(train or TrainConfig(), **preset["train"])
    return model, train


def config_from_dict(cls, values: dict[str, Any]):
    """Build a config dataclass from a dict, ignoring unknown keys (older/newer checkpoints; a checkpoint
    from before DataConfig kept the data and runtime settings inside its training settings)."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (values or {}).items() if k in known})


def to_dict(cfg) -> dict[str, Any]:
    return asdict(cfg)


__all__ = ["ModelConfig", "TrainConfig", "DataConfig", "RuntimeConfig", "PRESETS", "MISSING_POLICIES", "SCALINGS", "apply_preset",
           "data_for_training", "held_out_note", "WATCHED_VAL_SIZE", "config_from_dict", "to_dict",
           "SCHEDULERS", "OPTIMIZERS", "DEVICES"]
