"""`hybridxai explain`: units, faithfulness.csv, summary.txt, figures as asked, progress on stderr."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hybridxai_gui.cli import main
from hybridxai_gui.core.model_files.checkpoint import save_checkpoint
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.model.trained import softmax

from helpers import untrained_wine_model, wine_frame

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def wine_files(tmp_path_factory):
    """A small wine model (untrained weights are enough for the files' shapes and sums)."""
    return untrained_wine_model(tmp_path_factory.mktemp("cli_explain"))


def test_explain_probability_by_default(wine_files, tmp_path, capsys):
    model, csv, trained = wine_files
    out = tmp_path / "ex"
    assert main(["explain", str(model), str(csv), "--rows", "0-3,100", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    features = list(wine_frame().columns[:-1])
    values = pd.read_csv(out / "shap_values.csv")
    assert list(values.columns) == ["row", "class", "base_value", "model_output"] + features
    proba = softmax(trained.predict_logits(trained.transform(wine_frame().iloc[[0, 1, 2, 3, 100]])))
    np.testing.assert_allclose(values["model_output"].to_numpy().reshape(5, 3), proba, atol=1e-6)
    np.testing.assert_allclose(values["base_value"] + values[features].sum(axis=1), values["model_output"], atol=1e-6)

    faith = pd.read_csv(out / "faithfulness.csv")
    assert list(faith.columns) == ["row", "method", "deletion_auc", "insertion_auc"]
    assert set(faith["method"]) == {"shap", "gradcam", "attention", "random"}
    assert sorted(set(faith["row"])) == [0, 1, 2, 3, 100] and len(faith) == 5 * 4
    assert ((faith[["deletion_auc", "insertion_auc"]] >= 0) & (faith[["deletion_auc", "insertion_auc"]] <= 1)).all().all()

    paragraphs = (out / "summary.txt").read_text(encoding="utf-8").strip().split("\n\n")
    assert len(paragraphs) == 5 and all(p.startswith(f"Row {r}: the model predicts") for p, r in
                                        zip(paragraphs, [0, 1, 2, 3, 100]))
    assert "Pushed most towards" in paragraphs[0] and "probability" in paragraphs[0]
    assert "SHAP:" in (out / "faithfulness.txt").read_text(encoding="utf-8")

    # the background size reported is the one used (50 of the 80 rows kept in the model)
    assert "against 50 background rows" in captured.out and "Most faithful first" in captured.out
    stderr = captured.err.splitlines()
    assert any(line.strip().startswith("SHAP (") for line in stderr)
    assert any(line.strip().startswith("Faithfulness:") for line in stderr)
    assert any(line.strip().startswith("Figures:") for line in stderr)
    files = {p.name for p in out.iterdir()}
    assert {"shap_bar.png", "shap_bar.eps", "faithfulness.png"} <= files
    assert {f"waterfall_row{r}_" for r in (0, 1, 2)} <= {f[:len("waterfall_rowN_")] for f in files}
    assert not any(f.startswith(("waterfall_row3_", "waterfall_row100_")) for f in files)  # first 3 rows only


def test_explain_logit_units_and_no_row_figures(wine_files, tmp_path):
    model, csv, trained = wine_files
    out = tmp_path / "logit"
    assert main(["explain", str(model), str(csv), "--rows", "5", "--units", "logit", "--figures", "none",
                 "--formats", "png", "--out", str(out)]) == 0
    values = pd.read_csv(out / "shap_values.csv")
    logits = trained.predict_logits(trained.transform(wine_frame().iloc[[5]]))
    np.testing.assert_allclose(values["model_output"].to_numpy(), logits[0], atol=1e-5)
    files = {p.name for p in out.iterdir()}
    assert not any("_row" in f for f in files) and not any(f.endswith(".eps") for f in files)
    # the summary stays in probability whatever the units of the CSV
    assert "probability" in (out / "summary.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (["--units", "odds"], "invalid choice: 'odds'"),
    (["--figures", "many"], "--figures"),
    (["--formats", "png,gif"], "--formats"),
])
def test_explain_bad_options_exit_2(wine_files, tmp_path, capsys, argv, message):
    model, csv, _ = wine_files
    assert main(["explain", str(model), str(csv), "--rows", "0", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "\n".join(err)


def test_explain_fills_gaps_only_when_asked_and_says_so(wine_files, tmp_path, capsys):
    """predict, evaluate and report take --missing; explain did not, so a row with a gap could not be explained."""
    _, csv, trained = wine_files
    prepared = prepare_data(csv)
    import copy

    with_means = copy.copy(trained)  # the module's model left as it is
    with_means.fill_values = prepared.fill_values  # the training rows' means, as a trained model keeps them
    model = save_checkpoint(with_means, tmp_path / "wine_means.pth")
    frame = pd.read_csv(csv)
    frame.iloc[1, 0] = np.nan
    gappy = tmp_path / "gappy.csv"
    frame.to_csv(gappy, index=False)
    argv = ["explain", str(model), str(gappy), "--rows", "0-2", "--figures", "none", "--formats", "png"]
    assert main(argv + ["--out", str(tmp_path / "refused")]) == 2
    assert "--missing mean" in capsys.readouterr().err
    assert main(argv + ["--missing", "mean", "--out", str(tmp_path / "filled")]) == 0
    err = capsys.readouterr().err
    assert "Filled 1 missing or infinite value(s) in 1 row(s) of gappy.csv" in err
    values = pd.read_csv(tmp_path / "filled" / "shap_values.csv")
    assert sorted(values["row"].unique()) == [0, 1, 2]
    filled = pd.read_csv(tmp_path / "filled" / "shap_values.csv").query("row == 1")
    assert np.isfinite(filled.iloc[:, 4:].to_numpy()).all()
