"""The network's table front end (issue 24.5): each column one token, a text column's one-hot parts one token (a
learned embedding), gated on the data being a table, recorded in the model config and checked in model files."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import CheckpointError, HybridXAIError
from hybridxai_gui.core.model.network import ColumnTokens, build_model
from hybridxai_gui.core.training.loop import table_tokens

from helpers import fit
from test_text_columns import penguin_frame

SMALL = ModelConfig(cnn_channels=4, lstm_hidden=4, num_heads=1, kernel_size=3)


def test_column_tokens_are_a_per_column_linear_map_and_an_embedding_of_text_parts():
    tokens = ColumnTokens((3, 1), d=2)
    with torch.no_grad():
        tokens.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [5.0, -1.0]]))
        tokens.bias.copy_(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    x = torch.tensor([[0.0, 1.0, 0.0, 2.0]])  # text column: its second value; numeric column: 2
    out = tokens(x).detach()  # (B, d, G)
    assert out.shape == (1, 2, 2)
    np.testing.assert_allclose(out[0, :, 0].numpy(), [0.5, 1.5])  # the second value's embedding + the bias
    np.testing.assert_allclose(out[0, :, 1].numpy(), [11.0, -2.0])  # 2 * (5, -1) + (1, 0)
    assert tokens.spans == [(0, 3), (3, 4)]


def test_periodic_numbers_and_linear_text_parts():
    tokens = ColumnTokens((3, 1, 1), d=4, kind="periodic")
    assert tokens.weight.shape == (3, 4) and tokens.frequencies.shape == (2, 8)
    out = tokens(torch.randn(5, 5))
    assert out.shape == (5, 4, 3) and torch.isfinite(out).all()


def test_a_table_gets_its_column_sizes_and_a_series_never_gets_tokens():
    data = prepare_data(penguin_frame(), label="species")
    config = table_tokens(replace(SMALL, tokens="linear"), data)
    assert config.column_sizes == (3, 1, 3)
    from test_series import recordings, to_wide

    series = prepare_data(to_wide(recordings(n_series=12, length=10)), label="activity")
    assert series.series is not None
    assert table_tokens(replace(SMALL, tokens="linear"), series) == replace(SMALL, tokens="none")
    with pytest.raises(HybridXAIError, match="do not add up"):
        replace(SMALL, n_features=7, tokens="linear", column_sizes=(3, 1, 2)).validate()


@pytest.fixture(scope="module")
def token_model():
    data = prepare_data(penguin_frame(), label="species", test_size=0.2)
    result = fit(data, replace(SMALL, tokens="linear", position_channel=True),
                 TrainConfig(epochs=40, seed=0, augment="off"))
    return result.trained, data


def test_a_token_network_trains_saves_and_loads(token_model, tmp_path):
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

    trained, data = token_model
    assert trained.model_config.tokens == "linear" and trained.model_config.column_sizes == (3, 1, 3)
    assert (trained.predict_logits(data.X_test).argmax(1) == data.y_test).mean() > 0.8
    back = load_checkpoint(save_checkpoint(trained, tmp_path / "t.pth"))
    np.testing.assert_allclose(back.predict_logits(data.X_test), trained.predict_logits(data.X_test), atol=1e-6)
    payload = torch.load(tmp_path / "t.pth", weights_only=True)
    payload["model_config"]["column_sizes"] = [3, 1, 2]
    torch.save(payload, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="column sizes"):
        load_checkpoint(tmp_path / "bad.pth")
    payload["model_config"]["column_sizes"] = [3, 1, 3]
    payload["model_config"]["tokens"] = "quantum"
    torch.save(payload, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="column tokens"):
        load_checkpoint(tmp_path / "bad.pth")


def test_grad_cam_and_attention_speak_of_columns(token_model):
    from hybridxai_gui.core.explain.attention import AttentionExplainer
    from hybridxai_gui.core.explain.gradcam import GradCAM

    trained, data = token_model
    cam = GradCAM(trained.model).attribute(data.X_test[:4])
    assert cam.raw.shape == (4, 3) and cam.per_feature().shape == (4, 7)
    np.testing.assert_array_equal(cam.heatmap[:, 0], cam.heatmap[:, 2])  # island's parts share island's value
    att = AttentionExplainer(trained.model, trained.feature_names).attribute(data.X_test[:4])
    assert att.labels == ["island", "bill_length_mm", "sex"] and att.per_feature().shape == (4, 7)


def test_old_model_configs_build_the_reference_network():
    config = ModelConfig(n_features=10, n_classes=3)
    assert config.tokens == "none" and build_model(config).token_spans is None
    names = set(build_model(config).state_dict())
    assert not any(n.startswith("columns.") for n in names)


def test_bins_take_their_edges_from_the_training_rows_and_keep_them_in_the_file(tmp_path):
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

    tokens = ColumnTokens((1, 2), d=3, kind="bins", k=4)
    X = torch.tensor([[float(i), 1.0, 0.0] for i in range(9)])  # the number: 0 … 8
    tokens.fit_edges(X)
    np.testing.assert_allclose(tokens.edges.numpy(), [[0.0, 2.0, 4.0, 6.0, 8.0]])  # its quartiles
    assert not hasattr(tokens, "frequencies") and tokens.weight.shape == (3, 3)  # text parts: linear only
    data = prepare_data(penguin_frame(), label="species", test_size=0.2)
    trained = fit(data, replace(SMALL, tokens="bins"), TrainConfig(epochs=2, seed=0)).trained
    edges = trained.model.columns.edges.numpy()
    expected = np.quantile(data.X_train[:, 3], np.linspace(0, 1, 9))
    np.testing.assert_allclose(edges[0], expected, rtol=1e-5, atol=1e-5)
    back = load_checkpoint(save_checkpoint(trained, tmp_path / "b.pth"))
    np.testing.assert_array_equal(back.model.columns.edges.numpy(), edges)
