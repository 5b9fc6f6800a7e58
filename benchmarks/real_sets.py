"""Real data sets for recipe research: train / validation / test arrays, preprocessed as the product would.

    from real_sets import load_set, SETS
    s = load_set("ACSF1", seed=0)          # s.X_train (N, C*T) float32, s.n_channels, s.anchors, ...

Sets (files in /work/shared/data, see its README.md; anchors from its anchors.json):

* ``ACSF1`` -- 100 + 100 series x 1,460 steps, 10 classes. The rows are already z-normalised per series (UCR),
  so, as the product's ``scaling=auto`` does, they are left unscaled.
* ``Pickup`` (PickupGestureWiimoteZ) -- 50 + 50 series of 29-361 steps, 10 classes, trailing empty cells.
  **Unequal-length rule** (``pickup_length``): each series (its non-empty prefix) is resampled linearly to a
  common length chosen from the *training* series: ``"median"`` (default, 136 on this file), ``"max"`` (361) or a
  fixed number (the anchors used 250). The product stores the length in the model and applies the same
  resampling to rows it predicts. Then scaled per channel (mean/sd pooled over all steps, training rows only).
* ``BasicMotions`` -- 40 + 40 recordings, 6 channels x 100 steps (accel x/y/z, gyro x/y/z), channel-major
  columns. Scaled per channel: mean and sd pooled over all steps of a channel, training rows only.
* ``wine``, ``breast_cancer`` (scikit-learn) -- a fixed stratified 80/20 test split per seed, per-column z-score
  fitted on the training rows (the product's rule for tables).

Validation: a stratified, seeded share of the training file (the product's own splitter), 15 % unless that
cannot hold one row of every class, then the smallest share that can (Pickup, 10 classes x 5 rows: 20 %).
The seed varies the validation split (and, for the scikit-learn sets, the test split); the given test files
are never touched. ``one_nn`` is 1-NN Euclidean fitted on train + validation rows of the same arrays, a check
against the anchors.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hybridxai_gui.core.data.prepare import _stratified_split  # noqa: E402  (the product's splitter)

DATA = Path("/work/shared/data")
SETS = ("ACSF1", "Pickup", "BasicMotions", "wine", "breast_cancer")
SERIES_SETS = ("ACSF1", "Pickup", "BasicMotions")
VAL_SHARE = 0.15


@dataclass
class RealSet:
    name: str
    X_train: np.ndarray  # (N, C*T) float32, channel-major, scaled
    y_train: np.ndarray  # (N,) int64
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_channels: int
    class_names: list[str]
    anchors: dict = field(default_factory=dict)  # one_nn_ed / minirocket (published on these splits) or target
    rule: str = ""  # preprocessing, in words
    val_share: float = VAL_SHARE

    @property
    def length(self) -> int:
        return self.X_train.shape[1] // self.n_channels

    def shape_text(self) -> str:
        c = f"{self.n_channels}x" if self.n_channels > 1 else ""
        return f"{len(self.y_train)}+{len(self.y_val)}/{len(self.y_test)} x {c}{self.length}"


class _Src:  # what _stratified_split needs for its messages
    name = "real set"


def _anchors() -> dict:
    raw = json.loads((DATA / "anchors.json").read_text())
    return {
        "ACSF1": {"one_nn": raw["ACSF1"]["one_nn_ed"], "minirocket": raw["ACSF1"]["minirocket"]},
        "Pickup": {"one_nn": raw["PickupGestureWiimoteZ"]["one_nn_ed_resampled_250"],
                   "minirocket": raw["PickupGestureWiimoteZ"]["minirocket_resampled_250"]},
        "BasicMotions": {"one_nn": raw["BasicMotions"]["one_nn_ed"], "minirocket": raw["BasicMotions"]["minirocket"]},
        "wine": {"target": 0.95},
        "breast_cancer": {"target": 0.95},
    }


def _encode(train_labels, test_labels) -> tuple[np.ndarray, np.ndarray, list[str]]:
    names = sorted({str(v) for v in train_labels}, key=lambda s: (0, float(s), s) if _isnum(s) else (1, 0, s))
    index = {n: i for i, n in enumerate(names)}
    return (np.array([index[str(v)] for v in train_labels], dtype=np.int64),
            np.array([index[str(v)] for v in test_labels], dtype=np.int64), names)


def _isnum(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def val_share_for(y: np.ndarray, share: float = VAL_SHARE) -> float:
    """The share, raised to the smallest that holds one row of every class when it cannot (ceil rounding)."""
    n, k = len(y), len(np.unique(y))
    if math.ceil(share * n) >= k:
        return share
    return k / n


def _split_val(y: np.ndarray, seed: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    names = [str(i) for i in range(int(y.max()) + 1)]
    return _stratified_split(np.arange(len(y)), y, share, seed, "validation", names, _Src())


def resample_rows(X: np.ndarray, length: int) -> np.ndarray:
    """Each row's non-empty prefix (NaN = trailing empty cell), resampled linearly to `length` points."""
    out = np.empty((len(X), length), dtype=np.float64)
    grid = np.linspace(0.0, 1.0, length)
    for i, row in enumerate(X):
        values = row[np.isfinite(row)]
        if len(values) == 1:
            out[i] = values[0]
        else:
            out[i] = np.interp(grid, np.linspace(0.0, 1.0, len(values)), values)
    return out


def lengths(X: np.ndarray) -> np.ndarray:
    return np.isfinite(X).sum(axis=1)


def channel_scale(X_fit: np.ndarray, n_channels: int, *parts: np.ndarray) -> list[np.ndarray]:
    """Per-channel z-score with mean/sd pooled over all steps of a channel in X_fit (training rows only)."""
    n, f = X_fit.shape
    t = f // n_channels
    fit = X_fit.reshape(n, n_channels, t)
    mean = fit.mean(axis=(0, 2))
    sd = fit.std(axis=(0, 2))
    sd[sd == 0] = 1.0
    return [((P.reshape(len(P), n_channels, t) - mean[None, :, None]) / sd[None, :, None]).reshape(len(P), f)
            .astype(np.float32) for P in parts]


def column_scale(X_fit: np.ndarray, *parts: np.ndarray) -> list[np.ndarray]:
    mean, sd = X_fit.mean(axis=0), X_fit.std(axis=0)
    sd[sd <= 1e-12] = 1.0
    return [((P - mean) / sd).astype(np.float32) for P in parts]


def _read_wide(stem: str, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tr, te = pd.read_csv(DATA / f"{stem}_train.csv"), pd.read_csv(DATA / f"{stem}_test.csv")
    Xtr = tr.drop(columns=label).to_numpy(np.float64)
    Xte = te.drop(columns=label).to_numpy(np.float64)
    return Xtr, tr[label].to_numpy(), Xte, te[label].to_numpy()


def load_set(name: str, seed: int = 0, *, pickup_length: str | int = "median", scaling: str = "default",
             val_share: float | None = None) -> RealSet:
    """The named set's arrays for one seed. scaling: default (as documented above), channel, column, none."""
    anchors = _anchors()[name]
    if name == "ACSF1":
        Xtr, ltr, Xte, lte = _read_wide("ACSF1", "appliance")
        C, rule = 1, "rows already z-normalised per series: no scaling (product's auto)"
        default_scaling = "none"
    elif name == "Pickup":
        Xtr, ltr, Xte, lte = _read_wide("PickupGestureWiimoteZ", "gesture")
        L = lengths(Xtr)
        if pickup_length == "median":
            T = int(np.median(L))
        elif pickup_length == "max":
            T = int(L.max())
        else:
            T = int(pickup_length)
        Xtr, Xte = resample_rows(Xtr, T), resample_rows(Xte, T)
        C, rule = 1, f"each series resampled linearly to {T} ({pickup_length} of training lengths); per-channel scale"
        default_scaling = "channel"
    elif name == "BasicMotions":
        tr = pd.read_csv(DATA / "BasicMotions_train_wide.csv")
        te = pd.read_csv(DATA / "BasicMotions_test_wide.csv")
        Xtr, ltr = tr.drop(columns="activity").to_numpy(np.float64), tr["activity"].to_numpy()
        Xte, lte = te.drop(columns="activity").to_numpy(np.float64), te["activity"].to_numpy()
        C, rule = 6, "6 channels x 100, channel-major; per-channel scale (pooled over steps, training rows)"
        default_scaling = "channel"
    elif name in ("wine", "breast_cancer"):
        from sklearn.datasets import load_breast_cancer, load_wine

        bunch = load_wine() if name == "wine" else load_breast_cancer()
        X, y = bunch.data.astype(np.float64), bunch.target
        tr_idx, te_idx = _stratified_split(np.arange(len(y)), y, 0.2, seed, "test",
                                           [str(i) for i in range(y.max() + 1)], _Src())
        Xtr, ltr, Xte, lte = X[tr_idx], y[tr_idx], X[te_idx], y[te_idx]
        C, rule = 1, "stratified 80/20 test split per seed; per-column z-score"
        default_scaling = "column"
    else:
        raise ValueError(f"unknown set {name!r}; use one of {SETS}")

    ytr_all, yte, class_names = _encode(ltr, lte)
    share = val_share if val_share is not None else val_share_for(ytr_all)
    keep, held = _split_val(ytr_all, seed, share)
    Xtr_, Xval = Xtr[keep], Xtr[held]
    mode = default_scaling if scaling == "default" else scaling
    if mode == "channel":
        Xtr_s, Xval_s, Xte_s = channel_scale(Xtr_, C, Xtr_, Xval, Xte)
    elif mode == "column":
        Xtr_s, Xval_s, Xte_s = column_scale(Xtr_, Xtr_, Xval, Xte)
    elif mode == "none":
        Xtr_s, Xval_s, Xte_s = (P.astype(np.float32) for P in (Xtr_, Xval, Xte))
    else:
        raise ValueError(f"unknown scaling {scaling!r}")
    if scaling != "default":
        rule += f" [scaling overridden: {mode}]"
    return RealSet(name, Xtr_s, ytr_all[keep], Xval_s, ytr_all[held], Xte_s, yte, C, class_names, anchors, rule,
                   share)


def one_nn(s: RealSet) -> float:
    """1-NN Euclidean, fitted on train + validation rows of the same preprocessed arrays."""
    ref = np.concatenate([s.X_train, s.X_val]).astype(np.float64)
    yref = np.concatenate([s.y_train, s.y_val])
    Q = s.X_test.astype(np.float64)
    d = (Q ** 2).sum(1)[:, None] - 2 * Q @ ref.T + (ref ** 2).sum(1)[None, :]
    return float((yref[d.argmin(axis=1)] == s.y_test).mean())


if __name__ == "__main__":  # a quick check: shapes and 1-NN against the anchors
    for set_name in SETS:
        s = load_set(set_name, 0)
        print(f"{set_name:14s} {s.shape_text():22s} val {s.val_share:.2f}  1-NN {one_nn(s):.3f}  anchors {s.anchors}"
              f"  | {s.rule}")
    for rule in ("median", "max", 250):
        for sc in ("channel", "column", "none"):
            s = load_set("Pickup", 0, pickup_length=rule, scaling=sc)
            print(f"Pickup length {rule!s:6s} ({s.length}) scaling {sc:7s} 1-NN {one_nn(s):.3f}")
