"""Reading a table and turning it into scaled train / validation / test arrays.

Everything the model sees passes through here, so the checks are strict and every error names the file, the
line and the column, and says what to change. Memory matters too: a path is read straight into float32 feature
columns, and each array is copied at most once on its way into the splits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .csvio import (LABEL_NAMES, Layout, Source, check_float32_range, format_names,  # noqa: F401 (re-exported)
                    guess_label_column, looks_numeric, peek_rows, read_csv_layout, read_table, sniff)
from .label_guess import LabelGuess, guess_label
from .text_columns import ColumnEncoding, fit_encoding
from ..config import DataConfig
from ..errors import HybridXAIError, setting
_CHUNK_ROWS = 65536  # row blocks keep float64 / boolean temporaries to a few MB instead of (N, F)
_AUTO_SAMPLE_ROWS = 20000
_GATHER_ROWS = 16384  # rows per block when gathering columns into a C-ordered matrix (L2-sized buffer)


def _select_columns(columns, src, label, features, exclude) -> tuple[str, list[str]]:
    label_column = label if label is not None else guess_label_column(columns)
    if label_column not in columns:
        raise HybridXAIError(
            f"{src.name} has no column {label_column!r}; its columns are {format_names(columns)}. Choose one with "
            f"{setting('label')}."
        )
    for option, names in (("features", features), ("exclude", exclude)):
        unknown = [n for n in names or [] if n not in columns]
        if unknown:
            raise HybridXAIError(f"{setting(option)}: {src.name} has no column {format_names(unknown)}; it has "
                                 f"{format_names(columns)}.")
    if label_column in (features or []) or label_column in (exclude or []):
        raise HybridXAIError(f"{label_column!r} is the label column, so it cannot be a feature or excluded.")
    wanted = set(features) if features is not None else set(columns) - {label_column}
    chosen = [c for c in columns if c in wanted and c not in set(exclude or [])]  # file order
    if not chosen:
        hint = ""
        if len(columns) == 1:
            hint = (" The file has a single column: are its values separated by commas, semicolons or tabs? Other "
                    "separators are not read; save it as a comma-separated file.")
        raise HybridXAIError(f"{src.name}: no feature columns are left besides the label {label_column!r}.{hint}")
    return label_column, chosen


def frame_source(df: pd.DataFrame, name: str | None = None, default: str = "the table") -> Source:
    """Where a frame's rows came from: its file (and layout, for exact line numbers) when read_table read it
    and its rows are still the file's, else rows by number. `name` overrides the name shown."""
    index = df.index
    plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    path = df.attrs.get("source")
    if path is None:
        return Source(name or default, name is not None and plain)
    sep, encoding, *rest = df.attrs.get("source_layout", (",", "utf-8"))
    header_row = int(rest[0]) if rest else 1
    if plain:
        return Source(name or path, True, str(path), sep, encoding, header_row=header_row)
    if pd.api.types.is_integer_dtype(index) and len(index) and index.min() >= 0:
        # Some of the file's rows (df.iloc[[1, 5]] keeps their labels): messages name the file's lines.
        return Source(name or path, True, str(path), sep, encoding, index.to_numpy(), header_row=header_row)
    return Source(name or path, False)


def _load(table, needed: list[str] | None, label: str | None, kind: str, numeric: list[str] | None = None):
    """(frame, source) for a DataFrame or a test path, (layout, source) for a training path. `numeric`: the
    needed columns to read as numbers (default: all of them; text columns are read as text)."""
    if isinstance(table, pd.DataFrame):
        src = frame_source(table, default=f"the {kind} table")
        if any(not isinstance(c, str) for c in table.columns):
            table = table.rename(columns=str)
        if table.columns.duplicated().any():
            raise HybridXAIError(f"{src.name} names a column more than once. Give each column its own name.")
        return table, src
    path = Path(table)
    layout = sniff(path)
    src = Source(str(path), True, str(path), layout.sep, layout.encoding, header_row=layout.header_row)
    if needed is None:  # training file: the label and features are chosen from its header first
        return layout, src
    absent = [c for c in [label, *needed] if c not in layout.header]
    if absent:
        raise HybridXAIError(
            f"The {kind} file {path} has no column {format_names(absent)}, which the training data has. "
            "Columns are matched by name: rename them in its header."
        )
    return read_csv_layout(path, layout, needed if numeric is None else numeric), src


def _feature_columns(df: pd.DataFrame, names: list[str], encoding: ColumnEncoding | None, src: Source, dtype: type,
                     notes: list[str] | None) -> list[np.ndarray]:
    """One 1-D array per model feature: the named numeric columns, or with an encoding its input columns, each text
    column as its one-hot parts (values never seen in training noted)."""
    if encoding is None:
        return _numeric_columns(df, names, src, dtype)
    absent = [n for n in encoding.columns if n not in df.columns]
    if absent:
        raise HybridXAIError(f"{src.name} has no column {format_names(absent)}, which is needed (matched by name).")
    out: list[np.ndarray] = []
    for name in encoding.columns:
        text = encoding.text_column(name)
        out.extend(_numeric_columns(df, [name], src, dtype) if text is None else
                   encoding.parts(df, text, src, dtype, notes))
    return out


def _numeric_columns(df: pd.DataFrame, names: list[str], src: Source, dtype: type) -> list[np.ndarray]:
    """The named columns as 1-D arrays (views when the dtype already fits); a text cell is an error naming it."""
    absent = [n for n in names if n not in df.columns]
    if absent:
        raise HybridXAIError(f"{src.name} has no column {format_names(absent)}, which is needed (matched by name).")
    columns = []
    for name in names:
        column = df[name]
        if not (is_numeric_dtype(column) or is_bool_dtype(column)):
            converted = pd.to_numeric(column, errors="coerce")
            offending = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
            if len(offending):
                value = column.iloc[offending[0]]
                hint = ""
                if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+,\d+\s*", value):
                    hint = " It looks like a decimal comma: save the file with '.' as the decimal separator."
                raise HybridXAIError(
                    f"{src.name}: column {name!r} is not numeric ({src.where(offending[0])} has {value!r}).{hint} "
                    f"Every feature must be a number: fix the cell, or leave the column out "
                    f"({setting('exclude', repr(name))})."
                )
            column = converted
        if column.dtype.kind == "f" and column.dtype.itemsize > 4:
            check_float32_range(column.to_numpy(), name, src)
        columns.append(column.to_numpy(dtype=dtype, na_value=np.nan))
    return columns



def _gather(columns: list[np.ndarray], rows: np.ndarray | None, dtype: type) -> np.ndarray:
    """A C-ordered (len(rows), F) matrix of the given rows (None: all) of 1-D columns.

    Each split is gathered straight from the frame's columns, so the data is copied once on its way into the
    splits. Per row block, the columns are taken into a small contiguous (F, block) buffer, which is then
    copied transposed into the output: 4x faster at 1M x 32 than assigning fancy-indexed strided columns.
    """
    n = len(columns[0]) if rows is None else len(rows)
    out = np.empty((n, len(columns)), dtype=dtype)
    buffer = np.empty((len(columns), min(n, _GATHER_ROWS)), dtype=dtype)
    for start in range(0, n, _GATHER_ROWS):
        stop = min(n, start + _GATHER_ROWS)
        part = buffer[:, : stop - start]
        for j, values in enumerate(columns):
            if rows is None:
                part[j] = values[start:stop]
            else:
                np.take(values, rows[start:stop], out=part[j])
        out[start:stop] = part.T
    return out


def _numeric_matrix(df: pd.DataFrame, names: list[str], src: Source, dtype: type) -> np.ndarray:
    """A C-ordered (N, F) copy of the named columns; a text cell is an error naming it."""
    return _gather(_numeric_columns(df, names, src, dtype), None, dtype)


def _missing_rows(columns: list[np.ndarray], src, names, missing, notes) -> np.ndarray | None:
    """The 'error' and 'drop' policies: the kept-row mask, or None when every row is kept.

    'mean' fills after the split, so it keeps every row here, and notes what will be filled (the default policy
    says that it acts, and how to choose another).
    """
    if not columns:
        return None
    if missing == "mean":
        gaps = [int((~np.isfinite(values)).sum()) for values in columns]
        if any(gaps):
            named = [f"{names[j]!r} ({count})" for j, count in enumerate(gaps) if count]
            notes.append(f"{src.name}: {sum(gaps)} missing or infinite value(s), in {format_names(named, 6, str)}, are "
                         f"filled with the training rows' column means ({setting('missing', 'mean')}). Choose "
                         f"{setting('missing', 'drop')} to leave those rows out, or {setting('missing', 'error')} to "
                         "stop on them.")
        return None
    bad = np.zeros(len(columns[0]), dtype=bool)
    for values in columns:
        bad |= ~np.isfinite(values)
    if not bad.any():
        return None
    if missing == "drop":
        if bad.all():
            empty = [names[j] for j, values in enumerate(columns) if not np.isfinite(values).any()]
            raise HybridXAIError(
                f"{src.name}: every row has a missing or infinite value"
                + (f" (column {format_names(empty)} has no values at all)" if empty else "")
                + f", so {setting('missing', 'drop')} leaves no rows. Leave such columns out "
                f"({setting('exclude', repr(empty[0]) if empty else '')}), or use {setting('missing', 'mean')}."
            )
        notes.append(f"Dropped {int(bad.sum())} row(s) of {src.name} with missing or infinite values.")
        return ~bad
    per_column = [int((~np.isfinite(values[bad])).sum()) for values in columns]
    described = [f"{names[j]!r} ({count})" for j, count in enumerate(per_column) if count]
    raise HybridXAIError(
        f"{src.name}: {int(bad.sum())} row(s) have missing or infinite values, in columns {format_names(described, 8, str)}; "
        f"first at {src.first(np.flatnonzero(bad))}. Fix those cells, or choose {setting('missing', 'drop')} to skip "
        f"those rows or {setting('missing', 'mean')} to fill them with the training mean."
    )


def _fill_missing(X: np.ndarray, fill_values: np.ndarray) -> tuple[int, int]:
    """Fill every missing or infinite value with its column's fill value; (cells, rows) filled."""
    rows, cols = np.nonzero(~np.isfinite(X))
    X[rows, cols] = fill_values[cols]
    return len(rows), len(np.unique(rows))


def _encode_labels(column: pd.Series, label: str, src: Source) -> tuple[np.ndarray, list[str]]:
    """Codes into a list of distinct label strings; whole numbers print as integers (2.0 -> '2')."""
    if is_numeric_dtype(column) and not is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = ~np.isfinite(values)
        if not missing.any() and np.all(values == np.round(values)):
            values = values.astype(np.int64)
    else:
        values = column.astype(str).str.strip().to_numpy(dtype=object)  # "cat " and "cat" are one class
        missing = column.isna().to_numpy() | (values == "")
    if missing.any():
        raise HybridXAIError(
            f"{src.name}: {int(missing.sum())} row(s) have no label in column {label!r}, first at "
            f"{src.first(np.flatnonzero(missing))}. Fill in the labels or delete those rows."
        )
    codes, uniques = pd.factorize(values)
    from .units import label_unit

    unit = label_unit(column, column.name) if is_numeric_dtype(column) else ""
    if unit:  # numbers the reader took from "10 mg": the classes keep their unit, each number as written
        from .units import unit_name

        return codes.astype(np.int64), [unit_name(u, unit) for u in uniques.tolist()]
    return codes.astype(np.int64), [str(u) for u in uniques.tolist()]


def _sorted_classes(names: list[str]) -> list[str]:
    if all(looks_numeric(n) for n in names):
        return sorted(names, key=float)  # 2 < 10
    from .units import NUMBER_UNIT

    read = [NUMBER_UNIT.fullmatch(n) for n in names]
    if all(read) and len({m.group(2) for m in read}) == 1:  # one unit: 5 mg < 10 mg
        return [n for _, n in sorted(zip((float(m.group(1)) for m in read), names))]
    return sorted(names)


def _table_columns(df, src, label_column, feature_names, missing, notes, encoding=None):
    """float32 feature columns (all rows), label codes and names of the kept rows, and the kept 0-based rows."""
    codes, names = _encode_labels(df[label_column], label_column, src)
    columns = _feature_columns(df, feature_names, encoding, src, np.float32, notes)
    kept = _missing_rows(columns, src, feature_names, missing, notes)
    if kept is None:
        return columns, codes, names, np.arange(len(codes))
    return columns, codes[kept], names, np.flatnonzero(kept)


def _test_arrays(test, table: TableRows, notes):
    """Features and labels of a separate test table, matched to the training data by column name."""
    encoding, label_column = table.encoding, table.label_column
    needed = list(encoding.columns) if encoding is not None else table.feature_names
    numeric = encoding.numeric_columns if encoding is not None else None
    tdf, src = _load(test, needed, label_column, "test", numeric)
    if label_column not in tdf.columns:
        raise HybridXAIError(f"{src.name} has no label column {label_column!r}, which the test data needs.")
    columns, codes, names, rows = _table_columns(tdf, src, label_column, table.feature_names, table.config.missing,
                                                 notes, encoding)
    X = _gather(columns, rows, np.float32)
    del tdf, columns
    return X, _known_classes(codes, names, table.class_names, rows, src, table.guess), rows, src


def _known_classes(codes: np.ndarray, names: list[str], class_names: list[str], rows: np.ndarray,
                   src: Source, guess: LabelGuess | None = None) -> np.ndarray:
    """Label codes (into `names`) as indices into the training's `class_names`; an unseen label is an error."""
    class_index = {name: i for i, name in enumerate(class_names)}
    from .units import unit_aligned

    names = unit_aligned(names, class_names)
    y = np.array([class_index.get(name, -1) for name in names], dtype=np.int64)[codes]
    if (y < 0).any():
        first = np.flatnonzero(y < 0)
        unseen = list(dict.fromkeys(names[c] for c in codes[first]))
        raise HybridXAIError(
            f"{src.name}: label {format_names(unseen)} (first at {src.where(rows[first[0]])}) never occurs in the "
            f"training data, whose classes are {format_names(class_names)}. Remove those rows or add training examples."
            + (guess.advice() if guess is not None else "")
        )
    return y


def labels_of(df: pd.DataFrame, label: str, class_names: list[str], *, source: str) -> np.ndarray:
    """The label column of a new table as indices into a model's class names, read as training read it
    (2.0 is class '2', ' cat' is 'cat'); an empty or unseen label is an error naming its line."""
    src = frame_source(df, source)
    if label not in df.columns:
        raise HybridXAIError(f"{src.name} has no label column {label!r} (the model was trained with it); its columns "
                             f"are {format_names([str(c) for c in df.columns])}. Name it with {setting('label')}.")
    codes, names = _encode_labels(df[label], label, src)
    return _known_classes(codes, names, class_names, np.arange(len(df)), src)


@dataclass(eq=False)
class TableRows:
    """A training table read and checked once, before any split: what `assemble` builds splits from.

    Repeated evaluation (core.evaluation.crossval) reads the table once and assembles one PreparedData per fold, so every
    fold goes through the same checks, missing-value policy, scaling and hashing as a single training run.
    A table whose rows hold series keeps its frame and layout (`spec`); `index_series` then gives each series
    its class and its rows of the frame, and `assemble` hands the chosen series to series_data.prepare_series.
    """

    columns: list[np.ndarray]  # one float32 array per feature, over every row of the file ([] for series)
    y: np.ndarray  # (N,) class index (into class_names) of each kept row (each series once indexed)
    rows: np.ndarray  # (N,) 0-based data rows of the file that are kept (missing="drop" leaves some out)
    feature_names: list[str]
    class_names: list[str]
    label_column: str
    src: Source
    notes: list[str]
    config: DataConfig  # the settings asked for (label and features as given)
    frame: pd.DataFrame | None = None  # series: the frame they are read from
    spec: Any = None  # series: their series.SeriesSpec
    series_rows: list[np.ndarray] | None = None  # series: each one's rows of the frame (index_series)
    encoding: ColumnEncoding | None = None  # tables with text columns: their one-hot parts (None: numbers only)
    guess: LabelGuess | None = None  # the label column was guessed (no label given): how

    def __len__(self) -> int:
        return len(self.rows)


def read_rows(train: str | Path | pd.DataFrame, *, label: str | None = None, features: list[str] | None = None,
              exclude: list[str] | None = None, missing: str = "error", scaling: str = "auto",
              test_size: float = 0.2, val_size: float = 0.0, layout: str = "auto", id_column: str | None = None,
              time_column: str | None = None, channels: list[str] | None = None, series_length: int = 0,
              unequal: str = "resample", has_test_file: bool = False) -> TableRows:
    """Read and check a training table: label and feature columns, labels, missing values; no split yet.
    Rows that hold series (layout.detect_layout: wide channels, long files, unequal lengths) are kept as the
    frame and their layout; tables become float32 feature columns, text columns their one-hot parts.

    No label: the likely one is guessed (label_guess) and a note says which and why. No features: every column but
    the label, the excluded ones and the identifiers (table_checks; a note names them and how to keep them)."""
    config = DataConfig(label, features, exclude or (), missing, scaling, test_size, val_size, layout, id_column,
                        time_column, channels, series_length, unequal)
    config.validate(has_test_file=has_test_file)
    notes: list[str] = []
    loaded, src = _load(train, None, None, "training")
    path = Path(src.name)
    columns = loaded.header if isinstance(loaded, Layout) else list(loaded.columns)
    from .layout import check_inputs, looks_like_series

    if isinstance(loaded, Layout):
        def series_by_values(names, layout_=loaded):
            return looks_like_series(peek_rows(path, layout_), names)
    else:
        def series_by_values(names, frame_=loaded):
            return looks_like_series(frame_, names)
    # from the header, before any rows are read (the label guessed by its name: one column more or less)
    check_inputs(columns, label if label is not None else guess_label_column(columns), features, exclude, src,
                 series_by_values, "auto" if layout == "auto" and not (id_column or time_column or channels) else "given",
                 series_length)
    df, guess = None, None
    if label is None and len(columns) > 1:  # guessed from the values, as a person would
        df = read_csv_layout(path, loaded, list(columns)) if isinstance(loaded, Layout) else loaded
        guess = guess_label(df)
        if guess.column.lower() not in LABEL_NAMES:  # a column named label / class / target / y says so itself
            notes.append(guess.note())
    label_column = guess.column if guess is not None else label if label is not None else guess_label_column(columns)
    if layout != "table":  # it may hold series: look at the rows
        if df is None:
            numeric = [c for c in columns if c != label_column]  # float32 where the values are numbers (csvio)
            df = read_csv_layout(path, loaded, numeric) if isinstance(loaded, Layout) else loaded
        if label_column not in df.columns:
            _select_columns(columns, src, label_column, features, exclude)  # the message naming the label
        from .layout import detect_layout

        detected = detect_layout(df, label_column, list(features) if features is not None else None, layout,
                                 id_column, time_column, list(channels) if channels else None, exclude, src)
        notes.extend(detected.notes)
        if detected.spec is not None:
            empty = np.empty(0, dtype=np.int64)
            return TableRows([], empty, empty, [], [], label_column, src, notes, config, frame=df, spec=detected.spec,
                             guess=guess)
    label_column, chosen = _select_columns(columns, src, label_column, features, exclude)
    if unequal != "resample":  # asked for series of unequal length: a table has no time axis to keep
        notes.append(f"{src.name} is read as a table (one row per sample, no time axis), so the reading of unequal "
                     f"series lengths ({setting('unequal', unequal)}) does not apply.")
    if df is None:
        df = read_csv_layout(path, loaded, chosen) if isinstance(loaded, Layout) else loaded
    from .table_checks import ColumnFindings, check_columns, feature_notes

    found = None
    if features is None:  # identifiers and empty columns are left out (unless that leaves none: kept, noted below)
        found = check_columns({name: df[name] for name in chosen})
        if set(found.left_out) < set(chosen):
            chosen = [c for c in chosen if c not in set(found.left_out)]
            notes.extend(ColumnFindings(found.identifiers, empty=found.empty).notes(left_out=True))
        else:
            found = None
    try:
        encoding = fit_encoding(df, chosen)
    except HybridXAIError as exc:
        raise HybridXAIError(f"{src.name}: {exc.template}") from None
    feature_names = encoding.feature_names if encoding is not None else chosen
    columns, codes, label_names, rows = _table_columns(df, src, label_column, feature_names, missing, notes, encoding)
    inputs = {name: df[name] for name in chosen}
    del loaded  # the feature columns keep what they need of a frame read from a path

    # Classes are those left after dropping rows, sorted (numerically when all labels are numbers).
    class_names = _sorted_classes([label_names[c] for c in np.unique(codes)])
    if len(class_names) < 2:
        raise HybridXAIError(
            f"{src.name}: the label column {label_column!r} has only the class {format_names(class_names)}; "
            f"a classifier needs at least two. Check the label column ({setting('label')})."
            + (guess.advice() if guess is not None else "")
        )
    class_index = {name: i for i, name in enumerate(class_names)}
    y = np.array([class_index.get(name, -1) for name in label_names], dtype=np.int64)[codes]
    notes.extend(ColumnFindings([], found.constant).notes() if found is not None else feature_notes(inputs, rows))
    del df, inputs
    return TableRows(columns, y, rows, feature_names, class_names, label_column, src, notes, config,
                     encoding=encoding, guess=guess)


def index_series(table: TableRows) -> TableRows:
    """A series table with one class per series and each series' rows of the frame (for splitting by series)."""
    if table.spec is None or table.series_rows is not None:
        return table
    from .series import read_series
    from .series_data import _labels
    from .units import label_unit

    found = read_series(table.frame, table.spec, table.src, table.config.missing, table.label_column)
    codes, names = _labels(found.labels, table.label_column, table.src, found.first_rows,
                           label_unit(table.frame, table.label_column))
    table.class_names = _sorted_classes([names[c] for c in np.unique(codes)])
    if len(table.class_names) < 2:
        raise HybridXAIError(f"{table.src.name}: the label column {table.label_column!r} has only the class "
                             f"{format_names(table.class_names)}; a classifier needs at least two.")
    index = {name: i for i, name in enumerate(table.class_names)}
    table.y = np.array([index[name] for name in names], dtype=np.int64)[codes]
    table.rows = np.asarray(found.first_rows, dtype=np.int64)
    if table.spec.layout == "long":
        where = table.frame.groupby(table.spec.id_column, sort=False).indices
        table.series_rows = [np.asarray(where[i]) for i in found.ids]
    else:
        table.series_rows = [np.array([r]) for r in table.rows]
    table.notes.extend(n for n in found.notes if n not in table.notes)
    return table


def read_test_rows(table: TableRows, test) -> tuple[np.ndarray, np.ndarray, np.ndarray, Source, list[str]]:
    """A separate test table's raw features, labels (as the training's class indices), rows, source, notes."""
    if table.spec is not None:  # series: prepare_series reads the test table by its layout
        return test
    notes: list[str] = []
    X, y, rows, src = _test_arrays(test, table, notes)
    return X, y, rows, src, notes


def frame_to_features(
    df: pd.DataFrame, feature_names: list[str], *, source: str, missing: str = "error",
    fill_values: np.ndarray | None = None, return_rows: bool = False, notes: list[str] | None = None,
    encoding: ColumnEncoding | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Raw float64 (N, F) features of a new table, picked by name; the caller applies the scaler.

    Messages name `source` and file lines (data row + 2). With missing="drop" rows disappear: return_rows=True
    also returns the kept 0-based row numbers, so predictions can be matched back to the user's rows. `notes`
    gets a line saying what missing="mean" filled, so a front end can say that the policy acted, and one per text
    column holding a value never seen in training (read as the encoding's policy says; the work goes on).
    """
    DataConfig(missing=missing).validate(has_test_file=True)
    src = frame_source(df, source)
    if encoding is None:
        X = _numeric_matrix(df, list(feature_names), src, np.float64)
    else:
        X = _gather(_feature_columns(df, list(feature_names), encoding, src, np.float64, notes), None, np.float64)
    rows = np.arange(len(X))
    if missing == "mean":
        if fill_values is None:
            raise HybridXAIError(f"{source}: this model file keeps no column means to fill missing values with (it "
                                 f"predates them); use {setting('missing', 'drop')}, or train the model again.")
        cells, filled_rows = _fill_missing(X, np.asarray(fill_values, dtype=np.float64))
        if cells and notes is not None:
            notes.append(f"Filled {cells} missing or infinite value(s) in {filled_rows} row(s) of {source} with the "
                         f"training rows' column means ({setting('missing', 'mean')}).")
    kept = _missing_rows(list(X.T), src, list(feature_names), missing, [])  # front ends count the dropped rows
    if kept is not None:
        X, rows = X[kept], rows[kept]
    return (X, rows) if return_rows else X
