"""Explanations of the hybrid model: SHAP values, Grad-CAM and attention (no Qt, no pyplot).

Each explainer has one verb: `ShapExplainer.explain(X)`, `GradCAM.attribute(x)`,
`AttentionExplainer.attribute(x)`. Heavy imports (shap, sklearn) happen inside the methods that
need them.
"""

from .attention import AttentionExplainer, AttentionResult, position_labels
from .gradcam import GradCAM, GradCamResult
from .shap_engine import (
    ADDITIVITY_TOLERANCE,
    METHOD_LABELS,
    METHODS,
    ExplanationCancelled,
    ShapExplainer,
    ShapProgress,
    ShapResult,
    clear_cache,
    select_background,
)

__all__ = [
    "ADDITIVITY_TOLERANCE", "METHODS", "METHOD_LABELS", "AttentionExplainer", "AttentionResult", "ExplanationCancelled",
    "GradCAM", "GradCamResult", "ShapExplainer", "ShapProgress", "ShapResult", "clear_cache", "position_labels",
    "select_background",
]
