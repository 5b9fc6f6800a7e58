"""Identifier and constant columns: found by the core, unticked / flagged on the Data tab, noted by prepare_data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import render
from hybridxai_gui.core.data.table_checks import check_columns, check_table, is_identifier


def table(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "sample": rng.permutation(np.arange(1, n + 1)),  # a row number, shuffled: an identifier by its values
        "patient_id": rng.choice(10_000, n, replace=False) * 7.0,  # distinct, not a run: an identifier by its name
        "count": rng.choice(10_000, n, replace=False),  # distinct whole numbers, no ID name: a measurement
        "length": rng.normal(size=n),  # distinct measurements
        "batch": np.full(n, 3.0),  # constant
        "site": ["A"] * n,  # constant text
        "label": np.arange(n) % 2,
    })


def test_identifiers_and_constant_columns():
    found = check_table(table(), "label")
    assert found.identifiers == ["sample", "patient_id"]
    assert found.constant == ["batch", "site"]
    notes = [render(n) for n in found.notes()]
    assert "'sample', 'patient_id' each have a different value in every row" in notes[0]
    assert "--exclude sample,patient_id" in notes[0]
    assert "'batch', 'site' each have the same value in every row" in notes[1]


@pytest.mark.parametrize("name, values, expected", [
    ("id", [5, 3, 9, 1, 7, 2, 8, 4, 6, 10], True),
    ("Unnamed: 0", list(range(10)), True),
    ("x", list(range(100, 110)), True),  # a run of whole numbers
    ("x", [1, 2, 3, 4, 5, 6, 7, 8, 9, 11], False),  # one gap: not a row number
    ("id", [1, 1, 2, 3, 4, 5, 6, 7, 8, 9], False),  # a repeated value
    ("t", [0.5 * i for i in range(10)], False),
    ("id", list(range(5)), False),  # too few rows to tell
    ("id", [1, 2, 3, 4, 5, 6, 7, 8, 9, np.nan], False),
])
def test_is_identifier(name, values, expected):
    assert is_identifier(name, np.asarray(values, dtype=float)) is expected


def test_series_columns_are_not_identifiers():
    rng = np.random.default_rng(1)
    X = np.round(rng.normal(size=(50, 200)) * 1000)  # whole-number readings, mostly distinct per column
    found = check_columns({f"t{i:03d}": X[:, i] for i in range(200)})
    assert found.identifiers == [] and found.constant == []


def test_prepare_data_leaves_identifiers_out_and_says_how_to_keep_them():
    """One rule in both front ends (issue 24.4): with no features named, identifiers are left out with a note naming
    the way to keep them; named in the features, one is kept and noted."""
    df = table().drop(columns=["site"])
    data = prepare_data(df, label="label")
    assert data.feature_names == ["count", "length", "batch"]
    notes = [render(n) for n in data.warnings]
    assert any("look like identifiers" in n and "'sample', 'patient_id'" in n and "left out of the features" in n
               and "--features" in n for n in notes)
    assert any("Column 'batch' has the same value in every row" in n for n in notes)
    clean = prepare_data(df, label="label", exclude=["sample", "patient_id", "batch"]).warnings
    assert not any("identifier" in n or "same value" in n for n in clean)
    kept = prepare_data(df, label="label", features=["sample", "count", "length"])
    assert kept.feature_names == ["sample", "count", "length"]
    assert any("Column 'sample' has a different value in every row (or nearly every row), so it looks like an "
               "identifier" in render(n)
               and "--exclude sample" in render(n) for n in kept.warnings)


def test_data_tab_unticks_an_identifier_and_flags_a_constant_column(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from hybridxai_gui.gui.data_tab import DataTab

    path = tmp_path / "ids.csv"
    table().to_csv(path, index=False)
    tab = DataTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.trainLoaded, timeout=30_000):
        tab.open_train(str(path))
    assert tab.selected_features() == ["count", "length", "batch", "site"]  # ids unticked; text ticked (encoded)
    texts = [tab.featureList.item(i).text() for i in range(tab.featureList.count())]
    assert "sample  (identifier?)" in texts and "batch  (constant)" in texts
    problems = tab.problemsPanel.text()
    assert "look like identifiers" in problems and "left out of the features" in problems
    assert "same value in every row" in problems


def test_an_empty_column_is_left_out_with_a_note_in_both_front_ends(qtbot, tmp_path):
    """A column with no value in any row (numbers or text) stopped training with "no mean to fill with": it holds
    nothing to learn, so it is left out with a note as identifiers are, and the Data tab unticks it."""
    df = table().drop(columns=["sample", "patient_id", "batch", "site"])
    df["blank"] = np.nan
    df["blank_text"] = pd.Series([None] * len(df), dtype=object)
    df.loc[::3, "blank_text"] = "  "
    found = check_columns({c: df[c] for c in df.columns if c != "label"})
    assert found.empty == ["blank", "blank_text"] and found.constant == [] and found.identifiers == []
    data = prepare_data(df, label="label")
    assert data.feature_names == ["count", "length"]
    notes = [render(n) for n in data.warnings]
    assert any("Column 'blank', 'blank_text' each have no value in any row: they were left out" in n for n in notes)
    named = [render(n) for n in check_columns({"blank": df["blank"]}).notes()]
    assert named == ["Column 'blank' has no value in any row; leave it out (--exclude blank)."]

    pytest.importorskip("pytestqt")
    from helpers import open_in_data_tab

    tab = open_in_data_tab(qtbot, df, tmp_path / "blank.csv")
    assert tab.selected_features() == ["count", "length"]
    texts = [tab.featureList.item(i).text() for i in range(tab.featureList.count())]
    assert "blank  (empty)" in texts and "blank_text  (empty)" in texts
    assert "no value in any row" in tab.problemsPanel.text()
    # nothing asks for a gap policy: the empty columns are left out, a text column's blanks are a category
    assert "Missing or infinite values" not in tab.problemsPanel.text()


def test_plural_notes_read_as_english():
    df = table().drop(columns=["batch", "site"])
    notes = [render(n) for n in prepare_data(df, label="label").warnings]
    assert any("Name them in --features to use them anyway." in n for n in notes), notes
    assert not any("Name they" in n or "Tick they" in n for n in notes)


def test_a_test_file_that_repeats_training_rows_is_said(tmp_path):
    """A separate test file holding rows of the training file scores them as if new: the note counts them (by the
    exact feature values, identifiers left out); a disjoint test file gets no note."""
    from hybridxai_gui.core.data.prepare import row_hashes

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(1, 121), "a": rng.normal(size=120), "b": rng.normal(size=120),
                          "label": np.arange(120) % 2})
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    frame.iloc[:80].to_csv(train, index=False)
    frame.iloc[60:].to_csv(test, index=False)  # rows 60-79 repeat training rows (their ids too, left out)
    notes = [render(n) for n in prepare_data(train, test, label="label").warnings]
    assert any("test.csv: 20 of its 60 rows have exactly the feature values of a training row of " in n
               and "train.csv" in n for n in notes), notes
    frame.iloc[80:].to_csv(test, index=False)
    assert not any("exactly the feature values" in render(n) for n in prepare_data(train, test, label="label").warnings)
    # the hash tells rows apart by every value, NaN included, and is the same for the same values
    X = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [np.nan, 1.0], [np.nan, 1.0]], dtype=np.float32)
    h = row_hashes(X)
    assert h[0] == h[1] and h[0] != h[2] and h[3] == h[4] and h[3] != h[2]
