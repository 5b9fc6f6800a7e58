"""Faithfulness on trained models: SHAP beats the random ordering on breast cancer and wine, and on a series
where only a known span carries the class, the view with the best deletion area is one that finds the span.

Each model trains in a few seconds (a small network, a plain Adam loop, one torch thread)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import select_background
from hybridxai_gui.core.explain.run import iter_explanation_run
from hybridxai_gui.core.jobs import drain
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)


def train(X, y, n_classes, epochs=40, seed=0, kernel_size=3):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(n_features=X.shape[1], n_classes=n_classes, cnn_channels=8, lstm_hidden=8,
                                    lstm_layers=1, num_heads=2, kernel_size=kernel_size, dropout=0.0))
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    Xt, yt = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(Xt), generator=g).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx])[0], yt[idx]).backward()
            opt.step()
    return model.eval()


def sklearn_set(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    ds = datasets.load_breast_cancer() if name == "breast_cancer" else datasets.load_wine()
    Xtr, Xte, ytr, yte = train_test_split(ds.data, ds.target, test_size=0.3, random_state=0, stratify=ds.target)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    return (Xtr - mu) / sd, ytr, (Xte - mu) / sd, yte, [str(c) for c in ds.target_names]


def explain(model, X, background, names, classes, kind="table"):
    return drain(iter_explanation_run(model, X, background, feature_names=names, class_names=classes,
                                           kind=kind, sanity=False))


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_shap_deletion_area_below_random(name):
    Xtr, ytr, Xte, yte, classes = sklearn_set(name)
    model = train(Xtr, ytr, len(classes))
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(Xte.astype(np.float32)))[0].argmax(1).numpy() == yte).mean())
    assert accuracy > 0.85
    bg = select_background(Xtr, 50, "random", seed=0)
    run = explain(model, Xte[:24], bg, [f"x{i}" for i in range(Xtr.shape[1])], classes)
    faith = run.faithfulness
    assert faith.mean_deletion("shap") < faith.mean_deletion("random") - 0.03
    assert faith.mean_insertion("shap") > faith.mean_insertion("random") + 0.03
    assert faith.ranking()[0] == "shap"
    for view in faith.views.values():  # every area on [0, 1]
        assert ((view.deletion_auc >= 0) & (view.deletion_auc <= 1)).all()
        assert ((view.insertion_auc >= 0) & (view.insertion_auc <= 1)).all()
    assert "no order" in faith.views["gradcam"].caveat  # a table: the maps are flagged


SPAN = np.arange(8, 12)


def test_the_view_with_the_best_deletion_area_finds_the_span():
    rng = np.random.default_rng(0)
    n, length = 240, 32
    X = rng.normal(0, 0.3, size=(n, length))
    y = np.arange(n) % 2
    X[y == 1, SPAN[0]:SPAN[-1] + 1] += 2.0  # only this span tells the classes apart
    model = train(X[:200], y[:200], 2, epochs=30)
    rows = X[200:][y[200:] == 1][:10]
    run = explain(model, rows, select_background(X[:200], 50, "random", seed=0),
                  [f"t{i:02d}" for i in range(length)], ["flat", "bump"], kind="series")
    faith = run.faithfulness
    scores = {"shap": run.shap.in_units("probability").values[:, :, 1],
              "gradcam": run.gradcam.per_feature(), "attention": run.attention.per_feature()}

    def finds_span(s):  # share of each row's top-4 features inside the span
        top = np.argsort(-s, axis=1)[:, :4]
        return float(np.isin(top, SPAN).mean())

    best = faith.ranking()[0]
    assert best != "random"
    assert finds_span(scores[best]) >= 0.75, (best, {k: finds_span(v) for k, v in scores.items()})
    assert finds_span(scores["shap"]) >= 0.75
    assert faith.mean_deletion("shap") < faith.mean_deletion("random") - 0.1
    assert faith.views["gradcam"].caveat == ""  # a series: no table caveat
