"""What a domain expert looks at first: the data per class. For series, each channel's mean ± spread per
class over time (and any single series to lay over it); for tables, each feature's distribution per class.

Computed off the GUI thread (the Data tab runs it in a worker) and drawn by plotting/data_plots.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .csvio import Source
from .series import read_series
from .layout import Detected
from .units import label_texts, label_unit

MAX_CLASSES = 12  # more distinct labels than this: the plot shows the most frequent ones
MAX_FEATURES = 12  # tables: the first this many features get a panel
BINS = 24


@dataclass
class ClassProfile:
    kind: str  # "series" or "table"
    label: str
    class_names: list[str]  # the classes shown (the most frequent, at most MAX_CLASSES)
    counts: list[int]  # rows (series) per shown class
    n_classes: int  # distinct labels in all
    # series
    channels: list[str] = field(default_factory=list)
    steps: int = 0
    mean: np.ndarray | None = None  # (K, C, T) per class
    spread: np.ndarray | None = None  # (K, C, T) standard deviation per class
    X: np.ndarray | None = None  # (N, C * T) each series (resampled to T), in the data's units
    y: np.ndarray | None = None  # (N,) index into class_names, -1 for a class not shown
    ids: list = field(default_factory=list)  # each series' id (long) or data row (wide)
    lengths: np.ndarray | None = None
    ripple: tuple[float, float, str] | None = None  # unequal lengths sharing one ripple (ripple.shared_ripple)
    padded: bool = False  # on their own time axis (DataConfig.unequal = "pad"), not resampled
    # table
    features: list[str] = field(default_factory=list)
    n_features: int = 0  # numeric features in all (the first MAX_FEATURES get a panel)
    edges: list[np.ndarray] = field(default_factory=list)  # per feature: bin edges
    density: list[np.ndarray] = field(default_factory=list)  # per feature: (K, BINS) density per class
    # per feature: 0, or the linear range s of a signed-log axis (asinh(x / s)) for a long-tailed column, the same
    # rule that reads it so for the network (prepare.heavy_tail_scales): the bins are even on that axis
    soft: list[float] = field(default_factory=list)

    @property
    def ripple_hint(self) -> str | None:
        """What a ripple shared by series of unequal length means for their reading (ripple.ripple_note), or None."""
        if self.ripple is None:
            return None
        from .ripple import ripple_note

        return ripple_note(self.ripple, self.padded)

    def series(self, index: int) -> np.ndarray:
        """(C, T) of series `index`."""
        return self.X[index].reshape(len(self.channels), self.steps)


def _top_classes(labels: pd.Series) -> tuple[list[str], list[int], int]:
    counts = labels.value_counts(dropna=True)
    shown = counts.iloc[:MAX_CLASSES]
    names = [str(v) for v in shown.index]
    from .tables import _sorted_classes

    ordered = _sorted_classes([n for n in names if n != "nan"]) + (["nan"] if "nan" in names else [])
    order = [names.index(n) for n in ordered]  # 2 before 10, 5 mg before 10 mg, as training sorts; gaps last
    return [names[i] for i in order], [int(shown.iloc[i]) for i in order], len(counts)


def class_profile(frame: pd.DataFrame, detected: Detected, label: str, features: list[str] | None = None,
                  source: str = "the table", unequal: str = "resample") -> ClassProfile:
    """The per-class view of `frame` in its detected layout (label values compared as text). Series of unequal
    length as training reads them: resampled onto the longest, or (`unequal="pad"`) on their own time axis, each
    step's mean over the series that reach it (the padding is no value of the series)."""
    src = Source(source, False)
    if detected.spec is not None:
        from dataclasses import replace

        padded = unequal == "pad"
        spec = replace(detected.spec, unequal=unequal) if padded else detected.spec
        rows = read_series(frame, spec, src, "mean", label, ripple=True)  # gaps stay NaN: means skip them
        if padded:  # the steps after a series' end are no values of it: NaN, which the means skip
            C = spec.n_channels
            T = rows.X.shape[1] // C
            after = np.arange(T)[None, None, :] >= rows.lengths[:, None, None]
            rows.X = np.where(np.broadcast_to(after, (len(rows.X), C, T)), np.nan,
                              rows.X.reshape(len(rows.X), C, T)).reshape(len(rows.X), C * T).astype(np.float32)
        labels = pd.Series(label_texts(rows.labels, label_unit(frame, label)))  # named as training names them
        names, counts, n_classes = _top_classes(labels)
        index = {name: k for k, name in enumerate(names)}
        y = np.array([index.get(v, -1) for v in labels], dtype=np.int64)
        C = detected.spec.n_channels
        T = rows.X.shape[1] // C
        values = rows.X.reshape(len(rows.X), C, T).astype(np.float64)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN step of one class
                mean = np.stack([np.nanmean(values[y == k], axis=0) for k in range(len(names))])
                spread = np.stack([np.nanstd(values[y == k], axis=0) for k in range(len(names))])
        return ClassProfile("series", label, names, counts, n_classes, list(detected.spec.channels), T, mean, spread,
                            rows.X, y, list(rows.ids), rows.lengths, rows.ripple, padded)
    unit = label_unit(frame, label)  # "10 mg" read as the number 10: its classes named as training names them
    labels = (pd.Series(label_texts(frame[label].tolist(), unit), index=frame.index) if unit
              else frame[label].astype(str).str.strip())
    names, counts, n_classes = _top_classes(labels)
    columns = [c for c in (features if features is not None else frame.columns) if c != label]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    profile = ClassProfile("table", label, names, counts, n_classes, features=numeric[:MAX_FEATURES],
                           n_features=len(numeric))
    codes = labels.to_numpy()
    from .prepare import heavy_tail_scales

    for name in profile.features:
        values = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)
        if not finite.any():
            profile.edges.append(np.array([0.0, 1.0]))
            profile.density.append(np.zeros((len(names), 1)))
            profile.soft.append(0.0)
            continue
        soft = float(heavy_tail_scales(values[finite][:, None])[0][0])
        if soft > 0:
            values = np.arcsinh(values / soft)  # binned evenly on the signed-log axis
        low, high = np.percentile(values[finite], [0.5, 99.5])
        if high <= low:
            low, high = low - 0.5, high + 0.5
        edges = np.linspace(low, high, BINS + 1)
        density = np.zeros((len(names), BINS))
        for k, cls in enumerate(names):
            part = values[(codes == cls) & finite]
            if len(part):
                density[k], _ = np.histogram(np.clip(part, low, high), bins=edges, density=True)
        profile.edges.append(np.sinh(edges) * soft if soft > 0 else edges)
        profile.density.append(density)
        profile.soft.append(soft)
    return profile


__all__ = ["ClassProfile", "class_profile", "MAX_CLASSES", "MAX_FEATURES"]
