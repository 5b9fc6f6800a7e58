"""The multi-threaded reader of large CSV files gives exactly what the serial reader gives.

Large files are parsed as byte ranges on several threads; every file it cannot read safely goes to the
serial reader, whose messages name the line or cell. The size limits are lowered here so that a file of
a few hundred KB takes the parallel path through many ranges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.data import csv_parallel, csvio
from hybridxai_gui.core.data.tables import read_table
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import HybridXAIError


@pytest.fixture
def small_ranges(monkeypatch):
    monkeypatch.setattr(csv_parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(csv_parallel, "_RANGE_BYTES", 4096)
    monkeypatch.setattr(csv_parallel, "_parse_threads", lambda: 3)
    calls = []
    real = csvio._read_parallel

    def spy(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(csvio, "_read_parallel", spy)
    return calls


def _serial(path, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(csv_parallel, "_parse_threads", lambda: 1)
        return read_table(path, **kw)


def _frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, 6)).round(5), columns=[f"f{i}" for i in range(6)])
    df.insert(0, "id", np.arange(n))
    df["label"] = np.where(rng.random(n) < 0.5, "class A", "class B")
    return df


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_parallel_read_equals_the_serial_read(tmp_path, monkeypatch, small_ranges, sep, newline):
    path = tmp_path / "big.csv"
    _frame().to_csv(path, index=False, sep=sep, lineterminator=newline)
    parallel = read_table(path)
    assert small_ranges == [True]
    serial = _serial(path, monkeypatch)
    pd.testing.assert_frame_equal(parallel, serial)
    assert parallel.dtypes["f0"] == np.float32 and len(parallel) == 3000
    assert list(parallel.index) == list(range(3000))


def test_parallel_read_with_bom_blank_lines_and_integer_labels(tmp_path, monkeypatch, small_ranges):
    df = _frame()
    df["label"] = np.arange(len(df)) % 3
    text = df.to_csv(index=False)
    lines = text.splitlines(keepends=True)
    lines.insert(1000, "\n")  # a blank line inside a range, skipped as the serial reader skips it
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "".join(lines).encode())
    parallel = read_table(path)
    assert small_ranges == [True]
    pd.testing.assert_frame_equal(parallel, _serial(path, monkeypatch))
    assert list(parallel.columns)[0] == "id" and parallel["label"].dtype == np.int64


def test_a_label_type_that_differs_between_ranges_goes_to_the_serial_reader(tmp_path, monkeypatch, small_ranges):
    df = _frame()
    df["label"] = (np.arange(len(df)) % 2).astype(object)
    df.loc[2900, "label"] = ""  # one empty label far down: that range reads floats, the others ints
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    parallel = read_table(path)
    assert small_ranges == [False]
    pd.testing.assert_frame_equal(parallel, _serial(path, monkeypatch))
    assert parallel["label"].dtype == np.float64  # as the serial reader decides for the whole column


def test_quoted_files_go_to_the_serial_reader(tmp_path, monkeypatch, small_ranges):
    df = _frame()
    df["label"] = np.where(np.arange(len(df)) % 2, "a, with comma", "b\nwith a line break")
    path = tmp_path / "quoted.csv"
    df.to_csv(path, index=False)
    parallel = read_table(path)
    assert small_ranges == [False]
    assert set(parallel["label"]) == {"a, with comma", "b\nwith a line break"} and len(parallel) == 3000


def test_a_ragged_line_deep_in_the_file_is_named_by_its_line(tmp_path, small_ranges):
    text = _frame().to_csv(index=False).splitlines(keepends=True)
    text[2500] = text[2500].rstrip("\n") + ",7\n"  # line 2501 of the file has one value too many
    path = tmp_path / "ragged.csv"
    path.write_text("".join(text))
    with pytest.raises(HybridXAIError, match=r"line 2501 has 9 values but the header has 8 columns"):
        read_table(path)
    assert small_ranges == [False]


def test_text_in_a_feature_column_names_the_line(tmp_path, small_ranges):
    df = _frame().astype({"f3": object})
    df.loc[2222, "f3"] = "n/a?"
    path = tmp_path / "text.csv"
    df.to_csv(path, index=False)
    with pytest.raises(HybridXAIError, match=r"'f3'.*line 2224"):
        prepare_data(path, label="label", exclude=["id"])
    assert small_ranges[0] is False


def test_latin1_goes_to_the_serial_reader_and_warns(tmp_path, small_ranges):
    df = _frame()
    df["label"] = np.where(np.arange(len(df)) % 2, "café", "thé")
    path = tmp_path / "latin.csv"
    path.write_bytes(df.to_csv(index=False).encode("latin-1"))
    with pytest.warns(UserWarning, match="Latin-1"):
        parallel = read_table(path)
    assert set(parallel["label"]) == {"café", "thé"}


@pytest.mark.parametrize("step", [1, 100, 4096, 10**9])
def test_ranges_start_at_line_starts_and_cover_the_body(tmp_path, step):
    path = tmp_path / "lines.csv"
    text = "a,b\n" + "".join(f"{i},{i * 7 % 13}\n" for i in range(5000))
    path.write_text(text[:-1])  # no newline at the very end
    data = path.read_bytes()
    with path.open("rb") as fh:
        bounds = csv_parallel._line_starts(fh.fileno(), len(data), step)
    assert bounds[0] == 4 and bounds[-1] == len(data)
    assert all(a < b for a, b in zip(bounds, bounds[1:]))
    assert all(data[b - 1:b] == b"\n" for b in bounds[:-1])
    assert b"".join(data[a:b] for a, b in zip(bounds, bounds[1:])) == data[4:]


def test_parallel_read_of_a_file_without_a_header_row(tmp_path, monkeypatch, small_ranges):
    frame = _frame().drop(columns="id")
    frame["label"] = (frame["label"] == "class B").astype(int)  # a file of numbers only, as the UCR archive's
    path = tmp_path / "raw.csv"
    frame.to_csv(path, index=False, header=False)
    with pytest.warns(Warning, match="holds numbers, not column names"):
        fast = read_table(path)
    with pytest.warns(Warning, match="holds numbers, not column names"):
        slow = _serial(path, monkeypatch)
    assert small_ranges[0] is True  # the first read went through the parallel reader
    assert list(fast.columns) == [f"col{i}" for i in range(1, 8)] and len(fast) == len(frame)
    pd.testing.assert_frame_equal(fast, slow)
    np.testing.assert_allclose(fast["col1"].to_numpy(), frame["f0"].to_numpy(), rtol=1e-6)
