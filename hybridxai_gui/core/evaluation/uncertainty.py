"""Predictions that say how sure they are: conformal prediction sets with a stated coverage, and a flag for rows
unlike the training data. The one place the command line, the window, the report and distributed training use.

Prediction sets (adaptive prediction sets, APS: Romano, Sesia & Candès, NeurIPS 2020). A class's score for a row
is the probability mass of the classes ranked above it plus half its own, so where the model is sure the first
class alone passes the threshold and the set is small. Half: randomised APS adds U·p with U uniform; its mean,
1/2, keeps the sets deterministic (the same row always gets the same set) and the scores continuous, where the
whole p makes every score of a misclassified row 1 with two classes, so the sets were all or nothing there (cells:
every set both classes at 0.9). The threshold q is the ⌈(n + 1)·c⌉-th smallest of n scores of rows the scoring
model did not train on (c: the coverage asked for). A set always holds the predicted class (never empty).

Guarantee (split conformal, rows exchangeable): the set {y : score(x, y) ≤ q} holds the true class with
probability ≥ c, and, without ties, ≤ c + 1/(n + 1), over the draw of calibration and new rows (marginal, not per
row). Adding the predicted class keeps ≥ c; it can lift coverage above c + 1/(n + 1) only by rows whose predicted
class alone scores above q, which no non-empty set can leave out. With n scores no coverage above n/(n + 1) can
be promised: the model says so instead of printing a set of every class.

Where the scores come from (`Calibration.method`): split holds a stratified share of the training rows out of
training (the guarantee holds as stated); cross (cross-conformal) trains FOLDS fold models with the same recipe,
each scoring the rows of its own fold, while the model itself trains on every row (no row lost, FOLDS extra
trainings; for the model trained on every row the guarantee is checked by measurement: benchmarks/README.md,
"Prediction sets"); auto is cross below SPLIT_MIN_ROWS training rows, split from there.

Unlike the training data: the squared Mahalanobis distance (one covariance shared by the classes, Ledoit-Wolf
shrinkage) of a row's features inside the network (its last convolution block, averaged over positions) to the
nearest class mean of the training rows. A row is unlike them beyond the 99th percentile of the training rows' own
distances, each measured as the sets' scores are: by a network that did not train on the row (its fold model, or
the model itself for held-out calibration rows); under the network that fitted them, training rows lie far closer
than new rows (64 % of Coffee's test rows were flagged that way, 4 % this way: benchmarks/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..training.events import CalibrationProgress

from ..errors import HybridXAIError, setting

DEFAULT_COVERAGE = 0.9  # the window's starting coverage, and the report's
REPORT_COVERAGES = (0.8, 0.9, 0.95)
FOLDS = 5
SPLIT_MIN_ROWS = 2000  # auto: a calibration split from this many training rows, cross-conformal below
CALIBRATION_SHARE = 0.2
MAX_SCORES = 5000  # calibration scores kept in a model file (a split holds out at most this many rows)
UNLIKE_PERCENTILE = 99.0
MAX_DENSITY_WIDTH = 2048  # features a model file keeps a precision matrix for (2048² float64: 32 MiB)


def check_coverage(coverage: float) -> float:
    """The coverage as a float strictly between 0 and 1, else an error naming the setting."""
    try:
        value = float(coverage)
    except (TypeError, ValueError):  # refused below, as NaN is
        value = math.nan
    if not 0.0 < value < 1.0:
        raise HybridXAIError(f"The coverage ({setting('coverage')}) must be between 0 and 1, e.g. 0.9 for sets that "
                             f"hold the true class 9 times in 10; got {coverage}.")
    return value


# ---- prediction sets ---------------------------------------------------------------------------------


def class_scores(proba: np.ndarray) -> np.ndarray:
    """(N, C) score of each class: the probabilities of the classes ranked above it plus half its own (ties: class
    order)."""
    p = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    out = np.empty_like(p)
    np.put_along_axis(out, order, np.cumsum(ranked, axis=1) - ranked / 2, axis=1)
    return out


def true_class_scores(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N,) the APS score of each row's true class."""
    y = np.asarray(y, dtype=np.int64)
    return class_scores(proba)[np.arange(len(y)), y]


def threshold(scores: np.ndarray, coverage: float) -> float | None:
    """The ⌈(n + 1)·coverage⌉-th smallest score, or None when n scores are too few for that coverage."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    k = math.ceil((len(s) + 1) * coverage - 1e-9)  # (n + 1)·c is often a whole number that float rounding lifts
    return None if k > len(s) or k < 1 else float(s[k - 1])


def prediction_sets(proba: np.ndarray, q: float, include_predicted: bool = True) -> np.ndarray:
    """(N, C) bool: the classes whose score is at most q; with include_predicted also the most probable class."""
    p = np.asarray(proba, dtype=np.float64)
    sets = class_scores(p) <= q + 1e-12  # scores are sums of float64 probabilities: the same sum, the same class
    if include_predicted and len(p):
        sets[np.arange(len(p)), p.argmax(axis=1)] = True
    return sets


def set_names(sets: np.ndarray, class_names: list[str], proba: np.ndarray | None = None) -> list[str]:
    """Each row's set as its class names joined by '|', most probable first (class order without proba)."""
    sets = np.asarray(sets, dtype=bool)
    order = np.argsort(-np.asarray(proba), axis=1, kind="stable") if proba is not None else \
        np.broadcast_to(np.arange(sets.shape[1]), sets.shape)
    members = np.ascontiguousarray(np.where(np.take_along_axis(sets, order, axis=1), order, -1), dtype=np.int32)
    # Rows share few distinct sets: each is joined once. A row viewed as one value: np.unique 8x faster than axis=0
    rows = members.view(np.dtype((np.void, 4 * members.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    texts = ["|".join(class_names[j] for j in members[i] if j >= 0) for i in first]
    return [texts[i] for i in inverse.reshape(-1)]


@dataclass(frozen=True)
class Calibration:
    """Conformal scores of rows the scoring model did not train on, sorted."""

    method: str  # split or cross
    scores: np.ndarray  # (n,) float64, sorted
    folds: int = 0  # cross: fold models

    n = property(lambda self: len(self.scores))  # calibration scores

    @property
    def max_coverage(self) -> float:  # the highest coverage n scores can promise
        return self.n / (self.n + 1)

    def threshold(self, coverage: float) -> float | None:  # None: too few scores
        return threshold(self.scores, coverage)

    def bounds(self, coverage: float) -> tuple[float, float]:  # split conformal, the set {score ≤ q}
        return coverage, min(1.0, coverage + 1.0 / (self.n + 1))

    def describe(self) -> str:
        if self.method == "split":
            return (f"split conformal: scores of {self.n} training rows held out of training (a calibration "
                    "split)")
        return (f"cross-conformal: scores of the {self.n} training rows, each from one of {self.folds} fold models "
                "that did not train on it (the model itself trained on every row)")

    def unavailable(self, coverage: float) -> str:  # why there is no set at this coverage
        need, most = math.ceil(coverage / (1 - coverage) - 1e-9), math.floor(self.max_coverage * 1000) / 1000
        return (f"No prediction sets at coverage {coverage:g}: this model kept {self.n} calibration scores, and a "
                f"guarantee at {coverage:g} needs at least {need}; coverage up to {most:g} is possible "
                f"({setting('coverage')}), or train on more rows.")


# ---- unlike the training data ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureDensity:
    """The training rows' features inside the network: class means, one shared precision matrix, and the distance
    beyond which a row is unlike them."""

    means: np.ndarray  # (C, d) float64
    precision: np.ndarray  # (d, d) float64, symmetric
    limit: float  # squared distance: the percentile of held-out training rows' distances (see `calibrate`)
    percentile: float = UNLIKE_PERCENTILE

    def distances(self, features: np.ndarray) -> np.ndarray:
        """(N,) squared Mahalanobis distance of each row to the nearest class mean."""
        F = np.asarray(features, dtype=np.float64)
        best = np.full(len(F), np.inf)
        for mean in self.means:
            d = F - mean
            best = np.minimum(best, np.einsum("ij,jk,ik->i", d, self.precision, d))
        return np.maximum(best, 0.0)

    def unlike(self, features: np.ndarray) -> np.ndarray:
        return self.distances(features) > self.limit


def fit_density(features: np.ndarray, y: np.ndarray, n_classes: int) -> FeatureDensity:
    """Class means and a Ledoit-Wolf shared covariance of the training rows' features (shrinkage: a few dozen rows
    in 64 or more dimensions leave the plain covariance singular); no limit yet (`calibrate` sets it)."""
    from sklearn.covariance import ledoit_wolf

    F, y = np.asarray(features, dtype=np.float64), np.asarray(y, dtype=np.int64)
    counts = np.bincount(y, minlength=n_classes)
    means = np.stack([F[y == c].mean(axis=0) if counts[c] else F.mean(axis=0) for c in range(n_classes)])
    covariance, _ = ledoit_wolf(F - means[y], assume_centered=True)
    precision = np.linalg.pinv(covariance, hermitian=True)
    return FeatureDensity(means, (precision + precision.T) / 2, math.inf)


# ---- the network's features --------------------------------------------------------------------------


def feature_width(model_config) -> int:
    """Width of the features `logits_and_features` returns for a network of this configuration (one member's)."""
    return 2 * model_config.cnn_channels


def logits_and_features(model, X: np.ndarray, batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(logits (N, C), features (N, d)) of scaled rows in one pass. The features are the last convolution block
    (the Grad-CAM layer) averaged over positions, of the network or, for an ensemble, of its first member: they
    grow with the input, where the attention's output, which the last layer reads, saturates (rows of noise ten
    times the data's spread: 17-83 % flagged there on three tables, 100 % here: benchmarks/README.md). One
    member's, because the fold models that set the flag's limit are single networks (a member is one: member 0 is
    initialised and shuffled as a single network of the same seed). The hooks go in `finally`."""
    import torch

    members = list(model.members)[:1] if hasattr(model, "members") else [model]
    grabbed: list = []
    was_training = model.training
    model.eval()
    hooks = [m.gradcam_layer.register_forward_hook(
        lambda _m, _args, out: grabbed.append(out.detach().float().mean(dim=2).cpu())) for m in members]
    device = next(model.parameters()).device
    logits, features = [], []
    try:
        with torch.inference_mode():
            for start in range(0, len(X), batch):
                grabbed.clear()
                part = torch.from_numpy(np.asarray(X[start:start + batch], dtype=np.float32)).to(device)
                out, _ = model(part)  # (B, C)
                logits.append(out.float().cpu().numpy())
                features.append(torch.cat(grabbed, dim=1).numpy())  # (B, 2c)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    if not logits:
        return np.zeros((0, members[0].fc.out_features), np.float32), np.zeros((0, feature_width(model.config)))
    return np.concatenate(logits), np.concatenate(features).astype(np.float64)


# ---- what a model keeps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uncertainty:
    """What a trained model keeps to say how sure it is (saved in its file, checked when read)."""

    calibration: Calibration | None = None  # None: trained with prediction sets off, or stopped before
    density: FeatureDensity | None = None  # None: too few rows, or features too wide to keep
    notes: tuple[str, ...] = ()  # why a part is missing

    def to_payload(self) -> dict[str, Any]:
        import torch

        def tensor(a):  # float64, contiguous, owning its storage (checkpoint_limits refuses views)
            return torch.from_numpy(np.array(a, dtype=np.float64, order="C", copy=True))

        out: dict[str, Any] = {"notes": list(self.notes)}
        if (c := self.calibration) is not None:
            out["calibration"] = {"method": c.method, "folds": int(c.folds), "scores": tensor(c.scores)}
        if (d := self.density) is not None:
            out["density"] = {"means": tensor(d.means), "precision": tensor(d.precision), "limit": float(d.limit),
                              "percentile": float(d.percentile)}
        return out

    @classmethod
    def from_payload(cls, payload: Any) -> Uncertainty | None:
        """From a loaded file's dict (checkpoint_limits checked it first); None for files from before."""
        if not isinstance(payload, dict):
            return None

        def array(value) -> np.ndarray:
            return value.cpu().numpy().astype(np.float64) if hasattr(value, "cpu") else np.asarray(value, np.float64)

        calibration = density = None
        c = payload.get("calibration")
        if isinstance(c, dict):
            calibration = Calibration(str(c["method"]), np.sort(array(c["scores"])), int(c.get("folds", 0)))
        d = payload.get("density")
        if isinstance(d, dict):
            density = FeatureDensity(array(d["means"]), array(d["precision"]), float(d["limit"]),
                                     float(d.get("percentile", UNLIKE_PERCENTILE)))
        return cls(calibration, density, tuple(str(n) for n in payload.get("notes") or ()))

    def describe(self) -> str:
        sets = self.calibration.describe() if self.calibration is not None else "no prediction sets"
        return f"{sets}; " + (f"rows unlike the training data beyond the {self.density.percentile:g}th percentile of "
                              "the training rows' feature distances (each under a network that did not train on it)"
                              if self.density is not None else "no unlike-the-training-data flag")


# ---- per row -----------------------------------------------------------------------------------------


NOT_KEPT = ("Prediction sets are not available for this model, nor the flag for rows unlike the training data: its "
            "file was saved before HybridXAI kept what they need. Train it again to get them.")


@dataclass
class RowUncertainty:
    """How sure the model is of each of N rows: its prediction set at `coverage` and whether it is unlike the
    training data (None where the model cannot say; `notes` says why)."""

    coverage: float | None
    sets: np.ndarray | None = None  # (N, C) bool
    unlike: np.ndarray | None = None  # (N,) bool
    distances: np.ndarray | None = None  # (N,) squared feature distances behind `unlike`
    notes: list[str] = field(default_factory=list)

    def set_texts(self, class_names: list[str], proba: np.ndarray | None = None) -> list[str] | None:
        return None if self.sets is None else set_names(self.sets, class_names, proba)

    def unlike_texts(self) -> list[str] | None:  # the `unlike_training` column
        return None if self.unlike is None else ["yes" if u else "no" for u in self.unlike]


def sets_at(uncertainty: Uncertainty | None, proba: np.ndarray, coverage: float) -> tuple[np.ndarray | None, str]:
    """(sets or None, why none) for rows of probabilities at a coverage."""
    coverage = check_coverage(coverage)
    if uncertainty is None:
        return None, NOT_KEPT
    calibration = uncertainty.calibration
    if calibration is None:
        return None, next(iter(uncertainty.notes), "Prediction sets are not available for this model.")
    q = calibration.threshold(coverage)
    if q is None:
        return None, calibration.unavailable(coverage)
    return prediction_sets(proba, q), ""


def describe_rows(uncertainty: Uncertainty | None, proba: np.ndarray, features: np.ndarray | None,
                  coverage: float | None = DEFAULT_COVERAGE) -> RowUncertainty:
    """Sets (when a coverage is asked) and the unlike flag of rows, from their probabilities and features."""
    out = RowUncertainty(coverage)
    if coverage is not None:
        out.sets, why = sets_at(uncertainty, proba, coverage)
        if why:
            out.notes.append(why)
    if uncertainty is None:
        return out
    if uncertainty.density is not None and features is not None:
        out.distances = uncertainty.density.distances(features)
        out.unlike = out.distances > uncertainty.density.limit
    elif uncertainty.density is None:
        out.notes.extend(n for n in uncertainty.notes if "unlike" in n and n not in out.notes)
    return out


@dataclass(frozen=True)
class CoverageCheck:  # prediction sets measured on labelled rows at one coverage
    coverage: float
    measured: float | None  # share of rows whose set holds the true class (None: no sets at this coverage)
    mean_size: float | None
    bounds: tuple[float, float] | None  # the split-conformal guarantee for n calibration scores
    n_rows: int
    note: str = ""


def check_sets(uncertainty: Uncertainty | None, proba: np.ndarray, y: np.ndarray,
               coverages=REPORT_COVERAGES) -> list[CoverageCheck]:
    """Coverage and mean set size of labelled rows (the report's test rows) at each coverage."""
    y = np.asarray(y, dtype=np.int64)
    out = []
    for c in coverages:
        sets, why = sets_at(uncertainty, proba, c)
        if sets is None:
            out.append(CoverageCheck(c, None, None, None, len(y), why))
            continue
        held, sizes = sets[np.arange(len(y)), y], sets.sum(axis=1)
        out.append(CoverageCheck(c, float(held.mean()) if len(y) else None, float(sizes.mean()) if len(y) else None,
                                 uncertainty.calibration.bounds(c), len(y)))
    return out


# ---- calibrating at training -------------------------------------------------------------------------


def resolve_method(method: str, n_train: int) -> str:
    """split, cross or off: `auto` made concrete for a number of training rows."""
    return ("split" if n_train >= SPLIT_MIN_ROWS else "cross") if method == "auto" else method


def _by_class(y: np.ndarray, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng([abs(int(seed)), 27])
    return [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]


def calibration_split(y: np.ndarray, seed: int, share: float = CALIBRATION_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(training, calibration) positions: `share` of every class (at most MAX_SCORES rows in all), every class
    keeping a row to train on."""
    y = np.asarray(y, dtype=np.int64)
    share = min(share, MAX_SCORES / max(1, len(y)))
    held = [rows[:min(len(rows) - 1, int(round(share * len(rows))))] for rows in _by_class(y, seed)]
    cal = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    return np.setdiff1d(np.arange(len(y)), cal), cal


def stratified_folds(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(N,) fold of each row: every class dealt round the folds, continuing where the previous class stopped, so
    the folds differ in size by at most one row."""
    fold = np.empty(len(y), dtype=np.int64)
    start = 0
    for rows in _by_class(np.asarray(y, dtype=np.int64), seed):
        fold[rows] = (start + np.arange(len(rows))) % folds
        start += len(rows)
    return fold


def _subset(data, keep: np.ndarray, tested: bool = True):
    """PreparedData training on the rows `keep` only; tested=False: no test rows (a fold model is never tested)."""
    untested = {} if tested else {"X_test": data.X_test[:0], "y_test": data.y_test[:0],
                                  "rows_test": data.rows_test[:0], "X_test_raw": data.X_test_raw[:0]}
    return replace(data, X_train=data.X_train[keep], y_train=data.y_train[keep], rows_train=data.rows_train[keep],
                   warnings=list(data.warnings), **untested)


def hold_out(data, seed: int):
    """(PreparedData that trains without its calibration rows, (X_cal, y_cal))."""
    keep, cal = calibration_split(data.y_train, seed)
    trains = _subset(data, keep)
    trains.warnings.append(f"{len(cal)} of the {len(data.y_train)} training rows were held out to calibrate the "
                           f"prediction sets (a split conformal calibration; {setting('prediction_sets', 'cross')} "
                           f"trains on every row at the cost of {FOLDS} extra trainings).")
    return trains, (data.X_train[cal], data.y_train[cal])


def calibrate(data, trained, method: str, held=None, control=None, runtime=None, world=None,
              progress_every: float = 0.2) -> Iterator[CalibrationProgress]:
    """What `trained` (trained on `data`'s training rows) keeps to say how sure it is; a generator that yields
    CalibrationProgress while fold models train (cross) and returns the Uncertainty. `held`: the calibration rows
    hold_out kept back (split). Both the sets' scores and the flag's limit come from rows the scoring network did
    not train on. Every distributed worker makes this same call."""
    notes: list[str] = []
    n_classes = len(trained.class_names)
    width = feature_width(trained.model_config)
    flag = width <= MAX_DENSITY_WIDTH and method != "off"
    if width > MAX_DENSITY_WIDTH:
        notes.append(f"The flag for rows unlike the training data is not available: the network's features are "
                     f"{width} wide, above the {MAX_DENSITY_WIDTH} a model file keeps.")
    if method == "off":
        why = f"it was trained with {setting('prediction_sets', 'off')}"
        return Uncertainty(None, None, (f"Prediction sets are not available for this model: {why}.",
                                        f"The flag for rows unlike the training data is not available: {why}."))
    density = fit_density(logits_and_features(trained.model, data.X_train)[1], data.y_train, n_classes) \
        if flag else None
    calibration = distances = None
    if method == "split":
        X_cal, y_cal = held
        logits, features = logits_and_features(trained.model, X_cal)
        calibration = Calibration("split", np.sort(true_class_scores(trained.probabilities(logits), y_cal)))
        distances = density.distances(features) if flag and len(y_cal) else None
    else:
        why = "training stopped before the fold models that calibrate them were trained"
        try:
            found = yield from _cross_scores(data, trained, control, runtime, world, progress_every, flag)
        except HybridXAIError as exc:  # e.g. too few rows left for a fold model: the model itself is kept
            found, why = None, f"a fold model that calibrates them could not be trained ({exc.template.rstrip('.')})"
        if found is None:
            notes.append(f"Prediction sets are not available for this model, nor the flag for rows unlike the "
                         f"training data: {why}.")
        else:
            calibration = Calibration("cross", np.sort(found[0]), min(FOLDS, len(data.y_train)))
            distances = found[1]
    if density is not None and distances is not None:
        return Uncertainty(calibration, replace(density, limit=float(np.percentile(distances, UNLIKE_PERCENTILE))),
                           tuple(notes))
    return Uncertainty(calibration, None, tuple(notes))


def _cross_scores(data, trained, control, runtime, world, progress_every, flag: bool):
    """(each training row's score, and with `flag` its feature distance) from the fold model that did not train
    on it, measured against that fold model's own training rows; None when stopped."""
    import time

    from ..training.distributed import SINGLE
    from ..training.loop import BatchProgress, EpochMetrics, TrainingFinished, train

    n, n_classes = len(data.y_train), len(trained.class_names)
    folds = min(FOLDS, n)
    if folds < 2:
        return None
    fold_of = stratified_folds(data.y_train, folds, trained.train_config.seed)
    # One network per fold, also for an ensemble: five ensembles would cost five times the model's training (a
    # series model of 3 members: 15 networks more), five networks cost 5/3 of it. A single network is a little
    # weaker than the ensemble it stands in for, so its scores run higher and the sets err on the large side.
    fold_config = replace(trained.model_config, ensemble=1)
    scores, distances = np.empty(n), np.empty(n) if flag else None
    started = time.perf_counter()
    for k in range(folds):
        if control is not None and control.stopped:
            return None
        rest, mine = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        result = None
        for item in train(_subset(data, rest, tested=False), fold_config, trained.train_config,
                          control, progress_every, runtime, world or SINGLE):
            if isinstance(item, TrainingFinished):
                result = item.result
            elif isinstance(item, (BatchProgress, EpochMetrics)):
                yield CalibrationProgress(k + 1, folds, item.epoch, item.epochs, time.perf_counter() - started)
        if result is None or result.reason == "stopped" or not result.history:
            return None
        fold = result.trained
        logits, features = logits_and_features(fold.model, data.X_train[mine])
        scores[mine] = true_class_scores(fold.probabilities(logits), data.y_train[mine])
        if flag:
            own = fit_density(logits_and_features(fold.model, data.X_train[rest])[1], data.y_train[rest], n_classes)
            distances[mine] = own.distances(features)
    return scores, distances
