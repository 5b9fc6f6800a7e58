"""Explaining the rows of a table with a trained model: which rows, which background, SHAP for them, and
Grad-CAM and attention for the same rows. The command line and the app both call this; writing files and
drawing figures is theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import HybridXAIError, setting
from .attention import AttentionExplainer, AttentionResult
from .gradcam import GradCAM, GradCamResult
from .shap_engine import ShapExplainer, ShapProgress, ShapResult, select_background

DEFAULT_MAX_ROWS = 10  # rows=None explains the first rows of the file (the CLI help says "the first 10")
# SHAP's background: at most this many rows (a seeded random sample of what is given or stored). 50 rows keep
# 100 breast-cancer rows (30 features) within the explain command's time budget; measured against 100 rows in
# benchmarks/README.md ("Explain").
BACKGROUND_ROWS = 50


def parse_rows(spec: str | None, n_rows: int) -> list[int]:
    """'0-9,15' -> [0, ..., 9, 15] (0-based data rows, sorted, unique). Strict: names the bad part."""
    if n_rows == 0:
        raise HybridXAIError("The data file has no rows to explain.")
    if spec is None or not str(spec).strip():
        return list(range(min(n_rows, DEFAULT_MAX_ROWS)))
    rows: set[int] = set()
    option = setting("rows")
    for part in str(spec).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise HybridXAIError(
                f"Cannot read the row selection '{part}' in {option} '{spec}': use 0-based row numbers and ranges, "
                f"e.g. 0-9,15.")
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) is not None else start
        if end < start:
            raise HybridXAIError(f"Row range '{part}' in {option} runs backwards: write it as {end}-{start}.")
        if end >= n_rows:
            raise HybridXAIError(
                f"Row {end} in {option} '{spec}' is out of range: the data has {n_rows} rows (0-{n_rows - 1}).")
        rows.update(range(start, end + 1))
    return sorted(rows)


def true_classes(trained, frame, label: str | None = None, source: str = "data") -> np.ndarray | None:
    """The rows' classes when the table has the label column and every label is one the model knows
    (read as training read them); else None: the explanations then show predictions alone."""
    from ..data import labels_of

    label = label or trained.label_column
    if label not in frame.columns:
        return None
    try:
        return labels_of(frame, label, trained.class_names, source=source)
    except HybridXAIError:
        return None


def background_rows(trained, background: np.ndarray | None = None, n: int = BACKGROUND_ROWS) -> np.ndarray:
    """SHAP's background: at most `n` of the given scaled rows, else of the training rows kept in the model
    (a seeded random sample when there are more)."""
    if background is not None:
        return select_background(background, n, "random", seed=0)
    if getattr(trained, "background", None) is not None and len(trained.background):
        return select_background(np.asarray(trained.background, dtype=np.float32), n, "random", seed=0)
    raise HybridXAIError(f"This model file holds no background rows for SHAP: pass {setting('background', 'BG.csv')} "
                         "(rows with the model's feature columns, e.g. the training file).")


def explain_rows(trained, X: np.ndarray, rows, background: np.ndarray, method: str = "auto", X_raw=None,
                 true=None, cancel=None, units: str = "logit", groups=None, group_names=None,
                 **options) -> Iterator[ShapProgress]:
    """SHAP values of the scaled rows X against `background` (in `units`, the other units alongside): yields
    progress, returns the ShapResult (None when cancelled)."""
    explainer = ShapExplainer(trained.model, background, method, feature_names=trained.feature_names,
                              class_names=trained.class_names, output=units, groups=groups,
                              group_names=group_names, **options)
    return (yield from explainer.iter_explain(X, rows=rows, X_raw=X_raw, true=true, cancel=cancel))


def explain_table_rows(trained, frame, source: str, rows: str | None = None, *, label: str | None = None,
                       background: np.ndarray | None = None, method: str = "auto", units: str = "probability",
                       kind: str | None = None, groups=None, group_names=None, faithfulness: bool = True,
                       cancel=None):
    """The rows `rows` ("0-9,15"; None: the first ones) of a data table explained by `trained`, every stage
    (SHAP, Grad-CAM, attention, faithfulness, sanity check): yields ExplainProgress, returns an ExplanationRun.
    `kind`: table or series (None: guessed from the names and values, see run.guess_kind)."""
    from .run import guess_kind, iter_explanation_run

    selected = parse_rows(rows, len(frame))
    sub = frame.iloc[selected]
    X = trained.transform(sub, source)  # (R, F) scaled float32
    X_raw = trained.unscale(X)
    true = true_classes(trained, sub, label, source)
    bg = background_rows(trained, background)
    n_channels = int(getattr(trained.model_config, "n_channels", 1))
    if kind is None:
        kind = guess_kind(trained.feature_names, trained.unscale(bg), n_channels)
    return (yield from iter_explanation_run(
        trained.model, X, bg, feature_names=trained.feature_names, class_names=trained.class_names, rows=selected,
        method=method, units=units, X_raw=X_raw, true=true, kind=kind, groups=groups, group_names=group_names,
        faithfulness=faithfulness, cancel=cancel))


@dataclass
class RowViews:
    """Grad-CAM (for one class per row) and attention of the same rows."""

    gradcam: GradCamResult
    attention: AttentionResult


def row_views(model, X: np.ndarray, targets=None, feature_names=None, class_names=None) -> RowViews:
    """Grad-CAM of `targets` (None: the predicted class) and the attention maps for the scaled rows X."""
    cam = GradCAM(model, class_names=class_names).attribute(X, target=targets)
    att = AttentionExplainer(model, feature_names).attribute(X)
    return RowViews(cam, att)


__all__ = ["parse_rows", "true_classes", "background_rows", "explain_rows", "explain_table_rows", "RowViews",
           "row_views", "BACKGROUND_ROWS", "DEFAULT_MAX_ROWS", "ShapResult"]
