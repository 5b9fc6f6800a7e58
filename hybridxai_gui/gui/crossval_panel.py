"""Repeated evaluation in the app: k-fold cross-validation or repeated splits, in a worker, with progress and
cancel; every metric per fold with mean ± sd, and the spread of the network beside the baselines.

The window gathers the request (the Data tab's table and settings, the Training tab's recipe) when
`crossValidateRequested` fires and calls `start()`; the work is the core's `crossval.cross_validate`
generator, whose items arrive here as signals. Cancel sets the core's stop flag: the fold being trained
stops within a batch and is left out; the folds already finished are kept and shown.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from ..plotting.crossval_plots import draw_model_spread
from ..plotting.render import axes_drawing
from .jobs import start_job


def _cell(text: str, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _num(value) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.3f}"


def mean_sd_text(pair) -> str:
    mean, sd = pair
    return _num(mean) + (f" ± {sd:.3f}" if math.isfinite(sd) else "")


class CrossValidationPanel(QWidget):
    crossValidateRequested = Signal()  # the window gathers the data and settings, then calls start()
    finished = Signal(object)  # core.evaluation.crossval.CrossValidationResult
    failed = Signal(str, str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("crossValidationPanel")
        self.control = None
        self.result = None  # the last CrossValidationResult
        self.folds: list = []  # FoldResults of the run going on
        self.spreadPanel = None
        self._build()
        self._set_running(False)

    def _build(self) -> None:
        self.cvSchemeCombo = QComboBox()
        self.cvSchemeCombo.setObjectName("cvSchemeCombo")
        self.cvSchemeCombo.setAccessibleName("Repeated evaluation scheme")
        self.cvSchemeCombo.addItem("k-fold cross-validation", "kfold")
        self.cvSchemeCombo.addItem("repeated random splits", "split")
        self.cvSchemeCombo.setToolTip("k-fold: every row is held out once per repeat; random splits: each repeat "
                                      "holds out the Data tab's test share")
        self.foldsSpin = QSpinBox()
        self.foldsSpin.setObjectName("foldsSpin")
        self.foldsSpin.setAccessibleName("Folds")
        self.foldsSpin.setRange(2, 50)
        self.foldsSpin.setValue(5)
        self.foldsSpin.setToolTip("Stratified folds: each class is spread evenly over them")
        self.repeatsSpin = QSpinBox()
        self.repeatsSpin.setObjectName("repeatsSpin")
        self.repeatsSpin.setAccessibleName("Repeats")
        self.repeatsSpin.setRange(1, 100)
        self.repeatsSpin.setValue(1)
        self.repeatsSpin.setToolTip("k-fold: draw the folds this many times; random splits: this many splits")
        self.cvSchemeCombo.currentIndexChanged.connect(
            lambda _i: self.foldsSpin.setEnabled(self.cvSchemeCombo.currentData() == "kfold" and not self.running))
        self.crossValidateButton = QPushButton("Run repeated evaluation")
        self.crossValidateButton.setObjectName("crossValidateButton")
        self.crossValidateButton.setAccessibleName("Run repeated evaluation")
        self.crossValidateButton.setToolTip("Train one network per fold with the Training tab's settings on the Data "
                                            "tab's table; a separate test file is only scored, never used to choose")
        self.crossValidateButton.clicked.connect(self.crossValidateRequested.emit)
        self.cancelCrossValidationButton = QPushButton("Cancel")
        self.cancelCrossValidationButton.setObjectName("cancelCrossValidationButton")
        self.cancelCrossValidationButton.setAccessibleName("Cancel repeated evaluation")
        self.cancelCrossValidationButton.clicked.connect(self.cancel)
        self.cvProgress = QProgressBar()
        self.cvProgress.setObjectName("cvProgress")
        self.cvProgress.setAccessibleName("Repeated evaluation progress")
        self.cvProgress.setRange(0, 1000)
        self.cvProgress.setFormat("Not started")
        self.cvProgress.setTextVisible(True)
        controls = QHBoxLayout()
        for label, widget in (("", self.cvSchemeCombo), ("Folds:", self.foldsSpin), ("Repeats:", self.repeatsSpin)):
            if label:
                controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.crossValidateButton)
        controls.addWidget(self.cancelCrossValidationButton)
        controls.addWidget(self.cvProgress, 1)
        self.cvSummaryLabel = QLabel("Run the repeated evaluation to see how much the scores move from one split of "
                                     "the data to another, and how simple models do on the same folds.")
        self.cvSummaryLabel.setObjectName("cvSummaryLabel")
        self.cvSummaryLabel.setWordWrap(True)
        self.cvFoldsTable = QTableWidget(0, 0)
        self.cvFoldsTable.setObjectName("cvFoldsTable")
        self.cvFoldsTable.setAccessibleName("Metrics per fold")
        self.cvFoldsTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.cvFoldsTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._holder = QWidget()
        QVBoxLayout(self._holder).setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.cvFoldsTable)
        split.addWidget(self._holder)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.cvSummaryLabel)
        layout.addWidget(split, 1)

    def ensure_canvases(self) -> None:
        if self.spreadPanel is not None:
            return
        from .figure_canvas import FigurePanel

        self.spreadPanel = FigurePanel("cvSpreadCanvas", "Accuracy per fold, network and baselines", figsize=(6, 3))
        self._holder.layout().addWidget(self.spreadPanel)
        self.spreadPanel.show()
        self._paint()

    # ---- running ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.control is not None

    def config(self, baselines: bool, test_size: float = 0.2):
        from ..core.evaluation.crossval import CrossValidationConfig

        return CrossValidationConfig(folds=self.foldsSpin.value(), repeats=self.repeatsSpin.value(),
                                     scheme=self.cvSchemeCombo.currentData(), test_size=test_size,
                                     baselines="auto" if baselines else "off")

    def start(self, request, config) -> None:
        """Run `core.evaluation.crossval.cross_validate(request, config)` in a worker."""
        from ..core.evaluation.crossval import cross_validate
        from ..core.pipeline import TrainControl

        if self.running:
            return
        self.control = control = TrainControl()
        self.folds = []
        self.cvProgress.setValue(0)
        self.cvProgress.setFormat(f"Reading the data… ({config.total} folds)")
        self.cvSummaryLabel.setText(f"Running {config.total} folds: each trains its own network.")
        self._set_running(True)
        start_job(self, lambda: cross_validate(request, config, control), yielded=self._on_item,
                  done=self._on_done, failed=self._on_failed, cancel=control.stop, name="cross_validate")

    def cancel(self) -> None:
        if self.control is not None:
            self.control.stop()
            self.cancelCrossValidationButton.setEnabled(False)
            self.cvProgress.setFormat("Stopping: the folds already finished are kept…")

    def _set_running(self, running: bool) -> None:
        for w in (self.cvSchemeCombo, self.repeatsSpin, self.crossValidateButton):
            w.setEnabled(not running)
        self.foldsSpin.setEnabled(not running and self.cvSchemeCombo.currentData() == "kfold")
        self.cancelCrossValidationButton.setEnabled(running)
        self.busyChanged.emit(running)

    def set_available(self, available: bool, why: str = "") -> None:
        """Offer the run only when there is data and nothing else is training."""
        self.crossValidateButton.setEnabled(available and not self.running)
        self.crossValidateButton.setToolTip(why or "Train one network per fold with the Training tab's settings")

    def _on_item(self, item) -> None:
        from ..core.evaluation.crossval import FoldProgress, FoldResult, FoldStarted

        if isinstance(item, FoldStarted):
            self.cvProgress.setValue(int(1000 * item.index / item.total))
            self.cvProgress.setFormat(f"Fold {item.index + 1}/{item.total}: {item.n_train} training, {item.n_val} "
                                      f"validation, {item.n_test} held-out {item.unit}")
        elif isinstance(item, FoldProgress):
            self.cvProgress.setValue(int(1000 * item.done))
            self.cvProgress.setFormat(f"Fold {item.index + 1}/{item.total} · epoch {item.epoch}/{item.epochs}")
        elif isinstance(item, FoldResult):
            self.folds.append(item)
            self._fill_table(self.folds, None)

    def _on_done(self, result) -> None:
        self.control = None
        self._set_running(False)
        self.result = result
        self.cvProgress.setValue(1000 if not result.cancelled else self.cvProgress.value())
        self.cvProgress.setFormat(f"{'Stopped' if result.cancelled else 'Done'}: {len(result.folds)} folds in "
                                  f"{result.seconds:.0f} s")
        self.show_result(result)
        self.finished.emit(result)

    def _on_failed(self, message: str, details: str) -> None:
        self.control = None
        self._set_running(False)
        self.cvProgress.setFormat("Failed")
        self.cvSummaryLabel.setText(f"The repeated evaluation failed: {message}")
        self.failed.emit(message, details)

    # ---- showing ------------------------------------------------------------------------------
    def show_result(self, result) -> None:
        from .wording import for_the_app

        self.result = result
        self._fill_table(result.folds, result)
        acc = mean_sd_text(result.summary("accuracy"))
        text = f"<b>{result.describe()}</b>: accuracy <b>{acc}</b> (mean ± sd over folds)."
        if result.test_source:
            text += (f" On the separate test file {result.test_source} (only scored): "
                     f"{mean_sd_text(result.test_file_summary('accuracy'))}.")
        text += "".join(f"<br>{for_the_app(n)}" for n in result.notes)
        self.cvSummaryLabel.setText(text)
        self._paint()

    def _fill_table(self, folds, result) -> None:
        from ..core.evaluation.crossval import METRIC_LABELS, METRICS, TWO_CLASS_METRICS

        metrics = list(METRICS) + [m for m in TWO_CLASS_METRICS if folds and m in folds[0].metrics]
        table = self.cvFoldsTable
        table.clear()
        table.setColumnCount(len(metrics))
        table.setHorizontalHeaderLabels([METRIC_LABELS[m] for m in metrics])
        extra = 2 if result is not None and result.folds else 0
        table.setRowCount(len(folds) + extra)
        labels = [f"fold {f.index + 1}" for f in folds]
        for r, fold in enumerate(folds):
            for c, m in enumerate(metrics):
                table.setItem(r, c, _cell(_num(fold.metrics.get(m))))
        if extra:
            for c, m in enumerate(metrics):
                mean, sd = result.summary(m)
                table.setItem(len(folds), c, _cell(_num(mean), True))
                table.setItem(len(folds) + 1, c, _cell(_num(sd), True))
            labels += ["mean", "sd"]
        table.setVerticalHeaderLabels(labels)
        table.resizeRowsToContents()
        # As tall as its rows (up to about twelve): the rest of the page goes to the spread figure.
        rows = sum(table.rowHeight(i) for i in range(min(table.rowCount(), 12)))
        table.setMaximumHeight(table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 4)

    def _paint(self) -> None:
        if self.spreadPanel is None:
            return
        result = self.result
        if result is None or not result.folds:
            self.spreadPanel.clear("No repeated evaluation yet")
            return
        from ..core.evaluation.baselines import LABELS

        values = {m: result.values("accuracy", m) for m in result.models}
        self.spreadPanel.paint(axes_drawing(draw_model_spread, values, labels=dict(LABELS)))

    def figure_source(self):
        if self.spreadPanel is None or self.result is None or not self.result.folds:
            return None
        return self.spreadPanel

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
