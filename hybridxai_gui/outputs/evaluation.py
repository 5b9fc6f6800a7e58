"""Files `hybridxai evaluate --out` writes: metrics.json, classification_report.csv, predictions.csv and the
confusion matrix and ROC figures (PNG + EPS). No Qt, no pyplot; every file is written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from ..core.model_files.fileio import atomic_write, write_csv
from ..plotting.export import export_figure


def save_evaluation_outputs(result, out: Path) -> None:
    """metrics.json, classification_report.csv, predictions.csv, confusion_matrix.png/.eps, roc_curves.png/.eps."""
    import pandas as pd
    from ..plotting._common import new_figure as Figure  # names as typed, CJK glyphs

    from ..plotting.evaluation_plots import draw_confusion_matrix, draw_roc_curves

    metrics = {k: v for k, v in result.to_dict().items() if k not in ("y_true", "y_pred", "proba", "rows")}
    atomic_write(out / "metrics.json", lambda tmp: Path(tmp).write_text(json.dumps(metrics, indent=2)))
    report = pd.DataFrame(result.report).T.reset_index().rename(columns={"index": "class"})
    write_csv(report, out / "classification_report.csv")
    names = result.class_names
    pred = pd.DataFrame({"row": result.rows, "true": [names[i] for i in result.y_true],
                         "predicted": [names[i] for i in result.y_pred]})
    for c, name in enumerate(names):
        pred[f"p_{name}"] = result.proba[:, c]
    write_csv(pred, out / "predictions.csv")

    fig = Figure(figsize=(11, 4.8))
    ax_counts, ax_norm = fig.subplots(1, 2)
    draw_confusion_matrix(ax_counts, result.confusion, names, title="Confusion matrix (counts)")
    draw_confusion_matrix(ax_norm, result.confusion, names, normalise=True,
                          title="Confusion matrix (row-normalised)")
    fig.tight_layout()
    for ext in ("png", "eps"):
        export_figure(fig, out / f"confusion_matrix.{ext}")
    if result.roc_curves:
        fig = Figure(figsize=(6, 5))
        draw_roc_curves(fig.add_subplot(), result.roc_curves, result.roc_auc)
        fig.tight_layout()
        for ext in ("png", "eps"):
            export_figure(fig, out / f"roc_curves.{ext}")
