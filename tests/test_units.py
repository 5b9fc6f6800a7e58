"""Numbers written with their unit in every cell ("5.1 cm", "45%") are read as numbers, with a note; anything
else stays text."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.data.csvio import read_table
from hybridxai_gui.core.data.units import unit_of


@pytest.mark.parametrize("cells,unit,values", [
    (["5.1 cm", "4.9 cm", "", "6 cm"], "cm", [5.1, 4.9, np.nan, 6.0]),
    (["45%", "3%", "100%"], "%", [45, 3, 100]),
    (["21.5 °C", "-3 °C", "+4.25°C"], "°C", [21.5, -3, 4.25]),
    (["12 m/s", "3.5", "1e3 m/s"], "m/s", [12, 3.5, 1000]),  # a bare number among them: the same unit
    (["10A", "16A", "32A"], "A", [10, 16, 32]),
    (["5,100", "12,345.5", "7", "1,000,000"], "", [5100, 12345.5, 7, 1e6]),  # thousands separators, no unit
    (["1,250 kg", "980 kg"], "kg", [1250, 980]),
])
def test_numbers_with_one_unit_are_read(cells, unit, values):
    found = unit_of(pd.Series(cells, dtype=object))
    assert found is not None
    assert found[0] == unit
    np.testing.assert_allclose(found[1], values, equal_nan=True)


@pytest.mark.parametrize("cells", [
    ["5 cm", "6 mm"],  # two units
    ["1st", "2nd", "3rd"],  # ordinals: words, not one unit
    ["2021-03-04", "2021-03-05"],  # dates
    ["12:30", "13:45"],  # clock times
    ["A12", "B7"],  # identifiers
    ["setosa", "versicolor"],
    ["5", "6", "7"],  # numbers with no unit anywhere: left to the table's own rules
    ["5 cm", "about 6 cm"],
    ["5,1", "4,9"],  # a decimal comma in a file of decimal points: left for the checks to name
    ["1,2345", "2,5"],  # not groups of three
])
def test_anything_else_stays_text(cells):
    assert unit_of(pd.Series(cells, dtype=object)) is None


def test_decimal_comma_file_reads_its_own_mark():
    found = unit_of(pd.Series(["1,5 kg", "2,25 kg"], dtype=object), decimal=",")
    assert found is not None and found[0] == "kg"
    np.testing.assert_allclose(found[1], [1.5, 2.25])
    assert unit_of(pd.Series(["1.5 kg", "2 kg"], dtype=object), decimal=",") is None  # not this file's mark
    found = unit_of(pd.Series(["1.234,5", "12.000", "7,25"], dtype=object), decimal=",")  # '.' groups thousands there
    assert found is not None and found[0] == ""
    np.testing.assert_allclose(found[1], [1234.5, 12000, 7.25])


def _read_with_notes(path) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
    return frame, [str(w.message) for w in caught]


def _iris_with_units(path, unit_column="petal_length"):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    plain = frame.copy()
    frame[unit_column] = frame[unit_column].map(lambda v: f"{v} cm")
    frame.to_csv(path, index=False)
    return plain


def test_thousands_separators_in_a_csv_are_read_as_numbers(tmp_path):
    path = tmp_path / "sales.csv"
    frame = pd.DataFrame({"revenue": ["1,250.50", "980.00", "12,000.75", "3,400.00"] * 5,
                          "units": [3, 1, 12, 4] * 5, "region": ["north", "south"] * 10})
    frame.to_csv(path, index=False)
    read, notes = _read_with_notes(path)
    np.testing.assert_allclose(read["revenue"].to_numpy()[:4], [1250.5, 980.0, 12000.75, 3400.0])
    assert any("'revenue' (thousands separators)" in n for n in notes)


def test_a_csv_column_with_units_trains_as_numbers_and_says_so(tmp_path):
    from hybridxai_gui.core.data.prepare import prepare_data

    path = tmp_path / "iris_units.csv"
    plain = _iris_with_units(path)
    frame, notes = _read_with_notes(path)
    assert frame["petal_length"].dtype.kind == "f"
    np.testing.assert_allclose(frame["petal_length"].to_numpy(), plain["petal_length"].to_numpy(), rtol=1e-6)
    assert any("'petal_length' (cm)" in n and "read as those numbers" in n for n in notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = prepare_data(str(path), label="species", test_size=0.2, seed=0)
    assert data.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]  # no one-hot parts


def test_prediction_reads_the_same_numbers_with_or_without_the_unit(tmp_path):
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.data.tables import frame_to_features

    path = tmp_path / "train.csv"
    plain = _iris_with_units(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = prepare_data(str(path), label="species", test_size=0.2, seed=0)
        plain_path = tmp_path / "plain.csv"
        plain.to_csv(plain_path, index=False)
        with_units = read_table(path)
        without = read_table(plain_path)
    a = frame_to_features(with_units, data.feature_names, source="train.csv")
    b = frame_to_features(without, data.feature_names, source="plain.csv")
    np.testing.assert_array_equal(a.astype(np.float32), b.astype(np.float32))


def test_a_label_with_a_unit_keeps_it_in_its_class_names(tmp_path):
    """A dose column "5 mg", "10 mg", "40 mg" as the label: its classes are named as written, in the numbers' order,
    in the model, the predictions file and the evaluation of a labelled file (read the same way)."""
    from hybridxai_gui.cli import main
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

    rng = np.random.default_rng(0)
    dose = rng.choice(["5 mg", "10 mg", "40 mg"], 90)
    level = np.array([{"5 mg": 0, "10 mg": 1, "40 mg": 2}[d] for d in dose])
    frame = pd.DataFrame({"a": level + rng.normal(0, 0.3, 90), "b": rng.normal(size=90),
                          "c": 2 * level + rng.normal(0, 0.5, 90), "dose": dose})
    path, model = tmp_path / "dose.csv", tmp_path / "dose.pth"
    frame.to_csv(path, index=False)
    assert main(["train", str(path), "--label", "dose", "--epochs", "2", "--cnn-channels", "4", "--lstm-hidden", "4",
                 "--heads", "2", "--prediction-sets", "off", "--out", str(model), "--quiet"]) == 0
    assert load_checkpoint(model).class_names == ["5 mg", "10 mg", "40 mg"]
    assert main(["predict", str(model), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert [c for c in predictions.columns if c.startswith("p_")] == ["p_5 mg", "p_10 mg", "p_40 mg"]
    assert set(predictions["predicted"]) <= {"5 mg", "10 mg", "40 mg"}
    assert main(["evaluate", str(model), str(path)]) == 0  # the file's labels are read as the classes they are

    # the Data tab's class chart and per-class view name them the same way
    from hybridxai_gui.core.data.class_profile import class_profile
    from hybridxai_gui.core.data.layout import detect_layout
    from hybridxai_gui.core.pipeline import class_counts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_table(path, label="dose")
    counts, n = class_counts(table, "dose")
    assert list(counts) == ["5 mg", "10 mg", "40 mg"] and n == 3
    assert sum(counts.values()) == 90 and counts["5 mg"] == int((dose == "5 mg").sum())
    from hybridxai_gui.core.data.tables import labels_of

    y = labels_of(table, "dose", ["5 mg", "10 mg", "40 mg"], source="dose.csv")
    np.testing.assert_array_equal(y, labels_of(table, "dose", ["5", "10", "40"], source="dose.csv"))  # older models
    profile = class_profile(table, detect_layout(table, "dose", None, "auto"), "dose")
    assert profile.class_names == ["5 mg", "10 mg", "40 mg"]
    assert profile.counts == [counts[k] for k in profile.class_names]


def test_a_unit_written_in_one_file_and_not_the_other_still_matches(tmp_path):
    """Training labels "2.5 mg", "10 mg"; a test file and a file to evaluate that write "2.5" and "10" (or "10.0 mg"):
    the same classes, not labels "never seen in training". Each number keeps its own digits ("10 mg", not
    "10.0 mg", beside "2.5 mg")."""
    from hybridxai_gui.cli import main
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

    rng = np.random.default_rng(1)
    dose = rng.choice(["2.5 mg", "10 mg"], 80)
    level = (dose == "10 mg").astype(float)
    frame = pd.DataFrame({"a": level + rng.normal(0, 0.3, 80), "b": rng.normal(size=80), "dose": dose})
    train, test, model = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "m.pth"
    frame.iloc[:60].to_csv(train, index=False)
    bare = frame.iloc[60:].assign(dose=[d.split()[0] for d in frame["dose"].iloc[60:]])
    bare.to_csv(test, index=False)
    assert main(["train", str(train), "--test", str(test), "--label", "dose", "--epochs", "2", "--cnn-channels", "4",
                 "--lstm-hidden", "4", "--heads", "2", "--prediction-sets", "off", "--out", str(model),
                 "--quiet"]) == 0
    assert load_checkpoint(model).class_names == ["2.5 mg", "10 mg"]
    assert main(["evaluate", str(model), str(test)]) == 0
    frame.iloc[60:].assign(dose=[d.replace("10 mg", "10.0 mg") for d in frame["dose"].iloc[60:]]).to_csv(test,
                                                                                                         index=False)
    assert main(["evaluate", str(model), str(test)]) == 0


def test_series_labels_with_a_unit_keep_it(tmp_path):
    from hybridxai_gui.cli import main
    from hybridxai_gui.core.data.class_profile import class_profile
    from hybridxai_gui.core.data.layout import detect_layout
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

    rng = np.random.default_rng(2)
    rows = []
    for s in range(24):
        dose = ("5 mg", "10 mg")[s % 2]
        for t in range(30):
            rows.append({"id": f"s{s}", "t": t, "value": np.sin(t / (3 + 3 * (s % 2))) + rng.normal(0, 0.1),
                         "dose": dose})
    path, model = tmp_path / "long.csv", tmp_path / "m.pth"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["train", str(path), "--label", "dose", "--epochs", "2", "--cnn-channels", "4", "--lstm-hidden", "4",
                 "--heads", "2", "--prediction-sets", "off", "--out", str(model), "--quiet"]) == 0
    assert load_checkpoint(model).class_names == ["5 mg", "10 mg"]
    assert main(["predict", str(model), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_table(path, label="dose")
    profile = class_profile(table, detect_layout(table, "dose", None, "auto"), "dose")
    assert profile.kind == "series" and profile.class_names == ["5 mg", "10 mg"]


def test_class_names_with_one_unit_sort_by_their_numbers():
    from hybridxai_gui.core.data.tables import _sorted_classes
    from hybridxai_gui.core.data.units import with_unit

    assert _sorted_classes(["10 mg", "5 mg", "40 mg"]) == ["5 mg", "10 mg", "40 mg"]
    assert _sorted_classes(["45%", "5%"]) == ["5%", "45%"]
    assert _sorted_classes(["5 mg", "10 g"]) == ["10 g", "5 mg"]  # two units: as text
    assert (with_unit("10", "mg"), with_unit("45", "%"), with_unit("30", "°C"), with_unit("7", "")) == (
        "10 mg", "45%", "30°C", "7")
    assert _sorted_classes(["1e-05 mg", "2 mg", "0.5 mg"]) == ["1e-05 mg", "0.5 mg", "2 mg"]
    from hybridxai_gui.core.data.class_profile import _top_classes
    from hybridxai_gui.core.data.units import unit_aligned
    from hybridxai_gui.core.data.units import unit_name

    assert _top_classes(pd.Series(["10 mg", "nan", "5 mg", "5 mg"]))[0] == ["5 mg", "10 mg", "nan"]
    assert unit_aligned(["5", "10.0 mg", "7", "x"], ["5 mg", "10 mg"]) == ["5 mg", "10 mg", "7", "x"]
    assert unit_aligned(["5 mg", "10 mg"], ["5", "10"]) == ["5", "10"]  # a model from before units were kept
    assert (unit_name(float(np.float32(0.1)), "mg"), unit_name(2.5, "mg"), unit_name(10.0, "mg")) == (
        "0.1 mg", "2.5 mg", "10 mg")


# ---- a row of units under the header (instrument and logger exports) ---------------------------------------------

def _logger_file(path, n=3000, units="s,V,A,degC,", newline="\n"):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"time": np.arange(n) * 0.5, "voltage": rng.normal(230, 2, n).round(3),
                          "current": rng.normal(5, 0.5, n).round(3), "temperature": rng.normal(40, 3, n).round(2),
                          "state": np.where(rng.random(n) < 0.5, "ok", "fault")})
    with open(path, "w", newline="") as fh:
        fh.write(",".join(frame.columns) + newline + units + newline)
        frame.to_csv(fh, header=False, index=False, lineterminator=newline)
    return frame


def test_a_units_row_is_read_as_part_of_the_header(tmp_path):
    path = tmp_path / "logger.csv"
    frame = _logger_file(path)
    read, notes = _read_with_notes(path)
    assert len(read) == len(frame)  # the units line is no row
    assert read["voltage"].dtype.kind == "f" and read["time"].dtype.kind == "f"
    np.testing.assert_allclose(read["current"].to_numpy(), frame["current"].to_numpy(), rtol=1e-6)
    assert list(read["state"][:3]) == list(frame["state"][:3])
    assert any("line 2 holds units" in n and "voltage: V" in n for n in notes)


def test_a_bad_cell_under_a_units_row_is_named_by_its_own_line(tmp_path):
    path = tmp_path / "logger.csv"
    _logger_file(path, n=50)
    lines = path.read_text().splitlines()
    cells = lines[11].split(",")  # file line 12
    cells[1] = "oops"
    lines[11] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.errors import HybridXAIError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(HybridXAIError, match=r"line 12 has 'oops'"):
            prepare_data(str(path), label="state", test_size=0.2, seed=0)


def test_a_units_row_in_the_parallel_reader(tmp_path, monkeypatch):
    from hybridxai_gui.core.data import csv_parallel, csvio

    path = tmp_path / "logger.csv"
    frame = _logger_file(path, n=4000, newline="\r\n")
    warnings.simplefilter("ignore")  # the units note (pytest restores the filters after the test)
    serial = read_table(path)
    monkeypatch.setattr(csv_parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(csv_parallel, "_RANGE_BYTES", 4096)
    monkeypatch.setattr(csv_parallel, "_parse_threads", lambda: 3)
    used = []
    real = csvio._read_parallel
    monkeypatch.setattr(csvio, "_read_parallel", lambda *a: used.append(1) or real(*a))
    parallel = read_table(path)
    assert used
    assert len(parallel) == len(frame)
    pd.testing.assert_frame_equal(parallel, serial)


@pytest.mark.parametrize("first", [
    "NA,NA,NA,NA,ok",  # gaps, not units
    "0.0,V,4.9,40.1,ok",  # numbers in it: data with a typo
    "s,V,A,degC,ok",  # text above the text column too: no units row
])
def test_a_first_row_that_is_data_stays_data(tmp_path, first):
    path = tmp_path / "plain.csv"
    _logger_file(path, n=30, units=first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = read_table(path)
    assert len(read) == 31  # the first row kept as data (its cells are gaps or typos for the checks to name)
