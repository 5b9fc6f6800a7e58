"""Checks a careful analyst makes on a table before training: identifier, empty and constant columns.

One function for both front ends: the Data tab unticks an identifier and lists the notes; the command line
prints the same notes (prepare_data adds them for the chosen features). Only cheap tests: a column is looked
at in full only when a linear pass (whole numbers, a name like `id`) makes it a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .csvio import format_names
from ..errors import setting

MIN_ROWS = 10  # fewer rows say nothing about a column being an identifier
NEARLY_UNIQUE = 0.9  # a named ID or a text column with more distinct values per row than this is an identifier
# Names people give identifier columns: id, ID, patient_id, sample id, index, key, "Unnamed: 0" (a saved index),
# rownames (R's row names, as write.csv and the Rdatasets files keep them).
ID_NAME = re.compile(r"(?i)^(id|idx|index|key|uuid|guid|row|rowid|row_id|record|unnamed: ?\d+|rownames|row[_ .]names"
                     r"|.*[_ \-.]id|id[_ \-.].*)$")


@dataclass(frozen=True)
class ColumnFindings:
    """What the checks found, by column name, in the table's column order."""

    identifiers: list[str] = field(default_factory=list)  # (nearly) one distinct value per row: a row number, an ID
    constant: list[str] = field(default_factory=list)  # a single value in every row
    empty: list[str] = field(default_factory=list)  # no value in any row: nothing to learn or to fill gaps with

    def without(self, names) -> ColumnFindings:
        """The findings on every column but `names` (the label, a long file's id and time columns)."""
        drop = {str(n) for n in names if n is not None}
        return ColumnFindings([c for c in self.identifiers if c not in drop], [c for c in self.constant if c not in drop],
                              [c for c in self.empty if c not in drop])

    @property
    def left_out(self) -> list[str]:
        """The columns a table read with no features named leaves out (the window unticks them): identifiers and
        empty columns."""
        return [*self.identifiers, *self.empty]

    def notes(self, unticked: bool = False, left_out: bool = False) -> list[str]:
        """Notes for the user; unticked=True: the identifiers were left out by the Data tab (tick to keep);
        left_out=True: left out by reading the table with no features named (name them to keep them)."""
        out = []
        if self.identifiers:
            one = len(self.identifiers) == 1
            it, has, looks = ("it", "has", "looks like an identifier") if one else \
                ("they", "each have", "look like identifiers")
            said = (f"Column {format_names(self.identifiers, 6)} {has} a different value in every row (or nearly "
                    f"every row), so {it} {looks} (a row number, an ID or a name per row), not a measurement")
            if unticked:
                out.append(f"{said}: {'it was' if one else 'they were'} left out of the features. Tick "
                           f"{'it' if one else 'them'} under Features to use {'it' if one else 'them'} anyway.")
            elif left_out:
                out.append(f"{said}: {'it was' if one else 'they were'} left out of the features. Name "
                           f"{'it' if one else 'them'} in {setting('features')} to use {'it' if one else 'them'} "
                           "anyway.")
            else:
                them = "it" if one else "them"
                out.append(f"{said}; a model can learn the row order from {them}. Leave {them} out "
                           f"({setting('exclude', ','.join(self.identifiers))}).")
        if self.empty:
            one = len(self.empty) == 1
            said = f"Column {format_names(self.empty, 6)} {'has' if one else 'each have'} no value in any row"
            if unticked:
                out.append(f"{said}: {'it was' if one else 'they were'} left out of the features.")
            elif left_out:
                out.append(f"{said}: {'it was' if one else 'they were'} left out of the features (nothing to learn "
                           f"from, nor a value to fill {'its' if one else 'their'} gaps with).")
            else:
                them = "it" if one else "them"
                out.append(f"{said}; leave {them} out ({setting('exclude', ','.join(self.empty))}).")
        if self.constant:
            one = len(self.constant) == 1
            out.append(f"Column {format_names(self.constant, 6)} {'has' if one else 'each have'} the same value in "
                       f"every row, so {'it' if one else 'they'} cannot help tell the classes apart.")
        return out


def _numeric(values) -> np.ndarray | None:
    """float64 values of a numeric column (None for text)."""
    if isinstance(values, pd.Series):
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            return None
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        return None
    return array.astype(np.float64, copy=False)


def is_identifier(name: str, values) -> bool:
    """A numeric column with a different value in every row that is a run of consecutive whole numbers
    (1 ... N in some order: a row number), or values distinct in more than NEARLY_UNIQUE of the rows under an
    identifier's name (`id`, `patient_id`, `Unnamed: 0`; a sample ID that repeats now and then); or a text column
    with that many distinct values (a name per row: an identifier in disguise). Measurements with all-distinct
    values (most continuous columns) are not."""
    x = _numeric(values)
    if x is None:
        return _is_text_identifier(values)
    if len(x) < MIN_ROWS or not np.isfinite(x).all():
        return False
    named = ID_NAME.match(str(name).strip()) is not None
    whole = bool(np.all(x == np.round(x)))
    if not (named or whole):
        return False
    distinct = len(np.unique(x))
    if named:
        return distinct == len(x) or distinct > NEARLY_UNIQUE * len(x)
    if x.max() - x.min() + 1 != len(x):  # not a run 1 ... N: not a row number
        return False
    return distinct == len(x)


def _is_text_identifier(values) -> bool:
    from .text_columns import is_text_column, text_identifier_share

    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    if series.notna().sum() < MIN_ROWS or not is_text_column(series):
        return False
    return text_identifier_share(series) > NEARLY_UNIQUE


def is_constant(values) -> bool:
    x = _numeric(values)
    if x is None:
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        return len(series) > 0 and series.nunique(dropna=True) <= 1
    finite = x[np.isfinite(x)]
    return len(x) > 0 and (finite.size == 0 or bool(finite.min() == finite.max()))


def is_empty(values) -> bool:
    """No value in any row: every cell empty (NaN, or blank text)."""
    x = _numeric(values)
    if x is not None:
        return len(x) > 0 and not np.isfinite(x).any()
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    if len(series) == 0:
        return False
    present = series.dropna()
    return present.empty or bool((present.astype(str).str.strip() == "").all())


def check_columns(columns: Mapping[str, object]) -> ColumnFindings:
    """Identifier, empty and constant columns among `columns` (name -> a Series or 1-D array)."""
    identifiers, constant, empty = [], [], []
    for name, values in columns.items():
        if is_empty(values):
            empty.append(str(name))
        elif is_constant(values):
            constant.append(str(name))
        elif is_identifier(str(name), values):
            identifiers.append(str(name))
    return ColumnFindings(identifiers, constant, empty)


def check_table(frame: pd.DataFrame, label: str | None) -> ColumnFindings:
    """The checks on every column of a table but its label."""
    return check_columns({str(c): frame[c] for c in frame.columns if str(c) != str(label)})


def feature_notes(columns: Mapping[str, object], rows: np.ndarray | None = None) -> list[str]:
    """Notes on the chosen feature columns (arrays or Series; their kept `rows`), as prepare_data reports them."""
    if rows is not None:
        columns = {name: (values.iloc[rows] if isinstance(values, pd.Series) else values[rows])
                   if len(rows) != len(values) else values for name, values in columns.items()}
    return check_columns(columns).notes()


__all__ = ["ColumnFindings", "check_columns", "check_table", "feature_notes", "is_identifier", "is_constant",
           "is_empty", "NEARLY_UNIQUE"]
