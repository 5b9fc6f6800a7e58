"""Grad-CAM, attention and one-row comparison figures, drawn onto given matplotlib Axes (no pyplot)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import NEG_COLOR, POS_COLOR, feature_ticks, plain_axis, short_name

def _time_names(feature_names: Sequence[str] | None, n_values: int, length: int) -> list[str]:
    """Tick names along the time axis: the feature names for one channel, else step numbers."""
    if feature_names is not None and len(feature_names) == length:
        return list(feature_names)
    return [f"step {t}" for t in range(length)]


def draw_gradcam(ax, x_row: np.ndarray, heatmap: np.ndarray, feature_names: Sequence[str] | None = None,
                 title: str = "Grad-CAM", no_evidence: bool = False, cmap: str = "inferno") -> None:
    """The input row as a line over a Grad-CAM heat band (one cell per time step). A row of C channels
    (len(x_row) = C × len(heatmap)) draws one line per channel over the same band: the map is over time."""
    x_row = np.asarray(x_row, dtype=float)
    heatmap = np.asarray(heatmap, dtype=float)
    T = len(heatmap)
    channels = len(x_row) // T if T and len(x_row) % T == 0 else 1
    lines = x_row.reshape(channels, T) if channels > 1 else x_row[None, :]
    names = _time_names(feature_names, len(x_row), T)
    lo, hi = float(np.nanmin(x_row)), float(np.nanmax(x_row))
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    im = ax.imshow(heatmap[None, :], aspect="auto", cmap=cmap, vmin=0, vmax=1, alpha=0.85,
                   extent=(-0.5, T - 0.5, lo - pad, hi + pad), interpolation="nearest", origin="lower")
    colours = ["#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#e377c2", "#8c564b"]
    for c, line in enumerate(lines):
        ax.plot(np.arange(T), line, color="white", lw=2.6)
        ax.plot(np.arange(T), line, color=colours[c % len(colours)], lw=1.4, marker="o" if T <= 40 else None, ms=3,
                label=f"channel {c + 1}" if channels > 1 else None)
    if channels > 1:
        ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(lo - pad, hi + pad)
    feature_ticks(ax, names)
    ax.set_ylabel("input (scaled)")
    ax.set_title(title, loc="left", fontsize=10)
    if no_evidence:
        ax.text(0.5, 0.5, "no positive evidence for this class", transform=ax.transAxes, ha="center",
                va="center", fontsize=10, color="white", bbox=dict(facecolor="0.2", alpha=0.8, edgecolor="none"))
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("Grad-CAM (normalised)", fontsize=8)


def draw_attention(ax, attention, index: int = 0, head: int | None = None, cmap: str = "viridis",
                   prefix: str = "") -> None:
    """Query × key attention map (mean over heads, or one head), axes labelled with input spans."""
    mat = attention.mean[index] if head is None else attention.per_head[index, head]
    L = mat.shape[0]
    lo, hi = float(mat.min()), float(mat.max())
    uniform = hi - lo < 0.05 * max(hi, 1e-12)
    # the data range shows the structure; a near-uniform map is labelled as such rather than exaggerated
    im = ax.imshow(mat, cmap=cmap, vmin=0 if uniform else lo, vmax=max(hi, 1e-9), interpolation="nearest")
    labels = list(attention.labels)
    if max(len(s) for s in labels) > 20:  # long feature names: number the span, name its first feature
        labels = [f"{a + 1}–{b} ({short_name(s.split('–')[0], 10)})" if b - a > 1 else short_name(s, 20)
                  for (a, b), s in zip(attention.spans, labels)]
    step = max(1, int(np.ceil(L / 20)))
    ticks = np.arange(0, L, step)
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels[i] for i in ticks], rotation=45 if L > 3 else 0, ha="right" if L > 3 else "center",
                       rotation_mode="anchor", fontsize=7)
    ax.set_yticks(ticks)
    ax.set_yticklabels([labels[i] for i in ticks], fontsize=7)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    which = "mean over heads" if head is None else f"head {head + 1}"
    ax.set_title(f"{prefix}Attention ({which}){', nearly uniform' if uniform else ''}", loc="left", fontsize=10)
    if L <= 8:
        for q in range(L):
            for k in range(L):
                ax.text(k, q, f"{mat[q, k]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if mat[q, k] < 0.6 * mat.max() else "black")
    # The colour bar hangs on the map's own right edge: taken from the axes' box (colorbar(ax=...)), it
    # pinned the square map to the right of a wide figure, leaving the left two thirds empty.
    ax.set_anchor("C")
    cb = ax.figure.colorbar(im, cax=ax.inset_axes([1.03, 0.0, 0.035, 1.0]))
    cb.set_label("attention weight", fontsize=8)


def draw_received_attention(ax, attention, index: int = 0, feature_names: Sequence[str] | None = None) -> None:
    """Attention each input feature's position receives (mean over queries), per feature."""
    up = attention.received_upsampled[index]
    F = len(up)  # time steps (= features for one channel)
    names = _time_names(feature_names, F * getattr(attention, "n_channels", 1), F) if feature_names is not None \
        else [f"f{i + 1}" for i in range(F)]
    ax.plot(np.arange(F), up, color="#9467bd", lw=1.5, label="upsampled (linear)")
    for (start, end), value in zip(attention.spans, attention.received[index]):
        ax.hlines(value, start - 0.5, end - 0.5, color="#9467bd", lw=3, alpha=0.35)
    ax.set_xlim(-0.5, F - 0.5)
    plain_axis(ax, up)
    feature_ticks(ax, names)
    ax.set_ylabel("attention received")
    ax.set_title("Attention received per position (bands = input span of each position)", loc="left", fontsize=9)


def draw_comparison(axes: Sequence, x_row: np.ndarray, shap_row: np.ndarray, gradcam: np.ndarray,
                    received: np.ndarray, feature_names: Sequence[str], class_name: str = "",
                    title: str = "") -> None:
    """Input, SHAP, Grad-CAM and received attention for one row on a shared feature axis (4 Axes)."""
    ax_in, ax_shap, ax_cam, ax_att = axes
    F = len(x_row)
    pos = np.arange(F)
    ax_in.plot(pos, x_row, color="#1f77b4", lw=1.3, marker="o" if F <= 40 else None, ms=3)
    ax_in.set_ylabel("input\n(scaled)", fontsize=8)
    ax_in.set_title(title or "One row, three explanations", loc="left", fontsize=10)
    shap_row = np.asarray(shap_row, dtype=float)
    ax_shap.bar(pos, shap_row, color=np.where(shap_row >= 0, POS_COLOR, NEG_COLOR), width=0.8)
    ax_shap.axhline(0, color="0.4", lw=0.6)
    ax_shap.set_ylabel(f"SHAP\n{short_name(class_name, 12)}" if class_name else "SHAP", fontsize=8)
    ax_cam.fill_between(pos, gradcam, color="#ff7f0e", alpha=0.6, step="mid")
    ax_cam.set_ylim(0, 1.05)
    ax_cam.set_ylabel("Grad-CAM", fontsize=8)
    ax_att.plot(pos, received, color="#9467bd", lw=1.5)
    ax_att.set_ylabel("attention\nreceived", fontsize=8)
    plain_axis(ax_att, received)
    for ax in axes:
        ax.set_xlim(-0.5, F - 0.5)
        ax.tick_params(labelsize=7)
        if ax is not ax_att:
            ax.tick_params(labelbottom=False)
    feature_ticks(ax_att, list(feature_names))


def rank_agreement(importances: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Spearman correlation between per-feature importances (names, (k, k) matrix)."""
    from ..core.explain.ranks import spearman

    names = list(importances)
    k = len(names)
    mat = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            x, y = np.asarray(importances[names[a]], float), np.asarray(importances[names[b]], float)
            rho = spearman(x, y) if np.ptp(x) > 0 and np.ptp(y) > 0 else float("nan")
            mat[a, b] = mat[b, a] = rho
    return names, mat


def draw_rank_agreement(ax, importances: dict[str, np.ndarray]) -> None:
    """Small matrix of Spearman rank correlations between explanations' per-feature importances."""
    names, mat = rank_agreement(importances)
    k = len(names)
    shown = np.nan_to_num(mat, nan=0.0)
    im = ax.imshow(shown, cmap="RdBu_r", vmin=-1, vmax=1)
    for a in range(k):
        for b in range(k):
            txt = "n/a" if np.isnan(mat[a, b]) else f"{mat[a, b]:.2f}"
            ax.text(b, a, txt, ha="center", va="center", fontsize=9,
                    color="white" if abs(shown[a, b]) > 0.6 else "black")
    ax.set_xticks(range(k))
    ax.set_xticklabels(names, fontsize=8, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_title("Rank agreement (Spearman)", loc="left", fontsize=10)
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cb.ax.tick_params(labelsize=7)


def comparison_figure(fig, x_row, shap_row, gradcam, received, feature_names, class_name: str = "",
                      title: str = "") -> None:
    """Lay out the comparison (4 stacked Axes, shared x) and the rank-agreement matrix on one Figure."""
    gs = fig.add_gridspec(4, 2, width_ratios=[3.2, 1.2], hspace=0.15, wspace=0.35)
    ax0 = fig.add_subplot(gs[0, 0])
    axes = [ax0] + [fig.add_subplot(gs[i, 0], sharex=ax0) for i in range(1, 4)]
    draw_comparison(axes, x_row, shap_row, gradcam, received, feature_names, class_name, title)
    ax_rank = fig.add_subplot(gs[1:3, 1])
    draw_rank_agreement(ax_rank, {"|SHAP|": np.abs(shap_row), "Grad-CAM": gradcam, "attention": received})


__all__ = ["comparison_figure", "draw_attention", "draw_comparison", "draw_gradcam", "draw_rank_agreement",
           "draw_received_attention", "rank_agreement"]
