"""`hybridxai explain`: SHAP values as CSV and every explanation figure as PNG and EPS, headless.

    explain_to_dir(trained, "data.csv", "out/", rows="0-9,15", method="auto")

writes into out/:
- shap_values.csv: one line per explained row and class: row, class, base_value, model_output (the
  logit), then one column per feature named as in the data.
- shap_bar, shap_heatmap, shap_beeswarm_<class>, and per explained row (at most MAX_ROW_FIGURES):
  waterfall_row<r>_<class>, force_row<r>_<class> for the predicted class (and the true class where a
  label column is present and it differs), gradcam_row<r>, attention_row<r>, comparison_row<r>;
  each as .png and .eps. <class> is `<index>_<cleaned name>` (outputs/names.py): unique per class.
The core computes (core.explain.rows); this module reads the files, draws and writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import HybridXAIError
from ..core.explain.rows import background_rows, explain_rows, parse_rows, row_views, true_classes
from ..core.explain.shap_engine import ShapResult
from .names import class_file_name

MAX_ROW_FIGURES = 10


def write_shap_csv(result: ShapResult, path: str | Path) -> Path:
    """One line per row and class: row, class, base_value, model_output, then one column per feature."""
    import pandas as pd

    from ..core.fileio import write_csv

    R, F, C = result.values.shape
    records = {
        "row": np.repeat(result.rows, C),
        "class": [result.class_names[c] for _ in range(R) for c in range(C)],
        "base_value": np.tile(result.base_values, R),
        "model_output": result.model_output.reshape(-1),
    }
    frame = pd.DataFrame(records)
    values = result.values.transpose(0, 2, 1).reshape(R * C, F)  # (row, class) major
    features = pd.DataFrame(values, columns=list(result.feature_names))
    return write_csv(pd.concat([frame, features], axis=1), Path(path), float_format="%.10g")


def explain_to_dir(trained, data_path: str | Path, out_dir: str | Path, rows: str | None = None,
                   method: str = "auto", background_path: str | Path | None = None, label: str | None = None,
                   progress=None) -> ShapResult:
    """Explain rows of DATA with the trained model; write shap_values.csv and all figures to out_dir.

    rows: "0-9,15" (0-based data rows) or None for the first rows (at most 10). background_path: a CSV
    with the model's feature columns (default: the training rows saved in the model). label: the label
    column for true classes (default: the model's). progress: optional callable(ShapProgress).
    """
    from ..core.data import read_table

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HybridXAIError(f"Cannot create the output folder {out}: {exc.strerror or exc}.") from exc
    source = Path(data_path).name
    df = read_table(data_path, label=label or trained.label_column)
    selected = parse_rows(rows, len(df))
    sub = df.iloc[selected]
    X = trained.transform(sub, source)  # (R, F) scaled float32
    true = true_classes(trained, sub, label, source)
    given = None
    if background_path is not None:
        given = trained.transform(read_table(background_path), Path(background_path).name)
    background = background_rows(trained, given)
    gen = explain_rows(trained, X, selected, background, method, X_raw=trained.unscale(X), true=true)
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        if progress is not None:
            progress(item)
    write_shap_csv(result, out / "shap_values.csv")
    write_figures(trained, result, out)
    return result


def write_figures(trained, result: ShapResult, out: Path, max_row_figures: int | None = None) -> list[Path]:
    """Every explanation figure for `result`, as PNG and EPS (per-row figures for the first
    `max_row_figures` rows, default MAX_ROW_FIGURES). Returns the files written."""
    from matplotlib.figure import Figure

    from ..plotting import explain_plots as ep
    from ..plotting.export import export_figure

    written: list[Path] = []
    F = result.values.shape[1]
    wide = min(14.0, 6.0 + 0.06 * F)

    def save(fig, name):
        for ext in (".png", ".eps"):
            written.append(export_figure(fig, out / f"{name}{ext}"))

    def fig(w=7.5, h=5.5):
        return Figure(figsize=(w, h), layout="constrained")

    f = fig()
    ep.draw_shap_bar(f.add_subplot(), result)
    save(f, "shap_bar")
    f = fig(wide, 5.5)
    ep.draw_shap_heatmap(f.add_subplot(), result)
    save(f, "shap_heatmap")
    for c, name in enumerate(result.class_names):
        f = fig()
        ep.draw_beeswarm(f.add_subplot(), result, c)
        save(f, f"shap_beeswarm_{class_file_name(result.class_names, c)}")

    n = min(result.n_rows, MAX_ROW_FIGURES if max_row_figures is None else max_row_figures)
    views = row_views(trained.model, result.X[:n], result.predicted[:n], result.feature_names, result.class_names)
    cam, att = views.gradcam, views.attention
    X_show = result.X  # the scaled row the model sees: raw columns of different scales hide each other
    for i in range(n):
        r = int(result.rows[i])
        classes = [int(result.predicted[i])]
        if result.true is not None and int(result.true[i]) != classes[0]:
            classes.append(int(result.true[i]))
        for c in classes:
            cname = class_file_name(result.class_names, c)
            f = fig()
            ep.draw_waterfall(f.add_subplot(), result, row=i, class_index=c)
            save(f, f"waterfall_row{r}_{cname}")
            f = fig(10, 3.6)
            ep.draw_force(f.add_subplot(), result, row=i, class_index=c)
            save(f, f"force_row{r}_{cname}")
        pred = result.class_names[result.predicted[i]]
        f = fig(wide, 3.6)
        ep.draw_gradcam(f.add_subplot(), X_show[i], cam.heatmap[i], result.feature_names,
                        title=f"Row {r}: {cam.message(i)} (predicted)", no_evidence=bool(cam.no_evidence[i]))
        save(f, f"gradcam_row{r}")
        f = fig(6.5, 5.5)
        ep.draw_attention(f.add_subplot(), att, index=i, prefix=f"Row {r} (predicted {pred}): ")
        save(f, f"attention_row{r}")
        f = fig(wide + 3, 7.5)
        c = int(result.predicted[i])
        ep.comparison_figure(f, X_show[i], result.values[i, :, c], cam.heatmap[i], att.received_upsampled[i],
                             result.feature_names, result.class_names[c],
                             title=f"Row {r}: input, SHAP, Grad-CAM and attention for class {result.class_names[c]}")
        save(f, f"comparison_row{r}")
    return written


__all__ = ["explain_to_dir", "parse_rows", "write_shap_csv", "write_figures", "MAX_ROW_FIGURES"]
