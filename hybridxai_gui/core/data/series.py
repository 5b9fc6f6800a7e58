"""Reading series: how the rows of a CSV become series of C channels × T time steps (the layouts are
detected in core.data.layout).

Layouts (`DataConfig.layout`, detected by `detect_layout` when "auto"):
- table: no time axis; every feature column is one input (today's rows). Not a series at all.
- wide: one row per series; the feature columns are its time steps. Columns named `<channel><sep><index>`
  (sep one of `_ . -`, index an integer) are grouped into channels (`accel_x_000 … gyro_z_099`: 6 channels);
  columns `<prefix><index>` of one prefix (`z000 … z360`) are one channel. Trailing empty cells make a
  series shorter than the header (the UCR archive's convention).
- long: one row per time step: an id column names the series, an optional time column orders its steps
  (numbers, or dates and times as text: `time_values`; without it the file order is kept; the rows of a series
  need not be contiguous), one or more numeric channel columns, and a label that is constant within each series.

Unequal lengths (`SeriesSpec.unequal`, chosen by `DataConfig.unequal`): by default every series is resampled
linearly onto the model's common length `length` (by default the longest training series), which normalises the
pace of a movement or a process; with "pad" each keeps its own time axis, its steps first and zeros (in the
file's units) after its end up to `length`, and a longer one is cut to its first `length` steps with a note: what
recordings at one fixed sampling rate need (a 100-sample current draw is not a stretched 1,344-sample one). The
model stores the rule, so prediction applies it identically. Each series' own length is kept beside it, so
explanations can be drawn on its own time axis (`to_own_steps`, `padded`).

A series row is flat and channel-major: channel 0's T values, then channel 1's, ... (what the model reads).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .csvio import Source, check_float32_range, format_names
from .times import reads_as_dates, time_values  # noqa: F401  (reads_as_dates: here before times.py held it)
from ..config import UNEQUAL
from ..errors import HybridXAIError, setting

MAX_LENGTH = 100_000  # steps per channel the model reads at most
MAX_INPUTS = 200_000  # channels × steps: the input values per series a model file may hold (checkpoint_limits)


@dataclass(frozen=True)
class SeriesSpec:
    """How a table holds series; stored in the model so that new files are read the same way."""

    layout: str  # "wide" or "long"
    channels: tuple[str, ...]
    length: int = 0  # T, the steps per channel the model reads (0 until the training series fix it)
    columns: tuple[tuple[str, ...], ...] = ()  # wide: each channel's step columns, in time order
    id_column: str | None = None  # long
    time_column: str | None = None  # long, optional
    resample: bool = False  # series of another length are mapped onto `length` (as `unequal` says)
    unequal: str = "resample"  # how: "resample" (linearly onto `length`) or "pad" (zeros after the end; longer cut)

    def __post_init__(self) -> None:  # lists from a checkpoint become tuples
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "columns", tuple(tuple(c) for c in self.columns))

    @property
    def padded(self) -> bool:
        """Series of another length keep their own time axis (zeros after the end) instead of being resampled."""
        return self.unequal == "pad"

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def input_columns(self) -> list[str]:
        """The file's columns the series are read from (wide: step columns; long: channel columns)."""
        if self.layout == "wide":
            return [c for steps in self.columns for c in steps]
        return list(self.channels)

    def feature_names(self) -> list[str]:
        """One name per model input: a wide file's own columns where they are the inputs one to one,
        else `<channel>@<step>`."""
        if (self.layout == "wide" and (not self.resample or self.padded)
                and all(len(s) == self.length for s in self.columns)):  # step t is the file's column t
            return self.input_columns
        return [f"{c}@{t}" for c in self.channels for t in range(self.length)]

    def describe(self, n_series: int | None = None, steps: int | None = None) -> str:
        count = f"{n_series:,} series" if n_series is not None else "series"
        length = self.length or steps or (len(self.columns[0]) if self.columns else 0)
        steps = f"{length} steps" if length else "steps"
        names = format_names(list(self.channels), 6)
        text = f"{self.layout}: {count} of {steps} × {self.n_channels} channel(s) ({names})"
        if self.layout == "long":
            text += f", series named by {self.id_column!r}"
            text += f", ordered by {self.time_column!r}" if self.time_column else ", in file order"
        if self.resample and self.padded:
            text += f"; shorter series are padded with zeros to {self.length} steps, longer ones cut"
        elif self.resample:
            text += f"; series of other lengths are resampled to {self.length} steps"
        return text

    def to_dict(self) -> dict:
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()} | {
            "columns": [list(c) for c in self.columns]}
        if d["unequal"] == "resample":  # the rule of every model file before "pad" existed: written as then
            del d["unequal"]
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> SeriesSpec | None:
        if not d:
            return None
        known = {"layout", "channels", "length", "columns", "id_column", "time_column", "resample", "unequal"}
        spec = cls(**{k: v for k, v in d.items() if k in known})
        if spec.unequal not in UNEQUAL:
            raise HybridXAIError(f"The model file's series reading {spec.unequal!r} is unknown to this version "
                                 f"(it knows {', '.join(UNEQUAL)}).")
        return spec


@dataclass
class SeriesRows:
    """Series read from a table, flat and channel-major, in the data's own units."""

    X: np.ndarray  # (N, C * T) float32; T = spec.length once resampled (or the file's steps)
    lengths: np.ndarray  # (N,) each series' own number of steps before resampling
    ids: list  # long: the id values, in order of first appearance; wide: the 0-based data rows
    first_rows: np.ndarray  # (N,) 0-based data row of each series' first step (for messages)
    labels: list | None = None  # one label value per series, when the label column was read
    notes: list[str] = field(default_factory=list)
    index: np.ndarray | None = None  # (N,) each kept series' index among all (order of first appearance)
    n_total: int = 0  # series in the table, before any were left out
    # unequal lengths sharing one ripple (ripple.shared_ripple: period, share, channel), when read with ripple=True
    ripple: tuple[float, float, str] | None = None


# ---- detection ----------------------------------------------------------------------------------------------


def _linear(part: np.ndarray, length: int) -> np.ndarray:
    """Values along the last axis (..., n) linearly onto `length` evenly spaced steps (..., length), first and last
    kept; a gap (NaN) stays a gap where it is used. The one resampler: single series and whole groups alike."""
    n = part.shape[-1]
    if n == length:
        return part
    if n == 1:
        return np.repeat(part, length, axis=-1)
    position = np.linspace(0.0, n - 1.0, length)
    left = np.minimum(np.floor(position).astype(np.int64), n - 2)
    weight = position - left
    return part[..., left] * (1.0 - weight) + part[..., left + 1] * weight


def resample(values: np.ndarray, length: int) -> np.ndarray:
    """A series' values (n,) linearly onto `length` evenly spaced steps (first and last kept)."""
    return _linear(values, length).astype(values.dtype, copy=False)


def to_own_steps(map_values: np.ndarray, own_length: int) -> np.ndarray:
    """A per-step map over the model's common axis (T,) back onto a series' own `own_length` steps."""
    return resample(np.asarray(map_values, dtype=np.float64), own_length)


def _numeric(frame: pd.DataFrame, names: list[str], src: Source) -> np.ndarray:
    """(N, len(names)) float64 of the named columns; a text cell is an error naming it."""
    out = np.empty((len(frame), len(names)))
    for j, name in enumerate(names):
        column = frame[name]
        if not is_numeric_dtype(column) or is_bool_dtype(column):
            converted = pd.to_numeric(column, errors="coerce")
            bad = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
            if len(bad):
                raise HybridXAIError(
                    f"{src.name}: column {name!r} is not numeric ({src.where(bad[0])} has {column.iloc[bad[0]]!r}). "
                    f"Every channel value must be a number: fix the cell, or leave the column out "
                    f"({setting('exclude', repr(name))}).")
            column = converted
        out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        check_float32_range(out[:, j], name, src)  # 1e300 is not a gap: never filled, named
    return out


def _gap_error(src: Source, lines: np.ndarray, what: str) -> HybridXAIError:
    return HybridXAIError(
        f"{src.name}: {len(lines)} {what} missing or infinite values, first at {src.first(lines)}. Fix those cells, "
        f"or choose {setting('missing', 'drop')} to leave those series out or {setting('missing', 'mean')} to fill "
        "them with the channel's training mean.")


def _resample_group(part: np.ndarray, length: int) -> np.ndarray:
    """(k, C, n) series of one length n, linearly onto `length` steps: (k, C, length) float32 (a gap stays NaN)."""
    return _linear(part, length).astype(np.float32, copy=False)


def _pad_group(part: np.ndarray, length: int) -> np.ndarray:
    """(k, C, n) series of one length n onto `length` steps on their own time axis: (k, C, length) float32, zeros
    after the end (a longer series cut to its first `length` steps; a gap stays NaN)."""
    k, C, n = part.shape
    out = np.zeros((k, C, length), dtype=np.float32)
    out[:, :, :min(n, length)] = part[:, :, :length]
    return out


def _to_length(values: np.ndarray, lengths: np.ndarray, length: int, pad: bool = False) -> np.ndarray:
    """(N, C, S) values, each row valid up to its own length (NaN after it), resampled linearly onto `length`
    steps (`pad`: padded with zeros or cut, _pad_group): (N, C * length) float32. Rows of one length share one
    interpolation (vectorised); a gap inside a series stays NaN (for the missing-value policy)."""
    N, C, S = values.shape
    out = np.empty((N, C, length), dtype=np.float32)
    fit = _pad_group if pad else _resample_group
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        out[rows] = fit(values[rows, :, :n], length)
    return out.reshape(N, C * length)


def _long_to_length(steps: np.ndarray, starts: np.ndarray, lengths: np.ndarray, length: int,
                    pad: bool = False) -> np.ndarray:
    """Series held as consecutive rows of `steps` ((rows, C), sorted by series and time; series s at
    starts[s] ... starts[s] + lengths[s]) resampled onto `length` steps (`pad`: padded or cut): (N, C * length)
    float32. Gathered one length at a time, so memory follows the file's rows, never series × the longest series."""
    N, C = len(starts), steps.shape[1]
    out = np.empty((N, C, length), dtype=np.float32)
    fit = _pad_group if pad else _resample_group
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        at = starts[rows][:, None] + np.arange(min(n, length) if pad else n)[None, :]  # (k, n) rows of `steps`
        out[rows] = fit(steps[at].transpose(0, 2, 1), length)
    return out.reshape(N, C * length)


CUT = "series are longer than the"  # the words of every note on padded series cut to the model's length


def cut_note(src: Source, lengths: np.ndarray, length: int, name) -> list[str]:
    """Padded series longer than the model's length are cut to their first `length` steps: said, naming them
    (`name(indices)`: where those series are, e.g. their lines or ids)."""
    longer = np.flatnonzero(lengths > length)
    if not len(longer):
        return []
    return [f"{src.name}: {len(longer)} {CUT} {length:,} steps the model reads ({name(longer)}; "
            f"up to {int(lengths[longer].max()):,} steps): it reads their first {length:,} steps (series are padded, "
            f"not resampled: {setting('unequal', 'pad')})."]


def check_size(n_channels: int, length: int, src: Source, longest: int | None = None, columns: bool = False) -> None:
    """Refuse series the model could not read before anything is allocated for them: more than MAX_LENGTH steps
    per channel, or more than MAX_INPUTS values per series (channels × steps). `columns`: judged from a wide
    file's header (its step columns), before its rows are read."""
    if columns:
        what = (f"its rows hold series of {length:,} step columns per channel, read at that length unless "
                f"{setting('series_length')} is given")
    elif longest is not None:
        what = (f"its longest series has {longest:,} steps, and series are read at the longest length unless "
                f"{setting('series_length')} is given")
    else:
        what = f"series of {length:,} steps are asked for"
    if length > MAX_LENGTH:
        raise HybridXAIError(f"{src.name}: {what}; this version reads at most {MAX_LENGTH:,} steps per channel. Choose "
                             f"a shorter length, e.g. {setting('series_length', min(MAX_LENGTH, 1000))} (each series is "
                             "resampled to it), or split the recordings.")
    if n_channels * length > MAX_INPUTS:
        raise HybridXAIError(f"{src.name}: {what}; with {n_channels} channels that is {n_channels * length:,} values per "
                             f"series, above the {MAX_INPUTS:,} a model reads. Choose a shorter length "
                             f"({setting('series_length', max(1, MAX_INPUTS // n_channels // 10))}) or fewer channels "
                             f"({setting('channels')}).")


def _ripple(series: list, lengths: np.ndarray, spec: SeriesSpec):
    """The ripple the series share (ripple.shared_ripple) when their lengths differ, else None."""
    if len(np.unique(lengths)) < 2:
        return None
    from .ripple import shared_ripple

    return shared_ripple(series, spec.channels)


def _own_lengths(values: np.ndarray) -> np.ndarray:
    """Each row's length: up to the last finite value of its longest channel ((N, C, S) -> (N,))."""
    finite = np.isfinite(values)
    S = values.shape[2]
    last = np.where(finite.any(axis=2), S - np.argmax(finite[:, :, ::-1], axis=2), 0)  # (N, C)
    return last.max(axis=1)


FILLED = "are filled with the training series' channel means"  # the words every filled-gaps note of series has


def filled_note(src: Source, cells: int, series: int) -> str:
    """The note on gaps that missing="mean" fills, counted in the file's own cells (before any resampling)."""
    return (f"{src.name}: {cells} missing or infinite value(s), in {series} series, {FILLED} "
            f"({setting('missing', 'mean')}). Choose {setting('missing', 'drop')} to leave those series out, or "
            f"{setting('missing', 'error')} to stop on them.")


def read_wide(frame: pd.DataFrame, spec: SeriesSpec, src: Source, missing: str = "error",
              ripple: bool = False) -> SeriesRows:
    """Series of a wide table: each row one series; trailing empty cells end it early."""
    absent = [c for c in spec.input_columns if c not in frame.columns]
    if absent:
        raise HybridXAIError(f"{src.name} has no column {format_names(absent)}, which the model reads (matched by "
                             "name).")
    C, steps = spec.n_channels, len(spec.columns[0])
    values = _numeric(frame, spec.input_columns, src).reshape(len(frame), C, steps)
    lengths = _own_lengths(values)
    notes: list[str] = []
    empty = lengths == 0
    if empty.any():
        raise HybridXAIError(f"{src.name}: {int(empty.sum())} row(s) have no values at all, first at "
                             f"{src.first(np.flatnonzero(empty))}. Delete those rows.")
    inside = ~np.isfinite(values) & (np.arange(steps)[None, None, :] < lengths[:, None, None])  # gaps before the end
    keep = np.ones(len(frame), dtype=bool)
    gappy = inside.any(axis=(1, 2))
    if gappy.any():
        if missing == "error":
            raise _gap_error(src, np.flatnonzero(gappy), "series have")
        if missing == "drop":
            keep &= ~gappy
            notes.append(f"Left out {int(gappy.sum())} series of {src.name} with missing or infinite values.")
        if missing == "mean":
            notes.append(filled_note(src, int(inside.sum()), int(gappy.sum())))
    rows = np.flatnonzero(keep)
    shared = _ripple([values[r, :, :lengths[r]] for r in rows], lengths[rows], spec) if ripple else None
    length = common_length(lengths[rows], spec.length, C, src)
    X = _to_length(values[rows], lengths[rows], length, spec.padded)
    if spec.padded:
        notes += cut_note(src, lengths[rows], length, lambda longer: src.first(rows[longer]))
    return SeriesRows(X, lengths[rows], rows.tolist(), rows, None, notes, rows, len(frame), shared)


def read_long(frame: pd.DataFrame, spec: SeriesSpec, src: Source, missing: str = "error",
              label: str | None = None, ripple: bool = False) -> SeriesRows:
    """Series of a long table: rows grouped by the id (order of first appearance), sorted by time if given.

    With `label`, each series' label is read and must not change within it (an error names the series
    and the two lines)."""
    needed = [spec.id_column, *spec.channels] + ([spec.time_column] if spec.time_column else [])
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise HybridXAIError(f"{src.name} has no column {format_names(absent)}, which the model reads (matched by "
                             "name).")
    ids = frame[spec.id_column]
    if ids.isna().any():
        bad = np.flatnonzero(ids.isna().to_numpy())
        raise HybridXAIError(f"{src.name}: {len(bad)} row(s) have no series id in column {spec.id_column!r}, first at "
                             f"{src.first(bad)}. Fill in the ids or delete those rows.")
    codes, uniques = pd.factorize(ids, sort=False)  # order of first appearance
    values = _numeric(frame, list(spec.channels), src)  # (rows, C)
    if spec.time_column:
        times = time_values(frame[spec.time_column])
        if times is None:
            cell = frame[spec.time_column].dropna().iloc[0] if frame[spec.time_column].notna().any() else ""
            raise HybridXAIError(f"{src.name}: the time column {spec.time_column!r} holds neither numbers nor dates and "
                                 f"times (e.g. {str(cell)[:40]!r}). Choose another time column ({setting('time')}), "
                                 "or none to keep the file's order.")
        bad = np.flatnonzero(~np.isfinite(times))
        if len(bad):
            raise HybridXAIError(f"{src.name}: {len(bad)} row(s) have no time in column {spec.time_column!r}, first "
                                 f"at {src.first(bad)}. Fill them in, or choose another time column "
                                 f"({setting('time')}).")
        order = np.lexsort((times, codes))
        column = frame[spec.time_column]
        _refuse_repeated_steps(codes[order], times[order], order, uniques, spec.time_column, src,
                               None if is_numeric_dtype(column) else column)  # text: as the file writes it
    else:
        order = np.argsort(codes, kind="stable")  # file order within each series
    n_series = len(uniques)
    lengths = np.bincount(codes, minlength=n_series)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    labels = None if label is None else _series_labels(frame[label], codes, n_series, uniques, src, label)
    bad_series = np.zeros(n_series, dtype=bool)
    gaps = ~np.isfinite(values)
    if gaps.any():
        bad_rows = np.flatnonzero(gaps.any(axis=1))
        if missing == "error":
            raise _gap_error(src, bad_rows, "rows have")
        if missing == "drop":
            bad_series[np.unique(codes[bad_rows])] = True
    first_rows = np.full(n_series, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_rows, codes, np.arange(len(codes)))
    kept = np.flatnonzero(~bad_series)
    notes = []
    if bad_series.any():
        notes.append(f"Left out {int(bad_series.sum())} series of {src.name} with missing or infinite values.")
    if gaps.any() and missing == "mean":
        notes.append(filled_note(src, int(gaps.sum()), len(np.unique(codes[gaps.any(axis=1)]))))
    length = common_length(lengths[kept], spec.length, values.shape[1], src)
    ordered = values[order]
    shared = (_ripple([ordered[starts[s]:starts[s] + lengths[s]].T for s in kept], lengths[kept], spec)
              if ripple else None)
    X = _long_to_length(ordered, starts[kept], lengths[kept], length, spec.padded)
    if spec.padded:
        notes += cut_note(src, lengths[kept], length,
                          lambda longer: "series " + format_names([str(uniques[kept[i]]) for i in longer], 5))
    return SeriesRows(X, lengths[kept], [uniques[s] for s in kept], first_rows[kept],
                      None if labels is None else [labels[s] for s in kept], notes, kept, n_series, shared)


def _refuse_repeated_steps(codes: np.ndarray, times: np.ndarray, order: np.ndarray, uniques, time_column: str,
                           src: Source, cells: pd.Series | None = None) -> None:
    """Two rows of one series at the same time (a file appended to itself, a merge gone wrong): reading both
    would double the series, or resample it with a note blaming unequal lengths. Codes and times are sorted."""
    repeated = np.flatnonzero((codes[1:] == codes[:-1]) & (times[1:] == times[:-1]))
    if len(repeated):
        i = int(repeated[0])
        first, second = sorted((int(order[i]), int(order[i + 1])))
        shown = f"{times[i]:g}" if cells is None else str(cells.iloc[first]).strip()  # as the file writes it
        raise HybridXAIError(
            f"{src.name}: series {uniques[codes[i]]!r} has two rows at {time_column} = {shown} ({src.where(first)} "
            f"and {src.where(second)}; {len(repeated)} repeated step(s) in all). Each step of a series appears once: "
            f"remove the repeated rows, or name the column that orders the steps with {setting('time')}.")


def _series_labels(column: pd.Series, codes: np.ndarray, n_series: int, uniques, src: Source, label: str) -> list:
    """One label per series; a series whose label changes is an error naming it and both lines."""
    missing = column.isna().to_numpy()
    if missing.any():
        bad = np.flatnonzero(missing)
        raise HybridXAIError(f"{src.name}: {len(bad)} row(s) have no label in column {label!r}, first at "
                             f"{src.first(bad)}. Fill in the labels or delete those rows.")
    if is_numeric_dtype(column) and not is_bool_dtype(column):
        values = column.to_numpy()
    else:
        values = column.astype(str).str.strip().to_numpy(dtype=object)  # "cat " and "cat" are one class
    first = np.full(n_series, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))  # each series' first row
    changed = np.flatnonzero(values[first[codes]] != values)
    if len(changed):
        row = int(changed[0])
        s = codes[row]
        raise HybridXAIError(
            f"{src.name}: the label of series {uniques[s]!r} changes: {values[first[s]]!r} at "
            f"{src.where(int(first[s]))} but {values[row]!r} at {src.where(row)}. A series has one label: fix those "
            "lines.")
    return [values[first[s]] for s in range(n_series)]


def read_series(frame: pd.DataFrame, spec: SeriesSpec, src: Source, missing: str = "error",
                label: str | None = None, ripple: bool = False) -> SeriesRows:
    """The series of a table in `spec`'s layout, resampled to `spec.length` when it is set. `ripple`: also look for a
    ripple that series of unequal length share (training and the Data tab ask; prediction does not)."""
    if spec.length:
        check_size(spec.n_channels, int(spec.length), src)
    if spec.layout == "long":
        rows = read_long(frame, spec, src, missing, label, ripple)
    else:
        rows = read_wide(frame, spec, src, missing, ripple)
        if label is not None:
            rows.labels = frame[label].iloc[rows.first_rows].tolist()
    return rows


def common_length(lengths: np.ndarray, asked: int = 0, n_channels: int = 1, src: Source | None = None) -> int:
    """The model's series length: `asked` when set, else the longest series read; refused (check_size) before
    any series is resampled to it when the model could not read it."""
    src = src or Source("the table", False)
    if asked:
        check_size(n_channels, int(asked), src)
        return int(asked)
    length = int(np.max(lengths, initial=1))
    check_size(n_channels, length, src, longest=length)
    return length


__all__ = ["SeriesSpec", "SeriesRows", "read_series", "read_wide", "read_long", "resample", "to_own_steps",
           "common_length", "check_size", "MAX_LENGTH", "MAX_INPUTS", "UNEQUAL"]
