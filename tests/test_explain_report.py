"""`explain_to_dir` (the `hybridxai explain` command): row parsing, shap_values.csv, every figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.model.trained import TrainedModel
from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.explain import clear_cache
from hybridxai_gui.core.explain.rows import parse_rows
from hybridxai_gui.outputs import explanations as report
from hybridxai_gui.outputs.explanations import explain_to_dir
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)


def test_parse_rows():
    assert parse_rows("0-3,15", 20) == [0, 1, 2, 3, 15]
    assert parse_rows(" 5 , 2-3 ,5", 10) == [2, 3, 5]
    assert parse_rows(None, 250) == list(range(10))
    assert parse_rows("", 3) == [0, 1, 2]
    with pytest.raises(HybridXAIError, match="'x'"):
        parse_rows("1,x", 10)
    with pytest.raises(HybridXAIError, match="backwards"):
        parse_rows("5-2", 10)
    with pytest.raises(HybridXAIError, match=r"Row 10 .*out of range.*10 rows \(0-9\)"):
        parse_rows("0-10", 10)
    with pytest.raises(HybridXAIError, match="'-1'"):
        parse_rows("-1", 10)
    with pytest.raises(HybridXAIError, match="no rows"):
        parse_rows("0", 0)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    n, F = 60, 6
    y = np.where(np.arange(n) % 2 == 0, "yes", "no")
    X = rng.normal(size=(n, F)) + (y == "yes")[:, None] * 0.8
    df = pd.DataFrame(X, columns=[f"m{i} (mg/l)" for i in range(F)])
    df["outcome"] = y
    data = folder / "data.csv"
    df.to_csv(data, index=False)
    prepared = prepare_data(data, label="outcome")
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=F, n_classes=2, cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2)
    trained = TrainedModel(model=build_model(cfg).eval(), model_config=cfg, train_config=TrainConfig(),
                           feature_names=prepared.feature_names, class_names=prepared.class_names,
                           label_column=prepared.label_column, scaler=prepared.scaler,
                           background=prepared.X_train[:30])
    path = save_checkpoint(trained, folder / "model.pth")
    return load_checkpoint(path), data, df


def test_writes_csv_and_figures(model_file, tmp_path):
    from hybridxai_gui.core.model.trained import softmax

    trained, data, df = model_file
    clear_cache()
    out = tmp_path / "out"
    result = explain_to_dir(trained, data, out, rows="3,0", method="auto")
    assert result.method == "exact" and result.additive
    assert list(result.rows) == [0, 3]
    table = pd.read_csv(out / "shap_values.csv")
    names = list(df.columns[:-1])
    assert list(table.columns) == ["row", "class", "base_value", "model_output"] + names
    assert len(table) == 2 * 2
    assert table["row"].tolist() == [0, 0, 3, 3]
    assert table["class"].tolist() == list(trained.class_names) * 2
    np.testing.assert_allclose(table["base_value"] + table[names].sum(axis=1), table["model_output"], atol=1e-4)
    logits = trained.predict_logits(trained.transform(df.iloc[[0, 3]], "data.csv"))
    # probability units by default: this row's prediction is the model's probability of each class
    np.testing.assert_allclose(table["model_output"].to_numpy().reshape(2, 2), softmax(logits), atol=1e-5)

    files = {p.name for p in out.iterdir()}
    for stem in ["shap_bar", "shap_heatmap", "shap_beeswarm_0_no", "shap_beeswarm_1_yes", "faithfulness"]:
        assert {f"{stem}.png", f"{stem}.eps"} <= files, stem  # the global figures: PNG and EPS
    for stem in ["gradcam_row3", "attention_row0", "comparison_row0"]:
        assert f"{stem}.png" in files and f"{stem}.eps" not in files, stem  # per row: PNG only
    for i, r in enumerate(result.rows):  # classes in file names: <index>_<name> (outputs/names.py)
        pred = f"{result.predicted[i]}_{trained.class_names[result.predicted[i]]}"
        assert f"waterfall_row{r}_{pred}.png" in files and f"force_row{r}_{pred}.png" in files
        truth = str(df["outcome"].iloc[r])  # the true class gets its own waterfall when it differs
        assert f"waterfall_row{r}_{trained.class_names.index(truth)}_{truth}.png" in files
    for name in files:
        head = (out / name).read_bytes()[:12]
        if name.endswith(".png"):
            assert head.startswith(b"\x89PNG")
        elif name.endswith(".eps"):
            assert head.startswith(b"%!PS-Adobe")

    faith = pd.read_csv(out / "faithfulness.csv")
    assert list(faith.columns) == ["row", "method", "deletion_auc", "insertion_auc"]
    assert sorted(set(faith["method"])) == ["attention", "gradcam", "random", "shap"]
    assert sorted(set(faith["row"])) == [0, 3] and len(faith) == 2 * 4
    assert faith[["deletion_auc", "insertion_auc"]].stack().between(0, 1).all()
    paragraphs = (out / "summary.txt").read_text(encoding="utf-8").strip().split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Row 0: the model predicts") and "probability" in paragraphs[0]
    assert "logit" not in paragraphs[0]


def test_logit_units_and_figure_choices(model_file, tmp_path):
    trained, data, df = model_file
    out = tmp_path / "logit"
    explain_to_dir(trained, data, out, rows="0-5", method="exact", units="logit", figures="none", formats="png")
    table = pd.read_csv(out / "shap_values.csv")
    logits = trained.predict_logits(trained.transform(df.iloc[:6], "data.csv"))
    np.testing.assert_allclose(table["model_output"].to_numpy().reshape(6, 2), logits, atol=1e-5)
    files = {p.name for p in out.iterdir()}
    assert not any("_row" in f for f in files)  # --figures none: no per-row figure
    assert "shap_bar.png" in files and "shap_bar.eps" not in files  # --formats png
    out = tmp_path / "all"
    explain_to_dir(trained, data, out, rows="0-5", method="exact", figures="all")
    assert {f"gradcam_row{r}.png" for r in range(6)} <= {p.name for p in out.iterdir()}
    out = tmp_path / "default"
    explain_to_dir(trained, data, out, rows="0-5", method="exact")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("gradcam_row")) == [
        f"gradcam_row{r}.png" for r in range(report.DEFAULT_ROW_FIGURES)]
    with pytest.raises(HybridXAIError, match="--figures"):
        explain_to_dir(trained, data, tmp_path / "bad", rows="0", figures="some")
    with pytest.raises(HybridXAIError, match="--formats"):
        explain_to_dir(trained, data, tmp_path / "bad", rows="0", formats="png,gif")


def test_background_csv_and_missing_background(model_file, tmp_path, monkeypatch):
    trained, data, df = model_file
    monkeypatch.setattr(report, "write_figures", lambda *a, **k: [])  # figures are tested above
    bg = tmp_path / "bg.csv"
    df.drop(columns="outcome").iloc[10:50].to_csv(bg, index=False)
    result = explain_to_dir(trained, data, tmp_path / "a", rows="2", method="permutation", background_path=bg)
    assert result.background_size == 40 and result.additive
    bare = TrainedModel(**{**trained.__dict__, "background": None})
    with pytest.raises(HybridXAIError, match="--background"):
        explain_to_dir(bare, data, tmp_path / "b", rows="2")
    with pytest.raises(HybridXAIError, match="out of range"):
        explain_to_dir(trained, data, tmp_path / "c", rows="0-999")
