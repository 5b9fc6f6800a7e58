"""Training history plots: loss and accuracy per epoch, drawn onto a given matplotlib Axes.

The GUI shows the live curves with pyqtgraph; for export (PNG, EPS, PDF, SVG) and for the command
line's training figure the same history is redrawn here with matplotlib, because pyqtgraph's own SVG
exporter fails in the version we use and it has no EPS/PDF at all.

`history` is a list of per-epoch records: `EpochMetrics` objects or their dicts (as stored in a
checkpoint). Missing or `None` values (no validation or test set) are left out of the plot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

# (history key suffix, legend label, colour): the same colours as the live charts in the GUI.
SPLITS = (("train", "train", "#1f77b4"), ("val", "validation", "#ff7f0e"), ("test", "test", "#2ca02c"))


def _value(record: Any, key: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, key, None)


def history_series(history: Sequence[Any], metric: str) -> dict[str, tuple[list[int], list[float]]]:
    """For `metric` ("loss" or "acc"): split name -> (epochs, values), skipping missing values."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for split, _label, _colour in SPLITS:
        xs, ys = [], []
        for i, record in enumerate(history):
            value = _value(record, f"{split}_{metric}")
            if value is None or not math.isfinite(float(value)):
                continue
            epoch = _value(record, "epoch")
            xs.append(int(epoch) if epoch is not None else i + 1)
            ys.append(float(value))
        if xs:
            out[split] = (xs, ys)
    return out


def best_epoch(history: Sequence[Any]) -> int:
    """The best validation epoch recorded in the history, or 0 if none (no validation rows: the training batches'
    best epoch is noise under augmentation, and marking it would read as a choice)."""
    if not history or all(_value(h, "val_acc") is None for h in history):
        return 0
    value = _value(history[-1], "best_epoch")
    return int(value) if value else 0


def _draw_metric(ax, history: Sequence[Any], metric: str, ylabel: str, title: str,
                 best: int | None) -> None:
    series = history_series(history, metric)
    for split, label, colour in SPLITS:
        if split in series:
            xs, ys = series[split]
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, color=colour, label=label)
    if best is None or not best_epoch(history):  # no validation rows: no best epoch to mark
        best = best_epoch(history)
    if best:
        ax.axvline(best, color="0.4", linestyle="--", linewidth=1, label=f"best epoch ({best})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend(loc="best", fontsize="small")
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no epochs yet", ha="center", va="center", transform=ax.transAxes, color="0.5")


def draw_loss_curves(ax, history: Sequence[Any], best: int | None = None) -> None:
    """Cross-entropy loss per epoch for train / validation / test, with the best epoch marked."""
    _draw_metric(ax, history, "loss", "loss (cross-entropy)", "Loss", best)


def draw_accuracy_curves(ax, history: Sequence[Any], best: int | None = None) -> None:
    """Accuracy per epoch for train / validation / test, with the best epoch marked."""
    _draw_metric(ax, history, "acc", "accuracy", "Accuracy", best)
    if history_series(history, "acc"):
        low, _high = ax.get_ylim()
        ax.set_ylim(max(0.0, min(low, 0.95)), 1.02)


def draw_training_history(fig, history: Sequence[Any], best: int | None = None) -> tuple:
    """Loss and accuracy side by side on `fig` (a matplotlib Figure); returns the two Axes."""
    fig.clear()
    ax_loss, ax_acc = fig.subplots(1, 2)
    draw_loss_curves(ax_loss, history, best)
    draw_accuracy_curves(ax_acc, history, best)
    fig.tight_layout()
    return ax_loss, ax_acc



__all__ = ["draw_loss_curves", "draw_accuracy_curves", "draw_training_history", "history_series", "best_epoch",
           "SPLITS"]
