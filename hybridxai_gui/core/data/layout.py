"""Which layout a table has: a plain table, a wide file of series (one row per series, `<channel>_<index>`
columns), or a long file (one row per time step, grouped by a series id and ordered by a time column).

`detect_layout` returns the `SeriesSpec` (core.data.series) that reading the file as series needs, or None for a
table; the Data tab shows the choice and every part of it can be overridden (`DataConfig.layout`, `id_column`,
`time_column`, `channels`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..config import LAYOUTS
from ..errors import HybridXAIError, setting
from .csvio import Source, format_names
from .series import MAX_INPUTS, MAX_LENGTH, SeriesSpec, check_size
from .times import time_values
from .table_checks import is_identifier


_CHANNEL_STEP = re.compile(r"^(?P<channel>.+?)[_.\-](?P<index>\d+)$")
_PREFIX_STEP = re.compile(r"^(?P<channel>\D*?)[_.\-]?(?P<index>\d+)$")
_ID_NAMES = re.compile(r"^(.*[_ ]id|id|ids|series|series_?id|recording|recording_?id|session|session_?id|subject|"
                       r"subject_?id|sample_?id|trial|trial_?id|run|run_?id|unit|device|sensor_?id|patient|"
                       r"patient_?id|record|sequence|sequence_?id)$", re.IGNORECASE)
_TIME_NAMES = re.compile(r"^(t|time|times|timestamp|time_?s|time_?ms|seconds|secs|ms|step|steps|date|datetime|"
                         r"sample|frame|tick)$", re.IGNORECASE)
MIN_WIDE_STEPS = 8  # a single-prefix wide file needs this many steps to be read as a series, not a table
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
    if len(groups) < 2:  # no separator, or one prefix: channels of at least MIN_WIDE_STEPS steps each
        groups = {}
        for name in columns:
            m = _PREFIX_STEP.match(str(name))
            if m is None:
                return None
            groups.setdefault(m.group("channel"), []).append((int(m.group("index")), name))
        # x1 … x50, y1 … y50: letters then a number, one prefix per channel (a bare number is no channel name)
        if (len(groups) > 1 and "" in groups) or min(len(steps) for steps in groups.values()) < MIN_WIDE_STEPS:
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


def separated(groups: list[tuple[str, list[str]]]) -> bool:
    """Whether wide channels were named with a separator before each step's number (accel_x_000, acc.x.1): a
    file's own word that its columns are steps. Without one (f0 … f12, x1 … x50) their values must tell."""
    return len(groups) > 1 and all(_CHANNEL_STEP.match(str(name)) for _, steps in groups for name in steps)


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
    codes = pd.factorize(sample[id_column], sort=False)[0]
    for name in frame.columns:
        if name in (id_column, label) or is_bool_dtype(sample[name]):
            continue
        numeric = is_numeric_dtype(sample[name])
        if not numeric and not _TIME_NAMES.match(str(name)):
            continue  # text is a time column only under a time's name, and only when it reads as dates and times
        times = time_values(sample[name])
        if times is None or not np.isfinite(times).any():
            continue
        increasing = _increasing_within(times, codes)
        if increasing and not _TIME_NAMES.match(str(name)) and is_identifier(str(name), sample[name]):
            continue  # a row number (R's rownames) rises within every group too: it orders the file, not a series
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
    if layout == "table":
        return Detected("table", None)
    notes: list[str] = []
    if layout in ("auto", "long") and id_column is None:
        found_id, found_time = long_candidates(frame.drop(columns=[c for c in excluded if c in frame.columns]),
                                               label)
        if layout == "long" and found_id is None:
            raise HybridXAIError(f"{src.name}: no column looks like a series id (values repeated over consecutive "
                                 f"rows); name it with {setting('id')}.")
        problem = None
        if found_id is not None and layout == "auto":
            problem = long_problem(frame, found_id, found_time, label, features, excluded)
        if problem is not None:  # detected, not asked for: a table it is, and the note says why
            notes.append(f"{src.name} was read as a table (one row per sample): column {found_id!r} repeats like a "
                         f"series id, but {problem}. To read it as series anyway, choose {setting('layout', 'long')} "
                         f"and name the id with {setting('id')}.")
        elif found_id is not None:
            id_column, layout = found_id, "long"
            time_column = time_column if time_column is not None else found_time
    if layout == "long":
        if id_column is None:
            raise HybridXAIError(f"{src.name}: a long file needs its series id column: name it with {setting('id')}.")
        for option, name, role in (("id", id_column, "series id"), ("time", time_column, "time")):
            others = {label: "the label column", **({id_column: "the series id column"} if option == "time" else {})}
            if name is not None and name in others:
                raise HybridXAIError(f"{setting(option)}: column {name!r} of {src.name} is {others[name]}, so it "
                                     f"cannot also be the {role} column. Name another column with {setting(option)}.")
        roles = {label: "the label column", id_column: "the series id column", time_column: "the time column",
                 **{c: f"left out with {setting('exclude')}" for c in excluded}}
        roles.pop(None, None)
        if channels:
            unknown = [c for c in channels if c not in columns]
            if unknown:
                raise HybridXAIError(f"{setting('channels')}: {src.name} has no column {format_names(unknown)}.")
            _refuse_reserved(channels, roles, "channels", src)
            twice = [c for i, c in enumerate(channels) if c in channels[:i]]
            if twice:
                raise HybridXAIError(f"{setting('channels')} names column {twice[0]!r} twice: each channel once.")
            chosen = list(channels)
        elif features is not None:  # named by the user: each one is read as a channel, or the reason said
            _refuse_reserved([c for c in features if c not in excluded], roles, "features", src)
            chosen = [c for c in features if c not in excluded]
        else:
            chosen = [c for c in columns if c not in roles and is_numeric_dtype(frame[c])
                      and not is_bool_dtype(frame[c])]
            _refuse_stray_text(frame, [c for c in columns if c not in roles and c not in chosen], src)
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
        if (groups is not None and layout == "auto" and not separated(groups)
                and not all(looks_like_series(frame, steps) for _, steps in groups)):
            groups = None  # f0 … f12 (or a1 … a9, b1 … b9) of a table are numbered features, not time steps
    if groups is None:
        if layout == "wide" and len(feature_columns) >= 2:
            groups = [("value", list(feature_columns))]  # asked for: the columns in file order are the steps
        else:
            return Detected("table", None, notes)
    spec = SeriesSpec("wide", tuple(g for g, _ in groups), columns=tuple(tuple(steps) for _, steps in groups))
    return Detected("wide", spec)


def check_inputs(columns: list[str], label: str | None, features, exclude, src: Source, series_by_values=None,
                 layout: str = "auto", series_length: int = 0) -> None:
    """Before a training file's rows are read, from its header: more feature columns than a model reads, or (the
    layout detected) wide series longer than a model reads, are refused at once rather than after seconds of
    parsing. `series_by_values(columns)`: whether one numbered prefix's columns hold series, from the first rows."""
    excluded = set(exclude or ())
    inputs = list(features) if features is not None else [c for c in columns if c != label and c not in excluded]
    if len(inputs) > MAX_INPUTS:
        raise HybridXAIError(f"{src.name} has {len(inputs):,} feature columns; a model reads at most {MAX_INPUTS:,} "
                             f"values per row. Choose the columns to use ({setting('features')}) or leave some out "
                             f"({setting('exclude')}).")
    groups = wide_channels(inputs) if layout == "auto" and not series_length else None
    # several channels of steps are bounded by the column count above; one numbered prefix may be a table's
    # features (up to 200,000) or series steps (up to 100,000): its first rows tell, as detect_layout reads them
    if not groups or len(groups) > 1 or len(groups[0][1]) <= MAX_LENGTH:
        return
    if series_by_values is not None and series_by_values(groups[0][1]):
        check_size(1, len(groups[0][1]), src, columns=True)


def _refuse_reserved(named: list[str], roles: dict, option: str, src: Source) -> None:
    """A column named as a channel (or feature) of a long file that already has another role: reading it as a
    channel would silently drop it (or read the label as data)."""
    for name in named:
        if name in roles:
            raise HybridXAIError(f"{setting(option)}: column {name!r} of {src.name} is {roles[name]}, so it cannot "
                                 f"also be a channel. Name only measurement columns with {setting(option)}.")


def _refuse_stray_text(frame: pd.DataFrame, text_columns: list[str], src: Source) -> None:
    """A column of numbers with a few text cells (`high`, `n/a?`) is a channel with typos, not a text column:
    leaving it out would train on the other channels without a word. Refused, naming the first such cell."""
    for name in text_columns:
        column = frame[name]
        if is_bool_dtype(column):
            continue
        sample = column.iloc[:20_000]  # a text column (names, notes) is told apart on its first rows
        if pd.to_numeric(sample, errors="coerce").notna().sum() * 2 <= sample.notna().sum():
            continue
        present = column.notna().to_numpy()
        converted = pd.to_numeric(column, errors="coerce").notna().to_numpy()
        if present.sum() == 0 or converted.sum() * 2 <= present.sum():
            continue  # mostly text: a text column (a subject's name), not a channel
        bad = int(np.flatnonzero(present & ~converted)[0])
        raise HybridXAIError(
            f"{src.name}: column {name!r} holds numbers but {src.where(bad)} has {column.iloc[bad]!r}, so it could "
            f"not be read as a channel. Fix that cell (and any like it), or leave the column out "
            f"({setting('exclude', repr(name))}).")


def _increasing_within(times: np.ndarray, codes: np.ndarray) -> bool:
    """Whether `times` rise strictly from each row to the next row of the same series (codes: the series of each
    row; rows of one series need not be contiguous)."""
    order = np.argsort(codes, kind="stable")  # each series' rows, in file order
    t, c = times[order], codes[order]
    same = c[1:] == c[:-1]
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.diff(t)[same] > 0))


def long_problem(frame: pd.DataFrame, id_column: str, time_column: str | None, label: str | None,
                 features: list[str] | None = None, excluded=()) -> str | None:
    """Why a detected id does not make a long file of series (in words, for a note), or None when it does: the
    label must stay the same within every series, numeric channels must change within series, and a time column
    must not repeat within a series. A table keyed on a repeating name (ggplot2's mpg: `model`) fails these."""
    sample = frame if len(frame) <= 200_000 else frame.iloc[:200_000]
    groups = sample.groupby(id_column, sort=False)
    if label is not None and label in sample.columns:
        changing = groups[label].nunique(dropna=False)
        if (changing > 1).any():
            first = changing.index[np.argmax(changing.to_numpy() > 1)]
            return (f"the label {label!r} changes within {int((changing > 1).sum())} of its {len(changing)} groups "
                    f"(first {first!r}), and a series has one label")
    reserved = {id_column, time_column, label} | set(excluded)
    pool = features if features is not None else list(sample.columns)
    channels = [c for c in pool if c not in reserved and is_numeric_dtype(sample[c]) and not is_bool_dtype(sample[c])]
    if not channels:
        return "no numeric column besides it could be a channel"
    if time_column is not None:
        # in most groups: a table keyed on a repeating name; in a few: a long file with repeated steps, which
        # reading it as series refuses naming both lines (a table would train on its steps as rows)
        repeats = groups[time_column].apply(lambda s: s.duplicated().any())
        if repeats.mean() > 0.5:
            return f"the time column {time_column!r} repeats within {int(repeats.sum())} of its {len(repeats)} groups"
    sizes = groups.size()
    if time_column is None and sizes.median() < MIN_WIDE_STEPS:
        return (f"its groups hold {sizes.median():g} rows (median) and no column orders them in time: too few for "
                "series")
    return None


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


__all__ = ["LAYOUTS", "Detected", "detect_layout", "wide_channels", "long_candidates", "long_problem",
           "looks_like_series"]
