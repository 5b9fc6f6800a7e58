"""Reading CSVs and preparing splits: every error names the file, the column and the line."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.data.tables import frame_to_features, guess_label_column, read_table

from hybridxai_gui.core.data.prepare import PreparedData, prepare_data
from hybridxai_gui.core.errors import HybridXAIError, HybridXAIWarning, fixes


def _frame(n_per_class: int = 20, classes=("a", "b"), n_features: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.repeat(list(classes), n_per_class)
    X = rng.normal(size=(len(labels), n_features)) + np.arange(len(labels))[:, None] % 3
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
    df["label"] = labels
    return df


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# ------------------------------------------------------------------------------------------ read_table


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_read_table_sniffs_the_delimiter(tmp_path, sep):
    path = _write(tmp_path, "d.csv", f"a{sep}b{sep}label\n1.5{sep}2{sep}x\n3{sep}4{sep}y\n")
    df = read_table(path)
    assert list(df.columns) == ["a", "b", "label"]
    assert df["a"].tolist() == [1.5, 3.0]


def test_read_table_ignores_delimiters_inside_quotes(tmp_path):
    path = _write(tmp_path, "q.csv", 'a;b;"la,bel"\n1;2;"x, y"\n3;4;"z, w"\n')
    df = read_table(path)
    assert list(df.columns) == ["a", "b", "la,bel"]
    assert df["la,bel"].tolist() == ["x, y", "z, w"]


def test_read_table_strips_utf8_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y,label\n1,2,a\n3,4,b\n")
    assert list(read_table(path).columns) == ["x", "y", "label"]


def test_read_table_falls_back_to_latin1_with_a_warning(tmp_path):
    path = _write(tmp_path, "latin.csv", "temp\u00e9rature,label\n1,caf\u00e9\n2,th\u00e9\n", encoding="latin-1")
    with pytest.warns(HybridXAIWarning, match="latin.csv"):
        df = read_table(path)
    assert list(df.columns) == ["temp\u00e9rature", "label"]
    assert df["label"].tolist() == ["caf\u00e9", "th\u00e9"]


def test_read_table_latin1_beyond_the_sniffed_head(tmp_path):
    body = "".join(f"{i},ok\n" for i in range(20000)) + "5,caf\u00e9\n"
    path = _write(tmp_path, "late.csv", "x,label\n" + body, encoding="latin-1")
    with pytest.warns(HybridXAIWarning, match="late.csv"):
        df = read_table(path)
    assert df["label"].iloc[-1] == "caf\u00e9"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(HybridXAIError, match=r"File not found: .*nope\.csv"):
        read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_is_a_clear_error(tmp_path, text):
    path = _write(tmp_path, "empty.csv", text)
    with pytest.raises(HybridXAIError, match=r"empty\.csv is empty"):
        read_table(path)


def test_header_only_file_is_an_error(tmp_path):
    with pytest.raises(HybridXAIError, match=r"head\.csv has a header but no data rows"):
        read_table(_write(tmp_path, "head.csv", "a,b,label\n"))


def test_a_file_without_a_header_row_is_read_as_data_with_a_note(tmp_path):
    """The UCR archive's own files (a label, then readings; tab-separated; no names) were refused: their first
    line is data, read so, the columns named col1 … colN, said in a note; messages count lines from the first."""
    import warnings

    from hybridxai_gui.core.data.label_guess import guess_label

    path = _write(tmp_path, "nohead.tsv", "".join(f"{k}\t{k + 0.5}\t{-k:.2f}\t{k * 2}.25\n"
                                                  for k in (1, 2, 1, 2, 1, 2, 1, 2, 1, 2)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
        # several: tells label and readings apart as it does for a file with names
        assert guess_label(frame).column == "col1"
    assert list(frame.columns) == ["col1", "col2", "col3", "col4"] and len(frame) == 10
    assert frame["col2"].tolist()[:2] == [1.5, 2.5]
    assert any("holds numbers, not column names" in str(w.message) and "col1 … col4" in str(w.message)
               for w in caught)
    # numbers that name columns (they rise from field to field; the rows below do not) are still a header
    numbered = read_table(_write(tmp_path, "wavelengths.csv", "400,410,420,430\n0.5,0.2,0.9,1\n0.4,0.1,0.8,2\n"))
    assert list(numbered.columns) == ["400", "410", "420", "430"] and len(numbered) == 2
    gappy = _write(tmp_path, "gappy.tsv", "1\t0.5\n2\t\n1\t0.1\n")
    with pytest.raises(HybridXAIError, match=r"first at line 2\b"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note on the missing header, said above
        prepare_data(gappy, label="col1", missing="error")


def test_ragged_row_names_the_line(tmp_path):
    path = _write(tmp_path, "ragged.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,7,z\n")
    with pytest.raises(HybridXAIError, match=r"ragged\.csv: line 4 has 4 values but the header has 3 columns"):
        read_table(path)


def test_duplicate_column_names_are_an_error(tmp_path):
    with pytest.raises(HybridXAIError, match=r"dup\.csv: the header names 'a' twice"):
        read_table(_write(tmp_path, "dup.csv", "a,a,label\n1,2,x\n"))


# ------------------------------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["x", "LABEL", "z"], "LABEL"),
        (["Class", "x"], "Class"),
        (["x", "Target", "z"], "Target"),
        (["Y", "x"], "Y"),
        (["x", "y2", "last"], "last"),
    ],
)
def test_guess_label_column(columns, expected):
    assert guess_label_column(columns) == expected


def test_string_labels_with_spaces_are_sorted_class_names(tmp_path):
    df = _frame(classes=("red fox", "brown bear", "cat"))
    data = prepare_data(df)
    assert data.class_names == ["brown bear", "cat", "red fox"]
    assert set(data.y_train.tolist()) == {0, 1, 2}


def test_integer_labels_sort_numerically(tmp_path):
    df = _frame(classes=(10, 2, 1))
    path = tmp_path / "ints.csv"
    df.to_csv(path, index=False)
    data = prepare_data(path)
    assert data.class_names == ["1", "2", "10"]
    rows = pd.read_csv(path)["label"].to_numpy()
    np.testing.assert_array_equal(np.array(data.class_names, dtype=int)[data.y_test], rows[data.rows_test])


def test_unknown_label_column_lists_the_columns():
    with pytest.raises(HybridXAIError, match=r"no column 'kind'; its columns are 'f0', 'f1', 'f2', 'label'"):
        prepare_data(_frame(), label="kind")


def test_missing_labels_name_the_rows(tmp_path):
    path = _write(tmp_path, "nolab.csv", "a,label\n1,x\n2,\n3,y\n4,\n")
    with pytest.raises(HybridXAIError, match=r"nolab\.csv: 2 row\(s\) have no label in column 'label', first at line 3, line 5"):
        prepare_data(path)


def test_single_class_is_an_error():
    with pytest.raises(HybridXAIError, match=r"only the class 'a'.*at least two"):
        prepare_data(_frame(classes=("a",)))


# ------------------------------------------------------------------------------------------ features


def test_features_and_exclude_pick_columns_in_file_order():
    df = _frame(n_features=4)
    df.insert(0, "id", np.arange(len(df)))
    assert prepare_data(df, exclude=["id"]).feature_names == ["f0", "f1", "f2", "f3"]
    assert prepare_data(df, features=["f3", "f1"]).feature_names == ["f1", "f3"]
    assert prepare_data(df, features=["f1", "f2", "f3"], exclude=["f2"]).feature_names == ["f1", "f3"]


def test_unknown_feature_names_are_listed():
    with pytest.raises(HybridXAIError, match=r"--features: .* no column 'nope', 'zip'"):
        prepare_data(_frame(), features=["f0", "nope", "zip"])
    with pytest.raises(HybridXAIError, match=r"--exclude: .* no column 'idx'"):
        prepare_data(_frame(), exclude=["idx"])


def test_non_numeric_column_names_column_row_and_value(tmp_path):
    path = _write(tmp_path, "text.csv", "a,name,label\n1,2,x\n3,4,y\n5,bob,x\n6,7,y\n")
    with pytest.raises(HybridXAIError) as info:
        prepare_data(path)
    message = str(info.value)
    assert "text.csv" in message and "'name'" in message and "line 4" in message and "'bob'" in message
    assert "--exclude 'name'" in message


def test_decimal_comma_files_load_with_a_note(tmp_path):
    """Spreadsheets in many languages save `;` between fields and 1,5 for one and a half."""
    path = _write(tmp_path, "eu.csv", "a;b;label\n1,5;2;x\n3;4;y\n-0,25;1e3;x\n2;7,75;y\n")
    with pytest.warns(HybridXAIWarning, match=r"eu\.csv is written with decimal commas .* semicolons"):
        frame = read_table(path)
    assert frame["a"].tolist() == [1.5, 3.0, -0.25, 2.0] and frame["b"].tolist() == [2.0, 4.0, 1000.0, 7.75]
    with pytest.warns(HybridXAIWarning):
        data = prepare_data(path, test_size=0.5, val_size=0)
    raw_train = data.X_train[:, 0] * data.scaler.std[0] + data.scaler.mean[0]
    assert sorted(np.round(np.concatenate([raw_train, data.X_test_raw[:, 0]]), 5)) == [-0.25, 1.5, 2.0, 3.0]


def test_a_decimal_point_file_with_semicolons_is_not_read_as_decimal_commas(tmp_path):
    path = _write(tmp_path, "points.csv", "a;b;label\n1.5;2,5;x\n3;4;y\n")  # '2,5' is text next to 1.5
    frame = read_table(path)
    assert frame["a"].tolist() == [1.5, 3.0] and frame["b"].tolist() == ["2,5", "4"]
    with pytest.raises(HybridXAIError, match=r"points\.csv: column 'b' .*line 2.*decimal comma"):
        prepare_data(path)


# ------------------------------------------------------------------------------------------ missing values


def _with_gaps(tmp_path) -> str:
    df = _frame(n_per_class=20)
    df.loc[3, "f1"] = np.nan
    df.loc[7, "f2"] = np.inf
    df.loc[30, "f1"] = np.nan
    path = tmp_path / "gaps.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_missing_error_says_how_many_where_and_the_options(tmp_path):
    with pytest.raises(HybridXAIError) as info:
        prepare_data(_with_gaps(tmp_path))
    message = str(info.value)
    assert "gaps.csv: 3 row(s) have missing or infinite values" in message
    assert "'f1' (2), 'f2' (1)" in message
    assert "line 5, line 9, line 32" in message
    assert "--missing drop" in message and "--missing mean" in message


def test_missing_drop_drops_rows_and_keeps_their_numbers(tmp_path):
    data = prepare_data(_with_gaps(tmp_path), missing="drop", val_size=0.2)
    all_rows = np.concatenate([data.rows_train, data.rows_val, data.rows_test])
    assert sorted(all_rows.tolist()) == sorted(set(range(40)) - {3, 7, 30})
    assert any("Dropped 3 row(s)" in w for w in data.warnings)


def test_missing_drop_keeps_each_split_row_with_its_own_values(tmp_path):
    path = _with_gaps(tmp_path)
    raw = pd.read_csv(path)
    data = prepare_data(path, missing="drop", val_size=0.2, scaling="none")
    features = raw[["f0", "f1", "f2"]].to_numpy(np.float32)
    for X, rows in ((data.X_train, data.rows_train), (data.X_val, data.rows_val), (data.X_test_raw, data.rows_test)):
        np.testing.assert_array_equal(X, features[rows])


def test_missing_mean_uses_training_rows_only():
    # Column f0 is 0 on every training candidate and huge on the test rows; with one missing training cell,
    # a mean taken over all rows would not be 0.
    df = _frame(n_per_class=20, n_features=2)
    df["f0"] = 0.0
    first = prepare_data(df, val_size=0)
    test_rows = first.rows_test
    df.loc[test_rows, "f0"] = 1000.0
    train_row = int(first.rows_train[0])
    df.loc[train_row, "f0"] = np.nan
    data = prepare_data(df, missing="mean", val_size=0, scaling="none")
    np.testing.assert_array_equal(data.rows_test, test_rows)
    assert data.fill_values[0] == 0.0
    filled = data.X_train[np.flatnonzero(data.rows_train == train_row)[0], 0]
    assert filled == 0.0


def test_missing_mean_fills_test_rows_with_the_training_mean():
    df = _frame(n_per_class=20, n_features=2)
    first = prepare_data(df, val_size=0)
    test_row = int(first.rows_test[0])
    df.loc[test_row, "f1"] = np.nan
    data = prepare_data(df, missing="mean", val_size=0, scaling="none")
    expected = df.loc[data.rows_train, "f1"].astype(np.float32).mean()
    assert data.fill_values[1] == pytest.approx(expected, rel=1e-6)
    assert data.X_test_raw[np.flatnonzero(data.rows_test == test_row)[0], 1] == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------------------------------ splits


def test_separate_test_file_matches_columns_by_name(tmp_path):
    train = _frame(n_features=3)
    test = _frame(n_per_class=5, n_features=3, seed=1)
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    train.to_csv(train_path, index=False)
    test[["label", "f2", "f0", "f1"]].to_csv(test_path, index=False)
    data = prepare_data(train_path, test_path, scaling="none")
    assert data.test_source == str(test_path)
    np.testing.assert_allclose(data.X_test_raw, test[["f0", "f1", "f2"]].to_numpy(np.float32))
    np.testing.assert_array_equal(data.rows_test, np.arange(10))
    assert len(data.X_train) + len(data.X_val) == len(train)


def test_test_file_without_a_feature_names_it(tmp_path):
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    _frame().to_csv(train_path, index=False)
    _frame(n_per_class=3).drop(columns=["f1"]).to_csv(test_path, index=False)
    with pytest.raises(HybridXAIError, match=r"test file .*test\.csv has no column 'f1'"):
        prepare_data(train_path, test_path)


def test_test_file_without_the_label_column_is_an_error(tmp_path):
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    _frame().to_csv(train_path, index=False)
    _frame(n_per_class=3).drop(columns=["label"]).to_csv(test_path, index=False)
    with pytest.raises(HybridXAIError, match=r"test\.csv has no column 'label'"):
        prepare_data(train_path, test_path)


def test_unseen_test_label_names_it_and_the_file(tmp_path):
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    _frame().to_csv(train_path, index=False)
    _frame(n_per_class=3, classes=("a", "zebra")).to_csv(test_path, index=False)
    with pytest.raises(HybridXAIError, match=r"test\.csv: label 'zebra' \(first at line 5\) never occurs"):
        prepare_data(train_path, test_path)


def test_tiny_class_is_named(tmp_path):
    df = pd.concat([_frame(), _frame(n_per_class=1, classes=("rare one",))], ignore_index=True)
    with pytest.raises(HybridXAIError, match=r"class 'rare one' has only 1 row"):
        prepare_data(df)


def test_a_totals_line_under_the_data_is_named_as_such():
    df = pd.concat([_frame(), _frame(n_per_class=1, classes=("Total",))], ignore_index=True)
    with pytest.raises(HybridXAIError, match=r"class 'Total' has only 1 row.*looks like a 'Total' line under the data"):
        prepare_data(df)
    df = pd.concat([_frame(), _frame(n_per_class=1, classes=("Totalitarian",))], ignore_index=True)
    with pytest.raises(HybridXAIError, match=r"has only 1 row\(s\); a stratified split needs 2"):
        prepare_data(df)  # any other rare class keeps the usual advice


def test_class_too_small_for_the_validation_split_is_named():
    df = pd.concat([_frame(), _frame(n_per_class=2, classes=("few",))], ignore_index=True)
    with pytest.raises(HybridXAIError, match=r"class 'few' has only 1 row.*validation.*--val-size 0"):
        prepare_data(df, val_size=0.15)
    data = prepare_data(df)  # the default holds no validation rows out
    assert data.X_val.shape == (0, 3) and data.y_val.shape == (0,) and data.rows_val.shape == (0,)


def test_splits_are_stratified_disjoint_and_cover_every_row():
    df = _frame(n_per_class=30, classes=("a", "b", "c"))
    data = prepare_data(df, test_size=0.2, val_size=0.25)
    for y in (data.y_train, data.y_val, data.y_test):
        assert np.bincount(y, minlength=3).min() > 0
    np.testing.assert_array_equal(np.bincount(data.y_test), [6, 6, 6])
    rows = np.concatenate([data.rows_train, data.rows_val, data.rows_test])
    assert sorted(rows.tolist()) == list(range(90))
    labels = df["label"].to_numpy()
    for y, r in ((data.y_train, data.rows_train), (data.y_val, data.rows_val), (data.y_test, data.rows_test)):
        np.testing.assert_array_equal(np.array(data.class_names)[y], labels[r])


@pytest.mark.parametrize("sizes", [(90, 9, 3), (50, 50), (14, 10, 6, 4), (1000, 2)])
@pytest.mark.parametrize("share", [0.1, 0.2, 0.5])
def test_imbalanced_splits_keep_class_shares_and_every_class_on_both_sides(sizes, share):
    classes = [f"c{i}" for i in range(len(sizes))]
    df = pd.DataFrame({"f0": np.arange(sum(sizes), dtype=float), "label": np.repeat(classes, sizes)})
    data = prepare_data(df, test_size=share, val_size=0)
    n_test = np.bincount(data.y_test, minlength=len(sizes))
    n_train = np.bincount(data.y_train, minlength=len(sizes))
    np.testing.assert_array_equal(n_test + n_train, sizes)
    assert n_test.min() >= 1 and n_train.min() >= 1
    # Each class holds out its share of the rows, to within one row (the rounding) or the one-row minimum.
    assert np.all(np.abs(n_test - share * np.array(sizes)) <= 1)
    assert abs(n_test.sum() - np.ceil(share * sum(sizes))) <= len(sizes)


def test_same_seed_same_split_and_hash_other_seed_differs():
    df = _frame(n_per_class=30)
    a, b, c = prepare_data(df, seed=3), prepare_data(df, seed=3), prepare_data(df, seed=4)
    np.testing.assert_array_equal(a.rows_test, b.rows_test)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.data_hash == b.data_hash and len(a.data_hash) == 64
    assert not np.array_equal(a.rows_test, c.rows_test) and a.data_hash != c.data_hash


def test_path_and_read_table_frame_give_the_same_data(tmp_path):
    path = tmp_path / "same.csv"
    _frame().to_csv(path, index=False)
    a, b = prepare_data(path), prepare_data(read_table(path))
    assert a.data_hash == b.data_hash and a.source == b.source == str(path)
    np.testing.assert_array_equal(a.X_test, b.X_test)


# ------------------------------------------------------------------------------------------ scaling


def test_scaler_is_fitted_on_training_rows_only():
    df = _frame(n_per_class=30, n_features=2)
    data = prepare_data(df, scaling="zscore")
    train_raw = df.loc[data.rows_train, ["f0", "f1"]].to_numpy(np.float32).astype(np.float64)
    np.testing.assert_allclose(data.scaler.mean, train_raw.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(data.scaler.std, train_raw.std(axis=0), rtol=1e-6)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    all_raw = df[["f0", "f1"]].to_numpy(np.float64)
    assert not np.allclose(data.scaler.mean, all_raw.mean(axis=0))
    np.testing.assert_allclose(data.X_test, data.scaler.transform(data.X_test_raw))
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64


def test_constant_column_std_becomes_one():
    df = _frame(n_features=2)
    df["f1"] = 5.0
    scaler = prepare_data(df, scaling="zscore").scaler
    assert scaler.std[1] == 1.0
    np.testing.assert_array_equal(scaler.transform(df[["f0", "f1"]].to_numpy())[:, 1], 0.0)


def test_auto_scaling_keeps_row_normalised_series():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 32)) * 3 + 7
    X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    df = pd.DataFrame(X, columns=[f"t{i}" for i in range(32)])
    df["label"] = np.repeat(["a", "b"], 30)
    auto = prepare_data(df)
    np.testing.assert_array_equal(auto.scaler.mean, 0)
    np.testing.assert_array_equal(auto.scaler.std, 1)
    assert any(("scaling", "zscore") in fixes(w) for w in auto.warnings)
    # z-score on series is per channel: one mean and spread for all steps of the channel, so the shape stays
    zscored = prepare_data(df, scaling="zscore").scaler
    assert np.ptp(zscored.std) == 0 and np.ptp(zscored.mean) == 0 and zscored.std[0] == pytest.approx(1, abs=0.01)
    assert prepare_data(df, scaling="none").warnings == []


def test_auto_scaling_standardises_ordinary_features():
    df = _frame(n_features=20)
    data = prepare_data(df)
    assert not np.allclose(data.scaler.std, 1) and data.warnings == []


# ------------------------------------------------------------------------------------------ new files


def test_frame_to_features_picks_by_name_and_applies_the_policy():
    df = pd.DataFrame({"b": [1.0, np.nan, 3.0], "a": [4.0, 5.0, 6.0], "extra": ["x", "y", "z"]})
    with pytest.raises(HybridXAIError, match=r"new\.csv: 1 row\(s\).*'b' \(1\).*line 3"):
        frame_to_features(df, ["a", "b"], source="new.csv")
    X, rows = frame_to_features(df, ["a", "b"], source="new.csv", missing="drop", return_rows=True)
    np.testing.assert_array_equal(X, [[4.0, 1.0], [6.0, 3.0]])
    np.testing.assert_array_equal(rows, [0, 2])
    X = frame_to_features(df, ["a", "b"], source="new.csv", missing="mean", fill_values=np.array([0.0, 9.0]))
    assert X.dtype == np.float64 and X[1, 1] == 9.0
    assert np.isnan(df.loc[1, "b"])  # the caller's frame is untouched
    with pytest.raises(HybridXAIError, match=r"new\.csv has no column 'c'"):
        frame_to_features(df, ["a", "c"], source="new.csv")


def test_prepared_data_shapes():
    data = prepare_data(_frame(n_per_class=40, n_features=5))
    assert isinstance(data, PreparedData)
    assert data.X_train.shape[1] == data.X_val.shape[1] == data.X_test.shape[1] == 5
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 80
    assert data.X_train.flags.c_contiguous and data.X_test.flags.c_contiguous


def test_binary_file_is_a_clear_error(tmp_path):
    from hybridxai_gui.core.data.tables import read_table

    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(HybridXAIError, match="picture.csv is not a text CSV file"):
        read_table(path)


@pytest.mark.parametrize("head, said", [
    (b"\x1f\x8b\x08\x00", "compressed with gzip, not a text CSV file. Decompress it first"),
    (b"PK\x03\x04\x14\x00", "a zip archive or a workbook (.xlsx, .ods), not a text CSV file. Export the sheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1", "an old Excel workbook (.xls)"),
])
def test_a_compressed_file_or_a_workbook_is_named_as_such(tmp_path, head, said):
    path = tmp_path / "data.csv"
    path.write_bytes(head + b"\x00" * 64)
    with pytest.raises(HybridXAIError, match=re.escape(said)):
        prepare_data(path)


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    text = ('a,b,label\n1,2,x\n\n3,4,y\n5,6,"two\nline label"\n7,,x\n8,9,y\n')  # the gap is on line 7
    path = tmp_path / "gaps.csv"
    path.write_text(text)
    with pytest.raises(HybridXAIError, match=r"first at line 7\b"):
        prepare_data(path)
    with pytest.raises(HybridXAIError, match=r"first at line 7\b"):
        prepare_data(read_table(path))  # the app's path: the frame remembers its file
    from hybridxai_gui.core.data.tables import frame_to_features

    with pytest.raises(HybridXAIError, match=r"first at line 7\b"):
        frame_to_features(read_table(path), ["a", "b"], source="gaps.csv")


def test_drop_that_would_leave_nothing_names_the_empty_column(tmp_path):
    path = _write(tmp_path, "allnan.csv", "a,b,label\n1,,x\n2,,y\n3,,x\n4,,y\n")
    # named as a feature, the empty column stops the drop with a message naming it
    with pytest.raises(HybridXAIError, match=r"every row has a missing.*column 'b' has no values.*--exclude"):
        prepare_data(path, missing="drop", features=["a", "b"])
    # not named: it is left out with a note (it holds no value), and the rows stay
    rows = "".join(f"{(i * 7) % 13 + 0.5},,{'xy'[i % 2]}\n" for i in range(20))  # not a row number
    data = prepare_data(_write(tmp_path, "allnan20.csv", "a,b,label\n" + rows), missing="drop")
    assert data.feature_names == ["a"] and any("'b' has no value in any row" in str(n) for n in data.warnings)


def test_a_single_column_file_asks_about_its_separator(tmp_path):
    path = _write(tmp_path, "pipe.csv", "a|b|label\n1|2|x\n3|4|y\n")
    with pytest.raises(HybridXAIError, match="single column: are its values separated by commas"):
        prepare_data(path)
