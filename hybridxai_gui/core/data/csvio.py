"""Reading a CSV file into a DataFrame: encoding, delimiter and header sniffing, readable errors.

Split from data.py so that module keeps to preparing arrays. Only the first few KB are sniffed; the
body goes to pandas' C (or pyarrow) parser once.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import importlib.util
import os
import re
import warnings
from collections import Counter, namedtuple
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import HybridXAIError, HybridXAIWarning, setting
from .csv_parallel import read_parallel as _read_parallel  # noqa: F401 (tests watch it here)
from .units import read_units, units_note

# pyarrow's reader is multi-threaded and several times faster; it is optional, never a dependency.
_ENGINE = "pyarrow" if importlib.util.find_spec("pyarrow") is not None else "c"
_DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 64 * 1024
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+([eE][+-]?\d+)?\s*")
_DECIMAL_POINT = re.compile(r"\s*[+-]?\d*\.\d+([eE][+-]?\d+)?\s*")
# text: columns whose first values are not numbers (series ids, names): never parsed as float32
# decimal: "," for files written by spreadsheets in locales with decimal commas (`;` between fields, 1,5)
Layout = namedtuple("Layout", "sep encoding header text decimal header_row", defaults=((), ".", 1))
HEADERLESS_PREFIX = "col"  # a file whose first line is data: its columns are named col1, col2, ... (1-based)


@dataclass(frozen=True)
class Source:
    """Where rows came from, so messages point at what the user sees in an editor.

    With the file's path (and layout) known, data rows map to the editor's line numbers exactly, past
    blank lines (which the reader skips) and quoted fields that span lines; without it, data row i is
    taken to be line i + 2, under the header.
    """

    name: str
    is_file: bool
    path: str | None = None
    sep: str = ","
    encoding: str = "utf-8"
    # For a subset of a file's rows (a frame's integer labels): position i is the file's data row data_rows[i].
    data_rows: np.ndarray | None = field(default=None, compare=False)
    header_row: int = 1  # lines before the data: 0 no header (the first line is data), 2 a header and a units row

    def where(self, row: int) -> str:
        return self.first(np.array([row]), 1)

    def first(self, rows: np.ndarray, limit: int = 5) -> str:
        shown = [int(r) for r in rows[:limit]]
        if self.data_rows is not None:
            shown = [int(self.data_rows[r]) for r in shown]
        if not self.is_file:
            text = [f"row {r}" for r in shown]
        else:
            lines = (_file_lines(self.path, self.sep, self.encoding, max(shown), self.header_row)
                     if self.path and shown else None)
            under = 1 + int(self.header_row)
            text = [f"line {lines[r] if lines is not None and r < len(lines) else r + under}" for r in shown]
        return ", ".join(text) + (", ..." if len(rows) > limit else "")


def allow_fields(size: int) -> None:
    """Let the csv module read fields of `size` characters: its default limit (131,072) is below a wide file's
    header line (10,000 columns), which sniffing reads as one field per candidate delimiter. The limit is
    process-wide and only ever raised here."""
    size = min(int(size) + 1, 2**31 - 1)  # a C long: 32 bits on Windows
    if csv.field_size_limit() < size:
        csv.field_size_limit(size)


def _file_lines(path: str, sep: str, encoding: str, last_row: int, header_row: int = 1) -> list[int] | None:
    """The 1-based line on which each data row 0 ... last_row starts; None when the file cannot be read."""
    try:
        allow_fields(os.path.getsize(path))
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            for _ in range(int(header_row)):
                next(reader, None)  # the header (and a units row under it)
            lines: list[int] = []
            end = reader.line_num
            for record in reader:
                start, end = end + 1, reader.line_num
                if record:  # a blank line is no row (pandas skips it too)
                    lines.append(start)
                    if len(lines) > last_row:
                        break
            return lines
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(values: np.ndarray, name: str, src: Source) -> None:
    """A finite value beyond float32 would become infinite in the model (and then count as missing): an error
    naming the first such cell, whatever the missing-value policy."""
    big = np.flatnonzero(np.isfinite(values) & (np.abs(values) > FLOAT32_MAX))
    if len(big):
        raise HybridXAIError(
            f"{src.name}: column {name!r} holds {values[big[0]]:g} ({src.where(big[0])}"
            + (f" and {len(big) - 1} more" if len(big) > 1 else "")
            + f"), beyond the ±{FLOAT32_MAX:.1e} the model computes with. It is not missing, so "
            f"{setting('missing')} does not apply: rescale the column (divide it by a power of ten, or use other "
            f"units) or leave it out ({setting('exclude', repr(name))})."
        )


def format_names(columns: list[str], limit: int = 12, show=repr) -> str:
    shown = ", ".join(map(show, columns[:limit]))
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def looks_numeric(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def _warn_latin1(path: Path) -> None:
    message = f"{path} is not valid UTF-8; it was read as Latin-1. Check accented characters, or save it as UTF-8."
    warnings.warn(message, HybridXAIWarning, stacklevel=4)


def _pick_delimiter(lines: list[str]) -> str:
    # The header decides: a delimiter it lacks cannot separate columns, and the decimal commas of a semicolon
    # file never appear there. Ties go to the delimiter whose field count agrees on most lines. csv.reader
    # skips delimiters inside quotes.
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        score = (sum(c == counts[0] for c in counts), counts[0])
        if counts[0] > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _decimal_mark(lines: list[str], sep: str) -> str:
    """"," when the fields of a `;` or tab separated file's data `lines` hold numbers like 1,5 and none like 1.5,
    else "."."""
    if sep == ",":
        return "."
    commas = points = 0
    for line in lines:
        for value in next(csv.reader([line], delimiter=sep)):
            commas += _DECIMAL_COMMA.fullmatch(value) is not None
            points += _DECIMAL_POINT.fullmatch(value) is not None
    return "," if commas and not points else "."


def _note_decimal_comma(path: Path, sep: str) -> None:
    between = {";": "semicolons", "\t": "tabs"}.get(sep, repr(sep))
    message = (f"{path} is written with decimal commas (1,5 for one and a half) and {between} between fields, as "
               "spreadsheets in many languages save it: it was read that way.")
    warnings.warn(message, HybridXAIWarning, stacklevel=4)


# What a file that is no text says it is by its first bytes, and what to do with it.
_DECOMPRESS = "Decompress it first (e.g. gunzip, bunzip2, unxz, unzstd) and open the CSV file inside."
_EXPORT = "Export the sheet as a UTF-8 CSV file from the spreadsheet program and open that."
_MAGIC = ((b"\x1f\x8b", "compressed with gzip", _DECOMPRESS), (b"BZh", "compressed with bzip2", _DECOMPRESS),
          (b"\xfd7zXZ\x00", "compressed with xz", _DECOMPRESS), (b"\x28\xb5\x2f\xfd", "compressed with zstd", _DECOMPRESS),
          (b"PK\x03\x04", "a zip archive or a workbook (.xlsx, .ods)", _EXPORT + " (A zip archive: unpack it first.)"),
          (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", _EXPORT))


def _packed_kind(head: bytes) -> tuple[str, str] | None:
    """(what the file is, what to do) for a compressed file or a workbook, by its first bytes; None for others."""
    for magic, kind, advice in _MAGIC:
        if head.startswith(magic):
            return kind, advice
    return None


def _rising(line: str, sep: str) -> bool:
    try:
        values = [float(v) for v in next(csv.reader([line], delimiter=sep))]
    except (ValueError, csv.Error, StopIteration):
        return False
    return len(values) >= 3 and all(b > a for a, b in zip(values, values[1:]))


def _numbered_header(lines: list[str], sep: str) -> bool:
    """A first line of numbers that names columns (1, 2, 3 … or wavelengths 400, 410 …): they rise strictly from
    field to field, where the next line's do not (a data row: a label, then readings)."""
    return _rising(lines[0], sep) and not (len(lines) > 1 and _rising(lines[1], sep))


def sniff(path: Path) -> Layout:
    """Encoding, delimiter and header from the first few KB; the body is left to pandas."""
    try:
        with path.open("rb") as fh:
            head, more = fh.read(_SNIFF_BYTES), fh.read(_SNIFF_BYTES)
            while more and b"\n" not in head:  # a very wide header: read on until it is complete
                head, more = head + more, fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise HybridXAIError(f"File not found: {path}. Check the file name and folder.") from None
    except OSError as exc:  # a folder, no permission, ...
        raise HybridXAIError(f"Cannot open {path}: {exc.strerror or exc}. Check that it is readable.") from None
    packed = _packed_kind(head)
    if packed:
        raise HybridXAIError(f"{path} is {packed[0]}, not a text CSV file. {packed[1]}")
    if b"\x00" in head:  # text files never hold NUL bytes; images, spreadsheets and archives do
        raise HybridXAIError(
            f"{path} is not a text CSV file (it holds NUL bytes: binary data such as an image or an .xlsx "
            "workbook, or UTF-16 text). Save or export it as a UTF-8 CSV file and open that."
        )
    bom = head.startswith(codecs.BOM_UTF8)
    body = head[len(codecs.BOM_UTF8) :] if bom else head
    try:  # incremental: the head may end in the middle of a multi-byte character
        text, encoding = codecs.getincrementaldecoder("utf-8")().decode(body, final=not more), "utf-8"
    except UnicodeDecodeError:
        _warn_latin1(path)
        text, encoding = body.decode("latin-1"), "latin-1"
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in (lines[:-1] if more else lines) if line.strip()][:50]  # last one may be cut
    if not lines:
        raise HybridXAIError(f"{path} is empty: a CSV file needs a header row with column names, then data rows.")
    allow_fields(max(map(len, lines)))
    try:
        sep = _pick_delimiter(lines)
        fields = next(csv.reader([lines[0]], delimiter=sep))
    except csv.Error as exc:
        raise HybridXAIError(f"{path} could not be read as CSV ({exc}). Check that it is a text CSV file.") from None
    header_row = int(not all(looks_numeric(f) for f in fields) or _numbered_header(lines, sep))
    if header_row:
        header = [f or f"Unnamed: {i}" for i, f in enumerate(fields)]  # pandas' names for unnamed columns
        duplicates = sorted(h for h, n in Counter(header).items() if n > 1)  # header.count per name: minutes at 100k
        if duplicates:
            raise HybridXAIError(f"{path}: the header names {format_names(duplicates)} twice. Give each column its own "
                                 "name.")
        rows = lines[1:]
        units = _units_row(rows, sep, header)
        if units:
            header_row, rows = 2, rows[1:]
            shown = ", ".join(f"{name}: {unit}" for name, unit in list(units.items())[:6])
            warnings.warn(f"{path}: line 2 holds units, not data ({shown}{', …' if len(units) > 6 else ''}): it is "
                          "read as part of the header.", HybridXAIWarning, stacklevel=3)
    else:  # the UCR archive's own files: a label and the readings, no names
        header = [f"{HEADERLESS_PREFIX}{i + 1}" for i in range(len(fields))]
        shown = f"{header[0]} … {header[-1]}" if len(header) > 2 else ", ".join(header)
        warnings.warn(f"{path}: its first line ({lines[0][:40]!r}) holds numbers, not column names, so it was read "
                      f"as data with no header row: its columns are named {shown} in file order ({header[0]} is "
                      "the first). Add a header row to name them.", HybridXAIWarning, stacklevel=3)
        rows = lines
    decimal = _decimal_mark(rows, sep)
    if decimal == ",":
        _note_decimal_comma(path, sep)
    return Layout(sep, "utf-8-sig" if bom and encoding == "utf-8" else encoding, header,
                  _text_columns(rows, sep, header, decimal), decimal, header_row)


def _text_columns(lines: list[str], sep: str, header: list[str], decimal: str = ".") -> tuple[str, ...]:
    """Columns holding a non-numeric value in the sniffed data `lines`: reading them as float32 would fail and send
    the whole file through a second, slower parse. (With decimal commas, 1,5 is a number.)"""
    text: set[str] = set()
    try:
        for record in csv.reader(lines, delimiter=sep):
            for name, value in zip(header, record):
                number = value.replace(",", ".", 1) if decimal == "," else value
                if value.strip() and not looks_numeric(number):
                    text.add(name)
    except csv.Error:
        return ()
    return tuple(c for c in header if c in text)


_NO_VALUE = {"", "na", "n/a", "nan", "null", "none", "-", "?", "--", "missing"}


def _units_row(rows: list[str], sep: str, header: list[str]) -> dict[str, str]:
    """{column: unit} when the first line under the header is a row of units (cm, s, [V], kg/m³) rather than data:
    no number in it, short text above at least half of the columns that hold numbers in the lines after it, and
    only above such columns. Otherwise {} (a first row with a gap or a typo is data)."""
    if len(rows) < 3:
        return {}
    try:
        first, *data = list(csv.reader(rows[:40], delimiter=sep))
    except csv.Error:
        return {}
    width = len(first)
    if not data or width != len(header) or any(len(r) != width for r in data):
        return {}

    def number(value: str) -> bool:
        return looks_numeric(value) or looks_numeric(value.replace(",", ".", 1))

    def mostly_numbers(j: int) -> bool:  # a stray typo below a unit does not make the row data
        filled = [r[j] for r in data if r[j].strip()]
        return bool(filled) and sum(map(number, filled)) >= 0.9 * len(filled)

    numeric = [j for j in range(width) if mostly_numbers(j)]
    cells = {j: first[j].strip() for j in range(width) if first[j].strip()}
    if (not numeric or any(number(v) or v.lower() in _NO_VALUE or len(v) > 16 for v in cells.values())
            or any(j not in numeric for j in cells) or len(cells) * 2 < len(numeric)):
        return {}
    return {header[j]: unit for j, unit in cells.items()}


def _after_header(layout: Layout) -> dict:
    """pandas' arguments for where a file's data starts: after its header (the default), at its first line (no
    header: the sniffed names), or after a header and a units row."""
    if layout.header_row == 1:
        return {}
    return {"header": None, "names": list(layout.header), **({"skiprows": 2} if layout.header_row == 2 else {})}


def _release_freed_heap() -> None:
    # The C parser frees ~1x the file's float32 size in small blocks that glibc keeps mapped; handing them
    # back now keeps them from stacking under the copies that follow (dask's workers do the same).
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not Linux with glibc: nothing to trim
        pass


def _keep_values_beyond_float32(path: Path, sep: str, encoding: str, df: pd.DataFrame,
                                columns: list[str], after_header: dict | None = None) -> pd.DataFrame:
    """float32 turns 1e300 into inf, which the checks would call missing: columns with an infinity are read
    again in float64 and, where a finite number was there, kept so (the checks then name the cell)."""
    infinite = [c for c in columns if df[c].dtype == np.float32 and np.isinf(df[c].to_numpy()).any()]
    if not infinite:
        return df
    with path.open("rb") as fh:
        wide = pd.read_csv(fh, sep=sep, encoding=encoding, engine=_ENGINE, usecols=infinite,
                           dtype={c: np.float64 for c in infinite}, **(after_header or {}))
    for c in infinite:
        values = wide[c].to_numpy()
        if (np.isfinite(values) & np.isinf(df[c].to_numpy())).any():
            df[c] = values
    return df


def read_csv_layout(path: Path, layout: Layout, float_columns: list[str] | None = None) -> pd.DataFrame:
    """Read the whole file once; feature columns go straight to float32, half the size of float64."""
    dtype = {c: np.float32 for c in float_columns if c not in layout.text} if float_columns else None
    encoding = layout.encoding
    after_header = _after_header(layout)
    df = _read_parallel(path, layout, dtype)
    while df is None:
        try:
            # A file handle keeps pandas on its serial C reader: its multi-threaded, path-only reader holds
            # every chunk and the joined columns at once, over 3x the float32 array at its peak.
            with path.open("rb") as fh, np.errstate(over="ignore"):  # 1e300 as float32: inf, looked at below
                df = pd.read_csv(fh, sep=layout.sep, encoding=encoding, dtype=dtype, decimal=layout.decimal,
                                 engine=_ENGINE if layout.decimal == "." else "c", **after_header)
            break
        except UnicodeDecodeError:
            if encoding == "latin-1":  # latin-1 decodes every byte; never loop
                raise
            _warn_latin1(path)
            encoding = "latin-1"
        except pd.errors.EmptyDataError:
            raise HybridXAIError(f"{path} is empty: a CSV file needs a header row, then data rows.") from None
        except pd.errors.ParserError as exc:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if found is None:
                raise HybridXAIError(f"{path} could not be read as CSV: {str(exc).strip()}") from None
            expected, line, saw = found.groups()
            raise HybridXAIError(
                f"{path}: line {line} has {saw} values but the "
                f"{'header' if layout.header_row else 'first line'} has {expected} columns. Fix that line "
                f"(a stray {layout.sep!r}, or text containing one that needs quotes)."
            ) from None
        except ValueError:
            if dtype is None:
                raise
            dtype = None  # a feature column holds text: read it as it is so the checks can name the cell
    _release_freed_heap()
    if dtype:
        df = _keep_values_beyond_float32(path, layout.sep, encoding, df, list(dtype), after_header)
    if len(df.columns) and str(df.columns[0]).startswith("\ufeff"):
        df = df.rename(columns={df.columns[0]: str(df.columns[0])[1:]})
    if len(df) == 0:
        raise HybridXAIError(f"{path} has a header but no data rows.")
    found = read_units(df, layout.decimal, set(float_columns or ()))  # "5.1 cm", "45%": the numbers
    if found:
        warnings.warn(units_note(path, found), HybridXAIWarning, stacklevel=2)
        df.attrs["units"] = found  # a label column's classes keep their unit ("10 mg"): tables._encode_labels
    df.attrs["source"] = str(path)
    df.attrs["source_layout"] = (layout.sep, encoding, layout.header_row)  # for line numbers in later messages
    return df


def peek_rows(path: Path, layout: Layout, n_rows: int = 10) -> pd.DataFrame:
    """The first data rows of a file as numbers (a cell that is not one becomes NaN), read line by line: enough
    to judge its layout before pandas reads it whole, which costs seconds per 100,000 columns."""
    width, rows = len(layout.header), []
    try:
        with path.open("r", encoding=layout.encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=layout.sep)
            for _ in range(int(layout.header_row)):
                next(reader, None)
            for record in reader:
                if len(rows) == n_rows:
                    break
                if not record:
                    continue
                cells = pd.Series(record[:width] + [""] * (width - len(record)), dtype=object)
                if layout.decimal == ",":
                    cells = cells.str.replace(",", ".", n=1, regex=False)
                rows.append(pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64))
    except (OSError, csv.Error):
        rows = []
    return pd.DataFrame(np.array(rows).reshape(len(rows), width), columns=layout.header)


LABEL_NAMES = ("label", "class", "target", "y")


def guess_label_column(columns: list[str]) -> str:
    """A column named label, class, target or y (any case, in that order of preference), else the last."""
    if not columns:
        raise HybridXAIError("The table has no columns.")
    lowered: dict[str, str] = {}
    for column in columns:
        lowered.setdefault(str(column).lower(), column)
    return next((lowered[name] for name in LABEL_NAMES if name in lowered), columns[-1])


def read_table(path: str | Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV with a header row (delimiter , ; or tab; UTF-8, else Latin-1 with a warning).

    Every column but the label (`label`, else the guessed one) is parsed straight to float32: a
    float64 frame alone is twice the array the model needs, and the parse peaked at 4x it. A column
    holding text makes the reader fall back to pandas' own types, so the checks can name the cell.
    """
    path = Path(path)
    layout = sniff(path)
    keep = label if label in layout.header else guess_label_column(layout.header)
    return read_csv_layout(path, layout, [c for c in layout.header if c != keep])
