"""SHAP engine: exact values against a brute force, additivity, shapes, auto choice, cache, cancel."""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.explain import (
    ExplanationCancelled,
    ShapExplainer,
    ShapProgress,
    clear_cache,
    select_background,
)
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)


def tiny_model(n_features: int, n_classes: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    cfg = ModelConfig(n_features=n_features, n_classes=n_classes, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                      num_heads=2, dropout=0.0)
    model = build_model(cfg).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics so the model is not near-linear
        for block in (model.block1, model.block2):
            block.norm.running_mean.uniform_(-0.2, 0.2)
            block.norm.running_var.uniform_(0.2, 0.6)
    return model


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(1)
    F = 6
    model = tiny_model(F, 3)
    bg = rng.normal(size=(5, F)).astype(np.float32)
    X = rng.normal(size=(3, F)).astype(np.float32) * 1.5
    return model, bg, X


def brute_force_shapley(model, bg, X):
    """Shapley values by the subset formula, one coalition at a time (no code shared with the engine)."""
    F = X.shape[1]

    def v(x, S):
        z = bg.copy()
        z[:, list(S)] = x[list(S)]
        with torch.no_grad():
            return model(torch.from_numpy(z))[0].double().numpy().mean(axis=0)

    out = []
    for x in X:
        phi = np.zeros((F, v(x, ()).shape[0]))
        for i in range(F):
            others = [j for j in range(F) if j != i]
            for k in range(F):
                w = math.factorial(k) * math.factorial(F - k - 1) / math.factorial(F)
                for S in itertools.combinations(others, k):
                    phi[i] += w * (v(x, S + (i,)) - v(x, S))
        out.append(phi)
    return np.stack(out)


def test_exact_matches_brute_force(small):
    model, bg, X = small
    res = ShapExplainer(model, bg, "exact").explain(X)
    ref = brute_force_shapley(model, bg, X)
    assert res.method == "exact"
    np.testing.assert_allclose(res.values, ref, atol=1e-6)
    assert res.additive and res.additivity_gap < 1e-5


@pytest.mark.parametrize("method", ["exact", "permutation", "kernel"])
def test_additive_methods_are_additive(small, method):
    model, bg, X = small
    res = ShapExplainer(model, bg, method, n_permutations=40).explain(X)
    with torch.no_grad():
        logits = model(torch.from_numpy(X))[0].double().numpy()
    np.testing.assert_allclose(res.model_output, logits, atol=1e-5)
    np.testing.assert_allclose(res.base_values + res.values.sum(axis=1), logits, atol=1e-4)
    assert res.additive, res.additivity_message
    assert "OK" in res.additivity_message


def test_permutation_converges_to_exact(small):
    model, bg, X = small
    exact = ShapExplainer(model, bg, "exact").explain(X).values
    approx = ShapExplainer(model, bg, "permutation", n_permutations=2000).explain(X).values
    assert np.abs(approx - exact).mean() / np.abs(exact).mean() < 0.05


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("method", ["exact", "permutation", "gradient"])
def test_shapes_pinned(method, n_classes):
    F, R = 5, 4
    model = tiny_model(F, n_classes)
    rng = np.random.default_rng(0)
    res = ShapExplainer(model, rng.normal(size=(6, F)), method, n_permutations=12, gradient_samples=8,
                        class_names=[f"c{i}" for i in range(n_classes)]).explain(
        rng.normal(size=(R, F)), rows=[10, 11, 12, 15])
    assert res.values.shape == (R, F, n_classes)  # (rows, features, classes), as shap 0.51
    assert res.values.dtype == np.float64
    assert res.base_values.shape == (n_classes,)
    assert res.model_output.shape == (R, n_classes)
    assert res.predicted.shape == (R,)
    assert list(res.rows) == [10, 11, 12, 15]
    assert res.X.shape == (R, F)
    assert res.background_size == 6
    assert res.feature_names == [f"f{i + 1}" for i in range(F)]
    assert res.mean_abs().shape == (F, n_classes)


class Wobbly(nn.Module):
    """A strongly curved model: expected gradients with few samples misses its output."""

    def forward(self, x):
        return torch.stack([torch.sin(3 * x).sum(1) * 2, torch.cos(2 * x).prod(1)], dim=1)


def test_failed_additivity_is_reported():
    rng = np.random.default_rng(0)
    res = ShapExplainer(Wobbly(), rng.normal(size=(10, 4)), "gradient", gradient_samples=2).explain(
        rng.normal(size=(3, 4)))
    assert not res.additive
    assert res.additivity_gap > 1e-2
    assert "FAILED" in res.additivity_message and "approximation" in res.additivity_message


def test_auto_choice():
    assert ShapExplainer.choose_method("auto", 4, 100) == "exact"
    assert ShapExplainer.choose_method("auto", 11, 100) == "exact"
    assert ShapExplainer.choose_method("auto", 12, 100) == "permutation"
    assert ShapExplainer.choose_method("auto", 30, 100) == "permutation"
    assert ShapExplainer.choose_method("auto", 13, 20) == "exact"
    assert ShapExplainer.choose_method("kernel", 4, 100) == "kernel"
    model = tiny_model(4, 2)
    assert ShapExplainer(model, np.zeros((3, 4)), "auto").method == "exact"


def test_cache_hit_and_misses(small):
    model, bg, X = small
    first = ShapExplainer(model, bg, "permutation", n_permutations=20).explain(X)
    again = ShapExplainer(model, bg, "permutation", n_permutations=20).explain(X)
    assert not first.from_cache and again.from_cache
    np.testing.assert_array_equal(first.values, again.values)
    assert not ShapExplainer(model, bg[:4], "permutation", n_permutations=20).explain(X).from_cache
    assert not ShapExplainer(model, bg, "exact").explain(X).from_cache
    assert not ShapExplainer(model, bg, "permutation", n_permutations=20).explain(X, rows=[7, 8, 9]).from_cache
    other = tiny_model(6, 3, seed=5)
    assert not ShapExplainer(other, bg, "permutation", n_permutations=20).explain(X).from_cache


def test_cancel_before_and_during(small):
    model, bg, X = small
    stop = threading.Event()
    stop.set()
    with pytest.raises(ExplanationCancelled):
        ShapExplainer(model, bg, "exact", cache=False).explain(X, cancel=stop)

    calls = {"n": 0}

    def cancel_later():
        calls["n"] += 1
        return calls["n"] > 2

    gen = ShapExplainer(model, bg, "permutation", batch_rows=8, cache=False).iter_explain(X, cancel=cancel_later)
    items = []
    with pytest.raises(StopIteration) as stop_info:
        while True:
            items.append(next(gen))
    assert stop_info.value.value is None
    assert all(isinstance(i, ShapProgress) for i in items)


def test_progress_reaches_total(small):
    model, bg, X = small
    gen = ShapExplainer(model, bg, "permutation", n_permutations=10, cache=False).iter_explain(X)
    items = []
    try:
        while True:
            items.append(next(gen))
    except StopIteration as stop:
        result = stop.value
    assert items[-1].done == items[-1].total == len(X)
    assert result.values.shape == (3, 6, 3)
    assert not torch.is_inference_mode_enabled()


def test_model_mode_restored(small):
    model, bg, X = small
    model.train()
    try:
        ShapExplainer(model, bg, "exact", cache=False).explain(X[:1])
        assert model.training
    finally:
        model.eval()


def test_bad_inputs(small):
    model, bg, X = small
    with pytest.raises(HybridXAIError, match="method"):
        ShapExplainer(model, bg, "deep")
    with pytest.raises(HybridXAIError, match="features"):
        ShapExplainer(model, bg, "exact").explain(X[:, :4])
    with pytest.raises(HybridXAIError, match="missing or infinite"):
        ShapExplainer(model, bg, "exact").explain(np.full((1, 6), np.nan))


def test_select_background():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    a = select_background(X, 50, "random", seed=1)
    assert a.shape == (50, 4) and len(np.unique(a, axis=0)) == 50
    np.testing.assert_array_equal(a, select_background(X, 50, "random", seed=1))
    km = select_background(X, 20, "kmeans", seed=0)
    assert km.shape[1] == 4 and 1 <= len(km) <= 20
    assert all((X == row).all(axis=1).any() for row in km)  # real training rows
    assert select_background(X[:10], 100).shape == (10, 4)
    with pytest.raises(HybridXAIError):
        select_background(X, 10, "median")


def test_our_kernel_shap_is_exact_when_every_coalition_fits_and_agrees_with_shaps():
    """Kernel SHAP without the shap package at run time: with all 2^F − 2 coalitions it is the exact Shapley
    value; sampled (F = 14) it is as close to exact as shap's own KernelExplainer."""
    from hybridxai_gui.core.config import ModelConfig
    from hybridxai_gui.core.model.network import HybridCNNLSTMAttention

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for F, sampled in ((7, False), (14, True)):
        model = HybridCNNLSTMAttention(ModelConfig(n_features=F, n_classes=2)).eval()
        bg, X = rng.normal(size=(12, F)).astype(np.float32), rng.normal(size=(2, F)).astype(np.float32)
        exact = ShapExplainer(model, bg, "exact").explain(X).values
        ours = ShapExplainer(model, bg, "kernel").explain(X)
        assert ours.additive
        error = np.abs(ours.values - exact).mean() / np.abs(exact).mean()
        if not sampled:
            assert error < 1e-5  # float32 forward passes in other batches: noise, not method error
            continue
        shap = pytest.importorskip("shap")
        np.random.seed(0)
        logits = lambda x: model(torch.from_numpy(np.asarray(x, dtype=np.float32)))[0].detach().numpy()  # noqa: E731
        reference = np.asarray(shap.KernelExplainer(logits, bg).shap_values(X, nsamples=2 * F + 2048, l1_reg=False,
                                                                          silent=True))
        reference = reference if reference.shape == exact.shape else np.moveaxis(reference, 0, -1)
        theirs = np.abs(reference - exact).mean() / np.abs(exact).mean()
        assert error < max(0.05, 2 * theirs), (error, theirs)
