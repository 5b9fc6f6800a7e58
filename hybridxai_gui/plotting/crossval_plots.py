"""The spread of repeated evaluation, and the network beside the baselines, drawn onto a given Axes.

Each model is one row: every fold's value as a dot, the mean as a bar and ± one standard deviation as a
line, so "0.92 ± 0.06" and which folds made it are both visible. With one value per model (a single split)
the dots are the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._common import setup_text  # noqa: F401  (names as typed, CJK glyphs: set up on import)

HYBRID_COLOR, BASELINE_COLOR = "#c44e52", "#4c72b0"


def draw_model_spread(ax, values: Mapping[str, Sequence[float]], *, metric: str = "accuracy",
                      labels: Mapping[str, str] | None = None, title: str | None = None) -> None:
    """values: model -> per-fold values ("hybrid" is drawn in its own colour, first)."""
    labels = labels or {}
    names = list(values)
    rng = np.random.default_rng(0)  # the same jitter every time the figure is drawn
    lows = []
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        x = np.asarray([v for v in values[name] if v is not None and np.isfinite(v)], dtype=float)
        if not len(x):
            continue
        colour = HYBRID_COLOR if name == "hybrid" else BASELINE_COLOR
        mean = float(x.mean())
        ax.barh(y, mean, height=0.55, color=colour, alpha=0.25)
        ax.plot(x, y + rng.uniform(-0.15, 0.15, len(x)), "o", color=colour, markersize=4, alpha=0.8)
        text = f"{mean:.3f}"
        if len(x) > 1:
            sd = float(x.std(ddof=1))
            ax.errorbar(mean, y, xerr=sd, color=colour, capsize=4, linewidth=1.5)
            text += f" ± {sd:.3f}"
        ax.text(1.005, y, text, va="center", ha="left", fontsize=8, transform=ax.get_yaxis_transform())
        lows.append(float(x.min()))
    ax.set_yticks(range(len(names)), [labels.get(n, n) for n in reversed(names)])
    low = min(lows) if lows else 0.0
    ax.set_xlim(max(0.0, low - 0.1 * max(0.05, 1 - low)), 1.01)  # a fold at 1.0 stays a whole dot
    ax.set_xlabel(metric)
    n_folds = max((len(v) for v in values.values()), default=0)
    ax.set_title(title or (f"{metric.capitalize()} per fold ({n_folds} folds): dots, mean ± sd"
                           if n_folds > 1 else f"{metric.capitalize()} on the held-out rows"))
    ax.grid(True, axis="x", alpha=0.3)


__all__ = ["draw_model_spread"]
