"""Evaluation of a trained model on labelled rows: the numbers behind the Evaluation tab and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.trained import TrainedModel


@dataclass
class EvaluationResult:
    class_names: list[str]
    y_true: np.ndarray  # (N,) class indices
    y_pred: np.ndarray  # (N,)
    proba: np.ndarray  # (N, C)
    rows: np.ndarray  # (N,) data row numbers in the source file (0-based)
    accuracy: float
    macro_f1: float
    confusion: np.ndarray  # (C, C) counts, rows = true class
    report: dict[str, dict[str, float]]  # per class (and averages): precision, recall, f1-score, support
    roc_auc: dict[str, float] = field(default_factory=dict)  # one-vs-rest AUC per class where defined
    roc_auc_macro: float | None = None
    roc_curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # class -> (fpr, tpr)

    @property
    def misclassified(self) -> np.ndarray:
        """Indices into the evaluated rows where prediction and truth differ."""
        return np.flatnonzero(self.y_true != self.y_pred)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers only, so it can live in a weights_only checkpoint."""
        return {
            "class_names": list(self.class_names),
            "y_true": self.y_true.astype(int).tolist(),
            "y_pred": self.y_pred.astype(int).tolist(),
            "proba": self.proba.astype(float).tolist(),
            "rows": self.rows.astype(int).tolist(),
            "accuracy": float(self.accuracy),
            "macro_f1": float(self.macro_f1),
            "confusion": self.confusion.astype(int).tolist(),
            "report": {k: {m: float(v) for m, v in d.items()} for k, d in self.report.items()},
            "roc_auc": {k: float(v) for k, v in self.roc_auc.items()},
            "roc_auc_macro": None if self.roc_auc_macro is None else float(self.roc_auc_macro),
            "n_rows": int(len(self.y_true)),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvaluationResult:
        y_true = np.asarray(d["y_true"], dtype=np.int64)
        proba = np.asarray(d["proba"], dtype=float).reshape(len(y_true), len(d["class_names"]))
        return compute_metrics(list(d["class_names"]), y_true, proba, np.asarray(d["rows"], dtype=np.int64))


def compute_metrics(class_names: list[str], y_true: np.ndarray, proba: np.ndarray,
                    rows: np.ndarray | None = None) -> EvaluationResult:
    from sklearn.metrics import (accuracy_score, classification_report, confusion_matrix, f1_score,
                                 roc_auc_score, roc_curve)

    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=float)
    y_pred = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=np.int64)
    labels = list(range(len(class_names)))
    report = classification_report(y_true, y_pred, labels=labels, target_names=class_names,
                                   output_dict=True, zero_division=0)
    roc_auc: dict[str, float] = {}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c, name in enumerate(class_names):
        positive = y_true == c
        # AUC is undefined unless both sides are present, and for a diverged model's NaN outputs
        if positive.any() and (~positive).any() and np.isfinite(proba[:, c]).all():
            roc_auc[name] = float(roc_auc_score(positive, proba[:, c]))
            fpr, tpr, _ = roc_curve(positive, proba[:, c])
            curves[name] = (fpr, tpr)
    return EvaluationResult(
        class_names=list(class_names),
        y_true=y_true,
        y_pred=y_pred,
        proba=proba,
        rows=np.arange(len(y_true)) if rows is None else np.asarray(rows, dtype=np.int64),
        accuracy=float(accuracy_score(y_true, y_pred)) if len(y_true) else float("nan"),
        macro_f1=float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        confusion=confusion_matrix(y_true, y_pred, labels=labels),
        report={k: v for k, v in report.items() if isinstance(v, dict)},
        roc_auc=roc_auc,
        roc_auc_macro=float(np.mean(list(roc_auc.values()))) if len(roc_auc) == len(class_names) else None,
        roc_curves=curves,
    )


def evaluate(trained: TrainedModel, X_scaled: np.ndarray, y: np.ndarray,
             rows: np.ndarray | None = None) -> EvaluationResult:
    """Predict `X_scaled` with the model and compare with `y` (class indices)."""
    return compute_metrics(trained.class_names, y, trained.predict_proba(X_scaled), rows)


# ---- two-class problems: a decision threshold, and the precision-recall curve ------------------------------


@dataclass(frozen=True)
class ThresholdMetrics:
    """A two-class model's decisions at one threshold: a row is called `positive` when its probability of
    the positive class is at least the threshold."""

    threshold: float
    positive: int  # index of the positive class
    confusion: np.ndarray  # (2, 2) counts in the model's class order; rows = true class, columns = predicted
    tp: int
    fp: int
    tn: int
    fn: int
    sensitivity: float  # recall of the positive class: tp / (tp + fn); NaN without positive rows
    specificity: float  # tn / (tn + fp); NaN without negative rows
    precision: float  # tp / (tp + fp); NaN when no row is called positive
    accuracy: float


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def threshold_metrics(y_true: np.ndarray, p_positive: np.ndarray, threshold: float,
                      positive: int = 1) -> ThresholdMetrics:
    """Sensitivity, specificity, precision and the confusion matrix of a two-class model at `threshold`."""
    y_true = np.asarray(y_true, dtype=np.int64)
    called = np.asarray(p_positive, dtype=float) >= threshold
    actual = y_true == positive
    tp, fp = int(np.sum(called & actual)), int(np.sum(called & ~actual))
    fn, tn = int(np.sum(~called & actual)), int(np.sum(~called & ~actual))
    negative = 1 - positive
    confusion = np.zeros((2, 2), dtype=np.int64)
    confusion[positive, positive], confusion[positive, negative] = tp, fn
    confusion[negative, positive], confusion[negative, negative] = fp, tn
    return ThresholdMetrics(float(threshold), int(positive), confusion, tp, fp, tn, fn, _ratio(tp, tp + fn),
                            _ratio(tn, tn + fp), _ratio(tp, tp + fp), _ratio(tp + tn, len(y_true)))


@dataclass(frozen=True)
class PrecisionRecall:
    precision: np.ndarray  # (K,) as sklearn.metrics.precision_recall_curve returns them
    recall: np.ndarray  # (K,)
    thresholds: np.ndarray  # (K - 1,)
    average_precision: float
    prevalence: float  # share of positive rows: the precision of a model that guesses


def precision_recall(y_true: np.ndarray, p_positive: np.ndarray, positive: int = 1) -> PrecisionRecall | None:
    """The precision-recall curve of the positive class; None when the rows hold no positive or no negative."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    actual = np.asarray(y_true) == positive
    p = np.asarray(p_positive, dtype=float)
    if not actual.any() or actual.all() or not np.isfinite(p).all():
        return None
    precision, recall, thresholds = precision_recall_curve(actual, p)
    return PrecisionRecall(precision, recall, thresholds, float(average_precision_score(actual, p)),
                           float(actual.mean()))


def format_report(result: EvaluationResult) -> str:
    """A plain-text report for the terminal (class names with control characters shown escaped: a name
    cannot start a line of its own or drive the terminal)."""
    from ..errors import printable

    names = [printable(c) for c in result.class_names]
    lines = [f"accuracy {result.accuracy:.4f}   macro F1 {result.macro_f1:.4f}"
             + (f"   ROC-AUC (macro, one-vs-rest) {result.roc_auc_macro:.4f}" if result.roc_auc_macro else ""),
             "", f"{'class':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, d in result.report.items():
        if name == "accuracy":
            continue
        lines.append(f"{printable(name)[:23]:<24}{d['precision']:>10.3f}{d['recall']:>10.3f}{d['f1-score']:>10.3f}"
                     f"{int(d['support']):>10d}")
    lines.append("")
    lines.append("confusion matrix (rows = true, columns = predicted):")
    width = max(8, max(len(c) for c in names) + 2)
    lines.append(" " * width + "".join(f"{c[:width - 1]:>{width}}" for c in names))
    for name, row in zip(names, result.confusion):
        lines.append(f"{name[:width - 1]:<{width}}" + "".join(f"{v:>{width}d}" for v in row))
    if len(result.y_true) and np.isfinite(result.proba).all():
        from .calibration import reliability

        lines.append("")
        lines.append(f"expected calibration error (10 bins) {reliability(result.proba, result.y_true).ece:.4f}")
        if len(result.class_names) == 2:
            t = threshold_metrics(result.y_true, result.proba[:, 1], 0.5)
            lines.append(f"positive class '{names[1]}' at threshold 0.5: sensitivity "
                         f"{t.sensitivity:.4f}, specificity {t.specificity:.4f}, precision {t.precision:.4f}")
    return "\n".join(lines)
