"""Time columns of long series files: numbers, or dates, clock times and durations written as text (`time_values`),
and whether a text column is a clock at all (`reads_as_dates`: a clock is never a class)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

TIME_SAMPLE = 2_000  # cells looked at to decide whether a text column holds dates and times
TIME_SHARE = 0.9  # of its non-empty cells that must read as dates/times (or durations) for a text time column


def _parse_times(text: pd.Series, how: str) -> pd.Series:
    if how == "duration":
        return pd.to_timedelta(text, errors="coerce") / pd.Timedelta(seconds=1)
    parsed = pd.to_datetime(text, errors="coerce", format=how, utc=True)  # zoned stamps in one clock; plain as UTC
    # seconds after the earliest stamp: seconds since 1970 in float64 would blur steps finer than a microsecond
    if not parsed.notna().any():
        return pd.Series(np.nan, index=text.index)
    return (parsed - parsed.min()) / pd.Timedelta(seconds=1)


# Dates and clock times written with digits: 2021-03-01, 2021-03-01 08:00:00.100+01:00, 01/03/2021 08:00, 08:00:05.
# Words a date parser also takes (May, 1st, now) are not enough: they are class names as often as dates.
_DATE_LIKE = (r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}/\d{1,2}/\d{1,2})"
              r"([ T]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$|^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?$")


def _date_like_share(text: pd.Series) -> float:
    return float(text.str.fullmatch(_DATE_LIKE).mean()) if len(text) else 0.0


def reads_as_dates(column: pd.Series) -> bool:
    """Whether a text column holds dates or clock times written with digits (2021-03-01 08:00:00, 08:00:05): a
    clock, never a class."""
    if is_bool_dtype(column) or is_numeric_dtype(column):
        return False
    sample = column.dropna().astype(str).str.strip()
    sample = sample[sample != ""].iloc[:TIME_SAMPLE]
    return _date_like_share(sample) >= TIME_SHARE


def time_values(column: pd.Series) -> np.ndarray | None:
    """Seconds (float64, NaN where a cell is empty or unreadable) of a time column: numbers as they are, text as
    dates and times ("2021-03-01 08:00:00.100", ISO 8601 or another common form) or durations ("00:01:23.5"); None
    when the column is neither (fewer than TIME_SHARE of its first non-empty cells read as one of them)."""
    if is_bool_dtype(column):
        return None
    if is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    text = column.astype("string").str.strip()
    text = text.mask(text == "")
    sample = text.dropna().iloc[:TIME_SAMPLE]
    if sample.empty:
        return None
    numbers = pd.to_numeric(sample, errors="coerce")
    if numbers.notna().mean() >= TIME_SHARE:  # numbers stored as text
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    import warnings

    dates = _date_like_share(sample.astype(str)) >= TIME_SHARE  # date parsers read words too (May, 1st, today)
    for how in ("ISO8601", "duration", "mixed"):
        if how != "duration" and not dates:
            continue  # only digits written as dates are read as dates
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' note on guessing formats: the share read is what counts
            if _parse_times(sample, how).notna().mean() >= TIME_SHARE:
                return _parse_times(text, how).to_numpy(dtype=np.float64, na_value=np.nan)
    return None


__all__ = ["time_values", "reads_as_dates", "TIME_SAMPLE", "TIME_SHARE"]
