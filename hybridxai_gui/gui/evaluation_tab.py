"""The Evaluation tab: confusion matrix, ROC curves, the two-class threshold, calibration, repeated evaluation,
the classification report, the network beside simple baselines, and the misclassified test rows.

It shows an `EvaluationResult` computed elsewhere (in the training worker, or when a model file is opened).
Two pieces of work start here, each in a worker: the baselines on the model's own split (seconds, when a
model was trained in this session) and the repeated evaluation (`crossval_panel`). A double-click on a
misclassified row asks the Explanations tab to explain it.

The two figures cost the GUI thread 0.4-0.8 s to draw, and a result usually arrives while the Training
tab is showing: each is drawn when its panel is first shown (`FigurePanel.paint`), or on demand when
it is exported (`current_figure`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ..plotting.evaluation_plots import draw_confusion_matrix, draw_roc_curves
from ..plotting.render import axes_drawing
from .calibration_panel import CalibrationPanel
from .crossval_panel import CrossValidationPanel, mean_sd_text
from .jobs import start_job
from .threshold_panel import ThresholdPanel

FIGURE_PAGES = ("Confusion matrix", "ROC curves", "Threshold", "Calibration", "Repeated evaluation")


def _item(value: Any, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(value if isinstance(value, str) else f"{value:.3f}" if isinstance(value, float)
                            else str(value))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right or not isinstance(value, str):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class EvaluationTab(QWidget):
    explainRequested = Signal(int)  # index into the evaluated (test) rows
    baselinesReady = Signal(object)  # list of core.evaluation.baselines.BaselineScore on the model's split

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluationTab")
        self.setAccessibleName("Evaluation")
        self.result = None
        self.explainable = True
        self.baseline_scores: list = []  # on the current model's split
        self.baselines_note = ""
        self._split_key = None  # the PreparedData the baselines are being / were computed for
        self._split = (None, 0)  # (PreparedData, seed) of the current model's split, for the baselines
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
        self.baselinesCheck = QCheckBox("Compare with baselines")
        self.baselinesCheck.setObjectName("baselinesCheck")
        self.baselinesCheck.setAccessibleName("Compare with baselines")
        self.baselinesCheck.setChecked(True)
        self.baselinesCheck.setToolTip("Fit logistic regression, 1-nearest-neighbour, a random forest and gradient "
                                       "boosting on the same rows, with the same encodings (seconds; left out "
                                       "automatically on tables where they would take longer)")
        self.baselinesCheck.toggled.connect(self._baselines_toggled)
        top = QHBoxLayout()
        top.addWidget(self.summaryLabel, 1)
        top.addWidget(self.baselinesCheck)
        top.addWidget(self.normaliseCheck)

        # The figure panels are built on first use (ensure_panels).
        self.confusionPanel = self.rocPanel = None
        self._holders = [QWidget(), QWidget()]
        for holder in self._holders:
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        self.thresholdPanel = ThresholdPanel()
        self.calibrationPanel = CalibrationPanel()
        self.crossValidationPanel = CrossValidationPanel()
        self.crossValidationPanel.finished.connect(lambda _result: self._fill_baselines())
        self.figureTabs = QTabWidget()
        self.figureTabs.setObjectName("evaluationFigureTabs")
        for page, title in zip([*self._holders, self.thresholdPanel, self.calibrationPanel,
                                self.crossValidationPanel], FIGURE_PAGES):
            self.figureTabs.addTab(page, title)

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
        self.baselinesLabel = QLabel("The network beside simple baselines:")
        self.baselinesLabel.setObjectName("baselinesLabel")
        self.baselinesLabel.setWordWrap(True)
        self.baselinesTable = QTableWidget(0, 3)
        self.baselinesTable.setObjectName("baselinesTable")
        self.baselinesTable.setAccessibleName("The network beside baselines")
        self.baselinesTable.setHorizontalHeaderLabels(["model", "accuracy", "macro F1"])
        header = self.baselinesTable.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.baselinesTable.verticalHeader().setVisible(False)
        self.baselinesTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Classification report (test rows):"))
        rl.addWidget(self.classificationReportTable)
        rl.addWidget(self.baselinesLabel)
        rl.addWidget(self.baselinesTable)
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
        for panel in (self.thresholdPanel, self.calibrationPanel, self.crossValidationPanel):
            panel.ensure_canvases()

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
        self.thresholdPanel.set_result(None)
        self.calibrationPanel.set_result(None)
        self.set_split(None)

    def set_result(self, result, source: str = "test rows", explainable: bool = True,
                   temperature: float = 1.0) -> None:
        """Show an EvaluationResult. explainable=False: the rows' values are not at hand (a model file keeps
        only their predictions), so a misclassified row cannot be opened on the Explanations tab. temperature:
        the model's (shown with the calibration)."""
        self.result = result
        self.explainable = explainable
        self.ensure_panels()
        self.thresholdPanel.set_result(result)
        self.calibrationPanel.set_result(result, temperature)
        auc = f", ROC-AUC {result.roc_auc_macro:.3f}" if result.roc_auc_macro is not None else ""
        wrong = len(result.misclassified)
        self.summaryLabel.setText(f"<b>{len(result.y_true)} {source}</b>: accuracy {result.accuracy:.3f}, "
                                  f"macro F1 {result.macro_f1:.3f}{auc}; {wrong} misclassified.")
        self._draw_confusion()


        # drawn when the ROC panel is shown (or exported)
        self.rocPanel.paint(axes_drawing(draw_roc_curves, result.roc_curves, result.roc_auc))
        self._fill_report(result)
        self._fill_misclassified(result)

    def _draw_confusion(self) -> None:
        if self.result is None or self.confusionPanel is None:
            return

        result, normalise = self.result, self.normaliseCheck.isChecked()
        # now if the panel is visible, else when it is shown (or exported)
        self.confusionPanel.paint(axes_drawing(draw_confusion_matrix, result.confusion, list(result.class_names),
                                               normalise=normalise))

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

    # ---- baselines ----------------------------------------------------------------------------
    def set_split(self, prepared, seed: int = 0) -> None:
        """The model's own split (a PreparedData; None for a model opened from a file): fit the baselines on it
        in a worker when they are wanted."""
        self._split = (prepared, seed)
        self.baseline_scores, self.baselines_note = [], ""
        self._split_key = None
        if prepared is not None and self.baselinesCheck.isChecked():
            self._split_key = key = object()

            def job():
                from ..core.evaluation.baselines import on_split

                return on_split(prepared, seed, "auto")

            def done(found) -> None:
                if self._split_key is key:
                    self.baseline_scores, self.baselines_note = found
                    self._fill_baselines()
                    self.baselinesReady.emit(self.baseline_scores)

            start_job(self, job, done=done, failed=lambda m, _d: self._baselines_failed(key, m), name="baselines")
        self._fill_baselines(computing=self._split_key is not None)

    def _baselines_failed(self, key, message: str) -> None:
        if self._split_key is key:
            self.baselines_note = f"The baselines failed: {message}"
            self._fill_baselines()

    def _baselines_toggled(self, on: bool) -> None:
        prepared, seed = self._split
        if on and prepared is not None and not self.baseline_scores:
            self.set_split(prepared, seed)
        else:
            self._fill_baselines()

    def _fill_baselines(self, computing: bool = False) -> None:
        """The repeated evaluation's figures (mean ± sd) when it ran, else the baselines on the model's split."""
        from ..core.evaluation.baselines import LABELS

        table, cv = self.baselinesTable, self.crossValidationPanel.result
        rows: list[tuple[str, str, str]] = []
        if cv is not None and cv.folds:
            text = f"The network beside baselines, mean ± sd over {len(cv.folds)} folds:"
            rows = [(LABELS.get(m, m), mean_sd_text(cv.summary("accuracy", m)), mean_sd_text(cv.summary("macro_f1", m)))
                    for m in cv.models]
        elif not self.baselinesCheck.isChecked():
            text = "Baselines are off (tick “Compare with baselines”)."
        elif computing:
            text = "Fitting the baselines on the same rows…"
        elif self.baseline_scores and self.result is not None:
            text = "The network beside baselines on the same training and test rows (one split):"
            rows = [(LABELS["hybrid"], f"{self.result.accuracy:.3f}", f"{self.result.macro_f1:.3f}")]
            rows += [(LABELS.get(s.model, s.model), f"{s.accuracy:.3f}", f"{s.macro_f1:.3f}")
                     for s in self.baseline_scores]
        else:
            text = self.baselines_note or ("Baselines need the model's training rows: train a model here, or run "
                                           "the repeated evaluation.")
        self.baselinesLabel.setText(text)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, _item(value, align_right=c > 0))
        table.resizeRowsToContents()
        height = table.horizontalHeader().height() + sum(table.rowHeight(i) for i in range(table.rowCount()))
        table.setMaximumHeight(height + 2 * table.frameWidth() + 2)
        table.setVisible(bool(rows))

    def _row_activated(self, row: int, _column: int) -> None:
        if not self.explainable:
            return
        item = self.misclassifiedTable.item(row, 0)
        if item is not None:
            self.explainRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def figure_source(self):
        """What File ▸ Export figure writes: the figure of the page showing (drawn for it if never shown)."""
        self.ensure_panels()
        page = self.figureTabs.currentWidget()
        if page in (self.thresholdPanel, self.calibrationPanel, self.crossValidationPanel):
            return page.figure_source()
        if self.result is None:
            return None
        return self.rocPanel if self.figureTabs.currentIndex() == 1 else self.confusionPanel

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
