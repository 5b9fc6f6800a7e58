"""Preparing series (wide multichannel, long, unequal lengths) for training: the series counterpart of the
table path in data.prepare_data, which calls it once the layout says the rows hold series.

The splits are drawn over series (stratified by class), gaps are handled per series, and scaling is per
channel (mean and spread pooled over every step of a channel in the training series), so a series keeps
its shape; all of it is stored in the model (SeriesSpec, Scaler) and applied the same way at prediction.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..config import DataConfig
from .csvio import Source, format_names
from ..errors import HybridXAIError, setting
from .series import SeriesSpec, read_series
from .units import label_unit


# A channel whose series' amplitudes (each series' standard deviation) span more than this ratio between the 90th
# and the 10th percentile is read on a signed-log scale before it is standardised. Why: plug-load currents (PLAID)
# span five orders of magnitude (0.0002 A to 300 A); standardised as they are, every quiet appliance was a flat line
# near zero and a single network trained to 0.38 on its own training series. Two orders of magnitude is far beyond
# what the other development sets show (1.0-3.1: ACSF1 and Coffee are z-normalised series, Pickup, PigCVP,
# BasicMotions are measured on one scale).
AMPLITUDE_SPREAD = 100.0
# The signed-log's linear range, as a share of the median series amplitude: series at the median amplitude are
# read about 10x their linear range (asinh(10) ~ 3), the quietest ones linearly.
SOFT_SHARE = 0.1
# The smallest linear range used (and accepted from a model file): below it x / s would overflow float32.
MIN_SOFT = 1e-30


def amplitude_spread(values: np.ndarray) -> tuple[float, float, float]:
    """(N, T) one channel's training series -> (q90 / q10 of the series' standard deviations, q10, median), over
    the series that are not constant; (1, 0, 0) when fewer than 10 such series."""
    amps = np.nanstd(values, axis=1)
    amps = amps[np.isfinite(amps) & (amps > 0)]
    if len(amps) < 10:
        return 1.0, 0.0, 0.0
    q10, q50, q90 = np.quantile(amps, [0.1, 0.5, 0.9])
    return float(q90 / q10), float(q10), float(q50)


def channel_scaler(X: np.ndarray, n_channels: int, names: list[str] | None = None,
                   notes: list[str] | None = None, signed_log: bool = True):
    """Per-channel z-score statistics of flat channel-major rows, as a Scaler over every input; with signed_log, a
    channel whose series' amplitudes span more than AMPLITUDE_SPREAD is read as asinh(x / s) first (s = SOFT_SHARE x
    the median series amplitude), and `notes` says so in the channel's own units."""
    from .prepare import Scaler

    N, F = X.shape
    T = F // n_channels
    values = X.reshape(N, n_channels, T).astype(np.float64)
    soft = np.zeros(n_channels)
    if signed_log:
        for c in range(n_channels):
            spread, q10, q50 = amplitude_spread(values[:, c, :])
            if spread > AMPLITUDE_SPREAD and SOFT_SHARE * q50 >= MIN_SOFT:
                soft[c] = SOFT_SHARE * q50
                values[:, c, :] = np.arcsinh(values[:, c, :] / soft[c])
                if notes is not None:
                    name = names[c] if names and c < len(names) else f"channel {c + 1}"
                    notes.append(f"Channel '{name}': its series' amplitudes span {np.log10(spread):.1f} orders of "
                                 f"magnitude (10 % of the series below {q10:.3g}, the median {q50:.3g}), so it is read "
                                 f"on a signed-log scale (asinh, linear below {soft[c]:.3g}) before standardising: "
                                 f"the quiet series are not flattened to zero by the loud ones. Use "
                                 f"{setting('scaling', 'zscore')} to standardise it as it is.")
    mean = np.nanmean(values, axis=(0, 2)) if N else np.zeros(n_channels)
    std = np.nanstd(values, axis=(0, 2)) if N else np.ones(n_channels)
    std = np.where(std <= 1e-12 * np.maximum(1.0, np.abs(mean)), 1.0, std)
    return Scaler(np.repeat(mean, T), np.repeat(std, T), np.repeat(soft, T) if soft.any() else None)


@dataclass(frozen=True)
class SeriesSource(Source):
    """A Source whose row i is a series, named in messages by its first line (data row `first_rows[i]`)."""

    first_rows: tuple = ()

    @classmethod
    def of(cls, src: Source, first_rows) -> SeriesSource:
        return cls(src.name, src.is_file, src.path, src.sep, src.encoding, src.data_rows, src.header_row,
                   first_rows=tuple(int(r) for r in first_rows))

    def first(self, rows: np.ndarray, limit: int = 5) -> str:
        return Source.first(self, np.asarray(self.first_rows, dtype=np.int64)[np.asarray(rows, dtype=np.int64)],
                            limit)


def _labels(values: list, label: str, src: Source, first_rows: np.ndarray, unit: str = ""):
    """Codes and names of one label per series (read as training reads labels: 2.0 is class '2'; with the `unit`
    the reader took from the label column, 10.0 is class '10 mg')."""
    from .tables import _encode_labels

    column = pd.Series(values, name=label)
    if unit:
        column.attrs["units"] = {label: unit}
    return _encode_labels(column, label, SeriesSource.of(src, first_rows))


def prepare_series(df: pd.DataFrame, test, spec: SeriesSpec, label_column: str, config: DataConfig, seed: int,
                   src: Source, notes: list[str]):
    """PreparedData for the series of `df` (and of a separate test table) in `spec`'s layout."""
    from .tables import _known_classes, _load, _sorted_classes
    from .prepare import PreparedData, _stratified_split, _transform_into, looks_row_normalised, validation_split

    missing = config.missing
    spec = replace(spec, unequal=config.unequal)
    rows = read_series(df, replace(spec, length=config.series_length), src, missing, label_column,
                       ripple=True)
    notes.extend(rows.notes)
    if len(rows.ids) == 0:
        raise HybridXAIError(f"{src.name}: no series are left to train on.")
    length = rows.X.shape[1] // spec.n_channels
    spec = replace(spec, length=length, resample=bool(np.any(rows.lengths != length)) or spec.resample)
    if spec.resample and spec.padded:
        notes.append(f"The series have {int(rows.lengths.min())} to {int(rows.lengths.max())} steps: each keeps its "
                     f"own time axis, padded with zeros after its end to {length} steps"
                     f"{'' if config.series_length else ' (the longest)'}, at training and at prediction (a longer "
                     f"one is cut to its first {length}); to stretch each onto {length} steps instead, choose "
                     f"{setting('unequal', 'resample')}.")
    elif spec.resample and not config.series_length:
        notes.append(f"The series have {int(rows.lengths.min())} to {int(rows.lengths.max())} steps: each is "
                     f"resampled to {length} steps (the longest), at training and at prediction; choose another "
                     f"length with {setting('series_length')}, or keep each series' own time axis (zeros after "
                     f"its end) with {setting('unequal', 'pad')} for recordings at one fixed sampling rate.")
    if rows.ripple is not None:  # a fixed sampling rate's mark: said under resampling, where padding would keep it
        from .ripple import ripple_note

        notes.append(ripple_note(rows.ripple, spec.padded))
    codes, names = _labels(rows.labels, label_column, src, rows.first_rows,
                           label_unit(df, label_column))
    class_names = _sorted_classes([names[c] for c in np.unique(codes)])
    if len(class_names) < 2:
        raise HybridXAIError(f"{src.name}: the label column {label_column!r} has only the class "
                             f"{format_names(class_names)}; a classifier needs at least two. Check the label column "
                             f"({setting('label')}).")
    index = {name: i for i, name in enumerate(class_names)}
    y = np.array([index[name] for name in names], dtype=np.int64)[codes]
    X_all = rows.X
    test_ids = test_lengths = None
    if test is not None:
        tdf, tsrc = _load(test, None, None, "test")
        if not isinstance(tdf, pd.DataFrame):  # a path: read it whole (series files are read by name)
            from .csvio import read_csv_layout

            tdf = read_csv_layout(Path(tsrc.name), tdf, None)
        if label_column not in tdf.columns:
            raise HybridXAIError(f"{tsrc.name} has no label column {label_column!r}, which the test data needs.")
        trows = read_series(tdf, spec, tsrc, missing, label_column)
        notes.extend(trows.notes)
        tcodes, tnames = _labels(trows.labels, label_column, tsrc, trows.first_rows)
        y_test = _known_classes(tcodes, tnames, class_names, np.arange(len(tcodes)),
                                SeriesSource.of(tsrc, trows.first_rows))
        X_test, rows_test = trows.X, np.arange(len(trows.ids))
        test_ids, test_lengths = list(trows.ids), trows.lengths
        train_idx = np.arange(len(y))
        test_src = tsrc.name
    else:
        train_idx, test_idx = _stratified_split(np.arange(len(y)), y, config.test_size, seed, "test", class_names,
                                                src)
        X_test, y_test, rows_test = X_all[test_idx], y[test_idx], test_idx
        test_ids, test_lengths = [rows.ids[i] for i in test_idx], rows.lengths[test_idx]
        test_src = None
    train_idx, val_idx = validation_split(train_idx, y, config.val_size, seed, class_names, src, notes)
    X_train, X_val = X_all[train_idx].copy(), X_all[val_idx].copy()
    X_test = np.array(X_test, dtype=np.float32)

    C, F = spec.n_channels, X_all.shape[1]
    with np.errstate(all="ignore"):
        channel_means = np.nanmean(X_train.reshape(len(X_train), C, -1), axis=(0, 2)) if len(X_train) else np.zeros(C)
    fill_values = np.repeat(channel_means, F // C).astype(np.float64)
    if missing == "mean":
        empty = [spec.channels[c] for c in np.flatnonzero(~np.isfinite(channel_means))]
        if empty:
            raise HybridXAIError(f"{src.name}: channel {format_names(empty)} has no values in the training series, "
                                 f"so there is no mean to fill with. Leave it out ({setting('exclude', repr(empty[0]))}).")
        for part in (X_train, X_val, X_test):
            gaps = ~np.isfinite(part)
            part[gaps] = np.broadcast_to(fill_values, part.shape)[gaps]
    y_train = y[train_idx]
    digest = hashlib.sha256(memoryview(np.ascontiguousarray(X_train)).cast("B"))
    digest.update(memoryview(y_train).cast("B"))
    digest.update(repr(spec.to_dict()).encode())

    from .prepare import Scaler

    if config.scaling == "none" or (config.scaling == "auto" and C == 1 and looks_row_normalised(X_train)):
        scaler = Scaler(np.zeros(F), np.ones(F))
        if config.scaling == "auto":
            notes.append("The series already look normalised (each has mean ~0 and std ~1), so no further scaling "
                         f"was applied; use {setting('scaling', 'zscore')} to standardise each channel anyway.")
    else:
        scaler = channel_scaler(X_train, C, list(spec.channels), notes, signed_log=config.scaling == "auto")
    X_test_raw = X_test.copy()
    for part in (X_train, X_val, X_test):
        _transform_into(scaler, part, part)
    return PreparedData(
        spec.feature_names(), class_names, label_column,
        X_train=X_train, y_train=y_train, X_val=X_val, y_val=y[val_idx], X_test=X_test, y_test=y_test,
        rows_train=train_idx, rows_val=val_idx, rows_test=rows_test, X_test_raw=X_test_raw, scaler=scaler,
        fill_values=fill_values, data_hash=digest.hexdigest(), source=src.name, test_source=test_src, warnings=notes,
        config=replace(config, label=label_column, features=tuple(spec.input_columns), exclude=(),
                       layout=spec.layout, id_column=spec.id_column, time_column=spec.time_column,
                       channels=tuple(spec.channels), series_length=length, unequal=spec.unequal),
        series=spec, test_ids=test_ids, test_lengths=test_lengths,
    )


def series_classes(values: list, label: str, class_names: list[str], src: Source, first_rows) -> np.ndarray:
    """One label value per series as indices into a model's class names (read as training read labels); an
    empty or unseen label is an error naming the series' first line."""
    from .tables import _known_classes

    where = SeriesSource.of(src, first_rows)
    codes, names = _labels(values, label, src, np.asarray(first_rows))
    return _known_classes(codes, names, class_names, np.arange(len(codes)), where)
