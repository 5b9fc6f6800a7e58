"""Explanation figures drawn onto matplotlib Axes handed in by the caller (no pyplot).

SHAP: `draw_shap_bar`, `draw_beeswarm`, `draw_waterfall`, `draw_force`, `draw_shap_heatmap`.
Grad-CAM and attention: `draw_gradcam`, `draw_attention`, `draw_received_attention`.
One row side by side: `draw_comparison` (several Axes sharing x) and `draw_rank_agreement`.

Every SHAP figure shows the additivity check (`additivity_text`) in its right-hand title, red when
the check failed, and names its units in words (the probability of a class, or the logit). Many
features stay readable: bar, beeswarm and waterfall show the top k (15 by default) and sum the rest
into one "N other features" entry; feature-name ticks are thinned. A unit may be a group of features (a
segment of a series): it is named, without a value.
"""

from __future__ import annotations

import numpy as np

from ..core.explain.summary import format_number
from ._common import (BAD_COLOR, CLASS_COLORS, MAX_TICKS, NEG_COLOR, OK_COLOR, POS_COLOR, TOP_K,  # noqa: F401
                      additivity_text,
                      feature_ticks, short_name as _short)


# ---------------------------------------------------------------------------------------------
# helpers


def _titles(ax, main: str, result, fontsize: float = 10) -> None:
    """Main title on top, the additivity line (green/red) just under it, never overlapping."""
    ax.set_title(main, loc="left", fontsize=fontsize, pad=14)
    ax.text(0.0, 1.01, additivity_text(result), transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
            color=OK_COLOR if result.additive else BAD_COLOR)


def _display_X(result) -> np.ndarray:
    return result.X_raw if getattr(result, "X_raw", None) is not None else result.X


def _units(result) -> str:
    return getattr(result, "units", "logit")


def _unit_words(result, class_name: str | None = None) -> str:
    from ..core.explain.shap_result import units_words

    return units_words(_units(result), class_name)


def _value_text(result, v: float) -> str:
    """An output value (base, prediction) in the result's units: probabilities to 2-3 digits."""
    if _units(result) == "probability":
        from ..core.explain.shap_result import format_probability

        return format_probability(v)
    return format_number(v)


def _effect_text(result, v: float) -> str:
    from ..core.explain.shap_result import format_effect

    return format_effect(v, _units(result))


def _unit_label(result, row: int, i: int, width: int = 22) -> str:
    """'name = value' for a single feature, the name alone for a group of features."""
    value = result.unit_value(row, i) if hasattr(result, "unit_value") else float(_display_X(result)[row, i])
    name = _short(result.feature_names[i], width)
    return name if value is None else f"{name} = {value if isinstance(value, str) else format_number(value)}"


def _unit_colour_values(result) -> np.ndarray:
    """(R, U) the value each unit shows in the beeswarm's colour: the feature, or the mean of a group's features."""
    Xd = _display_X(result)
    groups = getattr(result, "groups", None)
    if groups is None:
        return Xd
    return np.stack([Xd[:, np.asarray(g)].mean(axis=1) for g in groups], axis=1)


def _top_features(importance: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the top_k features by importance, most important first."""
    order = np.argsort(-importance, kind="stable")
    return order[:top_k]


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
    # Stacked, the summed rest is one grey bar: split by class colours and cut at the axis edge it read as
    # one class's contribution.
    named = len(data) - (1 if len(rest) and stacked else 0)
    for c in range(C):
        color = CLASS_COLORS[c % len(CLASS_COLORS)]
        if stacked:
            ax.barh(y[:named], data[:named, c], left=left[:named], height=height, color=color,
                    label=result.class_names[c])
            left[:named] += data[:named, c]
        else:
            ax.barh(y + (c - (C - 1) / 2) * height, data[:, c], height=height, color=color,
                    label=result.class_names[c])
    if len(rest) and stacked:
        ax.barh(y[-1:], data[-1:].sum(axis=1), height=height, color="0.72")  # named by its grey tick label
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
            ax.text(edge * 0.99, y[-1], f"total {format_number(rest_total)} ▸", ha="right", va="center", fontsize=7,
                    color="white", fontweight="bold")
    ax.set_xlabel(f"mean |SHAP value| ({_unit_words(result)})" + (", summed over classes" if stacked else ""))
    rows = f"{result.n_rows} row" + ("s" if result.n_rows != 1 else "")
    _titles(ax, f"Feature importance, {rows} ({result.method})", result)
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
    Xd = _unit_colour_values(result)
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
    ax.set_xlabel(f"effect on the {_unit_words(result, result.class_names[c])}")
    _titles(ax, f"SHAP values per row, class {result.class_names[c]}", result)
    if sc is not None:
        cb = ax.figure.colorbar(sc, ax=ax, fraction=0.04, pad=0.02, ticks=[0, 1])
        cb.ax.set_yticklabels(["low", "high"], fontsize=8)
        cb.set_label("feature value", fontsize=8)


def _row_contributions(result, row: int, c: int, top_k: int, with_errors: bool = False):
    """(label, value) of the top_k units of the row and the rest summed; with_errors: (label, value, standard
    error or None) — None for the summed rest (its parts' errors are not independent) and for methods that state
    none."""
    phi = result.values[row, :, c]
    top = _top_features(np.abs(phi), top_k)
    rest = np.setdiff1d(np.arange(len(phi)), top)
    se = getattr(result, "standard_error", None)
    if se is None or getattr(result, "method", "") != "permutation" or not np.isfinite(se[row, :, c]).all():
        se = None
    items = [(_unit_label(result, row, i), float(phi[i]), None if se is None else float(se[row, i, c])) for i in top]
    if len(rest):
        items.append((f"{len(rest)} other features", float(phi[rest].sum()), None))
    return items if with_errors else [item[:2] for item in items]


def _row_title(result, row: int, c: int) -> str:
    pred = result.class_names[result.predicted[row]]
    true = ""
    if result.true is not None:
        true = f", true {result.class_names[result.true[row]]}"
    return f"Row {result.rows[row]}: class {result.class_names[c]} (predicted {pred}{true})"


def draw_waterfall(ax, result, row: int = 0, class_index: int | None = None, top_k: int = TOP_K) -> None:
    """From the average prediction over the background to this row's prediction, in the result's units: one
    signed bar per feature (largest |SHAP| at the top; red pushes towards the class, blue against), rest
    summed."""
    c = int(result.predicted[row]) if class_index is None else int(class_index)
    base = float(result.base_values[c])
    fx = float(result.model_output[row, c])
    items = _row_contributions(result, row, c, top_k, with_errors=True)
    n = len(items)
    # draw from the bottom (base value) upwards, smallest contributions first
    order = items[::-1]
    start = base
    span = max(abs(v) for _, v, _ in items) if items else 1.0
    whiskers = False
    for k, (label, v, se) in enumerate(order):
        color = POS_COLOR if v >= 0 else NEG_COLOR
        ax.barh(k, v, left=start, height=0.7, color=color)
        end = start + v
        right = max(start, end)  # the label starts right of the bar and of its whisker
        if se is not None and se > 0:  # ±2 standard errors of sampling around the bar's end
            ax.errorbar(end, k, xerr=2 * se, fmt="none", ecolor="0.15", elinewidth=0.8, capsize=2.5, capthick=0.8)
            right, whiskers = max(right, end + 2 * se), True
        txt = _effect_text(result, v)
        ax.text(right + 0.01 * span, k, txt, va="center", ha="left", fontsize=7, color=color)
        if k < n - 1:
            ax.plot([end, end], [k + 0.35, k + 0.65], color="0.5", lw=0.6)
        start = end
    ax.set_yticks(np.arange(n))
    ax.set_yticklabels([lbl for lbl, _, _ in order], fontsize=8)
    ax.axvline(base, color="0.4", ls="--", lw=0.8)
    ax.axvline(fx, color="0.1", ls=":", lw=0.8)
    ax.set_ylim(-1.0, n + 0.1)
    ax.text(base, -0.65, f"average prediction over the background: {_value_text(result, base)}", ha="center",
            va="center", fontsize=7, color="0.3", bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.9))
    ax.text(fx, n - 0.35, f"this row's prediction: {_value_text(result, fx)}", ha="center", va="bottom", fontsize=7,
            color="0.1", fontweight="bold", bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.9))
    ends = base + np.cumsum([v for _, v, _ in order])
    reach = np.array([2 * se if se else 0.0 for _, _, se in order])
    lo = min(base, fx, *(ends - reach))
    hi = max(base, fx, *(ends + reach))
    pad = 0.12 * max(hi - lo, 1e-9)
    ax.set_xlim(lo - pad, hi + 1.5 * pad)
    ax.set_xlabel(f"{_unit_words(result, result.class_names[c])}   (red pushes towards the class, blue against)")
    _titles(ax, _row_title(result, row, c), result, fontsize=9)
    if whiskers:
        ax.text(1.0, 1.01, "whiskers: ±2 standard errors of sampling", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7, color="0.3")


def draw_force(ax, result, row: int = 0, class_index: int | None = None, top_k: int = 8) -> None:
    """Force plot: contributions as arrows along the output axis (probability or logit), red pushing up, blue
    pushing down."""
    from matplotlib.patches import Polygon

    c = int(result.predicted[row]) if class_index is None else int(class_index)
    base = float(result.base_values[c])
    fx = float(result.model_output[row, c])
    phi = result.values[row, :, c]
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
        text = _unit_label(result, row, i, 16)
        half = 0.5 * len(text) * char_w
        level = next((lv for lv, end in enumerate(level_end) if xm - half > end), None)
        if level is None:
            continue  # no room: the contribution stays unlabelled (it is also in the waterfall)
        level_end[level] = xm + half + char_w
        ax.annotate(f"{text}\n{_effect_text(result, float(phi[i]))}", xy=(xm, -0.27),
                    xytext=(xm, label_y - 0.3 * level), ha="center", va="top", fontsize=6.5, color=color,
                    arrowprops=dict(arrowstyle="-", color=color, lw=0.5))
    ax.axvline(fx, color="0.1", lw=1.0)
    ax.text(fx, 0.42, f"this row's prediction: {_value_text(result, fx)}", ha="center", va="bottom", fontsize=8,
            fontweight="bold")
    ax.plot([base], [0.33], marker="v", color="0.4")
    ax.text(base, 0.55, f"average over the background: {_value_text(result, base)}", ha="center", va="bottom",
            fontsize=7, color="0.4")
    ax.set_xlim(lo - 0.05 * width, hi + 0.05 * width)
    ax.set_ylim(-1.95, 0.9)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"{_unit_words(result, result.class_names[c])}   (red pushes higher, blue lower)")
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
    cb.set_label(f"effect ({_unit_words(result)})", fontsize=8)


# ---------------------------------------------------------------------------------------------
# Grad-CAM and attention


# Grad-CAM, attention and comparison figures live in map_plots; kept importable from here.
from .map_plots import (  # noqa: E402,F401
    comparison_figure, draw_attention, draw_comparison, draw_gradcam, draw_rank_agreement, draw_received_attention,
    rank_agreement)

__all__ = [
    "additivity_text", "comparison_figure", "draw_attention", "draw_beeswarm", "draw_comparison", "draw_force",
    "draw_gradcam", "draw_rank_agreement", "draw_received_attention", "draw_shap_bar", "draw_shap_heatmap",
    "draw_waterfall", "feature_ticks", "rank_agreement",
]
