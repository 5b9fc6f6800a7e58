"""Evaluation metrics against hand-computed answers: confusion matrix orientation, ROC-AUC, the report."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai_gui.core.evaluation.metrics import EvaluationResult, compute_metrics, format_report


def _proba(pred: list[int], n_classes: int, confidence: float = 0.8) -> np.ndarray:
    p = np.full((len(pred), n_classes), (1 - confidence) / (n_classes - 1))
    p[np.arange(len(pred)), pred] = confidence
    return p


def test_confusion_matrix_rows_are_true_classes():
    y_true = [0, 0, 0, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    result = compute_metrics(["a", "b", "c"], np.array(y_true), _proba(y_pred, 3))
    np.testing.assert_array_equal(result.confusion, [[1, 2, 0],   # true a: 1 right, 2 called b
                                                     [0, 1, 0],   # true b: right
                                                     [1, 0, 1]])  # true c: 1 called a, 1 right
    assert result.accuracy == pytest.approx(3 / 6)
    # precision of b = 1 / 3 (three rows called b, one is b); recall of a = 1 / 3
    assert result.report["b"]["precision"] == pytest.approx(1 / 3)
    assert result.report["a"]["recall"] == pytest.approx(1 / 3)
    np.testing.assert_array_equal(result.misclassified, [1, 2, 5])


def test_roc_auc_by_hand():
    # Positives score 0.9, 0.4; negatives 0.6, 0.2, 0.1. Pairs (pos > neg): 0.9 beats all 3, 0.4 beats 2 of 3.
    y_true = np.array([1, 1, 0, 0, 0])
    p1 = np.array([0.9, 0.4, 0.6, 0.2, 0.1])
    result = compute_metrics(["no", "yes"], y_true, np.c_[1 - p1, p1])
    assert result.roc_auc["yes"] == pytest.approx(5 / 6)
    assert result.roc_auc["no"] == pytest.approx(5 / 6)
    assert result.roc_auc_macro == pytest.approx(5 / 6)
    fpr, tpr = result.roc_curves["yes"]
    assert fpr[0] == 0 and tpr[-1] == 1 and np.all(np.diff(fpr) >= 0)
    inverted = compute_metrics(["no", "yes"], y_true, np.c_[p1, 1 - p1])
    assert inverted.roc_auc["yes"] == pytest.approx(1 / 6)


def test_roc_auc_is_left_out_where_undefined():
    result = compute_metrics(["a", "b", "c"], np.array([0, 0, 1, 1]), _proba([0, 1, 1, 1], 3))
    assert "c" not in result.roc_auc and result.roc_auc_macro is None  # class c never occurs


def test_text_report_and_round_trip():
    y_true = np.array([0, 1, 1, 0])
    result = compute_metrics(["cat", "dog"], y_true, _proba([0, 1, 0, 0], 2), rows=np.array([5, 6, 7, 8]))
    text = format_report(result)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix"))
    assert lines[header + 2].split() == ["cat", "2", "0"] and lines[header + 3].split() == ["dog", "1", "1"]
    again = EvaluationResult.from_dict(result.to_dict())
    np.testing.assert_array_equal(again.confusion, result.confusion)
    np.testing.assert_array_equal(again.rows, [5, 6, 7, 8])
    assert again.roc_auc == result.roc_auc
