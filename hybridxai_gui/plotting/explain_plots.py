"""Explanation figures drawn onto matplotlib Axes handed in by the caller (no pyplot).

SHAP: `draw_shap_bar`, `draw_beeswarm`, `draw_waterfall`, `draw_force`, `draw_shap_heatmap`.
Grad-CAM and attention: `draw_gradcam`, `draw_attention`, `draw_received_attention`.
One row side by side: `draw_comparison` (several Axes sharing x) and `draw_rank_agreement`.

Every SHAP figure shows the additivity check (`additivity_text`) in its right-hand title, red when
the check failed. Many features stay readable: bar, beeswarm and waterfall show the top k (15 by
default) and sum the rest into one "N other features" entry; feature-name ticks are thinned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOP_K = 15
MAX_TICKS = 25
POS_COLOR = "#d62728"  # pushes the logit up
NEG_COLOR = "#1f77b4"  # pushes it down
OK_COLOR = "#2ca02c"
BAD_COLOR = "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


# ---------------------------------------------------------------------------------------------
# helpers


def additivity_text(result) -> str:
    """Short additivity line for plot titles: the largest gap and whether the check passed."""
    gap = result.additivity_gap
    if result.additive:
        return f"additive ✓ (largest gap {gap:.1e})"
    suffix = ", approximation" if result.method == "gradient" else ""
    return f"NOT additive ✗ (largest gap {gap:.2g}{suffix})"


def _titles(ax, main: str, result, fontsize: float = 10) -> None:
    """Main title on top, the additivity line (green/red) just under it, never overlapping."""
    ax.set_title(main, loc="left", fontsize=fontsize, pad=14)
    ax.text(0.0, 1.01, additivity_text(result), transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
            color=OK_COLOR if result.additive else BAD_COLOR)


def _fmt(v: float) -> str:
    """Rounded numbers that stay readable for 0.0004 and 12345 alike."""
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000 or a < 0.01:
        return f"{v:.2g}" if a < 0.01 else f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _short(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _display_X(result) -> np.ndarray:
    return result.X_raw if getattr(result, "X_raw", None) is not None else result.X


def _top_features(importance: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the top_k features by importance, most important first."""
    order = np.argsort(-importance, kind="stable")
    return order[:top_k]


def feature_ticks(ax, names: Sequence[str], max_ticks: int = MAX_TICKS, axis: str = "x") -> None:
    """Ticks at feature positions, thinned to at most max_ticks labels, rotated when many."""
    n = len(names)
    step = max(1, int(np.ceil(n / max_ticks)))
    pos = np.arange(0, n, step)
    labels = [_short(names[i], 16) for i in pos]
    if axis == "x":
        ax.set_xticks(pos)
        rotate = n > 6 or max(len(s) for s in labels) > 6
        ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center",
                           rotation_mode="anchor", fontsize=7 if n > 12 else 8)
    else:
        ax.set_yticks(pos)
        ax.set_yticklabels(labels, fontsize=7 if n > 12 else 8)


def _plain_axis(ax, values) -> None:
    """No '1e-5 + 3.33e-1' offset labels; say so when the values hardly vary (untrained attention)."""
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    values = np.asarray(values, dtype=float)
    if values.size and np.ptp(values) < 1e-3 * max(abs(float(values.mean())), 1e-12):
        mid = float(values.mean())
        ax.set_ylim(mid * 0.9, mid * 1.1 if mid > 0 else 1)
        ax.text(0.5, 0.85, f"nearly uniform ({mid:.3g})", transform=ax.transAxes, ha="center", fontsize=8,
                color="0.35")


def _class_index(result, class_index) -> int:
    if class_index is None:
        return int(np.bincount(result.predicted, minlength=len(result.class_names)).argmax())
    return int(class_index)


# ---------------------------------------------------------------------------------------------
# SHAP


def draw_shap_bar(ax, result, top_k: int = TOP_K, stacked: bool = True) -> None:
    """Mean |SHAP| per feature, one colour per class (stacked), top_k features + the rest summed."""
    imp = result.mean_abs()  # (F, C)
    F, C = imp.shape
    top = _top_features(imp.sum(axis=1), top_k)
    rest = np.setdiff1d(np.arange(F), top)
    rows = [imp[i] for i in top]
    labels = [_short(result.feature_names[i]) for i in top]
    if len(rest):
        rows.append(imp[rest].sum(axis=0))
        labels.append(f"{len(rest)} other features")
    data = np.array(rows)  # (k, C)
    y = np.arange(len(data))[::-1]  # most important at the top
    left = np.zeros(len(data))
    height = 0.8 if stacked else 0.8 / C
    for c in range(C):
        color = CLASS_COLORS[c % len(CLASS_COLORS)]
        if stacked:
            ax.barh(y, data[:, c], left=left, height=height, color=color, label=result.class_names[c])
            left += data[:, c]
        else:
            ax.barh(y + (c - (C - 1) / 2) * height, data[:, c], height=height, color=color,
                    label=result.class_names[c])
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    if len(rest):
        ax.get_yticklabels()[-1].set_color("0.4")
        # The summed rest can dwarf the named features (150 small contributions): cut its bar at the
        # axis edge and print its total rather than squash every other bar.
        top_max = float(data[:-1].sum(axis=1).max()) if len(data) > 1 else 0.0
        rest_total = float(data[-1].sum())
        if stacked and top_max > 0 and rest_total > 1.3 * top_max:
            edge = 1.3 * top_max
            ax.set_xlim(0, edge)
            ax.text(edge * 0.99, y[-1], f"total {_fmt(rest_total)} ▸", ha="right", va="center", fontsize=7,
                    color="white", fontweight="bold")
    ax.set_xlabel("mean |SHAP value| (logit units)" + (", summed over classes" if stacked else ""))
    _titles(ax, f"Feature importance, {result.n_rows} rows ({result.method})", result)
    # outside the axes: inside, it hid the lowest bars (and the clipped rest's total)
    ax.legend(title="class", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    ax.margins(y=0.01)


def _swarm_offsets(x: np.ndarray, width: float = 0.4, bins: int = 50) -> np.ndarray:
    """Vertical offsets that spread points by local density (a cheap deterministic beeswarm)."""
    if len(x) < 2 or np.ptp(x) == 0:
        return np.zeros_like(x)
    edges = np.linspace(x.min(), x.max(), bins + 1)
    which = np.clip(np.digitize(x, edges) - 1, 0, bins - 1)
    offsets = np.zeros(len(x))
    counts = np.bincount(which, minlength=bins)
    peak = max(1, counts.max())
    for b in np.nonzero(counts)[0]:
        idx = np.nonzero(which == b)[0]
        n = len(idx)
        # alternate above/below the line: 0, +1, −1, +2, −2 ... scaled to the densest bin
        k = np.arange(n)
        signed = np.where(k % 2 == 0, -(k // 2), (k + 1) // 2)
        offsets[idx] = signed * (width / max(1, peak / 2))
    return np.clip(offsets, -width, width)


def draw_beeswarm(ax, result, class_index: int | None = None, top_k: int = TOP_K, cmap: str = "coolwarm") -> None:
    """SHAP value per row (x) for the top_k features of one class; colour = the feature's value."""
    c = _class_index(result, class_index)
    vals = result.values[:, :, c]  # (R, F)
    Xd = _display_X(result)
    F = vals.shape[1]
    top = _top_features(np.abs(vals).mean(axis=0), top_k)
    rest = np.setdiff1d(np.arange(F), top)
    n_lines = len(top) + (1 if len(rest) else 0)
    sc = None
    for line, i in enumerate(top):
        y = n_lines - 1 - line
        v = Xd[:, i].astype(float)
        lo, hi = np.nanpercentile(v, 5), np.nanpercentile(v, 95)
        if hi <= lo:
            lo, hi = v.min(), v.max()
        colour = np.clip((v - lo) / (hi - lo), 0, 1) if hi > lo else np.full(len(v), 0.5)
        sc = ax.scatter(vals[:, i], y + _swarm_offsets(vals[:, i]), c=colour, cmap=cmap, vmin=0, vmax=1, s=12,
                        linewidths=0, alpha=0.9)
    if len(rest):
        # the summed rest may spread far wider than the named features: clip it to their range and
        # mark clipped points with ◂ / ▸ at the edge
        others = vals[:, rest].sum(axis=1)
        named = vals[:, top]
        lim_lo, lim_hi = float(named.min()), float(named.max())
        pad = 0.08 * max(lim_hi - lim_lo, 1e-9)
        lim_lo, lim_hi = min(lim_lo, 0.0) - pad, max(lim_hi, 0.0) + pad
        clipped = np.clip(others, lim_lo, lim_hi)
        off = _swarm_offsets(others)
        inside = (others >= lim_lo) & (others <= lim_hi)
        ax.scatter(clipped[inside], off[inside], color="0.6", s=12, linewidths=0)
        ax.scatter(clipped[others < lim_lo], off[others < lim_lo], color="0.45", s=22, marker="<", linewidths=0)
        ax.scatter(clipped[others > lim_hi], off[others > lim_hi], color="0.45", s=22, marker=">", linewidths=0)
        ax.set_xlim(lim_lo - pad * 0.3, lim_hi + pad * 0.3)
    ax.axvline(0, color="0.5", lw=0.8, zorder=0)
    labels = [_short(result.feature_names[i]) for i in top] + ([f"{len(rest)} other features (sum)"] if len(rest) else [])
    ax.set_yticks(np.arange(n_lines)[::-1])
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(-0.6, n_lines - 0.4)
    ax.set_xlabel(f"SHAP value for class {result.class_names[c]} (logit units)")
    _titles(ax, f"SHAP values per row, class {result.class_names[c]}", result)
    if sc is not None:
        cb = ax.figure.colorbar(sc, ax=ax, fraction=0.04, pad=0.02, ticks=[0, 1])
        cb.ax.set_yticklabels(["low", "high"], fontsize=8)
        cb.set_label("feature value", fontsize=8)


def _row_contributions(result, row: int, c: int, top_k: int):
    phi = result.values[row, :, c]
    Xd = _display_X(result)[row]
    top = _top_features(np.abs(phi), top_k)
    rest = np.setdiff1d(np.arange(len(phi)), top)
    items = [(f"{_short(result.feature_names[i])} = {_fmt(float(Xd[i]))}", float(phi[i])) for i in top]
    if len(rest):
        items.append((f"{len(rest)} other features", float(phi[rest].sum())))
    return items


def _row_title(result, row: int, c: int) -> str:
    pred = result.class_names[result.predicted[row]]
    true = ""
    if result.true is not None:
        true = f", true {result.class_names[result.true[row]]}"
    return f"Row {result.rows[row]}: class {result.class_names[c]} (predicted {pred}{true})"


def draw_waterfall(ax, result, row: int = 0, class_index: int | None = None, top_k: int = TOP_K) -> None:
    """From the base value to f(x): one bar per feature (largest |SHAP| at the top), rest summed."""
    c = int(result.predicted[row]) if class_index is None else int(class_index)
    base = float(result.base_values[c])
    fx = float(result.model_output[row, c])
    items = _row_contributions(result, row, c, top_k)
    n = len(items)
    # draw from the bottom (base value) upwards, smallest contributions first
    order = items[::-1]
    start = base
    span = max(abs(v) for _, v in items) if items else 1.0
    for k, (label, v) in enumerate(order):
        color = POS_COLOR if v >= 0 else NEG_COLOR
        ax.barh(k, v, left=start, height=0.7, color=color)
        end = start + v
        txt = ("+" if v >= 0 else "−") + _fmt(abs(v))
        ax.text(max(start, end) + 0.01 * span, k, txt, va="center", ha="left", fontsize=7, color=color)
        if k < n - 1:
            ax.plot([end, end], [k + 0.35, k + 0.65], color="0.5", lw=0.6)
        start = end
    ax.set_yticks(np.arange(n))
    ax.set_yticklabels([lbl for lbl, _ in order], fontsize=8)
    ax.axvline(base, color="0.4", ls="--", lw=0.8)
    ax.axvline(fx, color="0.1", ls=":", lw=0.8)
    ax.set_ylim(-1.0, n + 0.1)
    ax.text(base, -0.65, f"base E[f(b)] = {_fmt(base)}", ha="center", va="center", fontsize=7, color="0.3",
            bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.9))
    ax.text(fx, n - 0.35, f"f(x) = {_fmt(fx)}", ha="center", va="bottom", fontsize=7, color="0.1",
            fontweight="bold", bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.9))
    lo = min(base, fx, *(base + np.cumsum([v for _, v in order])))
    hi = max(base, fx, *(base + np.cumsum([v for _, v in order])))
    pad = 0.12 * max(hi - lo, 1e-9)
    ax.set_xlim(lo - pad, hi + 1.5 * pad)
    ax.set_xlabel(f"logit of class {result.class_names[c]}")
    _titles(ax, _row_title(result, row, c), result, fontsize=9)


def draw_force(ax, result, row: int = 0, class_index: int | None = None, top_k: int = 8) -> None:
    """Force plot: contributions as arrows along the logit axis, red pushing up, blue pushing down."""
    from matplotlib.patches import Polygon

    c = int(result.predicted[row]) if class_index is None else int(class_index)
    base = float(result.base_values[c])
    fx = float(result.model_output[row, c])
    phi = result.values[row, :, c]
    Xd = _display_X(result)[row]
    pos = [i for i in np.argsort(-phi) if phi[i] > 0]
    neg = [i for i in np.argsort(phi) if phi[i] < 0]
    total_pos, total_neg = phi[phi > 0].sum(), phi[phi < 0].sum()
    lo, hi = base + total_neg, base + total_pos  # the red chain spans [lo, fx], the blue [fx, hi]
    width = max(hi - lo, 1e-9)
    head = 0.012 * width
    label_budget = top_k

    def arrow(x0, x1, color, y=0.0, h=0.25):
        # a chevron-shaped segment pointing from x0 to x1
        d = head if x1 > x0 else -head
        if abs(x1 - x0) < abs(d):
            d = (x1 - x0) * 0.5
        pts = [(x0, y - h), (x1 - d, y - h), (x1, y), (x1 - d, y + h), (x0, y + h), (x0 + d, y)]
        ax.add_patch(Polygon(pts, closed=True, facecolor=color, edgecolor="white", lw=0.6))

    # red arrows push right, ending at f(x); blue arrows push left, starting at the right end
    x = lo
    label_y = -0.45
    placed = []
    for i in reversed(pos):  # smallest first, so the biggest sits next to f(x)
        arrow(x, x + phi[i], POS_COLOR)
        placed.append((x + phi[i] / 2, i, POS_COLOR))
        x += phi[i]
    x = hi
    for i in reversed(neg):
        arrow(x, x + phi[i], NEG_COLOR)
        placed.append((x + phi[i] / 2, i, NEG_COLOR))
        x += phi[i]
    # label only the biggest contributions; each goes on the highest free level (no overlaps)
    biggest = sorted(placed, key=lambda t: -abs(phi[t[1]]))[:label_budget]
    biggest.sort(key=lambda t: t[0])
    fig_w_in = ax.figure.get_size_inches()[0] * ax.get_position().width
    char_w = (1.1 * width) / max(1.0, fig_w_in * 72 / 4.0)  # ~4 pt per 6.5 pt character
    level_end = [-np.inf] * 4
    for xm, i, color in biggest:
        text = f"{_short(result.feature_names[i], 16)} = {_fmt(float(Xd[i]))}"
        half = 0.5 * len(text) * char_w
        level = next((lv for lv, end in enumerate(level_end) if xm - half > end), None)
        if level is None:
            continue  # no room: the contribution stays unlabelled (it is also in the waterfall)
        level_end[level] = xm + half + char_w
        ax.annotate(f"{text}\n{'+' if phi[i] > 0 else '−'}{_fmt(abs(float(phi[i])))}", xy=(xm, -0.27),
                    xytext=(xm, label_y - 0.3 * level), ha="center", va="top", fontsize=6.5, color=color,
                    arrowprops=dict(arrowstyle="-", color=color, lw=0.5))
    ax.axvline(fx, color="0.1", lw=1.0)
    ax.text(fx, 0.42, f"f(x) = {_fmt(fx)}", ha="center", va="bottom", fontsize=8, fontweight="bold")
    ax.plot([base], [0.33], marker="v", color="0.4")
    ax.text(base, 0.55, f"base = {_fmt(base)}", ha="center", va="bottom", fontsize=7, color="0.4")
    ax.set_xlim(lo - 0.05 * width, hi + 0.05 * width)
    ax.set_ylim(-1.95, 0.9)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"logit of class {result.class_names[c]}   (red pushes higher, blue lower)")
    _titles(ax, _row_title(result, row, c), result, fontsize=9)


def draw_shap_heatmap(ax, result, class_index: int | None = None, max_features: int = 40, cmap: str = "RdBu_r") -> None:
    """Rows × features matrix of SHAP values for one class, colour centred at zero."""
    c = _class_index(result, class_index)
    vals = result.values[:, :, c]  # (R, F)
    F = vals.shape[1]
    if F > max_features:
        cols = np.sort(_top_features(np.abs(vals).mean(axis=0), max_features))
        note = f" (top {max_features} of {F} features)"
    else:
        cols = np.arange(F)
        note = ""
    data = vals[:, cols]
    lim = float(np.abs(data).max()) or 1.0
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
    feature_ticks(ax, [result.feature_names[i] for i in cols])
    R = data.shape[0]
    step = max(1, int(np.ceil(R / 20)))
    ax.set_yticks(np.arange(0, R, step))
    ax.set_yticklabels([str(r) for r in result.rows[::step]], fontsize=7)
    ax.set_ylabel("row")
    _titles(ax, f"SHAP values, class {result.class_names[c]}{note}", result)
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("SHAP value (logit units)", fontsize=8)


# ---------------------------------------------------------------------------------------------
# Grad-CAM and attention


def draw_gradcam(ax, x_row: np.ndarray, heatmap: np.ndarray, feature_names: Sequence[str] | None = None,
                 title: str = "Grad-CAM", no_evidence: bool = False, cmap: str = "inferno") -> None:
    """The input row as a line over a Grad-CAM heat band (one cell per feature)."""
    x_row = np.asarray(x_row, dtype=float)
    heatmap = np.asarray(heatmap, dtype=float)
    F = len(x_row)
    names = list(feature_names) if feature_names is not None else [f"f{i + 1}" for i in range(F)]
    lo, hi = float(np.nanmin(x_row)), float(np.nanmax(x_row))
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    im = ax.imshow(heatmap[None, :], aspect="auto", cmap=cmap, vmin=0, vmax=1, alpha=0.85,
                   extent=(-0.5, F - 0.5, lo - pad, hi + pad), interpolation="nearest", origin="lower")
    ax.plot(np.arange(F), x_row, color="white", lw=2.6)
    ax.plot(np.arange(F), x_row, color="#1f77b4", lw=1.4, marker="o" if F <= 40 else None, ms=3)
    ax.set_xlim(-0.5, F - 0.5)
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
        labels = [f"{a + 1}–{b} ({_short(s.split('–')[0], 10)})" if b - a > 1 else _short(s, 20)
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
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    cb.set_label("attention weight", fontsize=8)


def draw_received_attention(ax, attention, index: int = 0, feature_names: Sequence[str] | None = None) -> None:
    """Attention each input feature's position receives (mean over queries), per feature."""
    up = attention.received_upsampled[index]
    F = len(up)
    names = list(feature_names) if feature_names is not None else [f"f{i + 1}" for i in range(F)]
    ax.plot(np.arange(F), up, color="#9467bd", lw=1.5, label="upsampled (linear)")
    for (start, end), value in zip(attention.spans, attention.received[index]):
        ax.hlines(value, start - 0.5, end - 0.5, color="#9467bd", lw=3, alpha=0.35)
    ax.set_xlim(-0.5, F - 0.5)
    _plain_axis(ax, up)
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
    ax_shap.set_ylabel(f"SHAP\n{_short(class_name, 12)}" if class_name else "SHAP", fontsize=8)
    ax_cam.fill_between(pos, gradcam, color="#ff7f0e", alpha=0.6, step="mid")
    ax_cam.set_ylim(0, 1.05)
    ax_cam.set_ylabel("Grad-CAM", fontsize=8)
    ax_att.plot(pos, received, color="#9467bd", lw=1.5)
    ax_att.set_ylabel("attention\nreceived", fontsize=8)
    _plain_axis(ax_att, received)
    for ax in axes:
        ax.set_xlim(-0.5, F - 0.5)
        ax.tick_params(labelsize=7)
        if ax is not ax_att:
            ax.tick_params(labelbottom=False)
    feature_ticks(ax_att, list(feature_names))


def rank_agreement(importances: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Spearman correlation between per-feature importances (names, (k, k) matrix)."""
    from scipy.stats import spearmanr

    names = list(importances)
    k = len(names)
    mat = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            x, y = np.asarray(importances[names[a]], float), np.asarray(importances[names[b]], float)
            rho = float(spearmanr(x, y).statistic) if np.ptp(x) > 0 and np.ptp(y) > 0 else float("nan")
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


__all__ = [
    "additivity_text", "comparison_figure", "draw_attention", "draw_beeswarm", "draw_comparison", "draw_force",
    "draw_gradcam", "draw_rank_agreement", "draw_received_attention", "draw_shap_bar", "draw_shap_heatmap",
    "draw_waterfall", "feature_ticks", "rank_agreement",
]
