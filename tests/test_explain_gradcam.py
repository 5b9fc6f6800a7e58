"""Grad-CAM: peaks where the evidence is, flags all-zero maps, leaves no hook, equals captum."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import GradCAM
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)
F = 32
BUMP = slice(20, 26)  # the only place where class 1 differs from class 0


def bump_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.3, size=(n, F)).astype(np.float32)
    y = rng.integers(0, 2, size=n)
    X[y == 1, BUMP] += 2.5
    return X, y


@pytest.fixture(scope="module")
def bump_model():
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=F, n_classes=2, cnn_channels=8, lstm_hidden=8, lstm_layers=1,
                                    num_heads=2, dropout=0.0))
    X, y = bump_data(256, 0)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(15):
        for idx in torch.randperm(len(X)).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx])[0], yt[idx]).backward()
            opt.step()
    opt.zero_grad(set_to_none=True)  # so the tests can see that Grad-CAM leaves .grad alone
    model.eval()
    Xte, yte = bump_data(64, 1)
    with torch.no_grad():
        acc = (model(torch.from_numpy(Xte))[0].argmax(1).numpy() == yte).mean()
    assert acc > 0.95
    return model


def test_peaks_in_the_evidence_span(bump_model):
    X, y = bump_data(40, 2)
    rows = X[y == 1][:10]
    res = GradCAM(bump_model).attribute(rows, target=1)
    assert res.heatmap.shape == (10, F) and res.raw.shape == (10, bump_model.seq_len)
    peaks = res.heatmap.argmax(axis=1)
    # the peak lies on the bump, give or take the receptive field of one pooled position
    assert ((peaks >= BUMP.start - 4) & (peaks < BUMP.stop + 4)).mean() >= 0.9, peaks
    inside = res.heatmap[:, BUMP].mean()
    outside = np.concatenate([res.heatmap[:, :BUMP.start - 4], res.heatmap[:, BUMP.stop + 4:]], axis=1).mean()
    assert inside > 2 * outside
    assert np.all((res.heatmap >= 0) & (res.heatmap <= 1))
    np.testing.assert_allclose(res.heatmap.max(axis=1)[~res.no_evidence], 1.0)


def test_default_target_is_predicted(bump_model):
    X, _ = bump_data(8, 3)
    res = GradCAM(bump_model).attribute(X)
    np.testing.assert_array_equal(res.target, res.predicted)
    per_row = GradCAM(bump_model).attribute(X, target=np.array([0, 1] * 4))
    assert list(per_row.target) == [0, 1] * 4


def test_all_zero_map_is_flagged_not_nan():
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=12, n_classes=3, cnn_channels=4, lstm_hidden=4, num_heads=2)).eval()
    with torch.no_grad():  # the layer's output is identically zero: no evidence for any class
        model.block2.norm.weight.zero_()
        model.block2.norm.bias.zero_()
    res = GradCAM(model, class_names=["a", "b", "c"]).attribute(np.random.default_rng(0).normal(size=(3, 12)),
                                                                target=2)
    assert np.isfinite(res.heatmap).all() and np.isfinite(res.raw).all()
    assert res.no_evidence.all()
    assert (res.heatmap == 0).all()
    assert "no positive evidence" in res.message(0)


def hooks_of(module):
    return (len(module._forward_hooks), len(module._forward_pre_hooks), len(module._backward_hooks),
            len(getattr(module, "_backward_pre_hooks", {})))


def test_no_hooks_left_behind(bump_model):
    layer = bump_model.gradcam_layer
    before = hooks_of(layer)
    assert before == (0, 0, 0, 0)
    GradCAM(bump_model).attribute(np.zeros((2, F), np.float32))
    assert hooks_of(layer) == before
    with pytest.raises(ValueError):  # a bad target fails inside the hooked region
        GradCAM(bump_model).attribute(np.zeros((2, F), np.float32), target=7)
    assert hooks_of(layer) == before

    original = bump_model.fc.forward

    def boom(_x):
        raise RuntimeError("forward failed")

    bump_model.fc.forward = boom
    try:
        with pytest.raises(RuntimeError, match="forward failed"):
            GradCAM(bump_model).attribute(np.zeros((2, F), np.float32))
    finally:
        bump_model.fc.forward = original
    assert hooks_of(layer) == before
    assert all(p.grad is None for p in bump_model.parameters())


def test_restores_training_mode(bump_model):
    bump_model.train()
    try:
        GradCAM(bump_model).attribute(np.zeros((1, F), np.float32))
        assert bump_model.training
    finally:
        bump_model.eval()


@pytest.mark.parametrize("n_features,n_classes,position_channel", [(32, 2, False), (13, 3, False), (5, 4, False),
                                                                  (32, 2, True), (13, 3, True)])
def test_equals_captum(n_features, n_classes, position_channel):
    captum_attr = pytest.importorskip("captum.attr")
    torch.manual_seed(n_features)
    model = build_model(ModelConfig(n_features=n_features, n_classes=n_classes, cnn_channels=6, lstm_hidden=8,
                                    num_heads=2, position_channel=position_channel)).eval()
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(6, n_features)).astype(np.float32))
    for target in range(n_classes):
        ours = GradCAM(model).attribute(x.numpy(), target=target).raw
        ref = captum_attr.LayerGradCam(lambda inp: model(inp)[0], model.gradcam_layer).attribute(
            x, target=target, relu_attributions=True)
        np.testing.assert_allclose(ours, ref[:, 0].detach().double().numpy(), atol=1e-6)
