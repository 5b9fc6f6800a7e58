"""Issue 22 §2, §3, §4, §11: a long file is read as it is or refused, never quietly read otherwise: a stray text
cell does not drop its channel, the label or id named as a channel is refused, repeated (id, time) steps are
refused, and series longer than the model reads are refused before anything is allocated for them."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.data.csvio import Source
from hybridxai_gui.core.data.layout import detect_layout
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.data.series import MAX_LENGTH, SeriesSpec, read_series
from hybridxai_gui.core.errors import HybridXAIError

from test_series import recordings

SRC = Source("rec.csv", True)


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "rec.csv"
    recordings(n_series=12, length=10, shuffle=False).to_csv(path, index=False)
    return path


def test_a_text_cell_in_a_channel_is_refused_naming_its_line():
    frame = recordings(n_series=12, length=10, shuffle=False)
    frame["ax"] = frame["ax"].astype(object)
    frame.loc[7, "ax"] = "high"
    with pytest.raises(HybridXAIError, match=r"column 'ax' holds numbers but line 9 has 'high'.*--exclude 'ax'"):
        detect_layout(frame, "activity", src=SRC)
    with pytest.raises(HybridXAIError, match="row 7 has 'high'"):  # a frame without its file: rows by number
        prepare_data(frame, label="activity")
    # a column of text (a subject's name) is not a channel, and is left out as before
    named = recordings(n_series=12, length=10, shuffle=False).assign(subject="anna")
    assert detect_layout(named, "activity").spec.channels == ("ax", "ay", "gz")


@pytest.mark.parametrize("option, value, role", [
    ("--channels", "ax,activity", "the label column"),
    ("--channels", "ax,recording", "the series id column"),
    ("--channels", "ax,time_s", "the time column"),
    ("--id", "activity", "the label column"),
    ("--time", "recording", "the series id column"),
])
def test_a_column_with_another_role_is_refused_as_a_channel(long_csv, tmp_path, capsys, option, value, role):
    argv = ["train", str(long_csv), option, value, "--epochs", "1", "--out", str(tmp_path / "m.pth")]
    if option == "--time":
        argv += ["--id", "recording"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and option in err and role in err, err
    assert not (tmp_path / "m.pth").exists()


def test_named_channels_and_features_keep_every_column_they_name():
    frame = recordings(n_series=12, length=10, shuffle=False)
    found = detect_layout(frame, "activity", channels=["gz", "ax"], src=SRC)
    assert found.spec.channels == ("gz", "ax")
    with pytest.raises(HybridXAIError, match="--channels names column 'ax' twice"):
        detect_layout(frame, "activity", channels=["ax", "gz", "ax"], src=SRC)
    with pytest.raises(HybridXAIError, match="--features: column 'recording'"):
        detect_layout(frame, "activity", features=["ax", "recording"], layout="long", src=SRC)


def test_repeated_id_time_steps_are_refused_naming_both_lines():
    frame = recordings(n_series=12, length=10, shuffle=False)
    doubled = pd.concat([frame, frame.iloc[:10]], ignore_index=True)  # series r000 twice over
    spec = detect_layout(frame, "activity").spec
    with pytest.raises(HybridXAIError, match=r"series 'r000' has two rows at time_s = 0 \(line 2 and line 122; "
                                             r"10 repeated step\(s\)"):
        read_series(doubled, spec, SRC, label="activity")
    with pytest.raises(HybridXAIError, match="two rows at time_s"):
        prepare_data(doubled, label="activity")
    read_series(frame, spec, SRC, label="activity")  # each step once: read as before


def _one_long_series(steps: int, short: int = 0) -> pd.DataFrame:
    ids = ["long"] * steps + [f"s{i}" for i in range(short) for _ in range(3)]
    times = list(range(steps)) + [t for _ in range(short) for t in range(3)]
    return pd.DataFrame({"rid": ids, "t": times, "acc": np.zeros(len(ids)), "label": "a"})


def test_the_length_limit_applies_to_the_default_length():
    frame = _one_long_series(MAX_LENGTH + 1)
    spec = SeriesSpec("long", ("acc",), id_column="rid", time_column="t")
    with pytest.raises(HybridXAIError, match=r"longest series has 100,001 steps.*--series-length"):
        read_series(frame, spec, SRC)
    channels = SeriesSpec("long", tuple(f"c{i}" for i in range(3)), id_column="rid", time_column="t")
    wide = _one_long_series(70_000).assign(c0=0.0, c1=0.0, c2=0.0)  # 3 × 70,000 values: above what a model reads
    with pytest.raises(HybridXAIError, match=r"210,000 values per series.*--series-length"):
        read_series(wide, channels, SRC)


def test_a_short_asked_length_never_allocates_series_times_the_longest():
    """200 series of 3 steps and one of 50,000, read at 10 steps: memory follows the file's rows (50,600), not
    201 series × 50,000 steps (80 MB as float64)."""
    frame = _one_long_series(50_000, short=200)
    spec = SeriesSpec("long", ("acc",), length=10, id_column="rid", time_column="t", resample=True)
    tracemalloc.start()
    try:
        rows = read_series(frame, spec, SRC)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows.X.shape == (201, 10) and rows.lengths.tolist() == [50_000] + [3] * 200
    assert peak < 20e6, f"{peak / 1e6:.0f} MB"


def _wide_file(path, n_columns: int, rows: int, series: bool, prefix: str = "t") -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(rows, n_columns))
    if series:  # each row z-normalised, as series archives keep them
        values = (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, keepdims=True)
    else:  # columns of very different scales: numbered features of a table
        values *= np.logspace(0, 4, n_columns)
    header = ",".join([f"{prefix}{i}" for i in range(n_columns)] + ["label"])
    lines = [header] + [",".join(f"{v:.3g}" for v in row) + f",c{r % 2}" for r, row in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def no_full_read(monkeypatch):
    """Reading a file whole must not happen: the header (and a peek at the first rows) decide."""
    from hybridxai_gui.core.data import tables

    class FullRead(Exception):
        pass

    def refuse(*args, **kwargs):
        raise FullRead

    monkeypatch.setattr(tables, "read_csv_layout", refuse)
    return FullRead


def test_more_feature_columns_than_a_model_reads_are_refused_from_the_header(tmp_path, no_full_read):
    path = tmp_path / "table.csv"
    path.write_text(",".join(f"f{i}" for i in range(200_001)) + ",label\n" + "1," * 200_001 + "a\n")
    with pytest.raises(HybridXAIError, match=r"has 200,001 feature columns; a model reads at most 200,000.*--features"):
        prepare_data(path)


def test_wide_series_longer_than_a_model_reads_are_refused_before_the_file_is_read(tmp_path, no_full_read):
    path = tmp_path / "series.csv"
    _wide_file(path, MAX_LENGTH + 1, rows=4, series=True)
    with pytest.raises(HybridXAIError, match=r"series of 100,001 step columns per channel.*--series-length"):
        prepare_data(path)
    table = tmp_path / "table.csv"
    _wide_file(table, MAX_LENGTH + 1, rows=4, series=False, prefix="f")
    with pytest.raises(no_full_read):  # numbered features of a table (within 200,000): read as before
        prepare_data(table)
