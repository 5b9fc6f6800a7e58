"""A large CSV file parsed in byte ranges on several threads (pandas' C parser releases the interpreter while it
tokenises and converts numbers), split from csvio: the reader there calls read_parallel first and reads serially
where it returns None. `layout` is csvio.Layout (sep, encoding, header, decimal, header_row).
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd


# Files above this size are parsed in byte ranges on several threads (pandas' C parser releases the GIL
# while it tokenises and converts numbers); smaller ones are not worth the threads.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
# Each range is one read_csv call: 4 MB ranges cost 2.4 CPU s for 1M x 32 where 16 MB ones cost 1.9.
_RANGE_BYTES = 16 * 1024 * 1024


def _parse_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _line_starts(fd: int, size: int, step: int, header_row: int = 1) -> list[int] | None:
    """Offsets of the header's end (0 with no header) and of a line start about every `step` bytes, ending with
    `size`."""
    def next_line(offset: int) -> int:  # the first line start at or after offset
        while offset < size:
            window = os.pread(fd, 65536, offset)
            cut = window.find(b"\n")
            if cut >= 0:
                return offset + cut + 1
            offset += len(window)
        return size

    first = 0
    for _ in range(int(header_row)):  # the header, and a units row under it
        first = next_line(first)
    if first >= size:
        return None
    bounds = [first]
    while bounds[-1] < size:
        bounds.append(next_line(min(size, bounds[-1] + step)))
    return bounds


class _ByteRange(io.RawIOBase):
    """Bytes [start, stop) of an open file, read with pread in the parser's own small pieces.

    Never the whole range at once: a 16 MB buffer per range, freed again and again, raised glibc's mmap
    threshold and left the heap fragmented (+0.3x the array at the peak). Notes whether a quote was seen.
    """

    def __init__(self, fd: int, start: int, stop: int):
        super().__init__()
        self.fd, self.pos, self.stop = fd, start, stop
        self.quoted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.stop - self.pos)
        if size <= 0:
            return 0
        data = os.pread(self.fd, size, self.pos)
        self.quoted = self.quoted or b'"' in data
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)


def read_parallel(path: Path, layout, dtype: dict | None) -> pd.DataFrame | None:
    """The file parsed as byte ranges split at line ends, on several threads; None where that is unsafe.

    Unsafe, so left to the serial reader (which then gives its own messages): a quote character anywhere
    (a quoted field may hold a line break), or any range that fails to parse or infers a different column
    type than another range (the serial reader sees the whole column and decides once). Ranges are read
    with pread, not mmap: mapped file pages would count in the process's resident memory.
    """
    threads = _parse_threads()
    size = path.stat().st_size
    if (threads < 2 or size < PARALLEL_MIN_BYTES or layout.encoding not in ("utf-8", "utf-8-sig")
            or not hasattr(os, "pread")):  # Windows: the serial reader
        return None
    names = layout.header
    with path.open("rb") as fh:
        fd = fh.fileno()
        bounds = _line_starts(fd, size, _RANGE_BYTES, layout.header_row)
        if bounds is None:
            return None

        def parse(span: tuple[int, int]) -> pd.DataFrame | None:
            source = _ByteRange(fd, *span)
            with np.errstate(over="ignore"):  # per thread: 1e300 as float32 is inf, looked at after the read
                part = pd.read_csv(source, sep=layout.sep, encoding="utf-8", engine="c", header=None,
                                   names=names, dtype=dtype, decimal=layout.decimal)
            return None if source.quoted else part

        try:
            with ThreadPoolExecutor(threads, thread_name_prefix="csv-parse") as pool:
                parts = list(pool.map(parse, zip(bounds[:-1], bounds[1:])))
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return None  # the serial reader re-reads it and names the problem
    if any(p is None for p in parts):
        return None
    parts = [p for p in parts if len(p)]
    # A range whose every row has one field too many turns its first column into an index: let the serial
    # reader judge the whole file.
    if (not parts or any(not isinstance(p.index, pd.RangeIndex) for p in parts)
            or any(not p.dtypes.equals(parts[0].dtypes) for p in parts[1:])):
        return None
    return _join(parts, names)


def _join(parts: list[pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """The ranges' frames, one after the other, each freed as soon as it is copied.

    pd.concat would hold every range and the whole result at once (2x the data); filling preallocated
    float32 columns range by range keeps the peak near 1x plus one range.
    """
    total = sum(len(p) for p in parts)
    floats = [c for c in names if parts[0][c].dtype == np.float32]
    out: dict[str, object] = {c: np.empty(total, dtype=np.float32) for c in floats}
    others: dict[str, list] = {c: [] for c in names if c not in out}
    start = 0
    for i in range(len(parts)):
        part, parts[i] = parts[i], None
        stop = start + len(part)
        for c in floats:
            out[c][start:stop] = part[c].to_numpy()
        for c, pieces in others.items():
            pieces.append(part[c])
        start = stop
        del part
    for c, pieces in others.items():
        out[c] = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
    return pd.DataFrame({c: out[c] for c in names}, copy=False)


__all__ = ["PARALLEL_MIN_BYTES", "read_parallel"]
