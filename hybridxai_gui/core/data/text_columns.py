"""Text (categorical) columns as model inputs: each becomes one-hot parts named `<column>=<value>`.

Why one-hot, in the core: every later step (scaling, the network, SHAP, faithfulness, the baselines, the model
file) works on plain numeric rows, and a linear map of one column's one-hot parts is exactly a learned embedding
of its values, which the network's table front end reads as one token per column (`ModelConfig.column_tokens`;
the encoding was chosen by measurement, benchmarks/RECIPE_RESEARCH.md, "Tables"). Explanations put a column's parts
back together (SHAP over groups: one player per original column), so they speak of `island = Biscoe`, not of parts.

The policy, as the README states it:
* a gap in a text column (an empty cell) is its own value, `(missing)`, when the training rows have gaps there;
* a column keeps at most MAX_CATEGORIES parts: its most frequent values; the rarer ones share one part, `(other)`;
* a value never seen in training (at prediction, or in a separate test file) does not stop the work: it is read
  as `(other)` where the column has that part, else as none of the known values (every part 0), and a note names
  the column, the value and the first lines that hold it;
* a text column with a different value in (nearly) every row is an identifier in disguise (a name per row): it is
  left out with a note unless it is asked for by name (table_checks.check_columns).

Values are compared as text after trimming spaces ("cat " is "cat"); whole numbers read as numbers print without a
decimal point (2.0 is "2"), as labels do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..errors import HybridXAIError
from .csvio import Source, format_names, looks_numeric

PART = "="  # between a column's name and one of its values in a part's name: island=Biscoe
MISSING = "(missing)"
OTHER = "(other)"
MAX_CATEGORIES = 50  # parts per column at most (the checkpoint limit allows MAX_CATEGORIES + 2: gaps and other)
MAX_VALUE_CHARS = 200  # a longer value is cut (names in the model file and in figures stay readable)
NUMBER_SHARE = 0.5  # a column whose non-empty cells are at least this share numbers is numeric (stray text: error)


def text_values(column: pd.Series) -> np.ndarray:
    """The column's values as trimmed text (object array); a gap (empty, NaN or blank) is MISSING."""
    if is_numeric_dtype(column) and not is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.full(len(values), MISSING, dtype=object)
        finite = np.isfinite(values)
        whole = finite & (values == np.round(values)) & (np.abs(values) < 2**53)
        out[whole] = values[whole].astype(np.int64).astype(str)
        rest = finite & ~whole
        out[rest] = values[rest].astype(str)
        return out
    text = column.astype("string").str.strip().str.slice(0, MAX_VALUE_CHARS)
    gaps = text.isna() | (text == "")
    return np.where(gaps.to_numpy(), MISSING, text.to_numpy(dtype=object, na_value=MISSING)).astype(object)


def is_text_column(column: pd.Series) -> bool:
    """A column of names rather than numbers: not read as numbers, and fewer than NUMBER_SHARE of its non-empty
    cells are numbers. A numeric column with a few stray cells (a typo, '?', a decimal comma) is not text: reading
    it stops with a message naming the cell, as before."""
    if is_numeric_dtype(column) or is_bool_dtype(column):
        return False
    sample = column.dropna().astype(str).str.strip()
    sample = sample[sample != ""].iloc[:20_000]
    if len(sample) == 0:
        return False  # an empty column: the numeric reader names it
    numbers = sample.map(looks_numeric).mean()
    if numbers >= NUMBER_SHARE:
        return False
    decimal_commas = sample.str.fullmatch(r"[+-]?\d+,\d+").mean()
    return not decimal_commas >= NUMBER_SHARE


@dataclass(frozen=True)
class TextColumn:
    """One text column's parts: the values it is encoded by, in the order of its one-hot parts."""

    name: str
    categories: tuple[str, ...]  # sorted values, then MISSING and OTHER where the column has them

    @property
    def part_names(self) -> list[str]:
        return [f"{self.name}{PART}{c}" for c in self.categories]

    def codes(self, values: np.ndarray) -> np.ndarray:
        """(N,) the part of each value (text_values' output): OTHER for a value not among the parts when the
        column has OTHER, else -1 (none of them)."""
        codes = pd.Index(self.categories).get_indexer(values).astype(np.int64)
        if OTHER in self.categories:
            codes[codes < 0] = self.categories.index(OTHER)
        return codes


def fit_text_column(name: str, column: pd.Series) -> TextColumn:
    """The parts of a training column: its values (the MAX_CATEGORIES - 1 most frequent when there are more,
    the rest pooled as OTHER), sorted, then MISSING when it has gaps."""
    counts = pd.Series(text_values(column)).value_counts(sort=False)
    gaps = MISSING in counts.index
    counts = counts.drop(MISSING, errors="ignore")
    other = len(counts) > MAX_CATEGORIES - int(gaps)
    if other:
        keep = MAX_CATEGORIES - 1 - int(gaps)
        order = sorted(zip(counts.index.tolist(), counts.to_numpy().tolist()), key=lambda kv: (-kv[1], kv[0]))
        values = [v for v, _ in order[:keep]]
    else:
        values = counts.index.tolist()
    categories = sorted(str(v) for v in values) + ([MISSING] if gaps else []) + ([OTHER] if other else [])
    return TextColumn(name, tuple(categories))


@dataclass(frozen=True)
class ColumnEncoding:
    """How a table's input columns become the model's features: numeric columns as they are, text columns as
    one-hot parts in their place (file order kept)."""

    columns: tuple[str, ...]  # the input columns, in file order
    text: tuple[TextColumn, ...]  # the text columns among them

    def __post_init__(self) -> None:
        by_name = {t.name for t in self.text}
        if not by_name <= set(self.columns):
            raise ValueError("every text column must be an input column")
        names = self.feature_names
        if len(set(names)) != len(names):
            twice = next(n for i, n in enumerate(names) if n in names[:i])
            raise HybridXAIError(f"A text column's part {twice!r} has the name of another column: rename that column.")

    def text_column(self, name: str) -> TextColumn | None:
        return next((t for t in self.text if t.name == name), None)

    @property
    def feature_names(self) -> list[str]:
        out: list[str] = []
        for name in self.columns:
            t = self.text_column(name)
            out.extend(t.part_names if t is not None else [name])
        return out

    @property
    def groups(self) -> list[np.ndarray]:
        """The model's features of each input column (a partition of 0 … F − 1, one group per column)."""
        groups, start = [], 0
        for name in self.columns:
            t = self.text_column(name)
            size = len(t.categories) if t is not None else 1
            groups.append(np.arange(start, start + size))
            start += size
        return groups

    @property
    def one_hot(self) -> np.ndarray:
        """(F,) True for the features that are text parts (0 or 1: never scaled)."""
        return np.concatenate([np.full(len(g), self.text_column(c) is not None)
                               for c, g in zip(self.columns, self.groups)])

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.columns if self.text_column(c) is None]

    def parts(self, frame: pd.DataFrame, t: TextColumn, src: Source, dtype, notes: list[str] | None) -> list:
        """The one-hot parts (1-D arrays of `dtype`) of text column `t` of `frame`; unseen values noted."""
        values = text_values(frame[t.name])
        codes = t.codes(values)
        unseen = np.flatnonzero(~pd.Series(values).isin(t.categories).to_numpy())
        if len(unseen) and notes is not None:
            shown = list(dict.fromkeys(values[unseen].tolist()))
            read = f"as {OTHER!r}" if OTHER in t.categories else "as none of its known values"
            notes.append(f"{src.name}: column {t.name!r} holds {format_names(shown, 5)}, never seen in training "
                         f"({len(unseen)} row(s), first at {src.first(unseen, 3)}): read {read}.")
        return [(codes == k).astype(dtype) for k in range(len(t.categories))]

    def to_dict(self) -> dict:
        return {"columns": list(self.columns), "text": [{"name": t.name, "categories": list(t.categories)}
                                                         for t in self.text]}

    @classmethod
    def from_dict(cls, d: dict | None) -> ColumnEncoding | None:
        if not d:
            return None
        return cls(tuple(str(c) for c in d["columns"]),
                   tuple(TextColumn(str(t["name"]), tuple(str(c) for c in t["categories"])) for t in d["text"]))


def fit_encoding(frame: pd.DataFrame, columns: list[str], rows: np.ndarray | None = None) -> ColumnEncoding | None:
    """The encoding of the chosen input columns of a training frame (its `rows` only, when given), or None when
    none of them is text: a table of numbers is read exactly as before."""
    text = []
    for name in columns:
        column = frame[name]
        if is_text_column(column):
            text.append(fit_text_column(name, column if rows is None else column.iloc[rows]))
    return ColumnEncoding(tuple(columns), tuple(text)) if text else None


def text_identifier_share(column: pd.Series) -> float:
    """Distinct non-empty values per non-empty row of a text column (1.0: a different value in every row)."""
    values = column.dropna()
    return values.nunique() / len(values) if len(values) else 0.0


__all__ = ["PART", "MISSING", "OTHER", "MAX_CATEGORIES", "TextColumn", "ColumnEncoding", "fit_encoding",
           "fit_text_column", "is_text_column", "text_values", "text_identifier_share"]
