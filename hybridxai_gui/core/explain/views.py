"""Each view's scores per unit (feature or segment) for the explained class: what faithfulness ranks by.

SHAP: its values in probability units (when computed). Grad-CAM and attention: their maps over time, repeated
over the channels (`per_feature`), averaged over each unit's features.
"""

from __future__ import annotations

import numpy as np
from torch import nn

from .attention import AttentionExplainer, AttentionResult
from .gradcam import GradCAM, GradCamResult
from .groups import per_unit
from .shap_result import ShapResult


def view_scores(model: nn.Module, X: np.ndarray, targets: np.ndarray, units=None, feature_names=None,
                class_names=None) -> tuple[GradCamResult, AttentionResult, dict[str, np.ndarray]]:
    """Grad-CAM (of `targets`) and attention of the rows X, and their per-unit scores for the faithfulness."""
    cam = GradCAM(model, class_names=class_names).attribute(X, target=targets)
    att = AttentionExplainer(model, feature_names).attribute(X)
    return cam, att, {"gradcam": per_unit(cam.per_feature(), units), "attention": per_unit(att.per_feature(), units)}


def map_scores(view: str, model: nn.Module, X: np.ndarray, targets: np.ndarray, units=None) -> np.ndarray:
    """(R, U) per-unit scores of one map view ("gradcam" or "attention")."""
    if view == "gradcam":
        return per_unit(GradCAM(model).attribute(X, target=targets).per_feature(), units)
    return per_unit(AttentionExplainer(model).attribute(X).per_feature(), units)


def shap_scores(result: ShapResult, targets: np.ndarray) -> np.ndarray:
    """(R, U) SHAP values in probability units (when computed) for each row's explained class."""
    shown = result.in_units("probability") if "probability" in result.available_units else result
    return shown.values[np.arange(shown.n_rows), :, np.asarray(targets)]


__all__ = ["map_scores", "shap_scores", "view_scores"]
