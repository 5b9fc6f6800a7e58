"""Evaluation and data plots drawn onto a given matplotlib Axes (no pyplot, no Qt).

Used by the GUI's Data and Evaluation tabs and by the command line. Heatmaps use `imshow` with
annotations rather than seaborn: seaborn costs ~1.4 s to import and adds nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._common import setup_text  # noqa: F401  (names as typed, CJK glyphs: set up on import)


def _short(name: str, width: int = 20) -> str:
    name = str(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def draw_confusion_matrix(ax, confusion: np.ndarray, class_names: Sequence[str], *,
                          normalise: bool = False, title: str | None = None, colorbar: bool = True) -> None:
    """Confusion matrix heatmap: rows = true class, columns = predicted class.

    With `normalise=True` each row is divided by its total (recall on the diagonal); rows with no
    samples stay 0.
    """
    counts = np.asarray(confusion, dtype=float)
    if normalise:
        sums = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
        vmax = 1.0
    else:
        values = counts
        vmax = max(1.0, float(values.max()) if values.size else 1.0)
    n = len(class_names)
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest", aspect="auto")
    if colorbar and ax.figure is not None:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    labels = [_short(c) for c in class_names]
    ax.set_xticks(range(n), labels, rotation=45 if n > 3 or max(map(len, labels), default=0) > 6 else 0,
                  ha="right" if n > 3 else "center")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or ("Confusion matrix (row-normalised)" if normalise else "Confusion matrix (counts)"))
    if n <= 20:  # beyond that the numbers would not fit in their cells
        fontsize = 10 if n <= 8 else 7
        for i in range(n):
            for j in range(n):
                value = values[i, j]
                text = f"{value:.2f}" if normalise else f"{int(round(value))}"
                colour = "white" if value > 0.6 * vmax else "black"
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=fontsize)


def draw_roc_curves(ax, curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
                    auc: Mapping[str, float] | None = None, *, title: str = "ROC curves (one vs rest)") -> None:
    """One ROC curve per class (false positive rate, true positive rate), AUC in the legend."""
    auc = auc or {}
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="chance")
    for name, (fpr, tpr) in curves.items():
        label = _short(name, 20)
        if name in auc:
            label += f" (AUC {auc[name]:.3f})"
        ax.plot(np.asarray(fpr), np.asarray(tpr), linewidth=1.5, label=label)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(loc="lower right", fontsize="small")
    else:
        ax.text(0.5, 0.5, "ROC is undefined: the test rows hold a single class", ha="center", va="center",
                transform=ax.transAxes, color="0.4", wrap=True)


def draw_class_distribution(ax, counts: Mapping[str, int], *, title: str = "Class distribution",
                            unit: str = "rows") -> None:
    """Bar chart of rows (or series: `unit`) per class, each bar labelled with its count."""
    names = [str(k) for k in counts]
    values = [int(v) for v in counts.values()]
    bars = ax.bar(range(len(names)), values, color="#4c72b0")
    ax.set_xticks(range(len(names)), [_short(n) for n in names],
                  rotation=45 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax.set_ylabel(unit)
    ax.set_title(title)
    if len(names) <= 30:
        ax.bar_label(bars, fontsize=8, padding=2)
    if values:
        ax.set_ylim(0, max(values) * 1.15 + 1)
    ax.grid(True, axis="y", alpha=0.3)


def draw_precision_recall(ax, curve, *, positive_name: str = "", threshold_point=None,
                          title: str | None = None) -> None:
    """Precision against recall of the positive class (core.evaluation.PrecisionRecall), the guessing level,
    and where a chosen threshold sits (`threshold_point`: core.evaluation.ThresholdMetrics)."""
    if curve is None:
        ax.text(0.5, 0.5, "The precision-recall curve needs rows of both classes", ha="center", va="center",
                transform=ax.transAxes, color="0.4", wrap=True)
        ax.set_axis_off()
        return
    ax.step(curve.recall, curve.precision, where="post", linewidth=1.5, color="#4c72b0",
            label=f"model (average precision {curve.average_precision:.3f})")
    ax.axhline(curve.prevalence, color="0.6", linestyle=":", linewidth=1, label=f"guessing ({curve.prevalence:.2f})")
    if threshold_point is not None and np.isfinite(threshold_point.precision):
        ax.plot([threshold_point.sensitivity], [threshold_point.precision], "o", color="#c44e52", markersize=7,
                label=f"threshold {threshold_point.threshold:.2f}")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("recall (sensitivity)")
    ax.set_ylabel("precision")
    ax.set_title(title or f"Precision-recall, positive class {_short(positive_name, 24)!s}")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")


def draw_reliability(ax, reliability, *, temperature: float = 1.0, title: str | None = None) -> None:
    """Reliability diagram (core.evaluation.calibration.Reliability). Per bin of the predicted class's probability:
    a bar up to the share of the bin's rows predicted right (accuracy), and a red line across it at the bin's mean
    predicted probability; a line above its bar is over-confident, below it under-confident. Row counts are written
    above the bars.

    The mean probability is a line, never a band laid over the bar: a translucent "gap" band from the share right
    to the mean probability made an all-right bin (share 1.0) look as tall as its mean probability."""
    edges = np.asarray(reliability.bin_edges)
    width = np.diff(edges)
    filled = reliability.counts > 0
    centres = edges[:-1] + width / 2
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="perfectly calibrated")
    accuracy, confidence = np.asarray(reliability.accuracy)[filled], np.asarray(reliability.confidence)[filled]
    ax.bar(centres[filled], accuracy, width=width[filled] * 0.92, color="#4c72b0", alpha=0.85,
           label="share predicted right (accuracy)")
    half = width[filled] * 0.46
    ax.hlines(confidence, centres[filled] - half, centres[filled] + half, color="#c44e52", linewidth=2.5,
              label="mean predicted probability in the bin", zorder=3)
    tops = np.maximum(accuracy, confidence)
    for x, top, n in zip(centres[filled], tops, reliability.counts[filled]):
        ax.text(x, top + 0.015, str(int(n)), ha="center", va="bottom", fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel(f"probability of the predicted class (bins of {float(width[0]):.2g})")  # equal bins
    ax.set_ylabel("share of rows predicted right (accuracy)")
    scaled = f", temperature {temperature:.2f}" if temperature != 1.0 else ""
    ax.set_title(title or f"Reliability: calibration error {reliability.ece:.3f} ({reliability.n_rows} rows{scaled})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")


__all__ = ["draw_confusion_matrix", "draw_roc_curves", "draw_class_distribution", "draw_precision_recall",
           "draw_reliability"]
