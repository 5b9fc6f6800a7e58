"""The Evaluation tab: confusion matrix, ROC curves, classification report, misclassified test rows.

It only shows an `EvaluationResult` computed elsewhere (in the training worker, or when a model file
is opened). A double-click on a misclassified row asks the Explanations tab to explain it.

The two figures cost the GUI thread 0.4-0.8 s to draw, and a result usually arrives while the Training
tab is showing: each is drawn when its panel is first shown (`FigurePanel.paint`), or on demand when
it is exported (`current_figure`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)


def _item(value: Any, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(value if isinstance(value, str) else f"{value:.3f}" if isinstance(value, float)
                            else str(value))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right or not isinstance(value, str):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class EvaluationTab(QWidget):
    explainRequested = Signal(int)  # index into the evaluated (test) rows

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluationTab")
        self.setAccessibleName("Evaluation")
        self.result = None
        self.explainable = True
        self._build()

    def _build(self) -> None:
        self.summaryLabel = QLabel("Train a model (Training tab) or open a model file to see its evaluation "
                                   "on the test rows.")
        self.summaryLabel.setObjectName("evaluationSummaryLabel")
        self.summaryLabel.setWordWrap(True)
        self.normaliseCheck = QCheckBox("Row-normalised (recall on the diagonal)")
        self.normaliseCheck.setObjectName("normaliseConfusionCheck")
        self.normaliseCheck.setAccessibleName("Row-normalised confusion matrix")
        self.normaliseCheck.toggled.connect(lambda _on: self._draw_confusion())
        top = QHBoxLayout()
        top.addWidget(self.summaryLabel, 1)
        top.addWidget(self.normaliseCheck)

        # The matplotlib canvases are built on first use (ensure_panels): its Qt backend costs ~0.5 s of
        # start-up otherwise.
        self.confusionPanel = self.rocPanel = None
        self._holders = [QWidget(), QWidget()]
        self.figureTabs = QTabWidget()
        self.figureTabs.setObjectName("evaluationFigureTabs")
        for holder, title in zip(self._holders, ("Confusion matrix", "ROC curves")):
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.figureTabs.addTab(holder, title)

        self.classificationReportTable = QTableWidget(0, 4)
        self.classificationReportTable.setObjectName("classificationReportTable")
        self.classificationReportTable.setAccessibleName("Classification report")
        self.classificationReportTable.setHorizontalHeaderLabels(["precision", "recall", "F1", "support"])
        self.classificationReportTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.misclassifiedTable = QTableWidget(0, 4)
        self.misclassifiedTable.setObjectName("misclassifiedTable")
        self.misclassifiedTable.setAccessibleName("Misclassified test rows")
        self.misclassifiedTable.setHorizontalHeaderLabels(["row", "true class", "predicted", "confidence"])
        self.misclassifiedTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.misclassifiedTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.misclassifiedTable.setToolTip("Double-click a row to explain it on the Explanations tab")
        self.misclassifiedTable.verticalHeader().setVisible(False)
        self.misclassifiedTable.cellActivated.connect(self._row_activated)  # double-click or Enter
        self.misclassifiedLabel = QLabel("Misclassified test rows (double-click to explain):")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Classification report (test rows):"))
        rl.addWidget(self.classificationReportTable)
        rl.addWidget(self.misclassifiedLabel)
        rl.addWidget(self.misclassifiedTable, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.figureTabs)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def ensure_panels(self) -> None:
        if self.confusionPanel is not None:
            return
        from .figure_canvas import FigurePanel

        self.confusionPanel = FigurePanel("confusionMatrixCanvas", "Confusion matrix", figsize=(5, 4))
        self.rocPanel = FigurePanel("rocCanvas", "ROC curves", figsize=(5, 4))
        self._holders[0].layout().addWidget(self.confusionPanel)
        self._holders[1].layout().addWidget(self.rocPanel)
        self.confusionPanel.show()  # visible now where their page shows (the layout would wait a loop)
        self.rocPanel.show()
        if self.result is None:
            self.confusionPanel.clear("No evaluation yet")
            self.rocPanel.clear("No evaluation yet")

    def showEvent(self, event) -> None:
        self.ensure_panels()
        super().showEvent(event)

    def clear(self, message: str = "No evaluation yet") -> None:
        self.result = None
        self.summaryLabel.setText(message)
        self.classificationReportTable.setRowCount(0)
        self.misclassifiedTable.setRowCount(0)
        self.ensure_panels()
        self.confusionPanel.clear(message)
        self.rocPanel.clear(message)

    def set_result(self, result, source: str = "test rows", explainable: bool = True) -> None:
        """Show an EvaluationResult. explainable=False: the rows' values are not at hand (a model file keeps
        only their predictions), so a misclassified row cannot be opened on the Explanations tab."""
        self.result = result
        self.explainable = explainable
        self.ensure_panels()
        auc = f", ROC-AUC {result.roc_auc_macro:.3f}" if result.roc_auc_macro is not None else ""
        wrong = len(result.misclassified)
        self.summaryLabel.setText(f"<b>{len(result.y_true)} {source}</b>: accuracy {result.accuracy:.3f}, "
                                  f"macro F1 {result.macro_f1:.3f}{auc}; {wrong} misclassified.")
        self._draw_confusion()

        def draw_roc(figure) -> None:
            from ..plotting.evaluation_plots import draw_roc_curves

            draw_roc_curves(figure.add_subplot(), result.roc_curves, result.roc_auc)

        self.rocPanel.paint(draw_roc)  # drawn when the ROC panel is shown (or exported)
        self._fill_report(result)
        self._fill_misclassified(result)

    def _draw_confusion(self) -> None:
        if self.result is None or self.confusionPanel is None:
            return
        result, normalise = self.result, self.normaliseCheck.isChecked()

        def draw(figure) -> None:
            from ..plotting.evaluation_plots import draw_confusion_matrix

            draw_confusion_matrix(figure.add_subplot(), result.confusion, result.class_names, normalise=normalise)

        self.confusionPanel.paint(draw)  # now if the panel is visible, else when it is shown (or exported)

    def _fill_report(self, result) -> None:
        table = self.classificationReportTable
        names = [k for k in result.report if k != "accuracy"]
        table.clearContents()  # every cell comes from this result: the accuracy row has only two
        table.setRowCount(len(names) + 1)
        table.setVerticalHeaderLabels(names + ["accuracy"])
        for i, name in enumerate(names):
            d = result.report[name]
            for j, key in enumerate(("precision", "recall", "f1-score")):
                table.setItem(i, j, _item(float(d.get(key, 0.0))))
            table.setItem(i, 3, _item(int(d.get("support", 0))))
        table.setItem(len(names), 2, _item(float(result.accuracy)))
        table.setItem(len(names), 3, _item(int(len(result.y_true))))
        table.resizeRowsToContents()
        # As tall as its rows: the space below goes to the list of misclassified rows.
        height = table.horizontalHeader().height() + sum(table.rowHeight(i) for i in range(table.rowCount()))
        table.setMaximumHeight(height + 2 * table.frameWidth() + 2)

    def _fill_misclassified(self, result) -> None:
        table = self.misclassifiedTable
        wrong = result.misclassified
        shown = wrong[:5000]  # a table of a million mistakes helps nobody; the count is in the summary
        table.setRowCount(len(shown))
        names = result.class_names
        for r, i in enumerate(shown):
            i = int(i)
            # 0-based data row, as in the Data preview, the Explanations tab and the command line
            row_item = _item(int(result.rows[i]))
            row_item.setToolTip(f"data row {int(result.rows[i])} (line {int(result.rows[i]) + 2} of the file)")
            row_item.setData(Qt.ItemDataRole.UserRole, i)
            table.setItem(r, 0, row_item)
            table.setItem(r, 1, _item(names[int(result.y_true[i])]))
            table.setItem(r, 2, _item(names[int(result.y_pred[i])]))
            table.setItem(r, 3, _item(float(result.proba[i].max())))
        if not len(wrong):
            text = "No misclassified test rows."
        elif self.explainable:
            text = f"Misclassified test rows: {len(wrong)} (double-click one to explain it):"
        else:
            text = (f"Misclassified test rows: {len(wrong)} (saved with the model, without their values: to explain "
                    "them, predict the test CSV on the Predict tab)")
        self.misclassifiedLabel.setText(text)
        self.misclassifiedTable.setToolTip("Double-click a row to explain it on the Explanations tab"
                                           if self.explainable else
                                           "Rows saved with the model: predict their CSV to explain them")

    def _row_activated(self, row: int, _column: int) -> None:
        if not self.explainable:
            return
        item = self.misclassifiedTable.item(row, 0)
        if item is not None:
            self.explainRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def current_figure(self):
        if self.result is None:
            return None
        self.ensure_panels()
        panel = self.rocPanel if self.figureTabs.currentIndex() == 1 else self.confusionPanel
        panel.ensure_painted()  # never shown yet: draw it now, for the export
        return panel.figure
