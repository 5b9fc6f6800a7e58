"""What the explanation figures share: colours, limits, additivity text, feature-name ticks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOP_K = 15
MAX_TICKS = 25
POS_COLOR = "#d62728"  # pushes the output (probability or logit) up
NEG_COLOR = "#1f77b4"  # pushes it down
OK_COLOR = "#2ca02c"
BAD_COLOR = "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def additivity_text(result) -> str:
    """Short additivity line for plot titles: the largest gap and whether the check passed."""
    gap = result.additivity_gap
    if result.additive:
        return f"additive ✓ (largest gap {gap:.1e})"
    suffix = ", approximation" if result.method == "gradient" else ""
    return f"NOT additive ✗ (largest gap {gap:.2g}{suffix})"


def short_name(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def feature_ticks(ax, names: Sequence[str], max_ticks: int = MAX_TICKS, axis: str = "x") -> None:
    """Ticks at feature positions, thinned to at most max_ticks labels, rotated when many."""
    n = len(names)
    step = max(1, int(np.ceil(n / max_ticks)))
    pos = np.arange(0, n, step)
    labels = [short_name(names[i], 22) for i in pos]
    if axis == "x":
        ax.set_xticks(pos)
        rotate = n > 6 or max(len(s) for s in labels) > 6
        ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center",
                           rotation_mode="anchor", fontsize=7 if n > 12 else 8)
    else:
        ax.set_yticks(pos)
        ax.set_yticklabels(labels, fontsize=7 if n > 12 else 8)


def plain_axis(ax, values) -> None:
    """No '1e-5 + 3.33e-1' offset labels; say so when the values hardly vary (untrained attention)."""
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    values = np.asarray(values, dtype=float)
    if values.size and np.ptp(values) < 1e-3 * max(abs(float(values.mean())), 1e-12):
        mid = float(values.mean())
        ax.set_ylim(mid * 0.9, mid * 1.1 if mid > 0 else 1)
        ax.text(0.5, 0.85, f"nearly uniform ({mid:.3g})", transform=ax.transAxes, ha="center", fontsize=8,
                color="0.35")
