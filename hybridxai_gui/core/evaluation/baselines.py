"""Simple models from scikit-learn on the same rows as the network: is the deep model worth it on this data?

Logistic regression, 1-nearest-neighbour, a random forest and gradient boosting (scikit-learn's
HistGradientBoostingClassifier) are fitted on the network's training rows (its training and validation rows
together: they choose nothing, so they may learn from both), with the same encodings (text columns as one-hot
parts, gaps filled with the training means) and the same scaler, and scored on the same held-out rows. They cost
seconds on tables of the size this app is mostly used on; on large tables `auto` leaves them out and says why.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

BASELINES = ("logistic_regression", "nearest_neighbour", "random_forest", "gradient_boosting")
LABELS = {"hybrid": "hybrid network", "logistic_regression": "logistic regression",
          "nearest_neighbour": "1-nearest neighbour", "random_forest": "random forest (200 trees)",
          "gradient_boosting": "gradient boosting (histogram trees)"}
MODES = ("auto", "on", "off")
# `auto` leaves them out when they would take longer than this per split (seconds, one core).
AUTO_SECONDS = 15.0


@dataclass(frozen=True)
class BaselineScore:
    model: str  # one of BASELINES
    accuracy: float
    macro_f1: float
    seconds: float  # fitting and scoring


def estimated_seconds(n_fit: int, n_test: int, n_features: int) -> float:
    """Seconds the baselines take together on one core, roughly. Measured on a busy 2-core machine
    (2,000 x 30: 1.2 s; 8,000 x 50: 13.9 s, 13.6 of them the forest): the forest sorts n log n rows per
    tree and tried feature (sqrt(F) of them); 1-NN compares every held-out row with every training row
    (BLAS, ~3e9 per second); logistic regression is a few passes over the rows; gradient boosting builds up to
    100 trees per class over histograms of every feature (hpc_jobs, 3,465 x 26, 4 classes: ~2 s)."""
    forest = 200 * n_fit * np.log2(max(n_fit, 2)) * np.sqrt(n_features) / 1.1e7
    knn = float(n_fit) * n_test * n_features / 3e9
    logistic = 100.0 * n_fit * n_features / 1e8
    boosting = 0.3 + 100.0 * n_fit * n_features / 2e7
    return float(forest + knn + logistic + boosting)


def wanted(mode: str, n_fit: int, n_test: int, n_features: int) -> tuple[bool, str]:
    """(run them?, a note when `auto` leaves them out)."""
    if mode not in MODES:
        raise ValueError(f"unknown baselines mode {mode!r}")
    if mode == "off":
        return False, ""
    seconds = estimated_seconds(n_fit, n_test, n_features)
    if mode == "on" or seconds <= AUTO_SECONDS:
        return True, ""
    return False, (f"The baselines were left out: on {n_fit:,} training rows × {n_features} features they would take "
                   f"about {seconds:.0f} s per split. Ask for them explicitly to run them anyway.")


def make_model(name: str, seed: int):
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=2000)
    if name == "nearest_neighbour":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=1)
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    if name == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    raise ValueError(f"unknown baseline {name!r}")


def fit_and_score(X_fit: np.ndarray, y_fit: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, n_classes: int,
                  seed: int = 0, names: tuple[str, ...] = BASELINES) -> list[BaselineScore]:
    """Each baseline fitted on (X_fit, y_fit) and scored on (X_test, y_test); rows already scaled."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, f1_score
    from threadpoolctl import threadpool_limits

    scores = []
    labels = list(range(n_classes))
    for name in names:
        started = time.perf_counter()
        model = make_model(name, seed)
        # one core, as the estimate assumes: gradient boosting would otherwise take every core (OpenMP)
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)  # 2,000 iterations: close enough to compare
            model.fit(X_fit, y_fit)
        predicted = model.predict(X_test)
        scores.append(BaselineScore(name, float(accuracy_score(y_test, predicted)),
                                    float(f1_score(y_test, predicted, labels=labels, average="macro",
                                                   zero_division=0)),
                                    time.perf_counter() - started))
    return scores


def fit_rows(prepared) -> tuple[np.ndarray, np.ndarray]:
    """The rows a baseline is fitted on: every row the network saw (its training and validation rows)."""
    if not len(prepared.y_val):
        return prepared.X_train, prepared.y_train
    return np.concatenate([prepared.X_train, prepared.X_val]), np.concatenate([prepared.y_train, prepared.y_val])


def on_split(prepared, seed: int = 0, mode: str = "on") -> tuple[list[BaselineScore], str]:
    """The baselines on a PreparedData's split: fitted on its training and validation rows, scored on its test
    rows. Returns (scores, note); no scores when there are no test rows or `mode` leaves them out."""
    if len(prepared.y_test) == 0:
        return [], "There are no test rows to compare the baselines on."
    X_fit, y_fit = fit_rows(prepared)
    run, note = wanted(mode, len(y_fit), len(prepared.y_test), X_fit.shape[1])
    if not run:
        return [], note
    return fit_and_score(X_fit, y_fit, prepared.X_test, prepared.y_test, len(prepared.class_names), seed), ""


__all__ = ["BASELINES", "LABELS", "MODES", "BaselineScore", "estimated_seconds", "wanted", "make_model",
           "fit_and_score", "fit_rows", "on_split"]
