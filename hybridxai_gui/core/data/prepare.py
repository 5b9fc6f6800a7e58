"""From rows read and checked to a model's training data: scaling, stratified splits, PreparedData.

`read_rows` (core.data.tables) reads and checks a table once; `assemble` makes the PreparedData of given rows
(scaler fitted on the training rows only), which `prepare_data` and cross-validation share.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import HybridXAIError, setting
from .csvio import format_names
from .tables import (TableRows, _CHUNK_ROWS, _AUTO_SAMPLE_ROWS, _fill_missing, _gather, index_series, read_rows,
                     read_test_rows)


@dataclass(frozen=True, eq=False)
class Scaler:
    """Per-feature standardisation fitted on training rows (checkpoints save its arrays as tensors).

    `soft` (optional): a feature with soft[i] > 0 is first read on a signed-log scale, asinh(x / soft[i]) (about x /
    soft[i] below soft[i], about ± log(2|x| / soft[i]) above), then standardised: a series channel whose series'
    amplitudes span orders of magnitude (series_data.channel_scaler)."""

    mean: np.ndarray  # (F,) float64
    std: np.ndarray  # (F,) float64, zeros replaced by 1
    soft: np.ndarray | None = None  # (F,) float64 >= 0, or None: no signed-log reading

    def original(self, Z: np.ndarray) -> np.ndarray:
        """Model-space values back in the file's units (float64): the inverse of transform."""
        X = np.asarray(Z, dtype=np.float64) * np.asarray(self.std) + np.asarray(self.mean)
        if self.soft is not None:
            on = self.soft > 0
            X[..., on] = np.sinh(X[..., on]) * self.soft[on]
        return X

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ValueError(f"expected an (N, {len(self.mean)}) array, got shape {X.shape}")
        out = np.empty(X.shape, dtype=np.float32)
        _transform_into(self, X, out)
        return out


def _transform_into(scaler: Scaler, X: np.ndarray, out: np.ndarray) -> None:
    # One code path for training and prediction, so both scale alike; out (float32) may be X itself.
    # In place with float32 statistics: 4.5x faster than float64 temporaries at 1M x 32, and within an
    # ulp of them (the features themselves are float32).
    mean, std = scaler.mean.astype(np.float32), scaler.std.astype(np.float32)
    on = None if scaler.soft is None else np.flatnonzero(scaler.soft > 0)
    soft = None if on is None else np.asarray(scaler.soft[on], dtype=np.float64)
    for start in range(0, len(X), _CHUNK_ROWS):
        part = slice(start, start + _CHUNK_ROWS)
        if on is not None and len(on):
            # in float64: x / s overflows float32 for a large x over a small s (1e33 / 1e-7), asinh of it does not
            logs = np.arcsinh(np.asarray(X[part][:, on], dtype=np.float64) / soft)
            out[part] = X[part]
            out[part, on] = logs
            np.subtract(out[part], mean, out=out[part])
        else:
            np.subtract(X[part], mean, out=out[part])
        np.divide(out[part], std, out=out[part])


def fit_scaler(X: np.ndarray) -> Scaler:
    """Z-score statistics per column, two passes in float64 (one pass loses precision when mean >> std)."""
    n, f = X.shape
    total, squares = np.zeros(f), np.zeros(f)
    for start in range(0, n, _CHUNK_ROWS):
        total += X[start : start + _CHUNK_ROWS].sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    for start in range(0, n, _CHUNK_ROWS):
        squares += ((X[start : start + _CHUNK_ROWS] - mean) ** 2).sum(axis=0)
    std = np.sqrt(squares / max(n, 1))
    std[std <= 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0  # constant columns: centred, not blown up
    return Scaler(mean, std)


# A table's numeric column (never negative in the training rows) whose 99th percentile is more than TAIL_RATIO times
# the median of its positive values has a long upper tail (counts, sizes, intensities): it is read on a signed-log
# scale, asinh(x / s) with s = SOFT_SHARE x that median, before it is standardised, as a series channel whose
# amplitudes span orders of magnitude is (series_data.channel_scaler). Why: standardised as they are, the few huge
# values squeeze the bulk of such a column into a sliver near its mean (hpc_jobs' input_fields: median 426, largest
# 56,700). TAIL_RATIO was chosen from 5, 10, 20 and off over the six real tables, 3 seeds, leaving each table out
# in turn (5 was chosen in 5 of the 6; benchmarks/README.md, § Tables: the heavy-tail rule); 0 turns it off.
TAIL_RATIO = 5.0
_TAIL_SAMPLE_ROWS = 200_000  # the quantiles of a longer column are read from an even sample of its rows
_TAIL_MIN_ROWS = 20


def heavy_tail_scales(X: np.ndarray, candidates: np.ndarray | None = None) -> tuple[np.ndarray, list[tuple]]:
    """(F,) signed-log scales (0: read linearly) of training rows X, for the columns in `candidates` (bool, all by
    default), and for each column read so (index, median of its positive values, 99th percentile)."""
    from .series_data import MIN_SOFT, SOFT_SHARE

    n, f = X.shape
    soft, found = np.zeros(f), []
    if TAIL_RATIO <= 0 or n < _TAIL_MIN_ROWS:
        return soft, found
    step = max(1, n // _TAIL_SAMPLE_ROWS)
    for j in np.flatnonzero(candidates if candidates is not None else np.ones(f, dtype=bool)):
        v = np.asarray(X[::step, j], dtype=np.float64)
        v = v[np.isfinite(v)]
        if len(v) < _TAIL_MIN_ROWS or (X[:, j] < 0).any():
            continue  # a signed column (any negative value, sampled or not) is left linear
        positive = v[v > 0]
        if len(positive) < _TAIL_MIN_ROWS // 2:
            continue
        median, q99 = float(np.median(positive)), float(np.quantile(v, 0.99))
        if q99 > TAIL_RATIO * median and SOFT_SHARE * median >= MIN_SOFT:
            soft[j] = SOFT_SHARE * median
            found.append((int(j), median, q99))
    return soft, found


def fit_table_scaler(X: np.ndarray, names: list[str], candidates: np.ndarray | None = None,
                     notes: list[str] | None = None, tails: tuple[np.ndarray, list[tuple]] | None = None) -> Scaler:
    """fit_scaler, with the heavy-tailed columns among `candidates` read on a signed-log scale first
    (heavy_tail_scales, or `tails`: its result on these rows before their gaps were filled); `notes` names each such
    column in its own units."""
    scaler = fit_scaler(X)
    soft, found = tails if tails is not None else heavy_tail_scales(X, candidates)
    if not found:
        return scaler
    mean, std = scaler.mean.copy(), scaler.std.copy()
    for j, median, q99 in found:
        z = np.arcsinh(np.asarray(X[:, j], dtype=np.float64) / soft[j])
        mean[j], std[j] = z.mean(), z.std()
        if std[j] <= 1e-12 * max(1.0, abs(mean[j])):
            std[j] = 1.0
        if notes is not None:
            median_of = "median of its nonzero values" if (np.asarray(X[:, j]) == 0).any() else "median"
            notes.append(f"Column '{names[j]}': its largest values are many times its typical one ({median_of} "
                         f"{median:.3g}, 99th percentile {q99:.3g}), so it is read on a signed-log scale (asinh, linear "
                         f"below {soft[j]:.3g}) before standardising: its many ordinary values are not squeezed "
                         f"together by the few huge ones. Use {setting('scaling', 'zscore')} to standardise it as it is.")
    return Scaler(mean, std, soft)


def looks_row_normalised(X: np.ndarray) -> bool:
    """Rows that are already z-normalised series (UCR style) would only be distorted by column scaling."""
    if X.shape[1] < 16 or len(X) == 0:
        return False
    sample = X[:_AUTO_SAMPLE_ROWS].astype(np.float64)
    row_mean, row_std = sample.mean(axis=1), sample.std(axis=1)
    return bool(np.median(np.abs(row_mean)) < 0.05 and np.median(np.abs(row_std - 1.0)) < 0.05)


_SUMMARY_WORDS = {"total", "totals", "grand total", "sum", "mean", "average", "avg", "median", "summe", "gesamt",
                  "total général", "moyenne"}


def _stratified_split(idx, y, share, seed, what, class_names, src) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(y, minlength=len(class_names))
    small = np.flatnonzero((counts > 0) & (counts < 2))
    if len(small):
        name, count = class_names[small[0]], int(counts[small[0]])
        why = {
            "test": "a stratified split needs 2 (to train and test on). Add rows, remove it, or give a test file.",
            "validation": "too few to keep one for training and one for the validation split. Add rows or use "
                          f"{setting('val_size', 0)}.",
        }[what]
        if str(name).strip().lower() in _SUMMARY_WORDS:  # a spreadsheet's totals line under the data
            why = f"it looks like a {str(name).strip()!r} line under the data, not a sample: delete that line."
        raise HybridXAIError(f"{src.name}: class {name!r} has only {count} row(s); {why}")
    n_classes, n_held = int(np.count_nonzero(counts)), math.ceil(share * len(idx))
    if min(n_held, len(idx) - n_held) < n_classes:
        raise HybridXAIError(
            f"{src.name}: a {share:.0%} {what} split of {len(idx)} rows cannot hold all {n_classes} classes. "
            f"Change {setting('test_size' if what == 'test' else 'val_size')} or add rows."
        )
    # numpy, not sklearn's train_test_split: same stratification, no 2 s import, 16% less load time at 1M rows.
    held_per_class = _allocate(counts, n_held, np.random.default_rng([abs(int(seed)), 0]))
    rng = np.random.default_rng([abs(int(seed)), 1])
    by_class, starts = np.argsort(y, kind="stable"), np.cumsum(counts) - counts
    held = [
        rng.choice(by_class[starts[c] : starts[c] + counts[c]], held_per_class[c], replace=False)
        for c in np.flatnonzero(counts)
    ]
    mask = np.zeros(len(idx), dtype=bool)
    mask[np.concatenate(held)] = True
    return idx[~mask], idx[mask]  # file order: easier to inspect, and training shuffles anyway


def validation_split(train_idx: np.ndarray, y: np.ndarray, share: float, seed: int, class_names: list[str],
                     src, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) indices out of train_idx, stratified. A share too small to hold one row of every
    class is raised to that (when every class keeps at least two rows for training), with a note; a set too
    small even for that trains without a validation split, with a note."""
    if share <= 0:
        return train_idx, np.empty(0, dtype=np.int64)
    labels = y[train_idx]
    counts = np.bincount(labels, minlength=len(class_names))
    present = counts[counts > 0]
    n_held = math.ceil(share * len(train_idx))
    if n_held < len(present) and not (counts == 1).any():
        if present.min() >= 3:
            share = len(present) / len(train_idx)
            notes.append(f"A {setting('val_size')} share of {len(train_idx)} training rows cannot hold one row of "
                         f"each of the {len(present)} classes: the validation split holds one of each instead.")
        else:
            notes.append(f"With {len(train_idx)} training rows for {len(present)} classes there is no room for a "
                         "validation split: training runs without one (the last epoch's weights are kept).")
            return train_idx, np.empty(0, dtype=np.int64)
    keep, held = _stratified_split(np.arange(len(train_idx)), labels, share, seed, "validation", class_names, src)
    return train_idx[keep], train_idx[held]


def _allocate(counts: np.ndarray, n_held: int, rng: np.random.Generator) -> np.ndarray:
    """Rows to hold out per class: proportional to the class sizes, summing to n_held (largest remainders,
    ties drawn at random), and at least 1 held and 1 kept for every class present when n_held allows it."""
    exact = counts * (n_held / counts.sum())
    held = np.floor(exact).astype(np.int64)
    order = np.lexsort((rng.random(len(counts)), -(exact - held)))
    held[order[: n_held - held.sum()]] += 1
    present = counts > 0
    held[present] = np.clip(held[present], 1, counts[present] - 1)
    return held


@dataclass(eq=False)
class PreparedData:
    feature_names: list[str]
    class_names: list[str]  # sorted distinct labels, as strings
    label_column: str
    X_train: np.ndarray  # (N, F) float32, scaled
    y_train: np.ndarray  # (N,) int64 indices into class_names
    X_val: np.ndarray  # (0, F) when val_size == 0
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    rows_train: np.ndarray  # 0-based data row numbers in their source file (file line = row + 2)
    rows_val: np.ndarray
    rows_test: np.ndarray
    X_test_raw: np.ndarray  # unscaled test features (for plots of the input row)
    scaler: Scaler
    fill_values: np.ndarray | None  # per-feature training means used by missing="mean"
    data_hash: str  # sha256 of the training rows + labels, before scaling
    source: str
    test_source: str | None
    warnings: list[str]  # notes for the user (they may name settings: render them with errors.render)
    config: DataConfig = DataConfig()  # the settings that made these arrays, label and features resolved
    series: object = None  # series.SeriesSpec when the rows are series (channels × steps, flat), else None
    test_ids: list | None = None  # series: each test row's series id (long) or data row (wide)
    test_lengths: np.ndarray | None = None  # series: each test series' own number of steps
    encoding: object = None  # text_columns.ColumnEncoding when text columns became one-hot parts, else None


def stratified_split(table: TableRows, idx: np.ndarray, share: float, seed: int,
                     what: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """(kept, held) positions out of `idx` (positions into the table's rows), stratified by class."""
    return _stratified_split(idx, table.y[idx], share, seed, what, table.class_names, table.src)


_HASH_CHUNK = 65_536  # rows hashed at a time: a (chunk, F) uint64 temporary, never the whole file's


def row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's exact values (their float32 bits), computed in chunks."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    weights = np.random.default_rng(12345).integers(1, 2**63, size=X.shape[1], dtype=np.uint64) | np.uint64(1)
    out = np.empty(len(X), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(0, len(X), _HASH_CHUNK):
            bits = X[i:i + _HASH_CHUNK].view(np.uint32).astype(np.uint64)
            mixed = (bits + np.uint64(0x9E3779B97F4A7C15)) * weights  # wraps mod 2^64: a multiplicative hash
            out[i:i + _HASH_CHUNK] = np.bitwise_xor.reduce(mixed ^ (mixed >> np.uint64(29)), axis=1)
    return out


def repeated_rows_note(X_test: np.ndarray, training: tuple[np.ndarray, ...], test_name: str,
                       train_name: str) -> str | None:
    """A note when rows of a separate test file have exactly the feature values of training rows: a test file
    that repeats training rows scores them as if new (its accuracy overstates), though where columns take few
    values (scores, counts) rows repeat naturally."""
    if not len(X_test):
        return None
    seen = np.concatenate([row_hashes(part) for part in training if len(part)] or [np.empty(0, np.uint64)])
    shared = int(np.isin(row_hashes(X_test), seen).sum())
    if not shared:
        return None
    return (f"{test_name}: {shared} of its {len(X_test)} rows have exactly the feature values of a training row of "
            f"{train_name}. Where columns take few values (scores, counts) rows repeat naturally; if the test file "
            "repeats training rows, its accuracy overstates how the model does on new rows.")


def assemble(table: TableRows, train_idx: np.ndarray, test_idx: np.ndarray | None = None, test_rows=None,
             seed: int = 0, release: bool = False) -> PreparedData:
    """The PreparedData of given splits: positions into the table's rows to train on (a validation share of
    them, drawn with `seed`, chooses the epoch) and to test on, unless `test_rows` (read_test_rows' result for
    a separate file) is given.

    Missing values are filled with the training rows' means and the scaler is fitted on the training rows
    only, so nothing of the validation or test rows leaks into them. release=True empties the table's columns
    once the splits are gathered (a single split: the frame's memory is freed before scaling).
    """
    columns, rows, y, config = table.columns, table.rows, table.y, table.config
    notes = list(table.notes)
    if table.spec is not None:
        from .series_data import prepare_series

        index_series(table)
        frame = table.frame
        train_frame = frame.iloc[np.concatenate([table.series_rows[i] for i in train_idx])]
        test = test_rows if test_rows is not None else frame.iloc[np.concatenate([table.series_rows[i]
                                                                                   for i in test_idx])]
        return prepare_series(train_frame, test, table.spec, table.label_column, config, seed, table.src, notes)
    train_idx, val_idx = validation_split(train_idx, y, config.val_size, seed, table.class_names, table.src, notes)
    test_src = None
    if test_rows is not None:
        X_test, y_test, rows_test, test_src, test_notes = test_rows
        if config.missing == "mean":
            X_test = X_test.copy()  # filled in place below; the caller may assemble again from the same arrays
        notes.extend(test_notes)
    else:
        X_test, y_test, rows_test = _gather(columns, rows[test_idx], np.float32), y[test_idx], rows[test_idx]
    # Each split is gathered straight from the frame's columns: no whole (N, F) matrix besides the frame.
    X_train, X_val = _gather(columns, rows[train_idx], np.float32), _gather(columns, rows[val_idx], np.float32)
    feature_names, src = table.feature_names, table.src
    if test_src is not None:
        note = repeated_rows_note(X_test, (X_train, X_val), test_src.name, src.name)
        if note:
            notes.append(note)
    if release:
        del columns
        table.columns = []

    fill_values = None
    if config.missing == "mean":
        X_train[np.isinf(X_train)] = np.nan  # inf counts as missing, not as a value to average
    numeric = None if table.encoding is None else ~table.encoding.one_hot
    tails = None  # the heavy-tail rule, decided on the training rows as read (before gaps are filled)
    if config.scaling == "auto" and not looks_row_normalised(X_train):
        tails = heavy_tail_scales(X_train, numeric)
    if config.missing == "mean":
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):  # all-missing column: below
            fill_values = np.nanmean(X_train, axis=0, dtype=np.float64)  # training rows only: no leak
            for j, _median, _q99 in tails[1] if tails is not None else []:
                # a long-tailed column's gaps go to its centre on the scale the network reads, not to its mean,
                # which the few huge values pull far above most rows
                s = tails[0][j]
                fill_values[j] = np.sinh(np.nanmean(np.arcsinh(X_train[:, j].astype(np.float64) / s))) * s
                if np.isnan(X_train[:, j]).any():
                    notes.append(f"Column '{feature_names[j]}': its gaps are filled with {fill_values[j]:.4g}, its "
                                 f"mean on the signed-log scale it is read on (its plain mean, "
                                 f"{np.nanmean(X_train[:, j], dtype=np.float64):.4g}, sits above most of its values).")
        empty = [feature_names[j] for j in np.flatnonzero(~np.isfinite(fill_values))]
        if empty:
            raise HybridXAIError(
                f"{src.name}: column {format_names(empty)} has no values in the training rows, so there is no mean "
                f"to fill with. Leave it out ({setting('exclude', repr(empty[0]))})."
            )
        for part in (X_train, X_val, X_test):  # what is filled was noted when the rows were read
            _fill_missing(part, fill_values)

    else:  # kept in the model so that new rows with gaps can be filled later (predict/evaluate --missing mean)
        fill_values = X_train.mean(axis=0, dtype=np.float64) if len(X_train) else None
    y_train = y[train_idx]
    digest = hashlib.sha256(memoryview(X_train).cast("B"))
    digest.update(memoryview(y_train).cast("B"))

    if config.scaling == "none" or (config.scaling == "auto" and looks_row_normalised(X_train)):
        scaler = Scaler(np.zeros(len(feature_names)), np.ones(len(feature_names)))
        if config.scaling == "auto":
            notes.append(
                "The rows already look normalised (each row has mean ~0 and std ~1), so no further "
                f"scaling was applied; use {setting('scaling', 'zscore')} to standardise each column anyway."
            )
    else:
        scaler = (fit_table_scaler(X_train, list(feature_names), numeric, notes, tails) if config.scaling == "auto"
                  else fit_scaler(X_train))
    if table.encoding is not None:  # one-hot parts stay 0 / 1: a part that is off reads 0 whatever the column's mix
        one_hot = table.encoding.one_hot
        scaler = Scaler(np.where(one_hot, 0.0, scaler.mean), np.where(one_hot, 1.0, scaler.std), scaler.soft)
    for part in (X_train, X_val):
        _transform_into(scaler, part, part)  # in place: these arrays are this function's own copies

    return PreparedData(
        feature_names, table.class_names, table.label_column,
        X_train=X_train, y_train=y_train, X_val=X_val, y_val=y[val_idx],
        X_test=scaler.transform(X_test), y_test=y_test,
        rows_train=rows[train_idx], rows_val=rows[val_idx], rows_test=rows_test, X_test_raw=X_test,
        scaler=scaler, fill_values=fill_values, data_hash=digest.hexdigest(), source=src.name,
        test_source=test_src.name if test_src else None, warnings=notes,
        config=replace(config, label=table.label_column, exclude=(),
                       features=tuple(table.encoding.columns if table.encoding is not None else feature_names)),
        encoding=table.encoding,
    )  # fmt: skip


def prepare_data(
    train: str | Path | pd.DataFrame, test: str | Path | pd.DataFrame | None = None, *, label: str | None = None,
    features: list[str] | None = None, exclude: list[str] | None = None, missing: str = "error",
    test_size: float = 0.2, val_size: float = 0.0, seed: int = 0, scaling: str = "auto", layout: str = "auto",
    id_column: str | None = None, time_column: str | None = None, channels: list[str] | None = None,
    series_length: int = 0, unequal: str = "resample",
) -> PreparedData:  # fmt: skip
    """Read, check, split (test, then validation out of the training rows), fill and scale the data.

    val_size is a share of the training rows left after the test split; a separate `test` table makes
    test_size unused. A DataFrame from read_table keeps its file name and line numbers in messages.
    Rows that hold series (series.detect_layout: wide channels, long files, unequal lengths) are prepared
    by series_data.prepare_series; tables stay on the column path (read_rows, then assemble).
    """
    table = read_rows(train, label=label, features=features, exclude=exclude, missing=missing, scaling=scaling,
                      test_size=test_size, val_size=val_size, layout=layout, id_column=id_column,
                      time_column=time_column, channels=channels, series_length=series_length, unequal=unequal,
                      has_test_file=test is not None)
    if table.spec is not None:
        from .series_data import prepare_series

        return prepare_series(table.frame, test, table.spec, table.label_column, table.config, seed, table.src,
                              table.notes)
    everything = np.arange(len(table))
    test_rows, test_idx = None, None
    if test is not None:
        test_rows = read_test_rows(table, test)
        train_idx = everything
    else:
        train_idx, test_idx = stratified_split(table, everything, test_size, seed, "test")
    return assemble(table, train_idx, test_idx, test_rows, seed=seed, release=True)
