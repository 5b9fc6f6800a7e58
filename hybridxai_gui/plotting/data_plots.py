"""The data per class, drawn from a core.class_profile.ClassProfile onto a given Figure (no pyplot, no Qt).

Series: one panel per channel, each class's mean over time with a band of ± one standard deviation, and
optionally one chosen series laid over it. Tables: one small panel per feature with each class's
distribution.
"""

from __future__ import annotations

import numpy as np

from ._common import CLASS_COLORS, short_name

MAX_CHANNEL_PANELS = 8


def _color(k: int) -> str:
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def _grid(n: int) -> tuple[int, int]:
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    return int(np.ceil(n / cols)), cols


def draw_series_by_class(fig, profile, picked: int | None = None) -> None:
    """Each channel's mean ± sd per class over the time steps; `picked` (a series index) drawn on top."""
    channels = profile.channels[:MAX_CHANNEL_PANELS]
    rows, cols = _grid(len(channels))
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
    steps = np.arange(profile.steps)
    for c, (ax, channel) in enumerate(zip(axes, channels)):
        for k, name in enumerate(profile.class_names):
            mean, spread = profile.mean[k, c], profile.spread[k, c]
            ax.fill_between(steps, mean - spread, mean + spread, color=_color(k), alpha=0.18, linewidth=0)
            ax.plot(steps, mean, color=_color(k), linewidth=1.4, label=f"{name} ({profile.counts[k]})")
        if picked is not None and 0 <= picked < len(profile.X):
            k = int(profile.y[picked])
            ax.plot(steps, profile.series(picked)[c], color=_color(k) if k >= 0 else "black", linewidth=1.0,
                    linestyle="--")
        ax.set_title(short_name(str(channel), 30), fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
    for ax in axes[len(channels):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(channels) - cols):len(channels)]:
        ax.set_xlabel("time step", fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    if picked is not None and 0 <= picked < len(profile.X):
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="black", linestyle="--", linewidth=1.0))
        labels.append(f"series {profile.ids[picked]}")
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), fontsize=8, frameon=False)
    more = []
    if len(profile.channels) > len(channels):
        more.append(f"first {len(channels)} of {len(profile.channels)} channels")
    if profile.n_classes > len(profile.class_names):
        more.append(f"the {len(profile.class_names)} largest of {profile.n_classes} classes")
    title = f"'{profile.label}': mean ± 1 sd per class over {profile.steps} steps"
    fig.suptitle(title + (f" ({'; '.join(more)})" if more else ""), fontsize=10)


_TICK_UNITS = ((1e6, 1e6, "M"), (1e4, 1e3, "k"))  # (from, divide by, suffix): millions from 1e6, thousands from 1e4


def _compact(v: float) -> str:
    """A tick of a signed-log axis in a few characters: 0.05, 3, 100, 2000, 10k, 250k, 3M, 1e+09."""
    if abs(v) >= 1e9:
        return f"{v:.0e}"
    for floor, unit, suffix in _TICK_UNITS:
        if abs(v) >= floor:
            return f"{v / unit:g}{suffix}"
    return f"{v:g}" if abs(v) >= 1 or v == 0 else f"{v:.2g}"


def draw_features_by_class(fig, profile) -> None:
    """Each feature's distribution per class (density histograms, one panel per feature)."""
    if not profile.features:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "No numeric feature columns to plot.", ha="center", va="center", color="0.45")
        ax.set_axis_off()
        return
    n = len(profile.features)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    softs = profile.soft or [0.0] * n
    for ax, name, edges, density, soft in zip(axes, profile.features, profile.edges, profile.density, softs):
        if soft > 0:  # a long-tailed column: bins even on a signed-log axis, as the network reads it
            from matplotlib import ticker

            ax.set_xscale("asinh", linear_width=soft)
            ax.xaxis.set_major_locator(ticker.AsinhLocator(soft, numticks=4))
            # plain numbers: the scale's own labels are mathtext, which these figures draw as typed
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: _compact(v)))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            z = np.arcsinh(np.asarray(edges) / soft)
            centres = np.sinh((z[:-1] + z[1:]) / 2) * soft
        else:
            centres = (edges[:-1] + edges[1:]) / 2 if len(edges) > 2 else edges[:1]
        for k, cls in enumerate(profile.class_names):
            ax.fill_between(centres, density[k], step="mid", color=_color(k), alpha=0.25, linewidth=0)
            ax.plot(centres, density[k], drawstyle="steps-mid", color=_color(k), linewidth=1.0, label=cls)
        ax.set_title(short_name(str(name), 26) + (" (signed-log axis)" if soft > 0 else ""), fontsize=8, loc="left")
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, [f"{l} ({c})" for l, c in zip(labels, profile.counts)], loc="outside lower center",
               ncol=min(len(labels), 6), fontsize=8, frameon=False)
    shown = f"first {n} of {profile.n_features} features" if profile.n_features > n else ""
    fig.suptitle(f"Distribution of each feature per class of '{profile.label}'" + (f" ({shown})" if shown else ""),
                 fontsize=10)


def draw_class_profile(fig, profile, picked: int | None = None) -> None:
    if profile.kind == "series":
        draw_series_by_class(fig, profile, picked)
    else:
        draw_features_by_class(fig, profile)
