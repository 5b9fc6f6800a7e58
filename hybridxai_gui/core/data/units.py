"""Numbers written with their unit in every cell ("5.1 cm", "45%", "230 V"), or with thousands separators
("12,345.6"; "12.345,6" in a file of decimal commas), as spreadsheets and instrument exports keep them.

Read as text, such a column would become a text feature: one category per distinct reading, its order and
distances lost, every value of a new file "never seen in training". A column whose every filled cell is a number,
with one and the same unit after it wherever a unit is written, is read as those numbers instead, and a note names
the column and its unit. Anything else (two units, words, dates, times, identifiers such as "A12") stays text.
Thousands separators are read only in groups of three digits and only as the other mark than the file's decimal
mark, so 5,1 in a file of decimal points stays a cell the checks name (with their decimal-comma hint).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# A number, then a unit: a letter, %, ‰, ° or µ first, then up to 11 characters that are neither digits nor spaces
# (cm, %, °C, m/s, km/h, kWh, m²). A sign, ':' or '-' cannot start a unit, so 2021-03-04, 12:30 and 3-4 stay text.
_NUMBER = r"[-+]?(?:\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d*)?|\d+(?:{d}\d*)?|{d}\d+)(?:[eE][-+]?\d+)?"
_UNIT = r"(?:[^\W\d_]|[%‰°µ])[^\d\s]{0,11}"
_THOUSANDS = {".": ",", ",": "."}  # the other mark groups thousands
_PATTERNS = {mark: re.compile(rf"^\s*({_NUMBER.format(d=re.escape(mark), t=re.escape(_THOUSANDS[mark]))})\s*"
                              rf"({_UNIT})?\s*$") for mark in ".,"}


def unit_of(column: pd.Series, decimal: str = ".") -> tuple[str, np.ndarray] | None:
    """(unit, values as float64) when every filled cell of a text column is a number and the cells that carry a
    unit all carry the same one (at least one does), or ("", values) when none carries a unit but some group their
    thousands; otherwise None."""
    if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
        return None
    pattern = _PATTERNS[decimal]
    head = column.iloc[:2000].astype("string")
    head = head[head.notna() & (head.str.strip() != "")].head(200)
    if not head.str.match(pattern).all():
        return None  # most text columns (names, categories) fail on their first cells: no pass over all rows
    text = column.astype("string")
    filled = text.notna() & (text.str.strip() != "")
    if not filled.any():
        return None
    parts = text[filled].str.extract(pattern)
    if parts[0].isna().any():
        return None  # a cell that is no number (with or without a unit)
    units = parts[1].dropna().unique()
    grouped = parts[0].str.contains(_THOUSANDS[decimal], regex=False)
    if len(units) > 1 or (len(units) == 0 and not grouped.any()):
        return None  # several units, or plain numbers a reader left as text for another reason
    numbers = parts[0].str.replace(_THOUSANDS[decimal], "", regex=False)
    if decimal == ",":
        numbers = numbers.str.replace(",", ".", regex=False)
    values = np.full(len(column), np.nan)
    values[filled.to_numpy()] = numbers.astype(np.float64).to_numpy()
    return (str(units[0]) if len(units) else ""), values


def read_units(df: pd.DataFrame, decimal: str = ".", float32: set[str] | frozenset = frozenset()) -> dict[str, str]:
    """Columns of numbers with their unit, turned into numbers in place (float32 for the names in `float32`,
    float64 otherwise); {column: unit}."""
    found: dict[str, str] = {}
    for name in df.columns:
        read = unit_of(df[name], decimal)
        if read is None:
            continue
        unit, values = read
        df[name] = values.astype(np.float32 if name in float32 else np.float64)
        found[str(name)] = unit
    return found


def units_note(path, found: dict[str, str]) -> str:
    shown = ", ".join(f"{name!r} ({unit or 'thousands separators'})" for name, unit in list(found.items())[:8])
    more = f" and {len(found) - 8} more" if len(found) > 8 else ""
    return (f"{path}: {len(found)} column(s) hold numbers written with a unit or with thousands separators: "
            f"{shown}{more}. They are read as those numbers, at training and at prediction (as the label, such a "
            f"column's classes keep the unit: '10 mg').")


def with_unit(number: str, unit: str) -> str:
    """A class name read from a number and its unit, as a person writes it: '10 mg', '45%', '30°C'."""
    return f"{number}{'' if unit[:1] in ('%', '‰', '°') else ' '}{unit}" if unit else number


def label_unit(frame, label) -> str:
    """The unit the reader took from `frame`'s column `label` ("mg" of "10 mg"; "" for none): csvio keeps it in
    frame.attrs["units"], which pandas carries through column picks, copies and row selections."""
    return frame.attrs.get("units", {}).get(label, "")


def label_texts(values, unit: str) -> list[str]:
    """Label values as class names, with the column's unit when it had one ("10 mg"); a gap is "nan"."""
    if not unit:
        return [str(v).strip() for v in values]
    return [unit_name(v, unit) if v == v else "nan" for v in values]


def number_in(name: str) -> float | None:
    """The number of a class name written as a number and a unit ("10 mg" -> 10.0), else None."""
    found = NUMBER_UNIT.fullmatch(name)
    return float(found.group(1)) if found else None


def unit_name(value, unit: str) -> str:
    """A label value the reader took from a number and its unit, named as a class: 10.0 and 'mg' -> '10 mg'."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value):
        value = float(value)
        if value.is_integer():
            value = int(value)
        elif value == float(np.float32(value)):  # read as float32 (0.1 is 0.10000000149...): its own digits
            value = np.float32(value)
    return with_unit(str(value), unit)


# a number, then a unit as the reader takes units (a letter, %, ‰, ° or µ first): "10 mg", "45%", "1e-05 mg"
NUMBER_UNIT = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?) ?((?:[^\W\d_]|[%‰°µ])\S*)")


def unit_aligned(names: list[str], class_names: list[str]) -> list[str]:
    """Label names of a new file matched to a model's classes across a unit written in one and not the other: a
    file's "10" or "10.0 mg" is the class "10 mg", and a file's "10 mg" the class "10" of a model trained when labels
    lost their unit. Names that match neither way stay as they are (and are reported unseen)."""
    known = set(class_names)
    if all(n in known for n in names):
        return names
    read = [NUMBER_UNIT.fullmatch(c) for c in class_names]
    unit = read[0].group(2) if read and all(read) and len({m.group(2) for m in read}) == 1 else ""
    out = []
    for name in names:
        if name not in known:
            found = NUMBER_UNIT.fullmatch(name)
            number = found.group(1) if found else name if _is_number(name) else None
            if number is not None:
                value = float(number)
                for candidate in (unit_name(value, unit) if unit else None, unit_name(value, "")):
                    if candidate in known:
                        name = candidate
                        break
        out.append(name)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


__all__ = ["NUMBER_UNIT", "label_texts", "label_unit", "number_in", "unit_of", "read_units", "units_note",
           "unit_aligned", "unit_name", "with_unit"]
