"""Live training charts (pyqtgraph): one curve per split, created once and updated with setData."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..plotting.training_plots import SPLITS, history_series


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
        self.showGrid(x=True, y=True, alpha=0.25)
        self.setMenuEnabled(False)
        # Loss falls and accuracy rises: keep each legend in the corner the curves leave free.
        self.legend = self.addLegend(offset=(-10, 10) if metric == "loss" else (-10, -30),
                                     labelTextColor="#202124", brush=pg.mkBrush(255, 255, 255, 210))
        self.curves: dict[str, pg.PlotDataItem] = {}
        for split, label, colour in SPLITS:
            self.curves[split] = self.plot([], [], name=label, pen=pg.mkPen(colour, width=2), symbol="o",
                                           symbolSize=5, symbolBrush=colour, symbolPen=None)
        self.best_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#5f6368", width=1, style=Qt.PenStyle.DashLine),
                                         label="best epoch", labelOpts={"position": 0.97 if metric == "loss" else 0.05,
                                                                 "color": "#5f6368"})
        self.best_line.setVisible(False)
        self.addItem(self.best_line)
        self.history: list[Any] = []
        for axis in ("left", "bottom"):
            self.getAxis(axis).setTextPen("#202124")
            self.getAxis(axis).setPen("#5f6368")

    def set_history(self, history: list[Any]) -> None:
        """Show `history` (EpochMetrics or dicts); call with the whole list after each epoch."""
        self.history = list(history)
        series = history_series(self.history, self.metric)
        for split, curve in self.curves.items():
            xs, ys = series.get(split, ([], []))
            curve.setData(xs, ys)
        best = 0
        if self.history:
            last = self.history[-1]
            best = (last.get("best_epoch") if isinstance(last, dict) else getattr(last, "best_epoch", 0)) or 0
        self.best_line.setVisible(bool(best))
        if best:
            self.best_line.setValue(best)
        if self.metric == "acc":
            values = [v for _x, ys in series.values() for v in ys if math.isfinite(v)]
            low = min(values, default=0.0)
            self.setYRange(max(0.0, min(low, 0.9) - 0.02), 1.01, padding=0)
        self.enableAutoRange(axis="x")

    def clear_history(self) -> None:
        self.set_history([])
