"""Whole figures for one explained row, as the Explanations tab shows them (Qt-free, computes nothing).

Each function fills a given matplotlib Figure from results the core computed (core.explain.rows.row_views
for Grad-CAM and attention, a ShapResult for SHAP); the tab only decides when to paint.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import setup_text  # noqa: F401  (names as typed, CJK glyphs: set up on import)

# The one-row waterfall (signed, the explained class) comes first: it is the default view.
SHAP_VIEWS = ("waterfall", "force", "bar", "beeswarm", "heatmap", "comparison")


def shap_per_feature(result, position: int, class_index: int) -> np.ndarray:
    """(F,) one SHAP value per input feature: a group's value spread evenly over its features."""
    values = result.values[position, :, class_index]
    groups = getattr(result, "groups", None)
    if groups is None:
        return values
    out = np.zeros(result.X.shape[1])
    for g, members in enumerate(groups):
        out[np.asarray(members)] = values[g] / len(members)
    return out


def _per_feature(view) -> np.ndarray:
    return view.per_feature() if hasattr(view, "per_feature") else (
        view.heatmap if hasattr(view, "heatmap") else view.received_upsampled)


def draw_gradcam_figure(fig, x: np.ndarray, cam, feature_names: Sequence[str], row: int, which: str) -> None:
    """Grad-CAM (a GradCamResult of the single row `x` (1, F)), titled with the row number."""
    from .map_plots import draw_gradcam

    draw_gradcam(fig.add_subplot(), x[0], cam.heatmap[0], list(feature_names),
                 title=f"Row {row}: {cam.message(0)} ({which})", no_evidence=bool(cam.no_evidence[0]))


def draw_attention_figure(fig, att, feature_names: Sequence[str], row: int, head: int | None = None) -> None:
    """The attention map (mean or one head) over the received-attention line (an AttentionResult of one row)."""
    from .map_plots import draw_attention, draw_received_attention

    gs = fig.add_gridspec(2, 1, height_ratios=[3, 1.2])
    draw_attention(fig.add_subplot(gs[0]), att, 0, head=head, prefix=f"Row {row}: ")
    draw_received_attention(fig.add_subplot(gs[1]), att, 0, list(feature_names))


def draw_shap_view(fig, result, view: str, class_index: int | None = None, position: int | None = None,
                   x: np.ndarray | None = None, row: int | None = None, views=None, series=None,
                   own_length: int | None = None) -> None:
    """One of SHAP_VIEWS. Per-row views need `position` (the row's index in `result`); the comparison also
    needs the row's input `x` (1, F) and its RowViews (Grad-CAM of the shown class, attention).
    `class_index` None = the predicted class."""
    from . import explain_plots as ep

    if view == "bar":
        ep.draw_shap_bar(fig.add_subplot(), result)
    elif view == "beeswarm":
        ep.draw_beeswarm(fig.add_subplot(), result, class_index)
    elif view == "heatmap":
        ep.draw_shap_heatmap(fig.add_subplot(), result, class_index)
    elif view in ("waterfall", "force", "comparison"):
        r = int(position)
        c = int(result.predicted[r]) if class_index is None else class_index
        if view == "waterfall":
            ep.draw_waterfall(fig.add_subplot(), result, r, c)
        elif view == "force":
            ep.draw_force(fig.add_subplot(), result, r, c)
        elif series is not None:  # which channel, and when, on the series' own time axis
            from .series_plots import draw_series_explanation

            draw_series_explanation(fig, x[0].reshape(series.n_channels, -1), result.values[r, :, c],
                                    result.unit_features(), list(series.channels), views.gradcam.heatmap[0],
                                    views.attention.received_upsampled[0], own_length, result.class_names[c],
                                    title=f"Row {row}: which channel, and when, for class {result.class_names[c]}",
                                    units=getattr(result, "units", "probability"),
                                    padded=bool(getattr(series, "padded", False)))
        else:
            name = result.class_names[c]
            names = result.input_names if getattr(result, "input_names", None) else result.feature_names
            ep.comparison_figure(fig, x[0], shap_per_feature(result, r, c), _per_feature(views.gradcam)[0],
                                 _per_feature(views.attention)[0], names, name, title=f"Row {row}: class {name}")
    else:
        raise ValueError(f"unknown SHAP view {view!r}; one of {SHAP_VIEWS}")
