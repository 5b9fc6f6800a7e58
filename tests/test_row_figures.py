"""The one-row figures the Explanations tab paints render for every view, for 2 and 3 classes."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import ShapExplainer
from hybridxai_gui.core.explain.rows import row_views
from hybridxai_gui.core.model.network import HybridCNNLSTMAttention
from hybridxai_gui.plotting.row_figures import (SHAP_VIEWS, draw_attention_figure, draw_gradcam_figure,
                                                draw_shap_view)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_view_renders(n_classes, tmp_path):
    torch.manual_seed(0)
    F = 6
    model = HybridCNNLSTMAttention(ModelConfig(n_features=F, n_classes=n_classes)).eval()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, F)).astype(np.float32)
    names = [f"sensor {i}" for i in range(F)]
    classes = [f"class {c}" for c in range(n_classes)]
    result = ShapExplainer(model, rng.normal(size=(10, F)).astype(np.float32), "exact", feature_names=names,
                           class_names=classes).explain(X, rows=[3, 5, 7, 9])
    views = row_views(model, X[1:2], None, names, classes)
    for view in SHAP_VIEWS:
        fig = Figure(figsize=(8, 6))
        draw_shap_view(fig, result, view, None, 1, X[1:2], 5, views)
        assert fig.axes, view
        fig.savefig(tmp_path / f"{view}.png")
    first = row_views(model, X[:1], n_classes - 1, names, classes)
    fig = Figure()
    draw_gradcam_figure(fig, X[:1], first.gradcam, names, 3, "predicted")
    assert fig.axes[0].get_title(loc="left").startswith("Row 3")
    fig = Figure()
    draw_attention_figure(fig, first.attention, names, 3, head=1)
    assert len(fig.axes) >= 2
    with pytest.raises(ValueError):
        draw_shap_view(Figure(), result, "pie")
