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
])
def test_anything_else_stays_text(cells):
    assert unit_of(pd.Series(cells, dtype=object)) is None


def test_decimal_comma_file_reads_its_own_mark():
    found = unit_of(pd.Series(["1,5 kg", "2,25 kg"], dtype=object), decimal=",")
    assert found is not None and found[0] == "kg"
    np.testing.assert_allclose(found[1], [1.5, 2.25])
    assert unit_of(pd.Series(["1.5 kg", "2 kg"], dtype=object), decimal=",") is None  # not this file's mark


def _iris_with_units(path, unit_column="petal_length"):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    plain = frame.copy()
    frame[unit_column] = frame[unit_column].map(lambda v: f"{v} cm")
    frame.to_csv(path, index=False)
    return plain


def test_a_csv_column_with_units_trains_as_numbers_and_says_so(tmp_path):
    from hybridxai_gui.core.data.prepare import prepare_data

    path = tmp_path / "iris_units.csv"
    plain = _iris_with_units(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
    assert frame["petal_length"].dtype.kind == "f"
    np.testing.assert_allclose(frame["petal_length"].to_numpy(), plain["petal_length"].to_numpy(), rtol=1e-6)
    notes = [str(w.message) for w in caught]
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
