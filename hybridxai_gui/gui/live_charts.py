"""Live training charts (pyqtgraph): one curve per split, created once and updated with setData.

A repaint of both charts must stay well under the 50 ms a GUI-thread stall may take, while the training
worker competes for the GIL. Measured offscreen on the benchmark machine (both charts, 30 epochs):
54 ms a redraw with pyqtgraph's grid and auto-range, 7 ms without. So:

* no grid: its semi-transparent lines across the plot were two thirds of every repaint;
* no auto-range: the axes only re-lay out their ticks (and the view only paints twice) when the range
  changes, so the ranges here change in coarse steps: x to the planned number of epochs, loss from 0 to
  a rounded-up maximum, accuracy from a lower bound in steps of 0.1 to 1.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..plotting.training_plots import SPLITS, best_epoch, history_series


def _value(record: Any, key: str) -> Any:
    return record.get(key) if isinstance(record, dict) else getattr(record, key, None)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (× a power of ten) that is >= value."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(m * scale for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * scale >= value * (1 - 1e-9))


class LiveChart(pg.PlotWidget):
    """A loss or accuracy chart: train / validation / test curves, legend and a best-epoch line."""

    def __init__(self, metric: str, title: str, ylabel: str, object_name: str, parent=None):
        super().__init__(parent=parent, background="w")
        self.metric = metric
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        self.setTitle(title, color="#202124", size="11pt")
        self.setLabel("bottom", "epoch")
        self.setLabel("left", ylabel)
        self.setMenuEnabled(False)
        self.disableAutoRange()  # set_history sets the ranges, in coarse steps (see the module's note)
        self._ranges: tuple | None = None
        self._finished = True  # False while a run goes on: the x axis then spans the planned epochs
        # One row across the top, over headroom the y range leaves free above the curves (see _set_ranges).
        self.legend = self.addLegend(offset=(-10, 5), labelTextColor="#202124", brush=pg.mkBrush(255, 255, 255, 210),
                                     colCount=len(SPLITS))
        self.curves: dict[str, pg.PlotDataItem] = {}
        for split, label, colour in SPLITS:
            self.curves[split] = self.plot([], [], name=label, pen=pg.mkPen(colour, width=2), symbol="o",
                                           symbolSize=5, symbolBrush=colour, symbolPen=None)
        self._legend_splits = tuple(self.curves)  # the legend names only the curves that have points
        self.best_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#5f6368", width=1, style=Qt.PenStyle.DashLine),
                                         label="best epoch", labelOpts={"position": 0.05, "color": "#3c4043",
                                                                 "fill": pg.mkBrush(255, 255, 255, 200)})
        self.best_line.setVisible(False)
        self.addItem(self.best_line)
        self.history: list[Any] = []
        for axis in ("left", "bottom"):
            self.getAxis(axis).setTextPen("#202124")
            self.getAxis(axis).setPen("#5f6368")
        self._set_ranges({})

    def set_history(self, history: list[Any]) -> None:
        """Show `history` (EpochMetrics or dicts); call with the whole list after each epoch."""
        self.history = list(history)
        series = history_series(self.history, self.metric)
        for split, curve in self.curves.items():
            xs, ys = series.get(split, ([], []))
            curve.setData(xs, ys)
        present = tuple(split for split in self.curves if split in series)
        if present != self._legend_splits:  # e.g. no validation rows (the default): no "validation" entry
            self.legend.clear()
            for split, label, _colour in SPLITS:
                if split in present:
                    self.legend.addItem(self.curves[split], label)
            self._legend_splits = present
        best = best_epoch(self.history)  # 0 without validation rows: no line
        self.best_line.setVisible(bool(best))
        if best:
            self.best_line.setValue(best)
        self._set_ranges(series)

    def _set_ranges(self, series: dict) -> None:
        last = _value(self.history[-1], "epoch") if self.history else 0
        planned = _value(self.history[-1], "epochs") if self.history else 0
        last, planned = int(last or len(self.history)), int(planned or 0)
        if self._finished and last:  # the run is over (or a saved history): end at its last epoch
            x_max = max(2, last)
        else:
            x_max = planned if planned >= last else max(10, 2 ** math.ceil(math.log2(max(1, last))))
        values = [v for _x, ys in series.values() for v in ys if math.isfinite(v)]
        # Headroom above the curves (about a sixth of the height) for the one-row legend.
        if self.metric == "acc":
            low = min(values, default=0.0)
            bottom = max(0.0, math.floor((min(low, 0.9) - 0.02) * 10) / 10)
            y_range = (bottom, 1.0 + (1.0 - bottom) * 0.18)
        else:
            y_range = (0.0, _nice_ceiling(max(values, default=1.0) * 1.2))
        ranges = ((0.5, x_max + 0.5), y_range)
        if ranges != self._ranges:  # an unchanged range costs no re-layout of the axes
            self._ranges = ranges
            self.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)
            step = next(m * 10 ** e for e in range(7) for m in (1, 2, 5) if m * 10 ** e * 8 >= x_max)
            self.getAxis("bottom").setTickSpacing(step, step)  # whole epochs only, never 1.5 or 2.5

