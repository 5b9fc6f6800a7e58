"""The Predict tab: classify the rows of a new CSV with the current model and export the table.

Reading the CSV, predicting and writing the result all run in worker threads. The result table has
`predicted` plus one `p_<class>` probability column per class, followed by the file's own columns; when the
file has the model's label column, the accuracy on those rows is shown above the table and their confusion
matrix beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from ..plotting.evaluation_plots import draw_confusion_matrix
from ..plotting.render import axes_drawing
from . import settings
from .jobs import start_job
from .table_models import DataFrameModel


def predict_for_display(trained, frame, source: str, missing: str | None = None):
    """Runs in the worker: the core's predictions, with the file's own columns beside them for display.

    missing: error (default), drop (those rows keep their line, with empty prediction cells) or mean (gaps
    filled with the training rows' column means)."""
    import pandas as pd

    from ..core.pipeline import predict_frame

    predictions = predict_frame(trained, frame, source, missing)
    from .startup import import_for_a_model

    import_for_a_model()  # the predicted rows are offered for explaining next: what that imports, here
    out = predictions.table
    others = frame[[c for c in frame.columns if f"p_{c}" not in out.columns and c != "predicted"]]
    predictions.table = pd.concat([out, others], axis=1)
    return predictions


def write_csv(frame, path: str) -> str:
    """Runs in the worker: write atomically (a half-written CSV must never look finished)."""
    from ..core.model_files.fileio import write_csv as write_atomically

    return str(write_atomically(frame, path))


class PredictTab(QWidget):
    openModelRequested = Signal()
    predictionsReady = Signal(object)  # the prediction DataFrame
    failed = Signal(str, str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("predictTab")
        self.setAccessibleName("Predict")
        self.trained = None
        self.data_path: str | None = None
        self.frame = None
        self.predictions = None  # the table shown (predictions, then the file's columns)
        self.outcome = None  # core.pipeline.Predictions of the last run
        self._busy = False
        self._build()

    def _build(self) -> None:
        self.openPredictModelButton = self._button("openPredictModelButton", "Open model…",
                                                   self.openModelRequested.emit)
        self.openPredictDataButton = self._button("openPredictDataButton", "Open CSV of new rows…", self.open_data)
        self.predictButton = self._button("predictButton", "Predict", self.predict)
        self.predictMissingCombo = QComboBox()
        self.predictMissingCombo.setObjectName("predictMissingCombo")
        self.predictMissingCombo.setAccessibleName("Missing values")
        for text, key in (("error (stop and say where)", "error"), ("drop (leave those rows unpredicted)", "drop"),
                          ("mean (fill with the training means)", "mean")):
            self.predictMissingCombo.addItem(text, key)
        self.predictMissingCombo.setToolTip("Rows with missing or infinite feature values: stop with a message, "
                                            "leave them unpredicted (empty cells), or fill the gaps with the "
                                            "column means of the model's training rows")
        self.exportPredictionsButton = self._button("exportPredictionsButton", "Export CSV…", self.export_csv)
        row = QHBoxLayout()
        for b in (self.openPredictModelButton, self.openPredictDataButton, self.predictButton,
                  self.exportPredictionsButton):
            row.addWidget(b)
        row.addWidget(QLabel("Missing values:"))
        row.addWidget(self.predictMissingCombo)
        row.addStretch(1)
        self.statusLabel = QLabel()
        self.statusLabel.setObjectName("predictStatusLabel")
        self.statusLabel.setWordWrap(True)
        self.model = DataFrameModel(parent=self)
        self.predictionsTable = QTableView()
        self.predictionsTable.setObjectName("predictionsTable")
        self.predictionsTable.setAccessibleName("Predictions")
        self.predictionsTable.setModel(self.model)
        self.predictionsTable.setAlternatingRowColors(True)
        self.predictionsTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.predictionsTable.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.predictionsTable.verticalHeader().setDefaultSectionSize(22)
        header = self.predictionsTable.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.confusionPanel = None  # FigurePanel "predictConfusionCanvas", built for the first labelled file
        self._confusionHolder = QWidget()
        QVBoxLayout(self._confusionHolder).setContentsMargins(0, 0, 0, 0)
        self._confusionHolder.setVisible(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.predictionsTable)
        split.addWidget(self._confusionHolder)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.statusLabel)
        layout.addWidget(split, 1)
        self._update()

    def _button(self, name: str, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(slot)
        return button

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()
        self.busyChanged.emit(busy)

    def _update(self) -> None:
        model = (f"Model: <b>{', '.join(self.trained.class_names)}</b> classes from "
                 f"{len(self.trained.feature_names)} features ({self.trained.label_column})"
                 if self.trained is not None else "No model yet: train one or open a model file.")
        data = (f"New rows: <b>{Path(self.data_path).name}</b> ({len(self.frame):,} rows)"
                if self.frame is not None else "No CSV of new rows yet.")
        done = ""
        if self.predictions is not None and self.outcome is not None:
            o = self.outcome
            policy = {"error": "rows with gaps would have stopped the run", "drop": "rows with gaps left unpredicted",
                      "mean": "gaps filled with the training means"}[o.missing]
            done = f"; {len(o.rows):,} of {o.n_total:,} rows predicted ({policy})"
            if o.evaluation is not None:
                e = o.evaluation
                done += (f"<br>The file has the label column '{self.trained.label_column}': accuracy "
                         f"<b>{e.accuracy:.3f}</b> on its {len(e.y_true):,} predicted rows "
                         f"({len(e.misclassified):,} misclassified), macro F1 {e.macro_f1:.3f}.")
            elif o.label_note:
                from .wording import for_the_app

                done += f"<br>{for_the_app(o.label_note)}"
        self.statusLabel.setText(f"{model}<br>{data}{done}" + ("<br><i>Working…</i>" if self._busy else ""))
        self.openPredictDataButton.setEnabled(not self._busy)
        self.predictButton.setEnabled(not self._busy and self.trained is not None and self.frame is not None)
        self.exportPredictionsButton.setEnabled(not self._busy and self.predictions is not None)

    def set_model(self, trained) -> None:
        self.trained = trained
        # Gaps in new rows stop with a message by default, whatever training did: never filled unasked.
        self.predictMissingCombo.setCurrentIndex(self.predictMissingCombo.findData("error"))
        self.predictions = self.outcome = None
        self._show_confusion(None)
        if self.frame is not None:
            self.model.set_frame(self.frame)
        self._update()

    def open_data(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open a CSV of rows to classify", settings.last_folder("data"),
                                                  "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if not path:
            return
        settings.remember_folder("data", path)
        from .data_tab import load_table

        self._set_busy(True)
        start_job(self, lambda: load_table(path), done=self._data_loaded, failed=self._failed, name="predict_load")

    def _data_loaded(self, table) -> None:
        self.data_path = table.path
        self.frame = table.frame
        self.predictions = self.outcome = None
        self._show_confusion(None)
        self.model.set_frame(self.frame)
        self._set_busy(False)

    def predict(self) -> None:
        if self.trained is None or self.frame is None:
            return
        trained, frame, source = self.trained, self.frame, Path(self.data_path or "data").name
        missing = self.predictMissingCombo.currentData()
        self._set_busy(True)
        start_job(self, lambda: predict_for_display(trained, frame, source, missing), done=self._predicted,
                  failed=self._failed, name="predict")

    def _predicted(self, outcome: Any) -> None:
        self.outcome = outcome
        self.predictions = outcome.table
        # probabilities to 3 decimals (the tooltip and the exported CSV keep every digit)
        self.model.set_frame(self.predictions, {c: 3 for c in self.predictions.columns if str(c).startswith("p_")})
        self.predictionsTable.resizeColumnsToContents()
        self._show_confusion(outcome.evaluation)
        self._set_busy(False)
        self.predictionsReady.emit(self.predictions)

    def _show_confusion(self, evaluation) -> None:
        """The labelled rows' confusion matrix beside the table (hidden for a file without labels)."""
        self._confusionHolder.setVisible(evaluation is not None)
        if evaluation is None:
            return
        if self.confusionPanel is None:
            from .figure_canvas import FigurePanel

            self.confusionPanel = FigurePanel("predictConfusionCanvas", "Confusion matrix of the labelled rows",
                                              figsize=(4, 3.5))
            self._confusionHolder.layout().addWidget(self.confusionPanel)
            self.confusionPanel.show()  # visible now if the tab shows (the layout would wait a loop)


        # now if the tab shows, else when it is next shown
        self.confusionPanel.paint(axes_drawing(draw_confusion_matrix, evaluation.confusion,
                                               list(evaluation.class_names),
                                               title=f"Labelled rows: accuracy {evaluation.accuracy:.3f}"))

    def export_csv(self, path: str | None = None) -> None:
        if self.predictions is None:
            return
        if not path:
            suggestion = str(Path(settings.last_folder("predictions") or Path.home()) /
                             f"{Path(self.data_path or 'data').stem}_predictions.csv")
            path, _ = QFileDialog.getSaveFileName(self, "Export predictions", suggestion, "CSV files (*.csv)")
        if not path:
            return
        if not Path(path).suffix:
            path += ".csv"
        settings.remember_folder("predictions", path)
        predictions = self.predictions
        self._set_busy(True)
        start_job(self, lambda: write_csv(predictions, path), done=self._exported, failed=self._failed,
                  name="export_predictions")

    def _exported(self, path: str) -> None:
        self._set_busy(False)
        self.statusLabel.setText(self.statusLabel.text() + f"<br>Saved to {path}")

    def _failed(self, message: str, details: str) -> None:
        self._set_busy(False)
        self.failed.emit(message, details)

    def figure_source(self):
        if self.confusionPanel is None or not self._confusionHolder.isVisibleTo(self):
            return None
        return self.confusionPanel

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
