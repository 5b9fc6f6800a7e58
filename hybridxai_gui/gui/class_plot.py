"""The Data tab's plot of the data per class: series (each channel's mean ± spread per class, one chosen
series on top) or a table's feature distributions per class. The canvas is named `seriesPlotCanvas`."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ..plotting.data_plots import draw_class_profile
from ..plotting.render import figure_drawing
from .figure_canvas import FigurePanel


class ClassPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("classPlot")
        self.profile = None
        self.panel = FigurePanel("seriesPlotCanvas", "Data per class", figsize=(8.0, 5.0))
        self.seriesRowSpin = QSpinBox()
        self.seriesRowSpin.setObjectName("seriesRowSpin")
        self.seriesRowSpin.setAccessibleName("Series to show")
        self.seriesRowSpin.setToolTip("Lay one series over the class means (its position in the file)")
        self.seriesRowSpin.setMinimum(-1)
        self.seriesRowSpin.setSpecialValueText("none")
        self.seriesRowSpin.setValue(-1)
        self.seriesRowSpin.valueChanged.connect(lambda _v: self._draw())
        self.pickedLabel = QLabel("")
        self.pickedLabel.setObjectName("seriesPickedLabel")
        row = QHBoxLayout()
        self.pickerLabel = QLabel("Show one series:")
        row.addWidget(self.pickerLabel)
        row.addWidget(self.seriesRowSpin)
        row.addWidget(self.pickedLabel, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.panel, 1)
        self.set_profile(None, "Open a CSV to see its rows per class.")

    def set_profile(self, profile, message: str = "") -> None:
        self.profile = profile
        series = profile is not None and profile.kind == "series"
        for w in (self.pickerLabel, self.seriesRowSpin, self.pickedLabel):
            w.setVisible(series)
        self.seriesRowSpin.blockSignals(True)
        self.seriesRowSpin.setMaximum(len(profile.X) - 1 if series else -1)
        self.seriesRowSpin.setValue(-1)
        self.seriesRowSpin.blockSignals(False)
        if profile is None:
            self.panel.clear(message)
            return
        self._draw()

    def _draw(self) -> None:
        profile = self.profile
        if profile is None:
            return
        picked = self.seriesRowSpin.value() if profile.kind == "series" else -1
        picked = None if picked < 0 else picked
        if picked is not None:
            k = int(profile.y[picked])
            name = profile.class_names[k] if k >= 0 else "another class"
            self.pickedLabel.setText(f"series {profile.ids[picked]} ({name}, {int(profile.lengths[picked])} steps)")
        else:
            self.pickedLabel.setText("")


        # drawn when the plot's tab is showing (or exported)
        self.panel.paint(figure_drawing(draw_class_profile, *for_drawing(profile, picked)))

    def figure_source(self):
        return self.panel

    def current_figure(self):
        return self.panel.settle()


def for_drawing(profile, picked: int | None):
    """(profile, picked) with only what the plot shows: the series of a long file can run to millions of
    values, and the render process needs the class means and the one series laid over them."""
    from dataclasses import replace

    if profile.kind != "series" or profile.X is None:
        return profile, picked
    keep = [] if picked is None else [picked]
    slim = replace(profile, X=profile.X[keep], y=None if profile.y is None else profile.y[keep],
                   ids=[profile.ids[i] for i in keep],
                   lengths=None if profile.lengths is None else profile.lengths[keep])
    return slim, (None if picked is None else 0)
