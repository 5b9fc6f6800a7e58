"""Issue 22 §8: what the product writes and prints cannot be turned against the reader: names that a
spreadsheet would run as formulas stay text in every CSV, control characters from a model file are shown
escaped, and a newline in a path cannot forge a line of its own."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main
from hybridxai_gui.core.model_files.checkpoint import save_checkpoint
from hybridxai_gui.core.model_files.fileio import write_csv

from hostile_models import small_trained

FORMULAS = ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_text_cells_that_would_run_as_formulas_are_written_as_text(tmp_path):
    from hybridxai_gui.core.model_files.fileio import spreadsheet_safe_text

    frame = pd.DataFrame({"=name": ["=1+1", "-0.5", "plain", "\tlead", "\rcr", "-inf", None],
                          "value": [-0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    text = write_csv(frame, tmp_path / "x.csv").read_bytes().decode()
    lines = text.split("\n")
    assert lines[0] == "'=name,value"
    assert lines[1] == "'=1+1,-0.5"  # the number column is left alone
    assert lines[2] == "-0.5,1.0"  # a number written as text stays a number
    assert "'\tlead" in text and "'\rcr" in text and "plain" in text
    assert spreadsheet_safe_text(3) == 3 and spreadsheet_safe_text("-1e3") == "-1e3"


@pytest.fixture(scope="module")
def formula_model(tmp_path_factory):
    """A model whose class and feature names start with formula characters."""
    folder = tmp_path_factory.mktemp("formula")
    trained = small_trained(n_features=4, n_classes=3)
    trained.class_names = FORMULAS[:3]
    trained.feature_names = ["=f0", "@f1", "+f2", "-f3"]
    model = save_checkpoint(trained, folder / "m.pth")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(6, 4)), columns=trained.feature_names)
    frame["label"] = [FORMULAS[i % 3] for i in range(6)]
    data = folder / "d.csv"
    frame.to_csv(data, index=False)
    return model, data


def _formula_cells(path) -> list[str]:
    """Cells of a CSV that a spreadsheet would run (starting with = + - @ and not a number)."""
    cells = [cell for line in path.read_text().splitlines() for cell in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", line)]
    bad = []
    for cell in cells:
        cell = cell.strip('"')
        if cell[:1] in ("=", "+", "-", "@"):
            try:
                float(cell)
            except ValueError:
                bad.append(cell)
    return bad


def test_predict_evaluate_and_explain_csvs_hold_no_formula(formula_model, tmp_path):
    model, data = formula_model
    assert main(["predict", str(model), str(data), "--out", str(tmp_path / "p.csv")]) == 0
    assert main(["evaluate", str(model), str(data), "--out", str(tmp_path / "eval")]) == 0
    assert main(["explain", str(model), str(data), "--rows", "0", "--method", "permutation", "--figures", "none",
                 "--out", str(tmp_path / "x")]) == 0
    written = [tmp_path / "p.csv", tmp_path / "eval" / "predictions.csv",
               tmp_path / "eval" / "classification_report.csv", tmp_path / "x" / "shap_values.csv"]
    for path in written:
        assert _formula_cells(path) == [], path
    predicted = pd.read_csv(tmp_path / "p.csv")["predicted"]
    assert set(predicted) <= {"'" + name for name in FORMULAS[:2]} | {"-2+3", "'-2+3"}
    assert "'=f0" in (tmp_path / "x" / "shap_values.csv").read_text().splitlines()[0]


def test_info_shows_control_characters_of_a_model_file_escaped(tmp_path, capsys):
    trained = small_trained(n_features=4, n_classes=3)
    trained.class_names = ["a\x1b[2Jwiped", "b\x07bell", "c\nerror: forged"]
    trained.label_column = "label\x1b]0;title\x07"
    model = save_checkpoint(trained, tmp_path / "m.pth")
    assert main(["info", str(model)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "a\\x1b[2Jwiped" in out and "b\\x07bell" in out
    assert not any(line.startswith("error:") for line in out.splitlines())


def test_class_names_in_the_printed_evaluation_are_escaped():
    from hybridxai_gui.core.evaluation.metrics import compute_metrics, format_report

    names = ["a\nerror: forged", "b\x1b[31m"]
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    text = format_report(compute_metrics(names, np.array([0, 1, 1]), proba, np.arange(3)))
    assert "\x1b" not in text and not any(line.startswith("error:") for line in text.splitlines())
    assert "a\\nerror: forged" in text and "b\\x1b[31m" in text


def test_a_newline_in_a_path_cannot_forge_a_line(tmp_path, capsys):
    from helpers import wine_frame

    trained = small_trained(n_features=4, n_classes=3)
    model = save_checkpoint(trained, tmp_path / "m.pth")
    frame = wine_frame().iloc[:6, :4]
    frame.columns = trained.feature_names
    data = tmp_path / "d\nerror: forged.csv"
    frame.to_csv(data, sep=";", decimal=",", index=False)  # read with a note that names the file
    out = tmp_path / "p\nerror: forged too.csv"
    assert main(["predict", str(model), str(data), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert not any(line.startswith("error:") for line in stream.splitlines()), stream
    assert "d\\nerror: forged.csv" in captured.err and "p\\nerror: forged too.csv" in captured.out
    assert main(["predict", str(tmp_path / "none\nerror: x.pth"), str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "none\\nerror: x.pth" in err
