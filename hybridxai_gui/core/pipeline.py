"""The one pipeline both front ends call: open a table, prepare → train → evaluate, predict, read labelled
rows, evaluate a file.

The command line and the app only gather settings (arguments or widgets), make one call here and show
what comes back; every step of the work lives in the core once. Long work is a generator (the app's
worker forwards its items as signals, the command line prints them); everything else is a plain call.
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig
from .data import PreparedData, frame_source, labels_of, prepare_data, read_table
from .errors import HybridXAIError

CLASS_CHART_LIMIT = 50  # the class chart shows at most this many bars


# ---- opening a table ----------------------------------------------------------------------------------


@dataclass
class TableSummary:
    """A table as the Data tab shows it: the frame, one line of statistics per column, notes, class counts."""

    path: str
    frame: pd.DataFrame
    stats: pd.DataFrame  # column, type (number/text), min, max, mean, missing, distinct
    warnings: list[str] = field(default_factory=list)
    # label column -> (rows per class as {str: count}, sorted by name; number of distinct values)
    counts: dict[str, tuple[dict[str, int], int]] = field(default_factory=dict)


def class_counts(frame: pd.DataFrame, label: str) -> tuple[dict[str, int], int]:
    """Rows per value of `frame[label]` (missing values included), keyed by str, at most CLASS_CHART_LIMIT.

    Counts first, then turns only the distinct values into text: `astype(str)` on every row took 0.3-1.9 s
    for 1,000,000 rows. Values with the same text (1 and "1") are added up.
    """
    counted = frame[label].value_counts(dropna=False, sort=False)
    out: dict[str, int] = {}
    for value, n in zip(counted.index.tolist(), counted.to_numpy().tolist()):
        key = str(value)
        out[key] = out.get(key, 0) + int(n)
    first = sorted(out.items()) if len(out) <= CLASS_CHART_LIMIT else heapq.nsmallest(CLASS_CHART_LIMIT, out.items())
    return dict(first), len(out)


def column_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per column: type, min, max, mean, missing (empty, NaN or infinite) and distinct values."""
    rows = []
    for name in frame.columns:
        col = frame[name]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        values = col.to_numpy(dtype=float, na_value=np.nan) if numeric else None
        missing = int(col.isna().sum()) + (int(np.isinf(values).sum()) if numeric else 0)
        finite = values[np.isfinite(values)] if numeric else None
        has = numeric and finite.size > 0
        rows.append({"column": str(name), "type": "number" if numeric else "text",
                     "min": float(finite.min()) if has else None, "max": float(finite.max()) if has else None,
                     "mean": float(finite.mean()) if has else None, "missing": missing,
                     "distinct": int(col.nunique(dropna=True)) if not numeric or len(col) < 200_000 else None})
    return pd.DataFrame(rows, columns=["column", "type", "min", "max", "mean", "missing", "distinct"])


def open_table(path: str | Path) -> TableSummary:
    """Read a CSV and summarise it: statistics per column, reading notes, rows per class of the likely label."""
    from .data import guess_label_column

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
    columns = [str(c) for c in frame.columns]
    label = guess_label_column(columns) if columns else None
    counts = {label: class_counts(frame, label)} if label in frame.columns else {}
    return TableSummary(str(path), frame, column_stats(frame), [str(w.message) for w in caught], counts)


def test_columns_problem(train_columns: list[str], test_columns: list[str], label: str | None,
                         features: list[str] | None, test_name: str) -> str | None:
    """Why a separate test table cannot serve a training table (a label or feature column it lacks), or None."""
    from .csvio import format_names

    needed = ([label] if label else []) + list(features or [])
    absent = [c for c in needed if c not in test_columns]
    if not absent:
        return None
    return (f"The test file {test_name} has no column {format_names(absent)}, which the training data has, so "
            "it cannot test a model of this data.")


# ---- training -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRequest:
    """Everything one training run needs."""

    train: Any  # a CSV path or a DataFrame (read_table's, so messages name the file's lines)
    test: Any = None  # a separate test table, or None for a stratified split
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    training: TrainConfig = TrainConfig()
    runtime: RuntimeConfig = RuntimeConfig()


@dataclass
class TrainingOutcome:
    prepared: PreparedData
    result: Any  # training.TrainResult
    evaluation: Any  # evaluation.EvaluationResult of the test rows, or None (no test rows, or no epoch)

    @property
    def trained(self):
        return self.result.trained


def prepare(request: TrainingRequest) -> PreparedData:
    """Read, check, split and scale the request's data (warnings from reading become notes)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = asdict(request.data)
        prepared = prepare_data(request.train, request.test, seed=request.training.seed,
                                **{**settings, "features": list(settings["features"]) if settings["features"]
                                   is not None else None, "exclude": list(settings["exclude"])})
    prepared.warnings.extend(str(w.message) for w in caught if str(w.message) not in prepared.warnings)
    return prepared


def run_training(request: TrainingRequest, control=None, progress_every: float = 0.2) -> Iterator[Any]:
    """prepare → train → evaluate as one generator.

    Yields the PreparedData as soon as the split is made, then the training's BatchProgress and
    EpochMetrics; returns the TrainingOutcome (the model's `evaluation` is filled in from its test rows).
    """
    from .evaluation import evaluate
    from .training import TrainingFinished, train

    prepared = prepare(request)
    yield prepared
    finished = None
    for item in train(prepared, request.model, request.training, control, progress_every, request.runtime):
        if isinstance(item, TrainingFinished):
            finished = item
        else:
            yield item
    result = finished.result
    evaluation = None
    if result.history and len(prepared.y_test):
        evaluation = evaluate(result.trained, prepared.X_test, prepared.y_test, prepared.rows_test)
        result.trained.evaluation = evaluation.to_dict()
    return TrainingOutcome(prepared, result, evaluation)


def drain(generator: Iterator[Any], on_item=None) -> Any:
    """Run a pipeline generator to its end, calling `on_item` on each item; return its outcome."""
    while True:
        try:
            item = next(generator)
        except StopIteration as stop:
            return stop.value
        if on_item is not None:
            on_item(item)


# ---- using a trained model ----------------------------------------------------------------------------


@dataclass
class LabelledRows:
    """A table's rows as a model reads them, with their classes."""

    X: np.ndarray  # (N, F) scaled float32, the kept rows
    y: np.ndarray  # (N,) class indices into the model's class names
    rows: np.ndarray  # (N,) 0-based data rows of the table that were kept
    n_total: int  # rows in the table (rows with gaps are left out under missing="drop")
    source: str
    notes: list[str] = field(default_factory=list)  # e.g. what missing="mean" filled

    @property
    def dropped(self) -> int:
        return self.n_total - len(self.rows)


def read_labelled(trained, frame: pd.DataFrame, source: str, label: str | None = None,
                  missing: str | None = None) -> LabelledRows:
    """The rows of `frame` with their labels, read as training read them (2.0 is class '2'); label problems
    come first, since they name the line. missing: error (default), drop or mean."""
    label = label or trained.label_column
    y = labels_of(frame, label, trained.class_names, source=source)
    notes: list[str] = []
    X, rows = trained.transform(frame, source=source, missing=missing, return_rows=True, notes=notes)
    if len(rows) == 0:
        raise HybridXAIError(f"{source}: every row has a missing or infinite value, so no row is left.")
    return LabelledRows(X, y[rows], rows, len(frame), source, notes)


def evaluate_frame(trained, frame: pd.DataFrame, source: str, label: str | None = None,
                   missing: str | None = None):
    """(EvaluationResult, LabelledRows) of the model on a labelled table."""
    from .evaluation import evaluate

    labelled = read_labelled(trained, frame, source, label, missing)
    return evaluate(trained, labelled.X, labelled.y, labelled.rows), labelled


@dataclass
class Predictions:
    """A prediction per input row, in order, and how well they did where the table has labels."""

    table: pd.DataFrame  # predicted, p_<class> (logit_<class>); one line per input row, empty where not predicted
    rows: np.ndarray  # 0-based data rows that were predicted
    n_total: int
    missing: str  # the missing-value policy applied
    evaluation: Any = None  # EvaluationResult on the labelled rows, when the table has the label column
    label_note: str = ""  # why there is no evaluation although the label column is there
    notes: list[str] = field(default_factory=list)  # e.g. what missing="mean" filled

    @property
    def dropped(self) -> int:
        return self.n_total - len(self.rows)


def predict_frame(trained, frame: pd.DataFrame, source: str, missing: str | None = None,
                  with_logits: bool = False) -> Predictions:
    """Predict every row of `frame`. missing: error (default; gaps are never filled unasked), drop (those
    rows keep their line, with empty cells) or mean (gaps filled with the training rows' column means).

    When the table holds the model's label column, the predicted rows are also evaluated against it.
    """
    from .evaluation import compute_metrics

    policy = missing or "error"
    notes: list[str] = []
    X, rows = trained.transform(frame, source, missing=policy, return_rows=True, notes=notes)
    logits = trained.predict_logits(X)
    table = trained.prediction_table(X, with_logits=with_logits, index=frame.index[rows], logits=logits)
    if len(rows) < len(frame):
        table = table.reindex(frame.index)
    out = Predictions(table, rows, len(frame), policy, notes=notes)
    if trained.label_column in frame.columns and len(rows):
        try:
            y = labels_of(frame, trained.label_column, trained.class_names, source=source)[rows]
        except HybridXAIError as exc:
            out.label_note = f"No accuracy for these rows: {exc.template}"
        else:
            from .trained import softmax

            out.evaluation = compute_metrics(trained.class_names, y, softmax(logits), rows)
    return out


def source_name(frame: pd.DataFrame, fallback: str = "data") -> str:
    """The file a frame was read from (its name), for messages."""
    return Path(frame_source(frame, default=fallback).name).name


__all__ = ["TableSummary", "open_table", "class_counts", "column_stats", "test_columns_problem", "TrainingRequest",
           "TrainingOutcome", "prepare", "run_training", "drain", "LabelledRows", "read_labelled", "evaluate_frame",
           "Predictions", "predict_frame", "source_name"]
