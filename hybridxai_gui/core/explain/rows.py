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
    from ..data.tables import labels_of

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
    progress, returns the ShapResult (None when cancelled). A table with text columns is explained per original
    column (column_units) unless other groups are given."""
    if groups is None:
        groups, group_names = column_units(trained)
    explainer = ShapExplainer(trained.model, background, method, feature_names=trained.feature_names,
                              class_names=trained.class_names, output=units, groups=groups,
                              group_names=group_names, **options)
    return (yield from explainer.iter_explain(X, rows=rows, X_raw=X_raw, true=true, cancel=cancel))


def column_units(trained) -> tuple[list[np.ndarray] | None, list[str] | None]:
    """(groups, names) of a table model with text columns: one SHAP player per original column, a text column's
    one-hot parts switched together (so the values stay additive and speak of `island`, not `island=Biscoe`);
    (None, None) for a table of numbers (one player per column already) or a series."""
    encoding = getattr(trained, "encoding", None)
    if encoding is None or getattr(trained, "series", None) is not None:
        return None, None
    return encoding.groups, list(encoding.columns)


MAX_UNITS = 64  # series: SHAP plays over at most this many channel × segment groups (the cost stays bounded)


def series_units(trained, segments: int | None = None, max_units: int = MAX_UNITS):
    """(groups, names, segments per channel) for a series model's SHAP, or (None, None, 0) for a table.

    Each channel is cut into `segments` contiguous time segments (`<channel>@<start>-<end>`, steps of the
    model's time axis, end inclusive); by default as many as keep channels × segments within `max_units`. A
    wide file's series short enough to explain step by step keep one unit per column (its own names)."""
    from .groups import segment_groups

    spec = trained.series
    if spec is None:  # a table: its text columns' parts together (column_units), else one unit per column
        groups, names = column_units(trained)
        return groups, names, 0
    C, T = spec.n_channels, spec.length
    if segments is None:
        segments = max(1, min(T, max_units // C))
    if segments < 1:
        raise HybridXAIError(f"Segments per channel ({setting('segments')}) must be at least 1, got {segments}.")
    segments = min(int(segments), T)
    if segments == T and trained.feature_names == spec.input_columns:
        return None, None, T  # one step per unit: the file's own columns
    groups, names = segment_groups(C, T, segments, list(spec.channels))
    return groups, names, segments


def select_series(trained, frame, source: str, rows: str | None, label: str | None = None,
                  missing: str | None = None, notes: list[str] | None = None):
    """The chosen rows of a table as the model reads them: (X scaled, row ids, true classes or None, own lengths
    or None). For a long file a row is a series (0-based, in order of first appearance). missing: the policy
    for gaps (error unless drop or mean is asked; a chosen row that drop leaves out is an error naming it);
    `notes` gets a line when gaps were filled."""
    if trained.series is None:
        selected = parse_rows(rows, len(frame))
        sub = frame.iloc[selected]
        X, kept = trained.transform(sub, source, missing=missing, return_rows=True, notes=notes)
        if len(kept) < len(selected):  # missing="drop" left a chosen row out
            first = min(set(range(len(selected))) - set(kept.tolist()))
            raise HybridXAIError(f"{source}: row {selected[first]} of {setting('rows')} has missing or infinite "
                                 "values, so it cannot be explained. Choose other rows, or fill the gaps.")
        return X, selected, true_classes(trained, sub, label, source), None
    read = trained.read_rows(frame, source, missing, notes=notes)
    selected = parse_rows(rows, read.n_total)
    position = {int(r): i for i, r in enumerate(read.rows)}
    dropped = [r for r in selected if r not in position]
    if dropped:
        raise HybridXAIError(f"{source}: series {dropped[0]} of {setting('rows')} has missing or infinite values, so "
                             "it cannot be explained. Choose other series, or fill the gaps.")
    picked = [position[r] for r in selected]
    true = None
    if (label or trained.label_column) in frame.columns:
        from ..pipeline import row_labels

        try:
            true = row_labels(trained, frame, source, read, label)[picked]
        except HybridXAIError:
            true = None
    return read.X[picked], selected, true, read.lengths[picked]


def explain_table_rows(trained, frame, source: str, rows: str | None = None, *, label: str | None = None,
                       background: np.ndarray | None = None, method: str = "auto", units: str = "probability",
                       kind: str | None = None, groups=None, group_names=None, faithfulness: bool = True,
                       segments: int | None = None, workers: int = 1, parallel: str = "threads", cancel=None,
                       missing: str | None = None, notes: list[str] | None = None):
    """The rows `rows` ("0-9,15"; None: the first ones; for a long file, series) of a data table explained by
    `trained`, every stage (SHAP, Grad-CAM, attention, faithfulness, sanity check): yields ExplainProgress,
    returns an ExplanationRun. `kind`: table or series (None: the model's layout says; for a model without one,
    guessed from the names and values, see run.guess_kind). A series model's SHAP runs over channel × time
    segments (`segments` per channel; see series_units). workers: SHAP's (and the faithfulness curves')
    workers, `parallel` threads or processes; 0: parallel.auto_workers. missing: the gap policy for the chosen rows
    (error by default; see select_series); `notes` gets a line when gaps were filled."""
    from .parallel import auto_workers
    from .run import guess_kind, iter_explanation_run

    X, selected, true, lengths = select_series(trained, frame, source, rows, label, missing, notes)
    X_raw = trained.unscale(X)
    bg = background_rows(trained, background)
    n_channels = int(getattr(trained.model_config, "n_channels", 1))
    if kind is None:
        kind = "series" if trained.series is not None else guess_kind(trained.feature_names, trained.unscale(bg),
                                                                       n_channels)
    if groups is None:
        groups, group_names, _ = series_units(trained, segments)
    if workers <= 0:
        import torch

        workers = auto_workers(len(X), torch.get_num_threads(), parallel)
    run = yield from iter_explanation_run(
        trained.model, X, bg, feature_names=trained.feature_names, class_names=trained.class_names, rows=selected,
        method=method, units=units, X_raw=X_raw, true=true, kind=kind, groups=groups, group_names=group_names,
        faithfulness=faithfulness, workers=workers, parallel=parallel, cancel=cancel)
    if run is not None:
        run.series = trained.series
        run.lengths = lengths
    return run


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
           "column_units", "series_units",
           "row_views", "BACKGROUND_ROWS", "DEFAULT_MAX_ROWS", "ShapResult"]
