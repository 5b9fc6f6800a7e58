"""One series' explanation on its own time axis: which channel, and when (no pyplot, no Qt, computes nothing).

Top: the channels × time map of SHAP (one cell per channel and time segment, signed). Below, one panel per
channel: the channel's values, the segments coloured by their SHAP value (red pushes towards the class, blue
against it), and under the curve two bands, Grad-CAM and attention over time; those two are maps over time
only (the network mixes the channels in its first layer), so they are the same under every channel.
"""

from __future__ import annotations

import numpy as np

from ._common import NEG_COLOR, POS_COLOR, short_name

MAX_CHANNELS = 8


def _segments(groups, length: int) -> list[tuple[int, int, int]]:
    """(channel, first step, last step) of each unit of a channel-major row of T = length steps."""
    out = []
    for members in groups:
        members = np.asarray(members)
        out.append((int(members[0] // length), int(members[0] % length), int(members[-1] % length)))
    return out


def draw_series_explanation(fig, values: np.ndarray, unit_values: np.ndarray, groups, channels, gradcam: np.ndarray,
                            attention: np.ndarray, own_length: int | None = None, class_name: str = "",
                            title: str = "", units: str = "probability", padded: bool = False) -> None:
    """values (C, T) one series as the model reads it (scaled); unit_values (G,) SHAP of the explained class per
    unit; groups the features of each unit (channel-major); gradcam, attention (T,) maps over time in [0, 1]
    (attention: received attention); own_length: the series' own steps (x axis), default T. `padded`: the model
    read the series on its own time axis with zeros after its end (SeriesSpec.padded), so its step t is the
    series' step t and the steps after its end (the padding, which the model reads too) are shaded; else the
    model's T steps are spread over the series' own length (it was resampled)."""
    values = np.asarray(values, dtype=np.float64)
    C, T = values.shape
    shown = min(C, MAX_CHANNELS)
    own = int(own_length or T)
    if padded:
        steps = np.arange(T, dtype=np.float64)  # step t of the model is step t of the series
        axis_end = T
    else:
        steps = np.linspace(0.0, own - 1.0, T)  # the model's steps on the series' own time axis
        axis_end = own
    segments = _segments(groups, T)
    scale = float(np.max(np.abs(unit_values))) or 1.0
    grid = fig.add_gridspec(shown + 1, 1, height_ratios=[1.2] + [1.0] * shown)

    # channels × time map of SHAP
    ax = fig.add_subplot(grid[0])
    for (c, start, end), v in zip(segments, unit_values):
        if c >= shown:
            continue
        colour = POS_COLOR if v >= 0 else NEG_COLOR
        ax.axvspan(steps[start] - 0.5, steps[end] + 0.5, ymin=1 - (c + 1) / shown, ymax=1 - c / shown,
                   color=colour, alpha=0.08 + 0.87 * abs(v) / scale, linewidth=0)
    if padded and own < T:  # where the series ends and the padding begins
        ax.axvline(own - 0.5, color="0.35", linewidth=0.8, linestyle="--")
    ax.set_xlim(-0.5, axis_end - 0.5)
    ax.set_yticks([1 - (c + 0.5) / shown for c in range(shown)])
    ax.set_yticklabels([short_name(str(ch), 14) for ch in channels[:shown]], fontsize=7)
    ax.set_ylim(0, 1)
    ax.tick_params(labelbottom=False, labelsize=7)
    what = "probability" if units == "probability" else "logit"
    ax.set_title(title or f"Which channel, and when: SHAP for class {class_name}", fontsize=10, loc="left")
    ax.text(1.0, 1.02, f"red: pushes the {what} of {class_name} up · blue: down · darker: stronger",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.35")

    cam = np.interp(np.arange(axis_end), steps, np.asarray(gradcam, dtype=np.float64))
    att = np.asarray(attention, dtype=np.float64)
    att = (att - att.min()) / (np.ptp(att) or 1.0)
    att = np.interp(np.arange(axis_end), steps, att)
    tail = padded and own < T  # the steps after the series' end that the model read as zeros
    for c in range(shown):
        ax = fig.add_subplot(grid[c + 1], sharex=fig.axes[0])
        low, high = float(values[c].min()), float(values[c].max())
        span = (high - low) or 1.0
        band = 0.12 * span
        for (ch, start, end), v in zip(segments, unit_values):
            if ch == c and abs(v) > 0:
                ax.axvspan(steps[start] - 0.5, steps[end] + 0.5, color=POS_COLOR if v >= 0 else NEG_COLOR,
                           alpha=0.05 + 0.45 * abs(v) / scale, linewidth=0)
        if tail:
            ax.plot(steps[:own], values[c, :own], color="black", linewidth=1.0)
            ax.plot(steps[own - 1:], values[c, own - 1:], color="0.6", linewidth=0.8, linestyle=":")
            ax.axvspan(own - 0.5, T - 0.5, color="0.5", alpha=0.12, linewidth=0)
        else:
            ax.plot(steps, values[c], color="black", linewidth=1.0)
        # Grad-CAM and attention under the curve: two thin bands over the series' own time
        ax.imshow(cam[None, :], aspect="auto", cmap="Oranges", vmin=0, vmax=1, alpha=0.9,
                  extent=(-0.5, axis_end - 0.5, low - 2.2 * band, low - 1.2 * band), interpolation="nearest")
        ax.imshow(att[None, :], aspect="auto", cmap="Purples", vmin=0, vmax=1, alpha=0.9,
                  extent=(-0.5, axis_end - 0.5, low - 3.4 * band, low - 2.4 * band), interpolation="nearest")
        ax.set_ylim(low - 3.6 * band, high + 0.1 * span)
        ax.set_ylabel(short_name(str(channels[c]), 12), fontsize=8)
        ax.tick_params(labelsize=7, labelbottom=c == shown - 1)
        ax.set_xlim(-0.5, axis_end - 0.5)
    if padded:
        fig.axes[-1].set_xlabel(f"time step of this series ({own} steps)" + (
            f"; grey: padding (zeros after its end) up to the {T} steps the model reads" if own < T else
            f"; the model reads its first {T}" if own > T else ""), fontsize=8)
    else:
        fig.axes[-1].set_xlabel(f"time step of this series ({own} steps)" + (
            f"; the model reads {T}" if own != T else ""), fontsize=8)
    note = "under each channel: Grad-CAM (orange) and attention (purple), maps over time shared by all channels"
    if C > shown:
        note += f"; first {shown} of {C} channels"
    fig.axes[-1].text(0.0, -0.55, note, transform=fig.axes[-1].transAxes, fontsize=7, color="0.35", va="top")
