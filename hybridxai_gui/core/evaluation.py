"""Evaluation of a trained model on labelled rows: the numbers behind the Evaluation tab and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .trained import TrainedModel


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


def format_report(result: EvaluationResult) -> str:
    """A plain-text report for the terminal."""
    lines = [f"accuracy {result.accuracy:.4f}   macro F1 {result.macro_f1:.4f}"
             + (f"   ROC-AUC (macro, one-vs-rest) {result.roc_auc_macro:.4f}" if result.roc_auc_macro else ""),
             "", f"{'class':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, d in result.report.items():
        if name == "accuracy":
            continue
        lines.append(f"{name[:23]:<24}{d['precision']:>10.3f}{d['recall']:>10.3f}{d['f1-score']:>10.3f}"
                     f"{int(d['support']):>10d}")
    lines.append("")
    lines.append("confusion matrix (rows = true, columns = predicted):")
    width = max(8, max(len(c) for c in result.class_names) + 2)
    lines.append(" " * width + "".join(f"{c[:width - 1]:>{width}}" for c in result.class_names))
    for name, row in zip(result.class_names, result.confusion):
        lines.append(f"{name[:width - 1]:<{width}}" + "".join(f"{v:>{width}d}" for v in row))
    return "\n".join(lines)
