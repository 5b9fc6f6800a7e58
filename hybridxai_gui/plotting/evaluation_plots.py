"""Evaluation and data plots drawn onto a given matplotlib Axes (no pyplot, no Qt).

Used by the GUI's Data and Evaluation tabs and by the command line. Heatmaps use `imshow` with
annotations rather than seaborn: seaborn costs ~1.4 s to import and adds nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


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


def draw_class_distribution(ax, counts: Mapping[str, int], *, title: str = "Class distribution") -> None:
    """Bar chart of rows per class, each bar labelled with its count."""
    names = [str(k) for k in counts]
    values = [int(v) for v in counts.values()]
    bars = ax.bar(range(len(names)), values, color="#4c72b0")
    ax.set_xticks(range(len(names)), [_short(n) for n in names],
                  rotation=45 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax.set_ylabel("rows")
    ax.set_title(title)
    if len(names) <= 30:
        ax.bar_label(bars, fontsize=8, padding=2)
    if values:
        ax.set_ylim(0, max(values) * 1.15 + 1)
    ax.grid(True, axis="y", alpha=0.3)


__all__ = ["draw_confusion_matrix", "draw_roc_curves", "draw_class_distribution"]
