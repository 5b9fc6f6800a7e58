"""Are the model's probabilities honest? Reliability diagram data, expected calibration error, and temperature
scaling (one number, fitted on the validation rows, that softens or sharpens every probability).

A model can rank rows perfectly (ROC-AUC 1.0) and still say 0.99 where it is right 80 % of the time; the
reliability diagram shows that and the expected calibration error (ECE) sums it up. Temperature scaling
(Guo et al., 2017) divides the logits by T before the softmax: T > 1 softens over-confident probabilities,
and since every logit is divided alike, no prediction changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

N_BINS = 10
TEMPERATURE_BOUNDS = (0.05, 20.0)


@dataclass(frozen=True)
class Reliability:
    """Top-label calibration: rows binned by the probability of their predicted class."""

    bin_edges: np.ndarray  # (B + 1,) equal-width bins over [0, 1]
    confidence: np.ndarray  # (B,) mean predicted probability in the bin (NaN where empty)
    accuracy: np.ndarray  # (B,) share of the bin's rows predicted right (NaN where empty)
    counts: np.ndarray  # (B,) rows per bin
    ece: float  # expected calibration error: Σ_b (n_b / N) |accuracy_b − confidence_b|
    n_rows: int

    @property
    def max_gap(self) -> float:
        """The largest |accuracy − confidence| over the non-empty bins (the maximum calibration error)."""
        filled = self.counts > 0
        return float(np.max(np.abs(self.accuracy[filled] - self.confidence[filled]))) if filled.any() else float("nan")


def reliability(proba: np.ndarray, y_true: np.ndarray, n_bins: int = N_BINS) -> Reliability:
    """Bin rows by their top probability (bin b holds (b/B, (b+1)/B]; a probability of 0 falls in the first)."""
    proba = np.asarray(proba, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    if len(y_true) == 0:
        empty = np.full(n_bins, np.nan)
        return Reliability(edges, empty, empty.copy(), np.zeros(n_bins, dtype=np.int64), float("nan"), 0)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(np.float64)
    bins = np.digitize(confidence, edges[1:-1], right=True)  # edges[b] < p <= edges[b + 1], as bin_edges say
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bins, weights=confidence, minlength=n_bins) / counts
        mean_acc = np.bincount(bins, weights=correct, minlength=n_bins) / counts
    filled = counts > 0
    ece = float(np.sum(counts[filled] / len(y_true) * np.abs(mean_acc[filled] - mean_conf[filled])))
    return Reliability(edges, mean_conf, mean_acc, counts, ece, int(len(y_true)))


def expected_calibration_error(proba: np.ndarray, y_true: np.ndarray, n_bins: int = N_BINS) -> float:
    return reliability(proba, y_true, n_bins).ece


def negative_log_likelihood(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    """Mean −log p(true class) of softmax(logits / T)."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), np.asarray(y, dtype=np.int64)].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray, bounds: tuple[float, float] = TEMPERATURE_BOUNDS) -> float:
    """The T > 0 minimising the negative log-likelihood of softmax(logits / T) on held-out rows.

    One parameter, so a bounded 1-D search over log T (the likelihood is smooth and unimodal in it); with no
    rows, or logits that are not finite, T stays 1.
    """
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0 or not np.isfinite(logits).all():
        return 1.0
    from scipy.optimize import minimize_scalar

    low, high = math.log(bounds[0]), math.log(bounds[1])
    found = minimize_scalar(lambda log_t: negative_log_likelihood(logits, y, math.exp(log_t)), bounds=(low, high),
                            method="bounded", options={"xatol": 1e-5})
    return float(math.exp(found.x))


__all__ = ["Reliability", "reliability", "expected_calibration_error", "negative_log_likelihood",
           "fit_temperature", "N_BINS"]
