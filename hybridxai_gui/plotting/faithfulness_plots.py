"""Faithfulness figures: deletion and insertion curves of each view with their areas, and the verdicts in
words, drawn onto a given matplotlib Figure (no pyplot; it computes nothing)."""

from __future__ import annotations

import textwrap

from ._common import setup_text  # noqa: F401  (names as typed, CJK glyphs: set up on import)

VIEW_COLORS = {"shap": "#d62728", "gradcam": "#ff7f0e", "attention": "#9467bd", "random": "0.45"}


def _curves(ax, faith, which: str, position: int | None) -> None:
    for name, view in faith.views.items():
        curve = getattr(view, which)
        y = curve[position] if position is not None else curve.mean(axis=0)
        auc = getattr(view, f"{which}_auc")
        area = float(auc[position]) if position is not None else float(auc.mean())
        random = name == "random"
        ax.plot(faith.fractions, y, color=VIEW_COLORS.get(name, None), lw=1.2 if random else 1.8,
                ls="--" if random else "-", marker="o" if len(faith.fractions) <= 25 else None, ms=3,
                label=f"{view.label} (area {area:.2f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.25)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.legend(fontsize=7, loc="lower left" if which == "deletion" else "lower right", framealpha=0.85)


def verdict_lines(faith, position: int | None, width_in: float, fontsize: float = 7.5) -> list[str]:
    """The verdicts, the ranking and the sanity check, wrapped to a text block `width_in` inches wide."""
    shown = faith.for_row(position) if position is not None else faith
    chars = max(50, int(width_in * 72 / (fontsize * 0.55)))
    lines = [shown.verdict(v) for v in shown.views] + [shown.ranking_text()]
    if faith.randomisation is not None:
        lines.append(faith.randomisation.text())
    return [wrapped for line in lines for wrapped in textwrap.wrap(line, chars)]


def draw_faithfulness(fig, faith, position: int | None = None, verdicts: bool = True) -> None:
    """Deletion (left) and insertion (right) curves; `position`: one explained row, None: the mean over rows.
    With `verdicts`, the plain-words verdicts, the ranking and the sanity check under the curves."""
    shown = faith.for_row(position) if position is not None else faith
    width, height = fig.get_size_inches()
    lines = verdict_lines(faith, position, width * 0.92) if verdicts else []
    text_h = min(0.55 * height, 0.16 * len(lines) + 0.15)
    gs = fig.add_gridspec(2 if verdicts else 1, 2, height_ratios=[height - text_h, text_h] if verdicts else [1])
    ax_del, ax_ins = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])
    _curves(ax_del, faith, "deletion", position)
    _curves(ax_ins, faith, "insertion", position)
    unit = faith.unit_word
    targets = set(shown.targets.tolist())
    what = (f"probability of {faith.class_names[int(shown.targets[0])]}" if len(targets) == 1
            else "probability of the explained class")
    ax_del.set_ylabel(what, fontsize=8)
    ax_del.set_xlabel(f"{unit}s removed, most important first", fontsize=8)
    ax_ins.set_xlabel(f"{unit}s put back, most important first", fontsize=8)
    where = f"row {int(shown.rows[0])}" if position is not None or len(shown.rows) == 1 \
        else f"mean of {len(shown.rows)} rows"
    ax_del.set_title(f"Deletion ({where}): lower area = more faithful", loc="left", fontsize=9)
    ax_ins.set_title("Insertion: higher area = more faithful", loc="left", fontsize=9)
    for ax in (ax_del, ax_ins):
        ax.tick_params(labelsize=7)
    if not verdicts:
        return
    text_ax = fig.add_subplot(gs[1, :])
    text_ax.axis("off")
    text_ax.text(0.0, 1.0, "\n".join(lines), ha="left", va="top", fontsize=7.5, transform=text_ax.transAxes)


def faithfulness_figure_size(faith, width: float = 11.0) -> tuple[float, float]:
    """A figure size with room for the curves (about 4 inches) and the wrapped verdicts."""
    lines = verdict_lines(faith, None, width * 0.92)
    return (width, 4.3 + 0.16 * len(lines) + 0.15)


__all__ = ["VIEW_COLORS", "draw_faithfulness", "faithfulness_figure_size", "verdict_lines"]
