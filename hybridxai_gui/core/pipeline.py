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

from .config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, data_for_training, held_out_note
from .data.tables import frame_source, guess_label_column, labels_of, read_table
from .data.prepare import PreparedData, prepare_data
from .data.table_checks import ColumnFindings  # noqa: F401 (for the Data tab)
from .errors import HybridXAIError
from .jobs import drain  # noqa: F401 (the front ends run the pipeline's generators with it)
from .training.events import (BatchProgress, CalibrationProgress, EpochMetrics, TrainControl,  # noqa: F401
                              TrainingFinished, TrainResult)

CLASS_CHART_LIMIT = 50  # the class chart shows at most this many bars



def available_devices() -> list[tuple[str, str]]:
    """(device id, label) for every device this machine can train on (core.training.loop; loaded on use, so that
    opening a table does not import torch)."""
    from .training.loop import available_devices as devices

    return devices()


def launched_world():
    """This process's place among distributed workers started by torchrun or `train --nproc` (core.training.
    distributed; loaded here on use, so that opening a table does not import torch)."""
    from .training.distributed import launched_world as world

    return world()


def available_cpus() -> int:
    """CPU cores this process may run on: how many local training workers the machine can run at once."""
    from .training.distributed import available_cpus as cpus

    return cpus()


def shutdown_workers() -> None:
    """Leave the distributed process group, if this process joined one."""
    from .training.distributed import shutdown

    shutdown()


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
    view: Any = None  # TableView of the likely label: the detected layout and the data per class
    findings: Any = None  # table_checks.ColumnFindings over every column: identifiers and constant columns
    label_guess: Any = None  # label_guess.LabelGuess: the likely label column, why, and the other candidates


def class_counts(frame: pd.DataFrame, label: str) -> tuple[dict[str, int], int]:
    """Rows per value of `frame[label]` (missing values included), keyed by str, at most CLASS_CHART_LIMIT.

    Counts first, then turns only the distinct values into text: `astype(str)` on every row took 0.3-1.9 s
    for 1,000,000 rows. Values with the same text (1 and "1") are added up.
    """
    counted = frame[label].value_counts(dropna=False, sort=False)
    out: dict[str, int] = {}
    from .data.units import label_unit, number_in, unit_name

    unit = label_unit(frame, label)  # "10 mg" read as 10: named as training names it
    for value, n in zip(counted.index.tolist(), counted.to_numpy().tolist()):
        key = unit_name(value, unit) if unit and value == value else str(value)
        out[key] = out.get(key, 0) + int(n)
    from .data.csvio import looks_numeric

    if all(looks_numeric(k) for k in out):  # 2 before 10, as class names are sorted
        def key(item):
            return float(item[0])
    elif unit:  # 5 mg before 10 mg; a gap last
        def key(item):
            number = number_in(item[0])
            return (0, number) if number is not None else (1, 0.0)
    else:
        def key(item):
            return item[0]
    first = sorted(out.items(), key=key) if len(out) <= CLASS_CHART_LIMIT else \
        heapq.nsmallest(CLASS_CHART_LIMIT, out.items(), key=key)
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
    """Read a CSV and summarise it: statistics per column, reading notes (decimal commas, Latin-1), rows per
    class of the likely label, its layout, identifier and constant columns."""
    from .data.table_checks import check_table

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
    from .data.label_guess import guess_label

    guess = guess_label(frame) if len(frame.columns) else None
    label = guess.column if guess is not None else None
    counts = {label: class_counts(frame, label)} if label in frame.columns else {}
    summary = TableSummary(str(path), frame, column_stats(frame), [str(w.message) for w in caught], counts,
                           findings=check_table(frame, None), label_guess=guess)
    if label in frame.columns:
        try:
            summary.view = table_view(frame, label, source=Path(path).name)
        except HybridXAIError as exc:  # shown with the table; the user can choose another label or layout
            summary.warnings.append(exc.template)
    return summary


@dataclass
class TableView:
    """How a table will be read for one label: the layout (detected or chosen) and the data per class."""

    label: str
    detected: Any  # series.Detected
    profile: Any  # class_profile.ClassProfile


def table_view(frame: pd.DataFrame, label: str, layout: str = "auto", id_column: str | None = None,
               time_column: str | None = None, channels: list[str] | None = None,
               features: list[str] | None = None, source: str = "the table", unequal: str = "resample") -> TableView:
    """The layout of `frame` for `label` (as training will read it) and its per-class profile (series of unequal
    length resampled, or on their own time axis with `unequal="pad"`, as training will read them)."""
    from .data.class_profile import class_profile
    from .data.csvio import Source
    from .data.layout import detect_layout

    detected = detect_layout(frame, label, features, layout, id_column, time_column, channels,
                             src=Source(source, False))
    return TableView(label, detected, class_profile(frame, detected, label, features, source, unequal))


def test_columns_problem(train_columns: list[str], test_columns: list[str], label: str | None,
                         features: list[str] | None, test_name: str) -> str | None:
    """Why a separate test table cannot serve a training table (a label or feature column it lacks), or None."""
    from .data.csvio import format_names

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
    uncertainty: Any = None  # evaluation.uncertainty.RowUncertainty of the test rows (sets at 0.9, unlike flags)

    @property
    def trained(self):
        return self.result.trained


def prepare(request: TrainingRequest) -> PreparedData:
    """Read, check, split and scale the request's data (warnings from reading become notes)."""
    data, wants = data_for_training(request.data, request.training)
    why_none = ""
    try:
        prepared = _prepare(request, data)
    except HybridXAIError:
        if wants is None:
            raise
        # the hold-out alone could not be made (the settings asked for succeed below): train as asked, without one
        prepared = _prepare(request, request.data)
        why_none = ("the training rows are too few for a stratified validation split (every class needs a row on "
                    "each side)")
    if wants is not None:
        n_val = len(prepared.y_val)
        prepared.warnings.append(held_out_note(wants, n_val, n_val + len(prepared.y_train), why_none))
    return prepared


def _prepare(request: TrainingRequest, data: DataConfig) -> PreparedData:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = asdict(data)
        prepared = prepare_data(request.train, request.test, seed=request.training.seed,
                                **{**settings, "features": list(settings["features"]) if settings["features"]
                                   is not None else None, "exclude": list(settings["exclude"])})
    prepared.warnings.extend(str(w.message) for w in caught if str(w.message) not in prepared.warnings)
    return prepared


def run_training(request: TrainingRequest, control=None, progress_every: float = 0.2, world=None) -> Iterator[Any]:
    """prepare → train → calibrate → evaluate as one generator.

    Yields the PreparedData as soon as the split is made, then the training's BatchProgress and
    EpochMetrics, and CalibrationProgress while fold models score the training rows for the prediction sets;
    returns the TrainingOutcome (the model's `evaluation` is filled in from its test rows).
    world: a distributed worker's place (core.training.distributed.launched_world()); every worker makes this call.
    """
    from .evaluation import uncertainty
    from .evaluation.metrics import compute_metrics
    from .training.loop import train

    prepared = prepare(request)
    method = uncertainty.resolve_method(request.training.prediction_sets, len(prepared.y_train))
    held = None
    if method == "split":  # the calibration rows never train
        prepared, held = uncertainty.hold_out(prepared, request.training.seed)
    yield prepared
    finished = None
    from .training.distributed import SINGLE

    for item in train(prepared, request.model, request.training, control, progress_every, request.runtime,
                      world or SINGLE):
        if isinstance(item, TrainingFinished):
            finished = item
        else:
            yield item
    result = finished.result
    trained, evaluation, rows = result.trained, None, None
    if result.history:
        trained.uncertainty = yield from uncertainty.calibrate(prepared, trained, method, held, control,
                                                               request.runtime, world, progress_every)
    if result.history and len(prepared.y_test):
        logits, features = uncertainty.logits_and_features(trained.model, prepared.X_test)
        evaluation = compute_metrics(trained.class_names, prepared.y_test, trained.probabilities(logits),
                                     prepared.rows_test)
        trained.evaluation = evaluation.to_dict()
        rows = uncertainty.describe_rows(trained.uncertainty, evaluation.proba, features)
    return TrainingOutcome(prepared, result, evaluation, rows)


def members_for(model_config: ModelConfig, data: PreparedData) -> int:
    """How many networks a training of `model_config` on `data` trains (an `auto` ensemble resolved)."""
    from .config import resolve_ensemble
    from .training.loop import rows_are_series

    return resolve_ensemble(model_config, rows_are_series(data)).ensemble


# ---- using a trained model ----------------------------------------------------------------------------


@dataclass
class LabelledRows:
    """A table's rows as a model reads them, with their classes."""

    X: np.ndarray  # (N, F) scaled float32, the kept rows (series)
    y: np.ndarray  # (N,) class indices into the model's class names
    rows: np.ndarray  # (N,) kept rows: 0-based data rows, or series indices (order of first appearance)
    n_total: int  # rows (series) in the table (rows with gaps are left out under missing="drop")
    source: str
    ids: list | None = None  # series: the kept series' ids (long) or data rows (wide)
    notes: list[str] = field(default_factory=list)  # e.g. what missing="mean" filled

    @property
    def dropped(self) -> int:
        return self.n_total - len(self.rows)


def row_labels(trained, frame: pd.DataFrame, source: str, read, label: str | None = None) -> np.ndarray:
    """The classes (indices into the model's class names) of the rows `read` (trained.read_rows) holds, read as
    training read labels; an empty or unseen label, or a series whose label changes, is an error naming it."""
    label = label or trained.label_column
    if trained.series is None:
        return labels_of(frame, label, trained.class_names, source=source)[read.rows]
    from .data.series import read_series
    from .data.series_data import series_classes

    if label not in frame.columns:
        raise HybridXAIError(f"{source} has no label column {label!r} (the model was trained with it).")
    series = read_series(frame, trained.series, frame_source(frame, source), "mean", label)  # keeps every series
    by_index = dict(zip(np.asarray(series.index).tolist(), series.labels))
    values = [by_index.get(int(i)) for i in read.rows]
    return series_classes(values, label, trained.class_names, frame_source(frame, source), read.first_rows)


def read_labelled(trained, frame: pd.DataFrame, source: str, label: str | None = None,
                  missing: str | None = None) -> LabelledRows:
    """The rows of `frame` with their labels, read as training read them (2.0 is class '2'); label problems
    come first, since they name the line. missing: error (default), drop or mean."""
    label = label or trained.label_column
    notes: list[str] = []
    if trained.series is None:
        y = labels_of(frame, label, trained.class_names, source=source)
        read = trained.read_rows(frame, source, missing, notes=notes)
        y = y[read.rows]
    else:
        read = trained.read_rows(frame, source, missing, notes=notes)
        y = row_labels(trained, frame, source, read, label)
    if len(read.rows) == 0:
        raise HybridXAIError(f"{source}: every row has a missing or infinite value, so no row is left.")
    return LabelledRows(read.X, y, read.rows, read.n_total, source, read.ids if trained.series is not None else None,
                        notes)


def evaluate_frame(trained, frame: pd.DataFrame, source: str, label: str | None = None,
                   missing: str | None = None):
    """(EvaluationResult, LabelledRows) of the model on a labelled table."""
    from .evaluation.metrics import evaluate

    labelled = read_labelled(trained, frame, source, label, missing)
    return evaluate(trained, labelled.X, labelled.y, labelled.rows), labelled


@dataclass
class Predictions:
    """A prediction per input row (per series for a long file), in order, and how well they did where the
    table has labels."""

    table: pd.DataFrame  # [id column,] predicted, p_<class> (logit_<class>); empty cells where not predicted
    rows: np.ndarray  # the rows (series) that were predicted
    n_total: int
    missing: str  # the missing-value policy applied
    evaluation: Any = None  # EvaluationResult on the labelled rows, when the table has the label column
    label_note: str = ""  # why there is no evaluation although the label column is there
    X: np.ndarray | None = None  # the predicted rows as the model read them (scaled)
    ids: list | None = None  # series: the predicted series' ids
    lengths: np.ndarray | None = None  # series: their own numbers of steps
    notes: list[str] = field(default_factory=list)  # e.g. what missing="mean" filled
    proba: np.ndarray | None = None  # (len(rows), C) the predicted rows' probabilities
    uncertainty: Any = None  # evaluation.uncertainty.RowUncertainty of the predicted rows

    @property
    def dropped(self) -> int:
        return self.n_total - len(self.rows)


def predict_frame(trained, frame: pd.DataFrame, source: str, missing: str | None = None,
                  with_logits: bool = False, coverage: float | None = None) -> Predictions:
    """Predict every row of `frame` (every series, for a long file: one line each, in order of first
    appearance, the id first). missing: error (default; gaps are never filled unasked), drop (those rows keep
    their line, with empty cells) or mean (gaps filled with the training means).

    With a coverage the table also gets `prediction_set` (the set's classes joined by '|') and `unlike_training`
    (yes/no) right after `predicted`, empty where the model cannot say (`notes` says why). When the table holds the model's label
    column, the predicted rows are also evaluated against it.
    """
    from .evaluation import uncertainty
    from .evaluation.metrics import compute_metrics

    if coverage is not None:
        coverage = uncertainty.check_coverage(coverage)
    policy = missing or "error"
    notes: list[str] = []
    read = trained.read_rows(frame, source, policy, notes=notes)
    features = None
    if trained.uncertainty is not None and trained.uncertainty.density is not None:
        logits, features = uncertainty.logits_and_features(trained.model, read.X)  # one pass for both
    else:
        logits = trained.predict_logits(read.X)
    proba = trained.probabilities(logits)
    rows = uncertainty.describe_rows(trained.uncertainty, proba, features, coverage)
    long = trained.series is not None and trained.series.layout == "long"
    index = pd.RangeIndex(read.n_total) if long else frame.index
    table = trained.prediction_table(read.X, with_logits=with_logits, index=index[read.rows], logits=logits)
    if coverage is not None:  # beside the class they qualify, before the probabilities
        at = list(table.columns).index("predicted") + 1
        table.insert(at, "prediction_set", rows.set_texts(trained.class_names, proba) or None)
        table.insert(at + 1, "unlike_training", rows.unlike_texts() or None)
        notes.extend(rows.notes)
    if len(read.rows) < read.n_total:
        table = table.reindex(index)
    if long:
        id_column = trained.series.id_column
        table.insert(0, id_column, pd.factorize(frame[id_column], sort=False)[1])
    out = Predictions(table, read.rows, read.n_total, policy, X=read.X,
                      ids=read.ids if trained.series is not None else None, lengths=read.lengths, notes=notes,
                      proba=proba, uncertainty=rows)
    if trained.label_column in frame.columns and len(read.rows):
        try:
            y = row_labels(trained, frame, source, read)
        except HybridXAIError as exc:
            out.label_note = f"No accuracy for these rows: {exc.template}"
        else:
            out.evaluation = compute_metrics(trained.class_names, y, proba, read.rows)
    return out


__all__ = ["TableView", "table_view", "row_labels", "read_table", "guess_label_column", "TableSummary", "open_table",
           "class_counts", "column_stats", "test_columns_problem", "TrainingRequest", "TrainingOutcome", "prepare",
           "run_training", "drain", "LabelledRows", "read_labelled", "evaluate_frame", "Predictions", "predict_frame",
           "available_devices", "launched_world", "shutdown_workers", "ColumnFindings", "PreparedData", "BatchProgress",
           "EpochMetrics", "TrainControl", "TrainingFinished", "TrainResult", "CalibrationProgress"]
