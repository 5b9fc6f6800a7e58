"""Gaps at prediction and values beyond float32 (issue 13 §4, §8): the README's promise that gaps are an error
by default holds whatever policy training used, the policy that fills says so, values too large for the model
are named as such (never filled), and rows are reported as the file's lines."""

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import HybridXAIError

from helpers import wine_frame


@pytest.fixture(scope="module")
def mean_model(tmp_path_factory):
    """A model trained with --missing mean (its training data has gaps), and a file with gaps in rows 1, 4."""
    folder = tmp_path_factory.mktemp("gaps")
    train = wine_frame()
    train.loc[[2, 7], "alcohol"] = np.nan
    train.to_csv(folder / "train.csv", index=False)
    assert main(["train", str(folder / "train.csv"), "--missing", "mean", "--epochs", "1", "--quiet",
                 "--out", str(folder / "m.pth")]) == 0
    gaps = wine_frame().head(6)
    gaps.loc[[1, 4], "magnesium"] = np.nan
    gaps.to_csv(folder / "gaps.csv", index=False)
    return folder


@pytest.mark.parametrize("command", ["predict", "evaluate", "explain"])
def test_gaps_are_an_error_by_default_whatever_training_used(mean_model, command, capsys):
    folder = mean_model
    argv = [command, str(folder / "m.pth"), str(folder / "gaps.csv")]
    argv += {"predict": ["--out", str(folder / "p.csv")], "evaluate": [],
             "explain": ["--rows", "0-2", "--out", str(folder / "x")]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "missing or infinite" in err and "--missing mean" in err and err.count("\n") == 1


def test_the_cli_says_when_mean_filled_gaps(mean_model, capsys):
    folder = mean_model
    assert main(["predict", str(folder / "m.pth"), str(folder / "gaps.csv"), "--out", str(folder / "p.csv"),
                 "--missing", "mean"]) == 0
    err = capsys.readouterr().err
    assert "note: Filled 2 missing or infinite value(s) in 2 row(s) of gaps.csv with the training rows' column " \
           "means (--missing mean)." in err
    assert main(["evaluate", str(folder / "m.pth"), str(folder / "gaps.csv"), "--missing", "mean"]) == 0
    assert "Filled 2 missing" in capsys.readouterr().err
    clean = folder / "clean.csv"
    wine_frame().head(4).to_csv(clean, index=False)
    assert main(["predict", str(folder / "m.pth"), str(clean), "--out", str(folder / "p.csv"), "--missing",
                 "mean"]) == 0
    assert "Filled" not in capsys.readouterr().err  # nothing filled, nothing said


def test_explain_names_the_files_line_of_a_chosen_row_with_a_gap(mean_model, capsys):
    """--rows 1 on a row with a gap said 'first at row 0'; data row 1 is line 3 of the file."""
    folder = mean_model
    assert main(["explain", str(folder / "m.pth"), str(folder / "gaps.csv"), "--rows", "1",
                 "--out", str(folder / "x")]) == 2
    err = capsys.readouterr().err
    assert "first at line 3" in err and "row 0" not in err
    assert main(["explain", str(folder / "m.pth"), str(folder / "gaps.csv"), "--rows", "0,4",
                 "--out", str(folder / "x")]) == 2
    assert "first at line 6" in capsys.readouterr().err


def test_a_value_beyond_float32_is_named_and_never_filled(tmp_path, capsys):
    df = wine_frame()
    df["alcohol"] = df["alcohol"].astype(object)
    df.loc[5, "alcohol"] = "1e300"
    df.to_csv(tmp_path / "big.csv", index=False)
    for missing in ("error", "mean", "drop"):
        assert main(["train", str(tmp_path / "big.csv"), "--missing", missing, "--epochs", "1", "--quiet",
                     "--out", str(tmp_path / "m.pth")]) == 2
        err = capsys.readouterr().err
        assert "column 'alcohol' holds 1e+300 (line 7), beyond the ±3.4e+38 the model computes with" in err
        assert "missing or infinite" not in err and "--exclude 'alcohol'" in err
    assert not (tmp_path / "m.pth").exists()


def test_a_value_beyond_float32_at_prediction_and_in_a_frame(mean_model, tmp_path, capsys):
    folder = mean_model
    data = wine_frame().head(5)
    data["proline"] = data["proline"].astype(object)
    data.loc[3, "proline"] = "-2e39"
    data.to_csv(tmp_path / "p.csv", index=False)
    assert main(["predict", str(folder / "m.pth"), str(tmp_path / "p.csv"), "--out", str(tmp_path / "o.csv"),
                 "--missing", "mean"]) == 2
    assert "'proline' holds -2e+39 (line 5), beyond" in capsys.readouterr().err
    frame = wine_frame()
    frame.loc[0, "ash"] = 1e39  # a frame built in memory (the app's tables) says the same
    with pytest.raises(HybridXAIError, match=r"'ash' holds 1e\+39 \(row 0\), beyond"):
        prepare_data(frame)


def test_an_infinity_written_as_such_is_still_a_gap(tmp_path):
    df = wine_frame()
    df["ash"] = df["ash"].astype(object)
    df.loc[3, "ash"] = "inf"
    df.to_csv(tmp_path / "inf.csv", index=False)
    with pytest.raises(HybridXAIError, match="missing or infinite values.*line 5"):
        prepare_data(tmp_path / "inf.csv")
    assert len(prepare_data(tmp_path / "inf.csv", missing="drop").y_train) > 0


def test_reading_keeps_a_column_with_a_huge_value_in_float64_only_then(tmp_path):
    from hybridxai_gui.core.data.csvio import read_table

    pd.DataFrame({"a": [1.0, 2.0], "b": ["1e300", "3"], "c": ["inf", "1"], "label": ["x", "y"]}).to_csv(
        tmp_path / "t.csv", index=False)
    frame = read_table(tmp_path / "t.csv")
    assert frame["a"].dtype == np.float32 and frame["c"].dtype == np.float32 and np.isinf(frame["c"][0])
    assert frame["b"].dtype == np.float64 and frame["b"][0] == 1e300


def test_a_value_beyond_float32_in_a_series_file_is_named(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [{"id": s, "t": t, "x": float(rng.normal()), "label": "ab"[s % 2]} for s in range(20) for t in range(12)]
    frame = pd.DataFrame(rows)
    frame["x"] = frame["x"].astype(object)
    frame.loc[30, "x"] = "1e300"  # series 2, step 6: line 32
    frame.to_csv(tmp_path / "long.csv", index=False)
    assert main(["train", str(tmp_path / "long.csv"), "--id", "id", "--time", "t", "--missing", "mean",
                 "--epochs", "1", "--quiet", "--out", str(tmp_path / "m.pth")]) == 2
    err = capsys.readouterr().err
    assert "column 'x' holds 1e+300" in err and "beyond" in err and "line 32" in err
