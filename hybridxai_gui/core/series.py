"""Series as people keep them: how the rows of a CSV become series of C channels × T time steps.

Layouts (`DataConfig.layout`, detected by `detect_layout` when "auto"):
- table: no time axis; every feature column is one input (today's rows). Not a series at all.
- wide: one row per series; the feature columns are its time steps. Columns named `<channel><sep><index>`
  (sep one of `_ . -`, index an integer) are grouped into channels (`accel_x_000 … gyro_z_099`: 6 channels);
  columns `<prefix><index>` of one prefix (`z000 … z360`) are one channel. Trailing empty cells make a
  series shorter than the header (the UCR archive's convention).
- long: one row per time step: an id column names the series, an optional time column orders its steps
  (without it the file order is kept; the rows of a series need not be contiguous), one or more numeric
  channel columns, and a label that is constant within each series.

Unequal lengths: every series is resampled linearly onto the model's common length `length` (by default the
longest training series), and the model stores that rule, so prediction applies it identically. Each series'
own length is kept beside it, so explanations can be mapped back onto its own time axis (`to_own_steps`).

A series row is flat and channel-major: channel 0's T values, then channel 1's, ... (what the model reads).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .config import LAYOUTS
from .csvio import Source, check_float32_range, format_names
from .errors import HybridXAIError, setting

_CHANNEL_STEP = re.compile(r"^(?P<channel>.+?)[_.\-](?P<index>\d+)$")
_PREFIX_STEP = re.compile(r"^(?P<channel>\D*?)[_.\-]?(?P<index>\d+)$")
_ID_NAMES = re.compile(r"^(.*[_ ]id|id|ids|series|series_?id|recording|recording_?id|session|session_?id|subject|"
                       r"subject_?id|sample_?id|trial|trial_?id|run|run_?id|unit|device|sensor_?id|patient|"
                       r"patient_?id|record|sequence|sequence_?id)$", re.IGNORECASE)
_TIME_NAMES = re.compile(r"^(t|time|times|timestamp|time_?s|time_?ms|seconds|secs|ms|step|steps|date|datetime|"
                         r"sample|frame|tick)$", re.IGNORECASE)
MIN_WIDE_STEPS = 8  # a single-prefix wide file needs this many steps to be read as a series, not a table
MAX_LENGTH = 100_000


@dataclass(frozen=True)
class SeriesSpec:
    """How a table holds series; stored in the model so that new files are read the same way."""

    layout: str  # "wide" or "long"
    channels: tuple[str, ...]
    length: int = 0  # T, the steps per channel the model reads (0 until the training series fix it)
    columns: tuple[tuple[str, ...], ...] = ()  # wide: each channel's step columns, in time order
    id_column: str | None = None  # long
    time_column: str | None = None  # long, optional
    resample: bool = False  # series of another length are resampled linearly to `length`

    def __post_init__(self) -> None:  # lists from a checkpoint become tuples
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "columns", tuple(tuple(c) for c in self.columns))

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
        if self.layout == "wide" and not self.resample and all(len(s) == self.length for s in self.columns):
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
        if self.resample:
            text += f"; series of other lengths are resampled to {self.length} steps"
        return text

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()} | {
            "columns": [list(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, d: dict | None) -> SeriesSpec | None:
        if not d:
            return None
        known = {"layout", "channels", "length", "columns", "id_column", "time_column", "resample"}
        return cls(**{k: v for k, v in d.items() if k in known})


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


# ---- detection ----------------------------------------------------------------------------------------------


def wide_channels(columns: list[str]) -> list[tuple[str, list[str]]] | None:
    """Channels of a wide series file from its feature columns' names, or None when they do not look like
    time steps. Each channel's columns come sorted by their index."""
    if len(columns) < 2:
        return None
    groups: dict[str, list[tuple[int, str]]] = {}
    for name in columns:
        m = _CHANNEL_STEP.match(str(name))
        if m is None:
            groups = {}
            break
        groups.setdefault(m.group("channel"), []).append((int(m.group("index")), name))
    if len(groups) < 2:  # one prefix (with or without separator): a single-channel series if long enough
        groups = {}
        for name in columns:
            m = _PREFIX_STEP.match(str(name))
            if m is None:
                return None
            groups.setdefault(m.group("channel"), []).append((int(m.group("index")), name))
        if len(groups) != 1 or len(columns) < MIN_WIDE_STEPS:
            return None
    sizes = {len(steps) for steps in groups.values()}
    if len(sizes) != 1 or min(sizes) < 2:
        return None
    out = []
    for channel, steps in groups.items():
        indices = [i for i, _ in steps]
        if len(set(indices)) != len(indices):
            return None
        out.append((channel or "value", [name for _, name in sorted(steps)]))
    return out


def _repeats(values: pd.Series) -> float:
    """Share of rows whose value equals the previous row's."""
    if len(values) < 2:
        return 0.0
    same = values.iloc[1:].to_numpy() == values.iloc[:-1].to_numpy()
    return float(np.mean(same))


def long_candidates(frame: pd.DataFrame, label: str | None) -> tuple[str | None, str | None]:
    """(id column, time column) of a long file, or (None, None).

    The id is a column whose values repeat over consecutive rows (most rows continue the previous row's
    series; a column named like an id, e.g. `recording` or `session_id`, may have its series interleaved),
    that is text or whole numbers rather than measurement noise, with several series of at least 3 steps
    each, and within which the label stays the same. The time column is one named like a time, or
    one that increases within every series.
    """
    n = len(frame)
    if n < 6:
        return None, None
    sample = frame if n <= 200_000 else frame.iloc[:200_000]
    best = None
    for name in frame.columns:
        if name == label:
            continue
        column = sample[name]
        if is_bool_dtype(column):
            continue
        if is_numeric_dtype(column):
            values = column.to_numpy(dtype=float, na_value=np.nan)
            if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
                continue  # measurement noise, not names
        repeats = _repeats(column)
        groups = column.nunique(dropna=True)
        named = bool(_ID_NAMES.match(str(name)))  # an id by its name: its rows may be interleaved
        if (repeats < 0.5 and not named) or groups < 2 or len(sample) / groups < 3:
            continue
        if label is not None and label in sample.columns:
            changing = sample.groupby(column, sort=False)[label].nunique(dropna=False)
            if (changing > 1).mean() > 0.1:
                continue  # labels change within most groups: not series ids
        if best is None or (named, repeats) > best[0]:
            best = ((named, repeats), name)
    if best is None:
        return None, None
    id_column = best[1]
    time_column = None
    by_id = sample.groupby(sample[id_column], sort=False)
    for name in frame.columns:
        if name in (id_column, label) or not is_numeric_dtype(sample[name]) or is_bool_dtype(sample[name]):
            continue
        increasing = bool(by_id[name].apply(lambda s: bool(np.all(np.diff(s.to_numpy(dtype=float)) > 0))).all())
        if _TIME_NAMES.match(str(name)) or (increasing and time_column is None and _looks_like_steps(sample[name])):
            time_column = name
            if _TIME_NAMES.match(str(name)):
                break
    return id_column, time_column


def _looks_like_steps(column: pd.Series) -> bool:
    """Evenly spaced or integer values: a clock, not a measurement that happens to rise."""
    values = column.to_numpy(dtype=float, na_value=np.nan)[:1000]
    values = values[np.isfinite(values)]
    if len(values) < 3:
        return False
    steps = np.diff(values)
    steps = steps[steps > 0]
    return bool(len(steps)) and (np.all(values == np.round(values)) or np.ptp(steps) <= 1e-6 * max(1.0, np.abs(steps).max()))


@dataclass
class Detected:
    """What `detect_layout` found: the layout, and the spec when the table holds series."""

    layout: str  # table, wide or long
    spec: SeriesSpec | None
    notes: list[str] = field(default_factory=list)


def detect_layout(frame: pd.DataFrame, label: str | None, features: list[str] | None = None,
                  layout: str = "auto", id_column: str | None = None, time_column: str | None = None,
                  channels: list[str] | None = None, exclude: list[str] | None = None,
                  src: Source | None = None) -> Detected:
    """The table's layout: the one asked for (`layout`, implied long by an id or time column), else detected.

    features: the columns the user chose (wide), or None for every column but the label and `exclude`.
    """
    src = src or Source("the table", False)
    if layout not in LAYOUTS:
        raise HybridXAIError(f"Unknown layout {layout!r}: use {', '.join(setting('layout', v) for v in LAYOUTS)}.")
    columns = [str(c) for c in frame.columns]
    excluded = set(exclude or ())
    for option, name in (("id", id_column), ("time", time_column)):
        if name is not None and name not in columns:
            raise HybridXAIError(f"{setting(option)}: {src.name} has no column {name!r}; its columns are "
                                 f"{format_names(columns)}.")
    if id_column is not None or time_column is not None:
        layout = "long"
    if layout in ("auto", "long") and id_column is None:
        found_id, found_time = long_candidates(frame.drop(columns=[c for c in excluded if c in frame.columns]),
                                               label)
        if layout == "long" and found_id is None:
            raise HybridXAIError(f"{src.name}: no column looks like a series id (values repeated over consecutive "
                                 f"rows); name it with {setting('id')}.")
        if found_id is not None:
            id_column, layout = found_id, "long"
            time_column = time_column if time_column is not None else found_time
    if layout == "long":
        if id_column is None:
            raise HybridXAIError(f"{src.name}: a long file needs its series id column: name it with {setting('id')}.")
        reserved = {id_column, time_column, label} | excluded
        if channels:
            unknown = [c for c in channels if c not in columns]
            if unknown:
                raise HybridXAIError(f"{setting('channels')}: {src.name} has no column {format_names(unknown)}.")
            chosen = [c for c in channels if c not in reserved]
        else:
            pool = features if features is not None else columns
            chosen = [c for c in pool if c not in reserved and is_numeric_dtype(frame[c])
                      and not is_bool_dtype(frame[c])]
        if not chosen:
            raise HybridXAIError(f"{src.name}: no numeric channel columns are left besides the id {id_column!r}"
                                 + (f", the time {time_column!r}" if time_column else "") + f" and the label {label!r}.")
        return Detected("long", SeriesSpec("long", tuple(chosen), id_column=id_column, time_column=time_column))
    feature_columns = features if features is not None else [c for c in columns if c != label and c not in excluded]
    if channels:  # wide with the channels named: keep those channel groups
        groups = [(name, steps) for name, steps in (wide_channels(feature_columns) or []) if name in channels]
        if not groups:
            raise HybridXAIError(f"{setting('channels')}: no columns of {src.name} are named "
                                 f"<channel>_<index> for the channels {format_names(list(channels))}.")
    else:
        groups = wide_channels(feature_columns)
        if groups is not None and len(groups) == 1 and layout == "auto" and not looks_like_series(frame, groups[0][1]):
            groups = None  # f0 … f12 of a table are numbered features, not time steps
    if groups is None:
        if layout == "wide" and len(feature_columns) >= 2:
            groups = [("value", list(feature_columns))]  # asked for: the columns in file order are the steps
        else:
            return Detected("table", None)
    spec = SeriesSpec("wide", tuple(g for g, _ in groups), columns=tuple(tuple(steps) for _, steps in groups))
    return Detected("wide", spec)


def looks_like_series(frame: pd.DataFrame, columns: list[str], sample_rows: int = 2000) -> bool:
    """Whether numbered columns of one prefix are time steps rather than numbered features: some rows end
    early (trailing empty cells), or the columns share one scale and neighbours move together."""
    part = frame[columns].iloc[:sample_rows]
    try:
        values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return False
    finite = np.isfinite(values)
    if not finite.any():
        return False
    ends = finite.shape[1] - np.argmax(finite[:, ::-1], axis=1)
    trailing = (~finite.any(axis=1)) | (finite.sum(axis=1) == ends)
    if (ends < finite.shape[1]).any() and trailing.all():
        return True  # rows that simply stop: series of unequal length
    with np.errstate(all="ignore"):
        row_mean, row_std = np.nanmean(values, axis=1), np.nanstd(values, axis=1)
        if np.nanmedian(np.abs(row_mean)) < 0.05 and np.nanmedian(np.abs(row_std - 1.0)) < 0.05:
            return True  # each row z-normalised on its own, as archives keep series
        spread = np.nanstd(values, axis=0)
        if not np.all(np.isfinite(spread)) or spread.min() <= 0 or spread.max() / spread.min() > 50:
            return False
        a, b = values[:, :-1], values[:, 1:]
        ok = np.isfinite(a) & np.isfinite(b)
        a = np.where(ok, a - np.nanmean(np.where(ok, a, np.nan), axis=0), 0)
        b = np.where(ok, b - np.nanmean(np.where(ok, b, np.nan), axis=0), 0)
        corr = (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    return bool(np.nanmedian(corr) > 0.5)


# ---- reading series -----------------------------------------------------------------------------------------


def resample(values: np.ndarray, length: int) -> np.ndarray:
    """A series' values (n,) linearly onto `length` evenly spaced steps (first and last kept)."""
    n = len(values)
    if n == length:
        return values
    if n == 1:
        return np.full(length, values[0], dtype=values.dtype)
    return np.interp(np.linspace(0.0, n - 1.0, length), np.arange(n), values).astype(values.dtype)


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


def _to_length(values: np.ndarray, lengths: np.ndarray, length: int) -> np.ndarray:
    """(N, C, S) values, each row valid up to its own length (NaN after it), resampled linearly onto `length`
    steps: (N, C * length) float32. Rows of one length share one interpolation (vectorised); a gap inside a
    series stays NaN (for the missing-value policy)."""
    N, C, S = values.shape
    out = np.empty((N, C, length), dtype=np.float32)
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        part = values[rows, :, :n]
        if n == length:
            out[rows] = part
            continue
        if n == 1:
            out[rows] = np.repeat(part, length, axis=2)
            continue
        position = np.linspace(0.0, n - 1.0, length)
        left = np.minimum(np.floor(position).astype(np.int64), n - 2)
        weight = position - left
        out[rows] = part[:, :, left] * (1.0 - weight) + part[:, :, left + 1] * weight
    return out.reshape(N, C * length)


def _own_lengths(values: np.ndarray) -> np.ndarray:
    """Each row's length: up to the last finite value of its longest channel ((N, C, S) -> (N,))."""
    finite = np.isfinite(values)
    S = values.shape[2]
    last = np.where(finite.any(axis=2), S - np.argmax(finite[:, :, ::-1], axis=2), 0)  # (N, C)
    return last.max(axis=1)


def read_wide(frame: pd.DataFrame, spec: SeriesSpec, src: Source, missing: str = "error") -> SeriesRows:
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
    rows = np.flatnonzero(keep)
    length = spec.length or int(lengths[rows].max(initial=1))
    X = _to_length(values[rows], lengths[rows], length)
    return SeriesRows(X, lengths[rows], rows.tolist(), rows, None, notes, rows, len(frame))


def read_long(frame: pd.DataFrame, spec: SeriesSpec, src: Source, missing: str = "error",
              label: str | None = None) -> SeriesRows:
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
        times = _numeric(frame, [spec.time_column], src)[:, 0]
        bad = np.flatnonzero(~np.isfinite(times))
        if len(bad):
            raise HybridXAIError(f"{src.name}: {len(bad)} row(s) have no time in column {spec.time_column!r}, first "
                                 f"at {src.first(bad)}. Fill them in, or choose another time column "
                                 f"({setting('time')}).")
        order = np.lexsort((times, codes))
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
    # (series, C, longest) with NaN after each series' end, then onto the common length
    S = int(lengths.max())
    step = np.arange(len(order)) - np.repeat(starts, lengths)  # each sorted row's step within its series
    padded = np.full((n_series, values.shape[1], S), np.nan)
    padded[codes[order], :, step] = values[order]
    first_rows = np.full(n_series, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_rows, codes, np.arange(len(codes)))
    kept = np.flatnonzero(~bad_series)
    notes = []
    if bad_series.any():
        notes.append(f"Left out {int(bad_series.sum())} series of {src.name} with missing or infinite values.")
    length = spec.length or int(lengths[kept].max(initial=1))
    X = _to_length(padded[kept], lengths[kept], length)
    return SeriesRows(X, lengths[kept], [uniques[s] for s in kept], first_rows[kept],
                      None if labels is None else [labels[s] for s in kept], notes, kept, n_series)


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
                label: str | None = None) -> SeriesRows:
    """The series of a table in `spec`'s layout, resampled to `spec.length` when it is set."""
    if spec.layout == "long":
        rows = read_long(frame, spec, src, missing, label)
    else:
        rows = read_wide(frame, spec, src, missing)
        if label is not None:
            rows.labels = frame[label].iloc[rows.first_rows].tolist()
    if spec.length and spec.length > MAX_LENGTH:
        raise HybridXAIError(f"Series of {spec.length:,} steps are longer than this version reads ({MAX_LENGTH:,}).")
    return rows


def common_length(lengths: np.ndarray, asked: int = 0) -> int:
    """The model's series length: `asked` when set, else the longest training series."""
    length = int(asked) if asked else int(np.max(lengths))
    if not 1 <= length <= MAX_LENGTH:
        raise HybridXAIError(f"A series length of {length} steps is out of range (1 to {MAX_LENGTH:,}).")
    return length


__all__ = ["LAYOUTS", "SeriesSpec", "SeriesRows", "Detected", "detect_layout", "wide_channels", "long_candidates",
           "read_series", "read_wide", "read_long", "looks_like_series", "resample", "to_own_steps", "common_length"]
