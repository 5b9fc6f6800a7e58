"""Which column holds the class, when nobody said: the guess a person would make, with its reasons.

One rule for both front ends (the Data tab preselects it and marks it as a guess; the command line says
"no --label given: guessed X (…); other candidates: …"). A label column is never an identifier (a row number,
an ID, a name per row), never dates and times, and never has nearly as many values as rows; measurements with
decimals are not classes.
Among the columns left, a name people give labels wins (class, label, target, type, species, diagnosis, outcome,
group, y, survived, status, ...), then a column with a value in every row over one with gaps (a class column is
rarely left blank), then text over whole numbers, then the last column over the first over any other, then fewer
values.
When no column qualifies, the last column is the guess, and the reason says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..errors import HybridXAIError, setting

# Names people give a class column, most telling first (compared without case, spaces, '_' or '-').
LABEL_NAMES = ("label", "class", "target", "type", "species", "diagnosis", "outcome", "group", "y", "category",
               "classe", "klasse", "survived", "churn", "status", "result", "response", "grade", "quality",
               "condition", "fault", "failure", "disease", "stage", "cluster", "cls")
MAX_SHARE = 0.5  # more distinct values than this share of the rows: nearly one per row, no label
MAX_WHOLE_NUMBER_CLASSES = 20  # whole numbers with more values are counts or codes, not classes
SAMPLE_ROWS = 200_000  # rows looked at per column (a label's values show in any large sample)
_ID_LIKE = re.compile(r"(?i)^(id|ids|idx|index|key|uuid|guid|row|rowid|rownames|row_?names|row_?id|record|"
                      r"unnamed: ?\d+|.*[_ \-.]id|id[_ \-.].*|recording|session|subject|patient|sample|series|"
                      r"measurement|run|trial|name|names)$")


@dataclass(frozen=True)
class LabelGuess:
    column: str
    why: str  # in words: "named like a label, 3 values"
    candidates: tuple[str, ...] = field(default_factory=tuple)  # the next best columns, best first

    def note(self) -> str:
        """What the command line prints (setting markers: each front end words them)."""
        others = ", ".join(self.candidates) if self.candidates else "none"
        return f"no {setting('label')} given: guessed {self.column} ({self.why}); other candidates: {others}."

    def advice(self) -> str:
        """The sentence a message about the labels ends with when they came from this guess."""
        others = f" (other candidates: {', '.join(self.candidates)})" if self.candidates else ""
        return (f" The label column {self.column!r} was guessed ({self.why}), since no {setting('label')} was "
                f"given: name the label column with {setting('label')}{others}.")


def _normalised(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name).lower())


@dataclass(frozen=True)
class _Candidate:
    name: str
    position: int
    named: int  # > 0: the rank of its name among LABEL_NAMES (higher is better)
    text: bool
    values: int
    complete: bool = True  # a value in every row

    def score(self, n_columns: int) -> tuple:
        edge = 2 if self.position == n_columns - 1 else 1 if self.position == 0 else 0
        return (self.named, self.complete, self.text, edge, -self.values)

    def why(self) -> str:
        kind = "text" if self.text else "whole numbers"
        parts = ["named like a label"] if self.named else [f"{kind} with few values"]
        parts.append(f"{self.values} values")
        if not self.complete:
            parts.append("some rows blank")
        return ", ".join(parts)


def _whole_number_columns(frame: pd.DataFrame, names: list) -> list:
    """The numeric columns among `names` whose finite values (in the first SAMPLE_ROWS rows) are all whole numbers,
    found for all columns at once: a wide file of 100,000 readings is looked at in one pass, not column by column."""
    if not names:
        return []
    values = frame[names].iloc[:SAMPLE_ROWS].to_numpy(dtype=np.float64, na_value=np.nan)  # (S, F)
    finite = np.isfinite(values)
    whole = np.where(finite, values == np.round(values), True).all(axis=0) & finite.any(axis=0)
    return [name for name, ok in zip(names, whole) if ok]


def _candidate(frame: pd.DataFrame, name, position: int, text: bool) -> _Candidate | None:
    column = frame[name].iloc[:SAMPLE_ROWS]
    present = column.dropna()
    if text:
        present = present.astype(str).str.strip()
        present = present[present != ""]
    n = len(present)
    distinct = int(present.nunique())
    if n == 0 or distinct < 2 or distinct > MAX_SHARE * n:
        return None
    if _ID_LIKE.match(str(name).strip()):
        return None
    if text:
        from .times import reads_as_dates

        if reads_as_dates(present):  # a clock (timestamps of trials that all start at 08:00) is never a class
            return None
    if not text and distinct > MAX_WHOLE_NUMBER_CLASSES:
        return None
    key = _normalised(name)
    named = len(LABEL_NAMES) - LABEL_NAMES.index(key) if key in LABEL_NAMES else 0
    return _Candidate(str(name), position, named, text, distinct, complete=n == len(column))


def guess_label(frame: pd.DataFrame) -> LabelGuess:
    """The likely label column of `frame`, why, and the other candidates."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        raise HybridXAIError("The table has no columns.")
    if len(columns) == 1:
        return LabelGuess(columns[0], "the only column")
    dtypes = frame.dtypes.tolist()
    is_number = [is_numeric_dtype(t) and not is_bool_dtype(t) for t in dtypes]
    whole = set(_whole_number_columns(frame, [c for c, n in zip(frame.columns, is_number) if n]))
    # text columns, and whole numbers (measurements with decimals are not classes)
    found = [c for c in (_candidate(frame, name, i, not number) for i, (name, number)
                         in enumerate(zip(frame.columns, is_number)) if not number or name in whole) if c is not None]
    found.sort(key=lambda c: c.score(len(columns)), reverse=True)
    if not found:
        return LabelGuess(columns[-1], "no column looks like a label (text or few whole numbers, not an "
                                       "identifier): the last column")
    best = found[0]
    why = best.why() + (", the last column" if best.position == len(columns) - 1 else
                        ", the first column" if best.position == 0 else "")
    return LabelGuess(best.name, why, tuple(c.name for c in found[1:4]))


__all__ = ["LABEL_NAMES", "LabelGuess", "guess_label"]
