"""Text (categorical) columns as features (issue 24.1): encoded in the core, recorded in the model file, gaps as
their own value, values never seen in training noted (the work goes on), identifiers in disguise left out, and
explanations that speak of the original columns with their values still adding up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.data.text_columns import (MAX_CATEGORIES, MISSING, OTHER, fit_encoding, fit_text_column,
                                                  is_text_column)
from hybridxai_gui.core.errors import CheckpointError, render

from helpers import fit


def penguin_frame(n: int = 90, seed: int = 0) -> pd.DataFrame:
    """Three species told apart by island (text) and bill length; sex has gaps."""
    rng = np.random.default_rng(seed)
    species = np.array(["Adelie", "Gentoo", "Chinstrap"])[np.arange(n) % 3]
    island = np.where(species == "Gentoo", "Biscoe", np.where(species == "Chinstrap", "Dream", "Torgersen"))
    bill = np.where(species == "Adelie", 38.0, 48.0) + rng.normal(0, 1, n)
    sex = rng.choice(["male", "female"], n).astype(object)
    sex[[i for i in (3, 10, 17) if i < n]] = None
    return pd.DataFrame({"island": island, "bill_length_mm": bill, "sex": sex, "species": species})


def test_a_text_column_becomes_one_hot_parts_with_gaps_as_their_own_value():
    data = prepare_data(penguin_frame(), label="species", test_size=0.2, scaling="zscore")
    assert data.feature_names == ["island=Biscoe", "island=Dream", "island=Torgersen", "bill_length_mm",
                                  "sex=female", "sex=male", f"sex={MISSING}"]
    raw = np.concatenate([data.X_train, data.X_test])
    parts = raw[:, [0, 1, 2, 4, 5, 6]]
    assert set(np.unique(parts)) == {0.0, 1.0}  # parts stay 0 / 1: not scaled
    np.testing.assert_array_equal(parts[:, :3].sum(axis=1), 1)  # one value per row
    np.testing.assert_array_equal(parts[:, 3:].sum(axis=1), 1)
    assert data.scaler.mean[[0, 1, 2, 4, 5, 6]].tolist() == [0.0] * 6 and abs(data.scaler.mean[3]) > 10
    assert data.config.features == ("island", "bill_length_mm", "sex")  # the columns of the file, not the parts
    rows = np.concatenate([data.rows_train, data.rows_test])
    gaps = rows[raw[:, 6] == 1]
    assert sorted(gaps.tolist()) == [3, 10, 17]


def test_many_values_are_bounded_and_rare_ones_pooled():
    rng = np.random.default_rng(0)
    values = pd.Series(rng.integers(0, 100_000, 200_000).astype(str)).radd("v")  # 100,000-ish distinct names
    column = fit_text_column("code", values)
    assert len(column.categories) == MAX_CATEGORIES and column.categories[-1] == OTHER
    codes = column.codes(np.array(["never seen", column.categories[0]], dtype=object))
    assert codes.tolist() == [MAX_CATEGORIES - 1, 0]  # unseen: the pooled part


def test_a_numeric_column_with_a_stray_cell_is_not_text_and_still_an_error(tmp_path):
    assert not is_text_column(pd.Series(["1.5", "2.5", "?", "3.0"]))
    assert not is_text_column(pd.Series(["1,5", "2,5", "3,5"]))  # decimal commas: the reader's hint applies
    assert is_text_column(pd.Series(["a", "b", "1"]))
    frame = penguin_frame()
    frame["bill_length_mm"] = frame["bill_length_mm"].astype(object)
    frame.loc[4, "bill_length_mm"] = "?"
    with pytest.raises(Exception, match=r"column 'bill_length_mm' is not numeric \(row 4 has '\?'\)"):
        prepare_data(frame, label="species")


def test_a_text_identifier_in_disguise_is_left_out_unless_named():
    frame = penguin_frame()
    frame.insert(0, "name", [f"bird {i}" for i in range(len(frame))])
    data = prepare_data(frame, label="species")
    assert not any(f.startswith("name") for f in data.feature_names)
    assert any("'name'" in n and "looks like an identifier" in n and "--features" in render(n) for n in data.warnings)
    named = prepare_data(frame, label="species", features=["name", "bill_length_mm"])
    assert sum(f.startswith("name=") for f in named.feature_names) == MAX_CATEGORIES  # kept, and bounded


@pytest.fixture(scope="module")
def penguin_model(tmp_path_factory):
    frame = penguin_frame()
    data = prepare_data(frame, label="species", test_size=0.2)
    model = ModelConfig(cnn_channels=4, lstm_hidden=4, num_heads=1)
    result = fit(data, model, TrainConfig(epochs=30, seed=0, augment="off"))
    return result.trained, data


def test_a_value_never_seen_in_training_is_predicted_and_named(penguin_model):
    from hybridxai_gui.core.pipeline import predict_frame

    trained, _ = penguin_model
    new = penguin_frame(6, seed=1).drop(columns="species")
    new.loc[2, "island"] = "Atlantis"
    new.loc[4, "sex"] = None  # a gap: a value the training rows had
    out = predict_frame(trained, new, "new.csv")
    assert len(out.table) == 6 and out.table["predicted"].notna().all()
    assert any("column 'island' holds 'Atlantis', never seen in training (1 row(s), first at line 4): read as none "
               "of its known values" in n for n in out.notes)
    X = trained.transform(new, "new.csv")
    np.testing.assert_array_equal(X[2, :3], 0)  # none of island's parts


def test_the_model_file_keeps_the_encoding_and_refuses_a_forged_one(penguin_model, tmp_path):
    import torch

    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

    trained, data = penguin_model
    path = save_checkpoint(trained, tmp_path / "p.pth")
    back = load_checkpoint(path)
    assert back.encoding == trained.encoding and back.input_columns == ["island", "bill_length_mm", "sex"]
    new = penguin_frame(9, seed=2)
    np.testing.assert_allclose(back.predict_proba(back.transform(new)), trained.predict_proba(trained.transform(new)))
    payload = torch.load(path, weights_only=True)
    payload["encoding"]["text"][0]["categories"] = [f"v{i}" for i in range(MAX_CATEGORIES + 3)]
    torch.save(payload, tmp_path / "big.pth")
    with pytest.raises(CheckpointError, match="has 53 values; this version reads 1 to 52"):
        load_checkpoint(tmp_path / "big.pth")
    payload = torch.load(path, weights_only=True)
    payload["encoding"]["text"][0]["categories"] = ["Biscoe", "Dream", "Elsewhere"]
    torch.save(payload, tmp_path / "forged.pth")
    with pytest.raises(CheckpointError, match="feature names are not the parts"):
        load_checkpoint(tmp_path / "forged.pth")


def test_explanations_speak_of_original_columns_and_stay_additive(penguin_model):
    from hybridxai_gui.core.explain.rows import explain_table_rows
    from hybridxai_gui.core.pipeline import drain

    trained, _ = penguin_model
    frame = penguin_frame(12, seed=3)
    run = drain(explain_table_rows(trained, frame, "rows.csv", "0-3", label="species", faithfulness=True))
    shap = run.shap
    assert shap.feature_names == ["island", "bill_length_mm", "sex"] and shap.values.shape[1] == 3
    assert shap.additive  # one player per column: base + the three values = the output
    total = shap.base_values[None, :] + shap.values.sum(axis=1)
    np.testing.assert_allclose(total, shap.model_output, atol=1e-4)
    assert set(run.faithfulness.views) >= {"shap", "random"}
    text = " ".join(s.text for s in run.summaries())
    assert "island = " in text and "island=" not in text
    islands = frame["island"].iloc[:4].tolist()
    assert [shap.unit_value(i, 0) for i in range(4)] == islands


def test_baselines_see_the_same_encoding():
    from hybridxai_gui.core.evaluation.baselines import BASELINES, on_split

    data = prepare_data(penguin_frame(150), label="species", test_size=0.3)
    scores, note = on_split(data)
    assert [s.model for s in scores] == list(BASELINES) and "gradient_boosting" in BASELINES and note == ""
    assert {s.model: s.accuracy for s in scores}["gradient_boosting"] > 0.9  # island alone tells the species


def test_fit_encoding_is_none_for_a_table_of_numbers():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    assert fit_encoding(frame, ["a", "b"]) is None
    assert DataConfig().missing == "mean"  # real tables have gaps: filled by default, and said so


def test_the_explanations_tab_speaks_of_original_columns(qtbot, penguin_model):
    pytest.importorskip("pytestqt")
    from hybridxai_gui.core.explain import clear_cache
    from hybridxai_gui.gui.explanations_tab import ExplanationsTab

    trained, data = penguin_model
    clear_cache()
    tab = ExplanationsTab()
    qtbot.addWidget(tab)
    tab.show()
    try:
        tab.set_model(trained, data.X_test, data.X_test_raw, data.y_test, data.rows_test,
                      background_pool=data.X_train)
        tab.show_row(0)
        with qtbot.waitSignal(tab.busyChanged, timeout=120_000, check_params_cb=lambda busy: busy is False):
            tab.compute()
        assert tab.result.feature_names == ["island", "bill_length_mm", "sex"] and tab.result.additive
        from PySide6.QtWidgets import QLabel

        summary = tab.findChild(QLabel, "explanationSummaryLabel")
        assert "island = " in summary.text() or "sex = " in summary.text()
    finally:
        tab.shutdown()


def test_noise_augmentation_leaves_text_parts_alone():
    import torch

    from hybridxai_gui.core.training.policies import noise_level

    X = torch.tensor([[0.0, 1.0, -1.0], [1.0, 0.0, 1.0]])  # two parts of a text column, then a number
    std = noise_level(TrainConfig(augment="on", augment_noise=0.5), X, False, np.array([True, True, False]))
    np.testing.assert_allclose(std.numpy(), [0.0, 0.0, 0.5])
    np.testing.assert_allclose(noise_level(TrainConfig(augment="on", augment_noise=0.5), X, False).numpy(),
                               [0.25, 0.25, 0.5])


def test_noise_on_a_table_follows_each_columns_robust_spread():
    """A long-tailed count column's standard deviation is set by a few huge values; noise in its units drowned
    most rows. Tables get noise in units of the interquartile range / 1.349 (a normal column's sd), never more than
    the sd; series keep the sd (robust=False)."""
    import torch

    from hybridxai_gui.core.training.policies import noise_level

    values = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1000.0])
    X = torch.stack([values, torch.zeros(8)], dim=1)
    config = TrainConfig(augment="on", augment_noise=0.5)
    q1, q3 = np.quantile(values.numpy(), [0.25, 0.75])
    np.testing.assert_allclose(noise_level(config, X, False, robust=True).numpy(), [0.5 * (q3 - q1) / 1.349, 0.0],
                               rtol=1e-5)
    assert noise_level(config, X, False)[0] > 100  # the sd: 0.5 × 329
