"""The `hybridxai` command line's arguments: the parser of every command, and the settings dataclasses a
`train` (or `cv`) command's options make. The commands themselves are in cli.py."""

from __future__ import annotations

import argparse
from dataclasses import replace


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own prints the whole usage)
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _workers(text: str) -> int:
    """--workers: a count of 1 or more, or auto (0)."""
    if text.strip().lower() == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes or auto, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (or auto), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .core.config import MISSING_POLICIES
    from .core.evaluation.crossval import SCHEMES

    parser = _Parser(prog="hybridxai", description="Train, evaluate, predict with and explain a hybrid "
                     "CNN + BiLSTM + attention classifier on CSV data.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    debug = _Parser(add_help=False)  # --debug is also accepted after the command
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    t = sub.add_parser("train", parents=[debug], help="train a model on a CSV file and save it")
    t.add_argument("data", help="training CSV (header row; one label column, numeric features)")
    add_training_options(t)
    t.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="train with N worker processes on this machine (torch.distributed, DDP; gloo on CPUs, NCCL "
                        "on GPUs); or run this command under torchrun for several machines (docs/SCALING.md)")
    t.add_argument("--save-optimizer", action="store_true", help="also store optimizer state (to resume)")
    t.add_argument("--out", required=True, help="model file to write (.pth)")
    t.add_argument("--quiet", action="store_true", help="no per-epoch lines")

    c = sub.add_parser("cv", parents=[debug], help="repeated evaluation: k-fold cross-validation (or repeated "
                       "splits), each fold training a network with the train options, beside simple baselines")
    c.add_argument("data", help="training CSV (header row; one label column, numeric features)")
    c.add_argument("--folds", type=int, default=None, metavar="K",
                   help="stratified folds (default 5, or fewer when the smallest class has fewer rows, noted)")
    c.add_argument("--repeats", type=int, default=1, metavar="R",
                   help="draw the K folds R times with different seeds (with --scheme split: R random splits)")
    c.add_argument("--scheme", choices=SCHEMES, default="kfold",
                   help="kfold (default) or split: R random stratified splits holding out --test-size")
    c.add_argument("--baselines", choices=("auto", "on", "off"), default="auto",
                   help="logistic regression, 1-nearest-neighbour, a random forest and gradient boosting on the same folds "
                        "(auto: unless the table is so large they would take more than seconds)")
    add_training_options(c)
    c.add_argument("--out", metavar="DIR",
                   help="folder for cv_metrics.csv, baselines.csv, cv_summary.json and cv_spread.png (default: "
                        "the results are printed only)")
    c.add_argument("--quiet", action="store_true", help="no per-fold lines")

    e = sub.add_parser("evaluate", parents=[debug], help="evaluate a saved model on a labelled CSV")
    e.add_argument("model")
    e.add_argument("data")
    e.add_argument("--label", help="label column (default: the one the model was trained with)")
    e.add_argument("--out", help="folder for metrics, report, predictions and the confusion matrix figure")
    e.add_argument("--missing", choices=MISSING_POLICIES,
                   help="rows with missing/infinite features: error (default), drop them, or fill with the "
                        "training rows' column means")

    p = sub.add_parser("predict", parents=[debug], help="predict the class of every row of a CSV")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--out", required=True, help="CSV to write: predicted, p_<class>... per input row")
    p.add_argument("--with-logits", action="store_true", help="also write logit_<class> columns")
    p.add_argument("--coverage", type=float, metavar="C",
                   help="also write prediction_set (the classes that hold the true one with probability at least C, "
                        "e.g. 0.9, joined by '|') and unlike_training (yes/no: the row lies beyond the training rows' "
                        "own feature distances); without it neither column is written")
    p.add_argument("--missing", choices=MISSING_POLICIES,
                   help="rows with missing/infinite features: error (default), drop (their output line stays, "
                        "with empty cells), or fill with the training rows' column means")

    x = sub.add_parser("explain", parents=[debug], help="SHAP, Grad-CAM and attention for chosen rows")
    x.add_argument("model")
    x.add_argument("data")
    x.add_argument("--rows", help="0-based data rows (for a long file: series, in order of first appearance), "
                                  "e.g. 0-9,15 (default: the first 10)")
    x.add_argument("--segments", type=int, metavar="N",
                   help="series: SHAP over N time segments per channel (default: as many as keep channels × "
                        "segments within 64)")
    x.add_argument("--method", default="auto", choices=("auto", "exact", "permutation", "kernel", "gradient"))
    x.add_argument("--units", default="probability", choices=("probability", "logit"),
                   help="units of the SHAP values and shap_values.csv: the probability of each class (default) or "
                        "its logit; the values add up in either")
    x.add_argument("--background", help="CSV of background rows (default: the training rows kept in the model; at "
                                        "most 50 are used, and the number used is reported)")
    x.add_argument("--figures", default=None, metavar="all|none|N",
                   help="rows that get their own figures (default: the first 3); the global figures are drawn once")
    x.add_argument("--formats", default=None, metavar="LIST",
                   help="figure formats for every figure, e.g. png or png,eps (default: PNG for every figure and "
                        "EPS too for the global ones)")
    x.add_argument("--kind", default="auto", choices=("auto", "table", "series"),
                   help="whether the columns' order means something (a series) or not (a table); Grad-CAM and "
                        "attention are flagged on tables (default: guessed from the columns)")
    x.add_argument("--out", required=True,
                   help="folder for shap_values.csv, faithfulness.csv, summary.txt and the figures")
    x.add_argument("--missing", choices=MISSING_POLICIES,
                   help="chosen rows with missing/infinite features: error (default), or mean: filled with the "
                        "training rows' column means (said in a note); drop refuses such a row by name")
    x.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: fastest on busy machines)")
    x.add_argument("--workers", type=_workers, default=0, metavar="N|auto",
                   help="explain in N threads, each on its own copy of the network (each row seeded on its own: "
                        "the values equal one thread's); auto (default): one per core, at most 4 (one with "
                        "--threads above 1)")

    r = sub.add_parser("report", parents=[debug], help="write a self-contained HTML or PDF report of a model")
    r.add_argument("model")
    r.add_argument("--data", help="labelled CSV to evaluate the model on (default: the test rows saved with it)")
    r.add_argument("--label", help="label column of --data (default: the one the model was trained with)")
    r.add_argument("--missing", choices=MISSING_POLICIES, help="rows of --data with missing values")
    r.add_argument("--cv", metavar="DIR", help="include the repeated evaluation a `cv --out DIR` run wrote")
    r.add_argument("--rows", help="explain these 0-based data rows of --data with SHAP (method auto) in the report, "
                   "e.g. 0-4")
    r.add_argument("--threshold", type=float, default=0.5,
                   help="two classes: the probability of the second class from which a row is called positive")
    r.add_argument("--out", required=True, help="REPORT.html (one self-contained file) or REPORT.pdf")

    i = sub.add_parser("info", parents=[debug], help="show what a model file holds")
    i.add_argument("model")
    i.add_argument("--json", action="store_true")
    return parser


def add_training_options(t: argparse.ArgumentParser) -> None:
    """The data, model and training options of `train`, shared by every command that trains (train, cv)."""
    from .core.config import (LAYOUTS, MISSING_POLICIES, OPTIMIZERS, PRECISIONS, PREDICTION_SET_METHODS, PRESETS,
                              SCHEDULERS, UNEQUAL)

    t.add_argument("--test", help="separate test CSV (same feature names); default: a stratified split")
    t.add_argument("--label", help="label column (default: guessed, and said which and why: never an identifier, "
                                   "preferring text or few values and names such as class, label, target, type)")
    t.add_argument("--features", type=_csv_list, help="comma-separated feature columns to use (default: all but "
                                                      "identifiers, which are left out with a note; text columns "
                                                      "are one-hot encoded)")
    t.add_argument("--exclude", type=_csv_list, help="comma-separated columns to leave out (e.g. an ID)")
    t.add_argument("--missing", choices=MISSING_POLICIES,
                   help="missing/infinite values in the training rows: mean (default: filled with the training rows' "
                        "column means, and said so), drop those rows, or error")
    t.add_argument("--layout", choices=LAYOUTS,
                   help="auto (default: detected), table (one row per sample, each column a feature), wide (one "
                        "series per row) or long (one row per time step)")
    t.add_argument("--id", dest="id_column", metavar="COL", help="long layout: the series id column (implies --layout long)")
    t.add_argument("--time", dest="time_column", metavar="COL",
                   help="long layout: the column ordering each series' steps (implies --layout long)")
    t.add_argument("--channels", type=_csv_list, help="comma-separated channel columns (long) or channel names (wide)")
    t.add_argument("--series-length", type=int, metavar="N",
                   help="steps per channel the model reads; other lengths are resampled, or padded and cut with "
                        "--unequal pad (default: the longest)")
    t.add_argument("--unequal", choices=UNEQUAL,
                   help="series of unequal length: resample (default: each stretched onto the model's length, for "
                        "movements and processes whose pace varies) or pad (each keeps its own time axis, zeros "
                        "after its end, a longer one cut: for recordings at one fixed sampling rate)")
    t.add_argument("--preset", choices=tuple(PRESETS), default="default",
                   help="'default' (recommended: an ensemble of 3 networks for series, one network for tables), 'quick' "
                        "(always one network: a third of the time on series) or 'seed' (the original script's settings)")
    t.add_argument("--epochs", type=int, help="epochs (0 = auto: enough optimiser steps for small data)")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, help="learning rate")
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--weight-decay", type=float)
    t.add_argument("--scheduler", choices=SCHEDULERS)
    t.add_argument("--label-smoothing", type=float)
    t.add_argument("--augment", choices=("auto", "on", "off"),
                   help="Gaussian noise on training batches (auto: only rows that are normalised series; "
                        "the default preset: on)")
    t.add_argument("--augment-noise", type=float, metavar="SD",
                   help="augmentation noise in units of each feature's standard deviation (default 0.5)")
    t.add_argument("--class-weights", action="store_true", help="weight classes by inverse frequency")
    t.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                   help="epochs without improvement on the validation rows (15 %% of the training rows unless --val-size "
                   "is given)")
    t.add_argument("--calibrate", action="store_true",
                   help="fit a temperature on the validation rows so that the probabilities are honest "
                        "(predictions do not change; 15 %% of the training rows unless --val-size is given)")
    t.add_argument("--prediction-sets", choices=PREDICTION_SET_METHODS,
                   help="how prediction sets are calibrated: cross (5 extra fold models score every training row; "
                        "every row still trains), split (20 %% of the training rows held out of training), auto "
                        "(default: cross below 2,000 training rows, else split) or off")
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    t.add_argument("--threads", type=int, help="torch CPU threads (default 1)")
    t.add_argument("--precision", choices=PRECISIONS, help="fp32 (default), or mixed precision bf16 / fp16")
    t.add_argument("--test-size", type=float, help="test share when no --test file (default 0.2)")
    t.add_argument("--val-size", type=float,
                   help="validation share of the training rows, for a validation curve, best epoch, early stopping "
                        "and calibration (default 0: every training row trains)")
    t.add_argument("--scaling", choices=("auto", "zscore", "none"))
    t.add_argument("--kernel-size", type=int)
    t.add_argument("--cnn-channels", type=int)
    t.add_argument("--lstm-hidden", type=int)
    t.add_argument("--heads", type=int)
    t.add_argument("--dropout", type=float)
    t.add_argument("--ensemble", type=int, metavar="N",
                   help="train N members from seeds seed … seed+N-1 and average their logits (N times the time); "
                        "0 = auto: 3 for series, 1 for tables (the default preset's choice)")
    t.add_argument("--max-lstm-steps", type=int, metavar="N",
                   help="long series: pool harder so the BiLSTM reads at most N steps (0 = pool by 2)")
    t.add_argument("--position-channel", action=argparse.BooleanOptionalAction, default=None,
                   help="give the network each feature's position as a second input channel (default preset: on)")
    t.add_argument("--restore-best", action=argparse.BooleanOptionalAction, default=None,
                   help="keep the best validation epoch's weights instead of the last (default preset: last; use "
                        "with --val-size)")


def _configs_from_args(args):
    """The four settings dataclasses of a `train` command: data, model, training, runtime."""
    from .core.config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, apply_preset

    model_cfg, train_cfg = apply_preset(args.preset, ModelConfig(), TrainConfig())
    train_over = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "optimizer": args.optimizer,
                  "weight_decay": args.weight_decay, "scheduler": args.scheduler,
                  "label_smoothing": args.label_smoothing, "early_stopping": args.early_stopping,
                  "seed": args.seed, "augment": args.augment, "augment_noise": args.augment_noise,
                  "prediction_sets": args.prediction_sets}
    train_cfg = replace(train_cfg, **{k: v for k, v in train_over.items() if v is not None})
    if args.class_weights:
        train_cfg = replace(train_cfg, class_weights=True)
    if args.calibrate:
        train_cfg = replace(train_cfg, calibrate=True)
    if args.restore_best is not None:
        train_cfg = replace(train_cfg, restore_best=args.restore_best)
    model_over = {"kernel_size": args.kernel_size, "cnn_channels": args.cnn_channels,
                  "lstm_hidden": args.lstm_hidden, "num_heads": args.heads, "dropout": args.dropout,
                  "position_channel": args.position_channel, "ensemble": args.ensemble,
                  "max_lstm_steps": args.max_lstm_steps}
    model_cfg = replace(model_cfg, **{k: v for k, v in model_over.items() if v is not None})
    data_over = {"label": args.label, "features": args.features, "exclude": args.exclude, "missing": args.missing,
                 "scaling": args.scaling, "test_size": args.test_size, "val_size": args.val_size,
                 "layout": args.layout, "id_column": args.id_column, "time_column": args.time_column,
                 "channels": args.channels, "series_length": args.series_length, "unequal": args.unequal}
    if args.id_column or args.time_column:
        if args.layout == "wide":
            raise_usage("--id and --time name columns of a long file: they cannot go with --layout wide")
        data_over["layout"] = "long"
    data_cfg = DataConfig(**{k: v for k, v in data_over.items() if v is not None})
    runtime_cfg = RuntimeConfig(**{k: v for k, v in {"device": args.device, "threads": args.threads,
                                                      "precision": args.precision}.items() if v is not None})
    train_cfg.validate()
    data_cfg.validate(has_test_file=args.test is not None)
    runtime_cfg.validate()
    return data_cfg, model_cfg, train_cfg, runtime_cfg


def raise_usage(message: str):
    raise UsageError(f"hybridxai: {message}")
