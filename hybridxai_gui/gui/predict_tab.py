"""The Predict tab: classify the rows of a new CSV with the current model and export the table.

Reading the CSV, predicting and writing the result all run in worker threads. The result table has
`predicted`, its `prediction_set` at the coverage chosen in the tab (the model's conformal sets; a new coverage
recomputes them from the probabilities) and `unlike_training` (such rows are marked), one `p_<class>`
probability column per class, then the file's own columns (for a long file, one line per series with its id
first and none of the file's columns: what `hybridxai predict` writes); when the file has the model's label
column, the accuracy on those rows is shown above the table and their confusion matrix beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from ..core.evaluation.uncertainty import DEFAULT_COVERAGE
from ..plotting.evaluation_plots import draw_confusion_matrix
from ..plotting.render import axes_drawing
from . import settings
from .jobs import start_job
from .table_models import DataFrameModel




def predict_for_display(trained, frame, source: str, missing: str | None = None, coverage: float = DEFAULT_COVERAGE):
    """Runs in the worker: the core's predictions (with each row's prediction set at `coverage` beside its class,
    and whether it is unlike the training data), then the file's own columns, for display.

    missing: error (default), drop (those rows keep their line, with empty prediction cells) or mean (gaps
    filled with the training rows' column means)."""
    import pandas as pd

    from ..core.pipeline import predict_frame

    predictions = predict_frame(trained, frame, source, missing, coverage=coverage)
    from .startup import import_for_a_model

    import_for_a_model()  # the predicted rows are offered for explaining next: what that imports, here
    out = predictions.table  # the sets beside `predicted`, as predict --coverage writes them
    if reads_long_file(trained):  # one line per series, not per file line: nothing of the file lines up beside
        return predictions
    others = frame[[c for c in frame.columns if c not in out.columns and f"p_{c}" not in out.columns]]
    predictions.table = pd.concat([out, others], axis=1)
    return predictions


def reads_long_file(trained) -> bool:
    """Whether the model reads a long file (many lines per series), so that its predictions are one line per
    series, id first, exactly as `hybridxai predict` writes them."""
    return trained.series is not None and trained.series.layout == "long"


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
        self.coverageSpin = QDoubleSpinBox()
        self.coverageSpin.setObjectName("predictCoverageSpin")
        self.coverageSpin.setAccessibleName("Coverage of the prediction sets")
        self.coverageSpin.setRange(0.5, 0.99)
        self.coverageSpin.setSingleStep(0.01)
        self.coverageSpin.setDecimals(2)
        self.coverageSpin.setValue(DEFAULT_COVERAGE)
        self.coverageSpin.setToolTip("Each row's prediction set holds the true class at least this often (on rows "
                                     "like the training rows): a higher coverage gives larger sets")
        self.coverageSpin.valueChanged.connect(lambda _v: self._coverage_changed())
        row = QHBoxLayout()
        for b in (self.openPredictModelButton, self.openPredictDataButton, self.predictButton,
                  self.exportPredictionsButton):
            row.addWidget(b)
        row.addWidget(QLabel("Missing values:"))
        row.addWidget(self.predictMissingCombo)
        row.addWidget(QLabel("Coverage:"))
        row.addWidget(self.coverageSpin)
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
            unit = "series" if reads_long_file(self.trained) else "rows"
            done = f"; {len(o.rows):,} of {o.n_total:,} {unit} predicted ({policy})"
            if o.evaluation is not None:
                e = o.evaluation
                done += (f"<br>The file has the label column '{self.trained.label_column}': accuracy "
                         f"<b>{e.accuracy:.3f}</b> on its {len(e.y_true):,} predicted {unit} "
                         f"({len(e.misclassified):,} misclassified), macro F1 {e.macro_f1:.3f}.")
            elif o.label_note:
                from .wording import for_the_app

                done += f"<br>{for_the_app(o.label_note)}"
            from .wording import for_the_app

            for note in o.notes:  # what the policies did: gaps filled, text values never seen in training
                done += f"<br>{for_the_app(note)}"
            done += self._uncertainty_text(o)
        self.statusLabel.setText(f"{model}<br>{data}{done}" + ("<br><i>Working…</i>" if self._busy else ""))
        self.openPredictDataButton.setEnabled(not self._busy)
        self.predictButton.setEnabled(not self._busy and self.trained is not None and self.frame is not None)
        self.exportPredictionsButton.setEnabled(not self._busy and self.predictions is not None)

    def _uncertainty_text(self, o) -> str:
        """The sets and the unlike flag of the last prediction, in words (or why the model cannot give them)."""
        from .wording import for_the_app

        rows = o.uncertainty
        if rows is None:
            return ""
        parts = []
        if rows.sets is not None:
            sizes = rows.sets.sum(axis=1)
            parts.append(f"Prediction sets at coverage {rows.coverage:.2f}: {sizes.mean():.2f} classes on average, "
                         f"{int((sizes == 1).sum()):,} rows with one class.")
        if rows.unlike is not None:
            parts.append(f"<b>{int(rows.unlike.sum()):,}</b> rows unlike the training data (marked).")
        parts += [for_the_app(n) for n in rows.notes]
        return "<br>" + " ".join(parts) if parts else ""

    def _coverage_changed(self) -> None:
        """New sets for the rows already predicted, from their probabilities (the model does not run again)."""
        o = self.outcome
        if o is None or o.uncertainty is None or o.proba is None or self.predictions is None:
            return
        import numpy as np

        from ..core.evaluation.uncertainty import sets_at, set_names

        coverage = self.coverageSpin.value()
        sets, why = sets_at(self.trained.uncertainty, o.proba, coverage)
        o.uncertainty.coverage, o.uncertainty.sets = coverage, sets
        o.uncertainty.notes = [n for n in o.uncertainty.notes if not n.startswith("No prediction sets at")]
        if why and why not in o.uncertainty.notes:
            o.uncertainty.notes.append(why)
        table = self.predictions.copy()
        column = np.full(len(table), None, dtype=object)  # rows left unpredicted keep an empty cell
        if sets is not None:
            column[table["predicted"].notna().to_numpy()] = set_names(sets, list(self.trained.class_names), o.proba)
        table["prediction_set"] = column
        self._show_table(table)
        self._update()

    def _show_table(self, table) -> None:
        self.predictions = table
        # probabilities to 3 decimals (the tooltip and the exported CSV keep every digit)
        self.model.set_frame(table, {c: 3 for c in table.columns if str(c).startswith("p_")})
        unlike = table["unlike_training"].eq("yes").to_numpy() if "unlike_training" in table.columns else None
        self.model.set_marked_rows(unlike, "This row is unlike the training data: its prediction is an extrapolation")

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
        coverage = self.coverageSpin.value()
        self._set_busy(True)
        start_job(self, lambda: predict_for_display(trained, frame, source, missing, coverage), done=self._predicted,
                  failed=self._failed, name="predict")

    def _predicted(self, outcome: Any) -> None:
        self.outcome = outcome
        self._show_table(outcome.table)
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
