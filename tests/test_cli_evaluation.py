"""`hybridxai cv` and `hybridxai report` end to end on wine, and `predict` on a labelled file."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.cli import main

from helpers import write_wine_csv

SMALL = ["--epochs", "2", "--cnn-channels", "4", "--lstm-hidden", "8", "--heads", "2", "--kernel-size", "3"]


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_eval")
    csv = write_wine_csv(folder)
    assert main(["train", str(csv), "--out", str(folder / "wine.pth"), "--quiet", "--calibrate", *SMALL]) == 0
    return folder, csv


@pytest.fixture(scope="module")
def cv_run(wine):
    folder, csv = wine
    out = folder / "cv"
    assert main(["cv", str(csv), "--label", "label", "--folds", "5", "--seed", "3", "--out", str(out), "--quiet",
                 "--calibrate", *SMALL]) == 0  # the model's recipe: report --cv refuses another one
    return out


def test_cv_writes_every_fold_then_mean_and_sd(cv_run):
    metrics = pd.read_csv(cv_run / "cv_metrics.csv", dtype={"fold": str})
    assert list(metrics.columns) == ["fold", "accuracy", "macro_f1"]
    assert metrics["fold"].tolist() == ["1", "2", "3", "4", "5", "mean", "sd"]
    folds = metrics.iloc[:5]
    assert metrics.iloc[5]["accuracy"] == pytest.approx(folds["accuracy"].mean(), abs=1e-6)
    assert metrics.iloc[6]["accuracy"] == pytest.approx(folds["accuracy"].std(ddof=1), abs=1e-6)
    assert metrics.iloc[5]["macro_f1"] == pytest.approx(folds["macro_f1"].mean(), abs=1e-6)
    summary = json.loads((cv_run / "cv_summary.json").read_text())
    assert sum(f["n_test"] for f in summary["folds"]) == 178  # every wine row held out once
    assert (cv_run / "cv_spread.png").read_bytes()[:4] == b"\x89PNG"


def test_cv_writes_the_baselines_beside_the_network(cv_run):
    baselines = pd.read_csv(cv_run / "baselines.csv")
    assert list(baselines.columns[:3]) == ["model", "accuracy_mean", "accuracy_sd"]
    assert baselines["model"].tolist() == ["hybrid", "logistic_regression", "nearest_neighbour", "random_forest",
                                          "gradient_boosting"]
    metrics = pd.read_csv(cv_run / "cv_metrics.csv", dtype={"fold": str}).set_index("fold")
    hybrid = baselines.set_index("model").loc["hybrid"]
    assert hybrid["accuracy_mean"] == pytest.approx(metrics.loc["mean", "accuracy"], abs=1e-6)
    assert hybrid["accuracy_sd"] == pytest.approx(metrics.loc["sd", "accuracy"], abs=1e-6)
    assert baselines.set_index("model").loc["logistic_regression", "accuracy_mean"] > 0.9  # wine is easy for it


def test_cv_prints_the_spread_and_takes_train_options(wine, tmp_path, capsys):
    folder, csv = wine
    assert main(["cv", str(csv), "--folds", "2", "--repeats", "2", "--baselines", "off", "--out", str(tmp_path),
                 "--preset", "seed", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "fold 4/4" in out and re.search(r"accuracy\s+\d\.\d{4} ± \d\.\d{4}", out)
    assert pd.read_csv(tmp_path / "baselines.csv")["model"].tolist() == ["hybrid"]
    assert len(pd.read_csv(tmp_path / "cv_metrics.csv")) == 4 + 2


@pytest.mark.parametrize("argv, message", [
    (["cv", "{csv}", "--folds", "1", "--out", "{tmp}/o"], "at least 2 folds"),
    (["cv", "{csv}", "--folds", "80", "--out", "{tmp}/o"], "--folds"),
    (["cv", "{csv}", "--label", "nope", "--out", "{tmp}/o"], "nope"),
    (["report", "{model}", "--out", "{tmp}/r.docx"], r"\.html or \.pdf"),
    (["report", "{tmp}/none.pth", "--out", "{tmp}/r.html"], "does not exist"),
    (["report", "{model}", "--cv", "{tmp}", "--out", "{tmp}/r.html"], "cv_summary.json"),
])
def test_bad_input_is_one_line_and_exit_2(wine, tmp_path, capsys, argv, message):
    folder, csv = wine
    args = [a.format(csv=csv, tmp=tmp_path, model=folder / "wine.pth") for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(message, err), err


def _self_contained(text: str) -> None:
    assert 'src="http' not in text and 'href="http' not in text and "url(" not in text
    images = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(images) >= 4 and all(src.startswith("data:image/png;base64,") for src in images)


def test_report_html_from_the_model_file_with_the_cv_run(wine, cv_run, tmp_path):
    folder, _ = wine
    out = tmp_path / "wine.html"
    assert main(["report", str(folder / "wine.pth"), "--cv", str(cv_run), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _self_contained(text)
    for section in ("Summary", "Data", "Settings", "Training", "Evaluation", "Repeated evaluation", "Calibration",
                    "Explanations", "Reproducibility"):
        assert f">{section}</h2>" in text, section
    summary = pd.read_csv(cv_run / "baselines.csv").set_index("model")
    assert f"{summary.loc['hybrid', 'accuracy_mean']:.3f} ± {summary.loc['hybrid', 'accuracy_sd']:.3f}" in text
    assert "random forest" in text and "Temperature" not in text.split("Calibration</h2>")[0][-10:]
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

    trained = load_checkpoint(folder / "wine.pth")
    assert trained.data_hash in text and f"{trained.temperature:.3f}" in text


def test_report_pdf_on_a_labelled_file(wine, tmp_path, capsys):
    folder, csv = wine
    out = tmp_path / "wine.pdf"
    assert main(["report", str(folder / "wine.pth"), "--data", str(csv), "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 3
    assert "wrote the report" in capsys.readouterr().out


def test_predict_on_a_labelled_file_prints_accuracy_and_the_confusion_matrix(wine, tmp_path, capsys):
    folder, csv = wine
    assert main(["predict", str(folder / "wine.pth"), str(csv), "--out", str(tmp_path / "p.csv")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"accuracy \d\.\d{4}", out)
    matrix = out.split("confusion matrix (rows = true, columns = predicted):")[1].splitlines()[2:5]
    counts = np.array([[int(v) for v in line.split()[-3:]] for line in matrix])
    assert counts.sum() == 178 and counts.shape == (3, 3)


def test_a_spreadsheet_file_with_decimal_commas_trains_with_a_note(tmp_path, capsys):
    from helpers import wine_frame

    path = tmp_path / "wine_eu.csv"
    wine_frame().to_csv(path, sep=";", decimal=",", index=False)
    assert "," in path.read_text().splitlines()[1]
    assert main(["train", str(path), "--out", str(tmp_path / "eu.pth"), "--quiet", *SMALL]) == 0
    err = capsys.readouterr().err
    assert "decimal commas" in err and "wine_eu.csv" in err


def test_the_data_tab_reads_decimal_commas_as_numbers(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from hybridxai_gui.gui.data_tab import DataTab

    from helpers import wine_frame

    path = tmp_path / "wine_eu.csv"
    wine_frame().to_csv(path, sep=";", decimal=",", index=False)
    tab = DataTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.trainLoaded, timeout=30_000):
        tab.open_train(str(path))
    assert len(tab.selected_features()) == 13  # every measurement is a number, ticked
    assert set(tab.train_table.stats["type"]) == {"number", "text"}
    assert "decimal commas" in tab.problemsPanel.text()


def test_report_explains_chosen_rows_with_their_additivity_check(wine, tmp_path):
    folder, csv = wine
    out = tmp_path / "explained.html"
    assert main(["report", str(folder / "wine.pth"), "--data", str(csv), "--rows", "0-1", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _self_contained(text)
    explanations = text.split(">Explanations</h2>")[1].split(">Reproducibility</h2>")[0]
    assert "SHAP feature importance" in explanations and "data rows 0, 1" in explanations
    assert "Additivity OK" in explanations


def test_report_rows_need_the_data_file(wine, tmp_path, capsys):
    folder, _ = wine
    assert main(["report", str(folder / "wine.pth"), "--rows", "0", "--out", str(tmp_path / "r.html")]) == 2
    assert "--rows picks rows of --data" in capsys.readouterr().err


def test_cv_without_out_prints_its_results_and_writes_nothing(wine, tmp_path, capsys, monkeypatch):
    """`hybridxai cv FILE --label L` with no other flag (issue 24's words): a run, printed, no file written."""
    folder, csv = wine
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["cv", str(csv), "--folds", "2", "--baselines", "off", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "fold 2/2" in out and re.search(r"accuracy\s+\d\.\d{4} ± \d\.\d{4}", out)
    assert "no files written: --out DIR" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == before
