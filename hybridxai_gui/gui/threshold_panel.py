"""Two-class problems: a decision threshold with sensitivity, specificity, precision and the confusion matrix
following it, and the precision-recall curve with the threshold's point on it.

The numbers are recomputed from the evaluation's probabilities at once (microseconds); the two figures are
redrawn once the control rests (a slider drag would otherwise queue a redraw per step), and only while
their page shows (`FigurePanel.paint`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QSplitter,
                               QVBoxLayout, QWidget)

from ..plotting.evaluation_plots import draw_confusion_matrix, draw_precision_recall
from ..plotting.render import axes_drawing


def _pct(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.3f}"


class ThresholdPanel(QWidget):
    thresholdChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("thresholdPanel")
        self.result = None
        self.metrics = None  # core.evaluation.ThresholdMetrics at the current threshold
        self.curve = None  # core.evaluation.PrecisionRecall of the positive class
        self.confusionPanel = self.prPanel = None
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(120)
        self._redraw.timeout.connect(self._paint)
        self._build()
        self.set_result(None)

    def _build(self) -> None:
        self.positiveClassCombo = QComboBox()
        self.positiveClassCombo.setObjectName("positiveClassCombo")
        self.positiveClassCombo.setAccessibleName("Positive class")
        self.positiveClassCombo.setToolTip("The class the threshold, sensitivity and precision are about")
        self.positiveClassCombo.currentIndexChanged.connect(lambda _i: self._positive_changed())
        self.thresholdSpin = QDoubleSpinBox()
        self.thresholdSpin.setObjectName("thresholdSpin")
        self.thresholdSpin.setAccessibleName("Decision threshold")
        self.thresholdSpin.setRange(0.0, 1.0)
        self.thresholdSpin.setSingleStep(0.01)
        self.thresholdSpin.setDecimals(3)
        self.thresholdSpin.setValue(0.5)
        self.thresholdSpin.setToolTip("A row is called positive when its probability of the positive class is at "
                                      "least this")
        self.thresholdSlider = QSlider(Qt.Orientation.Horizontal)
        self.thresholdSlider.setObjectName("thresholdSlider")
        self.thresholdSlider.setAccessibleName("Decision threshold slider")
        self.thresholdSlider.setRange(0, 1000)
        self.thresholdSlider.setValue(500)
        self.thresholdSpin.valueChanged.connect(self._spin_moved)
        self.thresholdSlider.valueChanged.connect(lambda v: self.thresholdSpin.setValue(v / 1000))
        self.thresholdMetricsLabel = QLabel()
        self.thresholdMetricsLabel.setObjectName("thresholdMetricsLabel")
        self.thresholdMetricsLabel.setAccessibleName("Sensitivity, specificity and precision")
        self.thresholdMetricsLabel.setWordWrap(True)
        self.thresholdMetricsLabel.setTextFormat(Qt.TextFormat.RichText)
        form = QFormLayout()
        form.addRow("Positive class:", self.positiveClassCombo)
        row = QHBoxLayout()
        row.addWidget(self.thresholdSpin)
        row.addWidget(self.thresholdSlider, 1)
        form.addRow("Threshold:", row)
        self._holders = [QWidget(), QWidget()]
        for holder in self._holders:
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        figures = QSplitter(Qt.Orientation.Horizontal)
        for holder in self._holders:
            figures.addWidget(holder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.thresholdMetricsLabel)
        layout.addWidget(figures, 1)

    def ensure_canvases(self) -> None:
        if self.confusionPanel is not None:
            return
        from .figure_canvas import FigurePanel

        self.confusionPanel = FigurePanel("thresholdConfusionCanvas", "Confusion matrix at the threshold",
                                          figsize=(4, 3.5))
        self.prPanel = FigurePanel("prCanvas", "Precision-recall curve", figsize=(4, 3.5))
        for holder, panel in zip(self._holders, (self.confusionPanel, self.prPanel)):
            holder.layout().addWidget(panel)
            panel.show()
        self._paint()

    @property
    def threshold(self) -> float:
        return float(self.thresholdSpin.value())

    @property
    def positive(self) -> int:
        return max(0, self.positiveClassCombo.currentIndex())

    def set_result(self, result) -> None:
        """Show an EvaluationResult; the controls work only for two classes."""
        self.result = result
        two = result is not None and len(result.class_names) == 2 and len(result.y_true) > 0
        self.positiveClassCombo.blockSignals(True)
        self.positiveClassCombo.clear()
        if two:
            self.positiveClassCombo.addItems(list(result.class_names))
            self.positiveClassCombo.setCurrentIndex(1)
        self.positiveClassCombo.blockSignals(False)
        for w in (self.positiveClassCombo, self.thresholdSpin, self.thresholdSlider):
            w.setEnabled(two)
        if result is None:
            self.thresholdMetricsLabel.setText("No evaluation yet.")
        elif not two:
            self.thresholdMetricsLabel.setText(f"The threshold is for two-class problems; this model has "
                                               f"{len(result.class_names)} classes: each row goes to its most "
                                               "probable class.")
        self._positive_changed()

    def _positive_changed(self) -> None:
        self.curve = None
        if self.positiveClassCombo.count() == 2 and self.result is not None:
            from ..core.evaluation.metrics import precision_recall

            self.curve = precision_recall(self.result.y_true, self.result.proba[:, self.positive], self.positive)
        self._update()

    def _spin_moved(self, value: float) -> None:
        self.thresholdSlider.blockSignals(True)
        self.thresholdSlider.setValue(int(round(value * 1000)))
        self.thresholdSlider.blockSignals(False)
        self._update()
        self.thresholdChanged.emit(float(value))

    def _update(self) -> None:
        """The numbers now; the figures when the control rests."""
        self.metrics = None
        if self.positiveClassCombo.count() == 2 and self.result is not None:
            from ..core.evaluation.metrics import threshold_metrics

            self.metrics = m = threshold_metrics(self.result.y_true, self.result.proba[:, self.positive],
                                                 self.threshold, self.positive)
            name = self.result.class_names[self.positive]
            self.thresholdMetricsLabel.setText(
                f"Positive class <b>{name}</b> at threshold <b>{m.threshold:.3f}</b>: "
                f"sensitivity <b>{_pct(m.sensitivity)}</b> ({m.tp} of {m.tp + m.fn} found), "
                f"specificity <b>{_pct(m.specificity)}</b> ({m.tn} of {m.tn + m.fp}), "
                f"precision <b>{_pct(m.precision)}</b> ({m.tp} of {m.tp + m.fp} called positive), "
                f"accuracy {_pct(m.accuracy)}.")
        self._redraw.start()

    def _paint(self) -> None:
        if self.confusionPanel is None:
            return
        if self.metrics is None:
            text = "Two-class problems only" if self.result is not None else "No evaluation yet"
            self.confusionPanel.clear(text)
            self.prPanel.clear(text)
            return

        metrics, curve, names = self.metrics, self.curve, list(self.result.class_names)
        self.confusionPanel.paint(axes_drawing(draw_confusion_matrix, metrics.confusion, names,
                                               title=f"Confusion at threshold {metrics.threshold:.2f}"))
        self.prPanel.paint(axes_drawing(draw_precision_recall, curve, positive_name=names[metrics.positive],
                                        threshold_point=metrics))

    def figure_source(self):
        if self.confusionPanel is None or self.metrics is None:
            return None
        self._redraw.stop()
        self._paint()
        return self.prPanel

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
