"""Explanations of the hybrid model: SHAP values, Grad-CAM and attention, and how far to trust them
(no Qt, no pyplot).

Each explainer has one verb: `ShapExplainer.explain(X)`, `GradCAM.attribute(x)`,
`AttentionExplainer.attribute(x)`. `faithfulness` measures each view by deletion and insertion,
`sanity` re-explains a randomised model, `summary` words one row, and `run` chains them for the app and
the command line. Heavy imports (shap, sklearn, captum) happen inside the functions that need them.
"""

from .attention import AttentionExplainer, AttentionResult, position_labels
from .gradcam import GradCAM, GradCamResult
from .groups import segment_groups
from .shap_engine import (
    ADDITIVITY_TOLERANCE,
    METHOD_LABELS,
    METHODS,
    OUTPUTS,
    ExplanationCancelled,
    ShapExplainer,
    ShapProgress,
    ShapResult,
    clear_cache,
    select_background,
)

__all__ = [
    "ADDITIVITY_TOLERANCE", "METHODS", "METHOD_LABELS", "OUTPUTS", "AttentionExplainer", "AttentionResult",
    "ExplanationCancelled", "GradCAM", "GradCamResult", "ShapExplainer", "ShapProgress", "ShapResult", "clear_cache",
    "position_labels", "segment_groups", "select_background",
]
