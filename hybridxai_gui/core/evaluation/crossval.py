"""Repeated evaluation: stratified k-fold cross-validation and repeated stratified splits.

One split says little on a small table: wine scored 0.875 on one split and 1.000 on another of the same
file. Here the table is read and checked once (`data.read_rows`), then every fold gets its own PreparedData
(`data.assemble`: missing values filled and the scaler fitted on that fold's training rows only) and its own
network, trained by the same `training.train` as a single run, with a validation share of the fold's training
rows choosing the epoch. The held-out fold is only scored. Baselines (core.evaluation.baselines) are fitted on the same
fold. A separate test file, if given, is never used to choose anything: each fold's model is only scored on it.

`cross_validate(request, cv, control)` is a generator: it yields FoldStarted, FoldProgress and (as each fold
ends) FoldResult items and returns a CrossValidationResult (with the folds finished so far when stopped
through `control`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from ..config import data_for_training, held_out_note
from ..errors import HybridXAIError, HybridXAIWarning, setting

MAX_FOLDS = 1_000  # folds × repeats of one evaluation (each trains a network): a summary claiming more is refused
SCHEMES = ("kfold", "split")  # k-fold (repeated R times), or R random stratified train/test splits
METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc", "ece")
TWO_CLASS_METRICS = ("sensitivity", "specificity")  # of the second class, at threshold 0.5
METRIC_LABELS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "macro_f1": "macro F1",
                 "roc_auc": "ROC-AUC", "ece": "calibration error", "sensitivity": "sensitivity",
                 "specificity": "specificity"}


@dataclass(frozen=True)
class CrossValidationConfig:
    """How to evaluate repeatedly; the data, model and training settings come from the TrainingRequest."""

    folds: int = 5  # k of k-fold (scheme kfold)
    repeats: int = 1  # kfold: the k folds are drawn this many times; split: this many random splits
    scheme: str = "kfold"
    test_size: float = 0.2  # share held out by each random split (scheme split)
    baselines: str = "auto"  # auto (when they cost seconds), on or off
    # folds not asked for (the command line without --folds): fewer when the smallest class has fewer rows, noted
    auto_folds: bool = False

    @property
    def total(self) -> int:
        return self.folds * self.repeats if self.scheme == "kfold" else self.repeats

    def validate(self) -> None:
        if self.scheme not in SCHEMES:
            raise HybridXAIError(f"Unknown scheme {self.scheme!r}: use kfold or split.")
        if self.scheme == "kfold" and self.folds < 2:
            raise HybridXAIError(f"Cross-validation needs at least 2 folds ({setting('folds')}), got {self.folds}.")
        if self.repeats < 1:
            raise HybridXAIError(f"Repeats ({setting('repeats')}) must be at least 1, got {self.repeats}.")
        if self.scheme == "split" and not 0.0 < self.test_size < 1.0:
            raise HybridXAIError(f"The test share ({setting('test_size')}) must be between 0 and 1, got "
                                 f"{self.test_size}.")
        if self.baselines not in ("auto", "on", "off"):
            raise HybridXAIError(f"Unknown baselines choice {self.baselines!r}: use auto, on or off.")
        if self.total > MAX_FOLDS:
            raise HybridXAIError(f"{self.total:,} folds ({setting('folds')} × {setting('repeats')}) are more than the "
                                 f"{MAX_FOLDS:,} one evaluation runs: each trains a network. Use fewer.")


@dataclass(frozen=True)
class FoldStarted:
    index: int  # 0-based over all folds
    total: int
    repeat: int  # 1-based
    fold: int  # 1-based within its repeat
    n_train: int
    n_val: int
    n_test: int
    unit: str = "rows"  # what the counts count: rows of a table, or series


@dataclass(frozen=True)
class FoldProgress:
    index: int
    total: int
    epoch: int
    epochs: int
    done: float  # share of the whole evaluation done, 0 ... 1
    elapsed: float  # seconds since the evaluation started


@dataclass
class FoldResult:
    index: int
    repeat: int
    fold: int
    n_train: int
    n_val: int
    n_test: int
    metrics: dict[str, float]  # METRICS (and TWO_CLASS_METRICS) of the network on the held-out rows
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> accuracy, macro_f1
    test_file: dict[str, float] | None = None  # the network on a separate test file (never used to choose)
    epochs: int = 0
    temperature: float = 1.0
    seconds: float = 0.0


def _mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (n − 1) of the finite values; NaN where undefined."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else float("nan")


@dataclass
class CrossValidationResult:
    config: CrossValidationConfig
    class_names: list[str]
    source: str
    n_rows: int
    folds: list[FoldResult] = field(default_factory=list)
    cancelled: bool = False
    notes: list[str] = field(default_factory=list)
    test_source: str | None = None
    seconds: float = 0.0
    recipe: dict | None = None  # recipe_of(the first fold's model): what a model must share to be reported with it
    unit: str = "rows"  # what n_rows counts: "rows" of a table, or "series" (a fold splits whole series)

    @property
    def metric_names(self) -> list[str]:
        return list(METRICS) + (list(TWO_CLASS_METRICS) if len(self.class_names) == 2 else [])

    @property
    def models(self) -> list[str]:
        """"hybrid", then the baselines that were run."""
        names = ["hybrid"]
        for fold in self.folds:
            names += [m for m in fold.baselines if m not in names]
        return names

    def values(self, metric: str, model: str = "hybrid") -> list[float]:
        """Per-fold values of a metric (of the network, or of a baseline: accuracy and macro_f1)."""
        if model == "hybrid":
            return [f.metrics.get(metric, float("nan")) for f in self.folds]
        return [f.baselines.get(model, {}).get(metric, float("nan")) for f in self.folds]

    def summary(self, metric: str, model: str = "hybrid") -> tuple[float, float]:
        """(mean, sample standard deviation) over the folds."""
        return _mean_sd(self.values(metric, model))

    def test_file_summary(self, metric: str) -> tuple[float, float]:
        return _mean_sd([f.test_file.get(metric, float("nan")) for f in self.folds if f.test_file])

    def describe(self) -> str:
        c = self.config
        what = (f"{c.folds}-fold stratified cross-validation" + (f", repeated {c.repeats} times" if c.repeats > 1
                                                                 else "")
                if c.scheme == "kfold" else f"{c.repeats} random stratified splits ({c.test_size:.0%} held out)")
        done = f"{len(self.folds)} of {c.total} folds" if self.cancelled else f"{len(self.folds)} folds"
        return (f"{what} of {self.n_rows} {self.unit} of {self.source}: {done}"
                + (" (stopped)" if self.cancelled else ""))

    def to_dict(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "class_names": list(self.class_names), "source": self.source,
                "n_rows": self.n_rows, "folds": [asdict(f) for f in self.folds], "cancelled": self.cancelled,
                "notes": list(self.notes), "test_source": self.test_source, "seconds": self.seconds,
                "recipe": self.recipe, "unit": self.unit}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CrossValidationResult:
        """The result a summary holds, every part checked (summary_checks): ValueError naming what is wrong."""
        from .crossval_checks import check_summary

        check_summary(d)
        folds = [FoldResult(**f) for f in d.get("folds", [])]
        config = CrossValidationConfig(**d["config"])
        try:
            config.validate()
        except HybridXAIError as exc:
            raise ValueError(str(exc)) from None
        return cls(config, list(d["class_names"]), str(d.get("source", "")),
                   int(d.get("n_rows", 0)), folds, bool(d.get("cancelled", False)), list(d.get("notes", [])),
                   d.get("test_source"), float(d.get("seconds", 0.0)), d.get("recipe"), d.get("unit", "rows"))


def fold_metrics(evaluation) -> dict[str, float]:
    """The per-fold numbers of an EvaluationResult."""
    from .calibration import reliability
    from .metrics import threshold_metrics

    report = evaluation.report.get("macro avg", {})
    finite = np.isfinite(evaluation.proba).all()
    out = {"accuracy": evaluation.accuracy, "balanced_accuracy": float(report.get("recall", float("nan"))),
           "macro_f1": evaluation.macro_f1,
           "roc_auc": evaluation.roc_auc_macro if evaluation.roc_auc_macro is not None else float("nan"),
           "ece": reliability(evaluation.proba, evaluation.y_true).ece if finite else float("nan")}
    if len(evaluation.class_names) == 2:
        t = threshold_metrics(evaluation.y_true, evaluation.proba[:, 1], 0.5)
        out.update(sensitivity=t.sensitivity, specificity=t.specificity)
    return {k: float(v) for k, v in out.items()}


def fold_splits(table, cv: CrossValidationConfig, seed: int) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """(repeat, fold, training positions, held-out positions) into the table's rows, stratified by class."""
    from ..data.prepare import stratified_split

    everything = np.arange(len(table))
    if cv.scheme == "split":
        for r in range(cv.repeats):
            kept, held = stratified_split(table, everything, cv.test_size, seed + r, "test")
            yield r + 1, 1, kept, held
        return
    counts = np.bincount(table.y, minlength=len(table.class_names))
    smallest = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    if counts[smallest] < cv.folds:
        raise HybridXAIError(
            f"{table.src.name}: class {table.class_names[smallest]!r} has only {int(counts[smallest])} row(s); "
            f"{cv.folds}-fold cross-validation needs at least one per fold. Use fewer folds "
            f"({setting('folds', max(2, int(counts[smallest])))}) or add rows."
        )
    from sklearn.model_selection import StratifiedKFold

    for r in range(cv.repeats):
        splitter = StratifiedKFold(n_splits=cv.folds, shuffle=True, random_state=(seed + r) % 2**32)
        for k, (kept, held) in enumerate(splitter.split(np.zeros(len(table)), table.y)):
            yield r + 1, k + 1, kept, held


def fitted_folds(cv: CrossValidationConfig, table) -> tuple[CrossValidationConfig, str | None]:
    """With auto_folds, as many folds (at least 2) as the smallest class has rows when that is fewer than asked:
    mpg's training file holds 3 two-seaters, and `cv FILE --label L` should run with no other flag."""
    if not cv.auto_folds or cv.scheme != "kfold":
        return cv, None
    counts = np.bincount(table.y, minlength=len(table.class_names))
    present = counts[counts > 0]
    if not len(present) or present.min() >= cv.folds or present.min() < 2:
        return cv, None
    smallest = table.class_names[int(np.flatnonzero(counts == present.min())[0])]
    folds = int(present.min())
    return replace(cv, folds=folds), (f"Class {smallest!r} has only {folds} rows: {folds}-fold cross-validation "
                                      f"instead of {cv.folds}-fold (every fold needs one). Choose the number with "
                                      f"{setting('folds')}.")


def cross_validate(request, cv: CrossValidationConfig = CrossValidationConfig(), control=None,
                   progress_every: float = 0.2) -> Iterator[Any]:
    """Evaluate the request's recipe on every fold; yields FoldStarted / FoldProgress / FoldResult, returns the
    CrossValidationResult.

    `request` is a pipeline.TrainingRequest: its data settings read the table, its model / training / runtime
    settings train each fold's network, and its seed draws the folds. `request.test` (a separate file) is only
    scored by each fold's model.
    """
    from . import baselines as base
    from ..data.tables import index_series, read_rows, read_test_rows
    from ..data.prepare import assemble
    from .metrics import evaluate
    from ..training.loop import BatchProgress, EpochMetrics, TrainControl, TrainingFinished, train

    cv.validate()
    request.training.validate()
    control = control or TrainControl()
    started = time.perf_counter()
    data, wants = data_for_training(request.data, request.training)
    settings = asdict(data)
    settings["features"] = list(settings["features"]) if settings["features"] is not None else None
    settings["exclude"] = list(settings["exclude"])
    if settings.get("channels") is not None:
        settings["channels"] = list(settings["channels"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = index_series(read_rows(request.train, **settings, has_test_file=cv.scheme == "kfold"))
        test_rows = read_test_rows(table, request.test) if request.test is not None else None
    # catch_warnings sees every thread's warnings (the app's GUI thread too): keep only the reading notes
    notes = list(dict.fromkeys([*table.notes, *(str(w.message) for w in caught
                                                if issubclass(w.category, HybridXAIWarning))]))
    cv, fewer = fitted_folds(cv, table)
    if fewer:
        notes.append(fewer)
    seed = request.training.seed
    test_name = None
    if request.test is not None:
        from ..data.tables import frame_source

        test_name = (test_rows[3].name if table.spec is None else
                     frame_source(request.test).name if hasattr(request.test, "columns") else str(request.test))
    result = CrossValidationResult(cv, list(table.class_names), table.src.name, len(table), notes=notes,
                                   test_source=test_name, unit="rows" if table.spec is None else "series")
    run_baselines = None  # decided on the first fold, from its size
    total = cv.total
    last = 0.0
    for index, (repeat, fold, kept, held) in enumerate(fold_splits(table, cv, seed)):
        if control.stopped:
            result.cancelled = True
            break
        fold_started = time.perf_counter()
        prepared = assemble(table, kept, held, seed=seed)  # a validation share of `kept` chooses the epoch
        n_train, n_val, n_test = len(prepared.y_train), len(prepared.y_val), len(prepared.y_test)
        yield FoldStarted(index, total, repeat, fold, n_train, n_val, n_test, result.unit)
        if run_baselines is None:
            # how the first fold's rows were read and scaled (series lengths, scaled columns, hints), said once:
            # each fold reads its own rows the same way
            result.notes.extend(f"Fold 1: {n}" for n in dict.fromkeys(prepared.warnings) if n not in result.notes)
            if wants is not None:  # said once, with the first fold's rows
                result.notes.append(f"Every fold: {held_out_note(wants, n_val, n_train + n_val)} (Fold 1's counts.)")
            run_baselines, why = base.wanted(cv.baselines, n_train + n_val, n_test, prepared.X_train.shape[1])
            if why:
                result.notes.append(why)
        finished = None
        for item in train(prepared, request.model, request.training, control, progress_every, request.runtime):
            if isinstance(item, TrainingFinished):
                finished = item.result
            elif isinstance(item, (BatchProgress, EpochMetrics)):
                now = time.perf_counter()
                if now - last >= progress_every:
                    last = now
                    within = (item.epoch - (1 - item.batch / item.batches if isinstance(item, BatchProgress)
                                            else 0)) / max(1, item.epochs)
                    yield FoldProgress(index, total, item.epoch, item.epochs, (index + within) / total,
                                       now - started)
        if control.stopped or finished is None or not finished.history:
            result.cancelled = True  # a fold cut short would report an undertrained model: left out
            break
        trained = finished.trained
        if result.recipe is None:
            from .crossval_checks import recipe_of

            result.recipe = recipe_of(trained)
        evaluation = evaluate(trained, prepared.X_test, prepared.y_test, prepared.rows_test)
        outcome = FoldResult(index, repeat, fold, n_train, n_val, n_test, fold_metrics(evaluation),
                             epochs=len(finished.history), temperature=trained.temperature)
        if test_rows is not None:  # the same training rows make the same scaler and fill values for the file
            on_file = assemble(table, kept, test_rows=test_rows, seed=seed)
            outcome.test_file = fold_metrics(evaluate(trained, on_file.X_test, on_file.y_test, on_file.rows_test))
        if run_baselines:
            scores = base.fit_and_score(*base.fit_rows(prepared), prepared.X_test, prepared.y_test, len(table.class_names), seed)
            outcome.baselines = {s.model: {"accuracy": s.accuracy, "macro_f1": s.macro_f1, "seconds": s.seconds}
                                 for s in scores}
        outcome.seconds = time.perf_counter() - fold_started
        result.folds.append(outcome)
        yield outcome  # a FoldResult: the front ends show each fold as it ends
    result.seconds = time.perf_counter() - started
    return result


__all__ = ["MAX_FOLDS", "CrossValidationConfig", "CrossValidationResult", "FoldStarted", "FoldProgress", "FoldResult",
           "cross_validate", "fold_splits", "fold_metrics", "SCHEMES", "METRICS", "TWO_CLASS_METRICS",
           "METRIC_LABELS"]
