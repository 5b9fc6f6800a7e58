"""Calibration of the evaluated rows: the reliability diagram and the expected calibration error."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..plotting.evaluation_plots import draw_reliability
from ..plotting.render import axes_drawing


class CalibrationPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("calibrationPanel")
        self.reliability = None
        self.temperature = 1.0
        self.panel = None
        self.eceLabel = QLabel("No evaluation yet.")
        self.eceLabel.setObjectName("eceLabel")
        self.eceLabel.setAccessibleName("Expected calibration error")
        self.eceLabel.setWordWrap(True)
        self._holder = QWidget()
        QVBoxLayout(self._holder).setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.eceLabel)
        layout.addWidget(self._holder, 1)

    def ensure_canvases(self) -> None:
        if self.panel is not None:
            return
        from .figure_canvas import FigurePanel

        self.panel = FigurePanel("calibrationCanvas", "Reliability diagram", figsize=(5, 4))
        self._holder.layout().addWidget(self.panel)
        self.panel.show()
        self._paint()

    def set_result(self, result, temperature: float = 1.0) -> None:
        import numpy as np

        self.reliability, self.temperature = None, float(temperature)
        if result is not None and len(result.y_true) and np.isfinite(result.proba).all():
            from ..core.evaluation.calibration import reliability

            self.reliability = r = reliability(result.proba, result.y_true)
            scaled = (f" The probabilities are divided by a temperature of {temperature:.3f} fitted on the "
                      "validation rows." if temperature != 1.0 else
                      " Tick “Calibrate probabilities” on the Training tab to fit a temperature on validation rows "
                      "(15 % of the training rows unless a “Validation share” is set on the Data tab).")
            self.eceLabel.setText(f"Expected calibration error <b>{r.ece:.3f}</b> over {r.n_rows} rows (10 bins): "
                                  f"on average the probability of the predicted class is off from how often it is "
                                  f"right by this much; the worst bin by {r.max_gap:.3f}.{scaled}")
        else:
            self.eceLabel.setText("No evaluation yet." if result is None else "No rows with finite probabilities.")
        self._paint()

    def _paint(self) -> None:
        if self.panel is None:
            return
        if self.reliability is None:
            self.panel.clear("No evaluation yet")
            return

        self.panel.paint(axes_drawing(draw_reliability, self.reliability, temperature=self.temperature))

    def figure_source(self):
        if self.panel is None or self.reliability is None:
            return None
        return self.panel

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
