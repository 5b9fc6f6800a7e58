"""Ensembles (--ensemble N): N members from seeds seed … seed+N-1, logits averaged; one checkpoint holds them;
predictions, Grad-CAM, attention and SHAP work on the ensemble."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.explain import AttentionExplainer, GradCAM, ShapExplainer
from hybridxai_gui.core.model.network import EnsembleNet

from helpers import fit, wine_frame

TINY = dict(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)


@pytest.fixture(scope="module")
def ensemble():
    data = prepare_data(wine_frame(), seed=0)
    result = fit(data, ModelConfig(**TINY, ensemble=3, dropout=0.0), TrainConfig(epochs=2, seed=5))
    return data, result


def test_members_are_the_single_models_of_their_seeds(ensemble):
    data, result = ensemble
    trained = result.trained
    assert isinstance(trained.model, EnsembleNet) and trained.model_config.ensemble == 3
    assert [m["epoch"] for m in trained.history] == [1, 2]  # the members train in lockstep: one line per epoch
    # Member 2 trained as a single network of its seed would (its own init, shuffles and noise).
    single = fit(data, ModelConfig(**TINY, dropout=0.0), TrainConfig(epochs=2, seed=6)).trained
    second = trained.model.members[1].state_dict()
    for k, v in single.model.state_dict().items():
        torch.testing.assert_close(second[k], v, rtol=1e-5, atol=1e-6)
    X = torch.from_numpy(data.X_test)
    with torch.no_grad():
        mean = torch.stack([m(X)[0] for m in trained.model.members]).mean(0).numpy()
    np.testing.assert_allclose(trained.predict_logits(data.X_test), mean, atol=1e-6)


def test_one_checkpoint_holds_the_ensemble(ensemble, tmp_path):
    data, result = ensemble
    again = load_checkpoint(save_checkpoint(result.trained, tmp_path / "e.pth"))
    assert again.model_config.ensemble == 3 and isinstance(again.model, EnsembleNet)
    np.testing.assert_allclose(again.predict_proba(data.X_test), result.trained.predict_proba(data.X_test), atol=1e-7)


def test_explanations_of_the_ensemble(ensemble):
    data, result = ensemble
    model, X = result.trained.model, data.X_test[:4]
    cam = GradCAM(model).attribute(X)
    per_member = [GradCAM(m).attribute(X, target=cam.target).raw for m in model.members]
    np.testing.assert_allclose(cam.raw, np.mean(per_member, axis=0), atol=1e-6)  # the members' maps averaged
    attention = AttentionExplainer(model).attribute(X)
    with torch.no_grad():
        maps = torch.stack([m(torch.from_numpy(X))[1] for m in model.members]).mean(0).numpy()
    np.testing.assert_allclose(attention.mean, maps, atol=1e-6)
    shap = ShapExplainer(model, data.X_train[:20], "exact").explain(X)
    assert shap.additive  # additive in the averaged output


def test_command_line_ensemble(tmp_path, tiny_csv):
    from hybridxai_gui.cli import main

    out = tmp_path / "m.pth"
    assert main(["train", str(tiny_csv), "--epochs", "2", "--cnn-channels", "4", "--lstm-hidden", "4", "--heads", "2",
                 "--ensemble", "2", "--quiet", "--out", str(out)]) == 0
    assert load_checkpoint(out).model_config.ensemble == 2


def test_auto_trains_three_members_for_series_and_one_network_for_a_table(tmp_path):
    """ensemble = 0 (the default preset's): series rows get AUTO_ENSEMBLE_SERIES members, a table one network;
    the model stores the concrete number, and an unresolved config never reaches a network."""
    import pandas as pd

    from hybridxai_gui.core.config import AUTO_ENSEMBLE_SERIES, apply_preset, resolve_ensemble
    from hybridxai_gui.core.model.network import build_model
    from hybridxai_gui.core.pipeline import members_for

    assert apply_preset("default", ModelConfig(), TrainConfig())[0].ensemble == 0
    assert apply_preset("quick", ModelConfig(), TrainConfig())[0].ensemble == 1
    auto = ModelConfig(**TINY, ensemble=0, dropout=0.0)
    assert resolve_ensemble(auto, series=True).ensemble == AUTO_ENSEMBLE_SERIES == 3
    assert resolve_ensemble(auto, series=False).ensemble == 1
    assert resolve_ensemble(ModelConfig(ensemble=2), series=False).ensemble == 2  # a number the user gave stays
    with pytest.raises(ValueError, match="auto"):
        build_model(auto)

    table = prepare_data(wine_frame(), seed=0)
    rng = np.random.default_rng(0)
    t = np.arange(24)
    rows = [np.sin(t / (2 + k % 2)) + rng.normal(0, 0.1, 24) for k in range(60)]
    frame = pd.DataFrame(np.array(rows), columns=[f"x_{i}" for i in range(24)])
    frame["label"] = ["slow" if k % 2 else "fast" for k in range(60)]
    series = prepare_data(frame, seed=0)
    assert series.series is not None and members_for(auto, series) == 3 and members_for(auto, table) == 1

    one = fit(table, auto, TrainConfig(epochs=1, seed=0)).trained
    three = fit(series, auto, TrainConfig(epochs=1, seed=0)).trained
    assert one.model_config.ensemble == 1 and not isinstance(one.model, EnsembleNet)
    assert three.model_config.ensemble == 3 and isinstance(three.model, EnsembleNet)
    again = load_checkpoint(save_checkpoint(three, tmp_path / "auto.pth"))
    assert again.model_config.ensemble == 3
