"""Rank statistics of attribution vectors (numpy only: scipy.stats costs a second to import, a tenth of the
explain command's budget). Pure functions of the numbers they are given, so plotting may use them."""

from __future__ import annotations

import numpy as np


def average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 0 … n−1 with ties given their average rank (as scipy.stats.rankdata − 1)."""
    a = np.asarray(a, dtype=np.float64)
    ranks = np.empty(len(a))
    ranks[np.argsort(a, kind="stable")] = np.arange(len(a))
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, ranks) / counts)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (nan when either vector is constant)."""
    ra, rb = average_ranks(a), average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else float("nan")
