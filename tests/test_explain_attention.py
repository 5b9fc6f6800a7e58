"""Attention explainer: shapes, head averaging, received attention and span labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import AttentionExplainer, position_labels
from hybridxai_gui.core.model.network import build_model, position_spans

torch.set_num_threads(1)


@pytest.mark.parametrize("n_features", [4, 10, 30, 150])
def test_shapes_and_normalisation(n_features):
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=n_features, n_classes=3, cnn_channels=4, lstm_hidden=4,
                                    num_heads=2)).eval()
    x = np.random.default_rng(0).normal(size=(5, n_features)).astype(np.float32)
    res = AttentionExplainer(model).attribute(x)
    L = model.seq_len
    assert res.mean.shape == (5, L, L)
    assert res.per_head.shape == (5, 2, L, L)
    assert res.received.shape == (5, L)
    assert res.received_upsampled.shape == (5, n_features)
    assert len(res.labels) == len(res.spans) == L
    np.testing.assert_allclose(res.mean.sum(axis=2), 1.0, atol=1e-5)  # each query's weights sum to 1
    np.testing.assert_allclose(res.received.sum(axis=1), 1.0, atol=1e-5)
    with torch.no_grad():
        _, averaged = model(torch.from_numpy(x))
    np.testing.assert_allclose(res.mean, averaged.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(res.per_head.mean(axis=1), res.mean, atol=1e-12)
    assert res.received_upsampled.min() >= res.received.min() - 1e-9
    assert res.received_upsampled.max() <= res.received.max() + 1e-9


def test_labels_follow_position_spans():
    assert position_spans(10) == [(0, 4), (4, 10)]
    assert position_labels(10) == ["features 1–4", "features 5–10"]
    names = [f"f{i}" for i in range(1, 11)]
    assert position_labels(10, names) == ["f1–f4", "f5–f10"]
    assert position_labels(3) == ["feature 1", "feature 2", "feature 3"]


def test_labels_cover_every_feature():
    for n in (4, 7, 13, 30, 31, 150):
        spans = position_spans(n)
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
