"""The Explanations tab: SHAP, Grad-CAM and attention for test rows of the current model, how far each
can be trusted, and the selected row in plain words.

The whole explanation run (core.explain.run: SHAP, then Grad-CAM and attention of the same rows, then the
faithfulness curves and the model-randomisation check) runs in a `GeneratorWorker` (its progress streams
into the progress bar; Cancel sets the core's stop flag) on a private copy of the model, so that
Grad-CAM's hook on the shared model can never capture the worker's forward passes. Grad-CAM and
attention for one row take milliseconds and run in a worker thread when their page is painted. SHAP comes
back in probability and logit units at once: the Units box switches between them without recomputing.

Each figure is drawn only when its page is showing (`FigurePanel.paint`), in the render process
(gui.render_service): a new model arrives while the Training tab shows, and drawing all three figures in
this process froze the window for 0.3-0.5 s.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSplitter, QTabWidget, QVBoxLayout,
                               QWidget)

from ..core.config import RuntimeConfig
from .explanations_compute import SCOPES, UNITS, ExplanationsCompute
from .explanations_drawing import ExplanationsDrawing

UNLIKE_TEXT = "⚠ Note: this row is unlike the training data: its explanation describes extrapolation."
SHAP_VIEWS = ("waterfall", "force", "bar", "beeswarm", "heatmap", "comparison")  # waterfall: the signed default
FIGURE_PAGES = ("shap", "gradcam", "attention", "faithfulness")
METHOD_TIPS = {
    "auto": "exact when all 2^F coalitions are affordable (about 11 features), else permutation",
    "exact": "exact Shapley values from all 2^F coalitions (slow beyond ~13 features)",
    "permutation": "antithetic permutation sampling: additive by construction, fast",
    "kernel": "shap's Kernel SHAP (l1_reg off): slow, a cross-check",
    "gradient": "expected gradients: a fast approximation, not additive",
}


class ExplanationsTab(ExplanationsCompute, ExplanationsDrawing, QWidget):
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("explanationsTab")
        self.setAccessibleName("Explanations")
        self.trained = None
        self.X = self.X_raw = self.y = self.rows = self.predicted = None
        self.unlike = None  # (N,) bool: rows unlike the training data (None: the model cannot say)
        self.background_pool = None
        self.csv_background = None
        self.result = None  # the last ShapResult (in the units it was computed in)
        self.run = None  # the last ExplanationRun: SHAP, the views' faithfulness, the sanity check
        self.kind = None  # table or series: None = guessed from the names and values
        self.lengths = None  # series: each row's own number of steps (for its own time axis)
        self.worker = None
        self._background_reading = False  # a background CSV is being read in a worker
        self.threads = RuntimeConfig().threads  # torch threads while explaining (the main window passes the
        # Training tab's setting)
        self._stop = threading.Event()
        self._views_lock = threading.Lock()  # one row's Grad-CAM and attention at a time (hooks on the model)
        self.panels: dict[str, object] = {}
        self._build()
        self._set_enabled(False)

    # ---- layout -------------------------------------------------------------------------------
    def _combo(self, name: str, accessible: str, items=(), tip: str = "") -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setAccessibleName(accessible)
        box.addItems(list(items))
        if tip:
            box.setToolTip(tip)
        return box

    def _build(self) -> None:
        self.hintLabel = QLabel("Train a model to explain its predictions on the test rows, or open a model file and "
                                "predict a CSV on the Predict tab to explain those rows.")
        self.hintLabel.setObjectName("explanationsHintLabel")
        self.hintLabel.setWordWrap(True)

        self.classFilterCombo = self._combo("classFilterCombo", "Show rows of true class", ["All classes"])
        self.misclassifiedOnlyCheck = QCheckBox("Misclassified only")
        self.misclassifiedOnlyCheck.setObjectName("misclassifiedOnlyCheck")
        self.misclassifiedOnlyCheck.setAccessibleName("Show misclassified rows only")
        self.sampleList = QListWidget()
        self.sampleList.setObjectName("sampleList")
        self.sampleList.setAccessibleName("Test rows to explain")
        self.sampleList.setMaximumWidth(300)
        self.classFilterCombo.currentIndexChanged.connect(lambda _i: self._fill_list())
        self.misclassifiedOnlyCheck.toggled.connect(lambda _on: self._fill_list())
        self.sampleList.currentRowChanged.connect(lambda _r: self._row_changed())

        self.methodCombo = self._combo("methodCombo", "SHAP method", METHOD_TIPS)
        for i, tip in enumerate(METHOD_TIPS.values()):
            self.methodCombo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.classCombo = self._combo("classCombo", "Class to explain", ["Predicted class"],
                                      "The class whose logit the waterfall, force plot and Grad-CAM explain")
        self.backgroundCombo = self._combo(
            "backgroundCombo", "SHAP background",
            ["Training sample", "k-means summary", "CSV file…"],
            "Rows that stand in for 'feature unknown'; SHAP values are relative to their average prediction")
        self.unitsCombo = self._combo("unitsCombo", "SHAP units", [label for label, _ in UNITS],
                                      "Probability: each feature's effect on the probability of the class (adds up "
                                      "to the row's probability). Logit: the same on the log-odds scale.")
        self.unitsCombo.currentIndexChanged.connect(lambda _i: self._units_changed())
        self.scopeCombo = self._combo("scopeCombo", "Rows to explain", [s for s, _ in SCOPES],
                                      "Bar, beeswarm and heatmap summarise all explained rows")
        self.backgroundCombo.activated.connect(self._background_chosen)
        self.classCombo.currentIndexChanged.connect(lambda _i: self._redraw_all())

        self.computeButton = QPushButton("Compute SHAP and checks")
        self.computeButton.setObjectName("computeExplanationsButton")
        self.computeButton.setAccessibleName("Compute explanations")
        self.computeButton.clicked.connect(self.compute)
        self.cancelButton = QPushButton("Cancel")
        self.cancelButton.setObjectName("cancelExplanationsButton")
        self.cancelButton.setAccessibleName("Cancel explanations")
        self.cancelButton.setEnabled(False)
        self.cancelButton.clicked.connect(self.cancel)
        self.progressBar = QProgressBar()
        self.progressBar.setObjectName("explainProgressBar")
        self.progressBar.setAccessibleName("Explanation progress")
        self.progressBar.setRange(0, 1)
        self.progressBar.setValue(0)
        self.additivityLabel = QLabel("SHAP not computed yet.")
        self.additivityLabel.setObjectName("additivityLabel")
        self.additivityLabel.setAccessibleName("Additivity check")
        self.additivityLabel.setWordWrap(True)
        self.unlikeLabel = QLabel(UNLIKE_TEXT)
        self.unlikeLabel.setObjectName("unlikeTrainingLabel")
        self.unlikeLabel.setAccessibleName("Unlike the training data")
        self.unlikeLabel.setWordWrap(True)
        self.unlikeLabel.setStyleSheet("QLabel { background: #ffecb3; color: #5d4037; padding: 6px; "
                                       "font-weight: bold; }")
        self.unlikeLabel.setVisible(False)
        self.summaryLabel = QLabel("Pick a row and press “Compute SHAP and checks” to read it in plain words.")
        self.summaryLabel.setObjectName("explanationSummaryLabel")
        self.summaryLabel.setAccessibleName("The selected row in plain words")
        self.summaryLabel.setWordWrap(True)
        self.summaryLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summaryLabel.setStyleSheet("QLabel { background: palette(base); border: 1px solid palette(mid); "
                                        "padding: 6px; }")

        grid = QGridLayout()
        grid.addWidget(QLabel("Method:"), 0, 0)
        grid.addWidget(self.methodCombo, 0, 1)
        grid.addWidget(QLabel("Class:"), 0, 2)
        grid.addWidget(self.classCombo, 0, 3)
        grid.addWidget(QLabel("Background:"), 1, 0)
        grid.addWidget(self.backgroundCombo, 1, 1)
        grid.addWidget(QLabel("Explain:"), 1, 2)
        grid.addWidget(self.scopeCombo, 1, 3)
        grid.addWidget(QLabel("Units:"), 0, 4)
        grid.addWidget(self.unitsCombo, 0, 5)
        buttons = QHBoxLayout()
        buttons.addWidget(self.computeButton)
        buttons.addWidget(self.progressBar, 1)
        buttons.addWidget(self.cancelButton)
        grid.addLayout(buttons, 2, 0, 1, 6)
        grid.addWidget(self.additivityLabel, 3, 0, 1, 6)
        grid.addWidget(self.unlikeLabel, 4, 0, 1, 6)  # above the explanation of such a row
        grid.addWidget(self.summaryLabel, 5, 0, 1, 6)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("Test rows:"))
        ll.addWidget(self.classFilterCombo)
        ll.addWidget(self.misclassifiedOnlyCheck)
        ll.addWidget(self.sampleList, 1)

        self.shapViewCombo = self._combo("shapViewCombo", "SHAP view", SHAP_VIEWS)
        self.shapViewCombo.currentIndexChanged.connect(lambda _i: self._draw_shap())
        self.headCombo = self._combo("attentionHeadCombo", "Attention head", ["Mean over heads"])
        self.headCombo.currentIndexChanged.connect(lambda _i: self._draw_attention())
        self.figureTabs = QTabWidget()
        self.figureTabs.setObjectName("explanationFigureTabs")
        self._holders = {}
        for key, title, extra in (("shap", "SHAP", self.shapViewCombo), ("gradcam", "Grad-CAM", None),
                                  ("attention", "Attention", self.headCombo), ("faithfulness", "Faithfulness", None)):
            holder = QWidget()
            hl = QVBoxLayout(holder)
            hl.setContentsMargins(0, 0, 0, 0)
            if extra is not None:
                row = QHBoxLayout()
                row.addWidget(QLabel("View:" if key == "shap" else "Head:"))
                row.addWidget(extra)
                row.addStretch(1)
                hl.addLayout(row)
            self._holders[key] = holder
            self.figureTabs.addTab(holder, title)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(grid)
        rl.addWidget(self.figureTabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hintLabel)
        layout.addWidget(split, 1)

    def ensure_panels(self) -> None:
        """Build the figure panels on first use."""
        if self.panels:
            return
        from .figure_canvas import FigurePanel

        for key, name, accessible in (("shap", "shapCanvas", "SHAP figure"),
                                      ("gradcam", "gradcamCanvas", "Grad-CAM figure"),
                                      ("attention", "attentionCanvas", "Attention figure"),
                                      ("faithfulness", "faithfulnessCanvas",
                                       "Faithfulness: deletion and insertion curves and verdicts")):
            panel = FigurePanel(name, accessible, figsize=(7.0, 5.0))
            self._holders[key].layout().addWidget(panel, 1)
            panel.show()  # visible now where its page shows (the layout would wait a loop)
            self.panels[key] = panel

    # ---- public API -------------------------------------------------------------------------
    def set_model(self, trained, test_X_scaled, test_X_raw, test_y, test_rows, background_pool=None,
                  predicted=None, what: str = "test rows", kind: str | None = None, lengths=None,
                  unlike=None) -> None:
        """Explain `trained` on these test rows; background_pool = scaled training rows, if known.

        `predicted`: the model's class per test row when the caller has it (the training worker's
        evaluation), so that the GUI thread need not run the model on every test row. `kind`: "table" or
        "series" when the caller knows the layout (None: guessed from the column names and values);
        Grad-CAM and attention are flagged as meaningless on a table. `unlike`: per row, whether it is unlike the
        training data (core.evaluation.uncertainty); such rows are marked and their explanation says so.
        """
        self.shutdown()  # a result still running belongs to the previous model
        self.trained = trained
        self.lengths = None if lengths is None else np.asarray(lengths)  # series: each row's own steps
        if kind is None and getattr(trained, "series", None) is not None:
            kind = "series"  # the model knows its layout
        self.X = np.asarray(test_X_scaled, dtype=np.float32)
        self.X_raw = None if test_X_raw is None else np.asarray(test_X_raw, dtype=np.float64)
        self.y = None if test_y is None else np.asarray(test_y, dtype=np.int64)
        self.rows = np.arange(len(self.X)) if test_rows is None else np.asarray(test_rows, dtype=np.int64)
        self.unlike = None if unlike is None or len(unlike) != len(self.X) else np.asarray(unlike, dtype=bool)
        self.background_pool = background_pool
        self.csv_background = None
        self.result = self.run = None
        self.kind = kind
        if predicted is not None and len(predicted) == len(self.X):
            self.predicted = np.asarray(predicted, dtype=np.int64)
        else:
            self.predicted = trained.predict_logits(self.X).argmax(axis=1) if len(self.X) else np.zeros(0, int)
        names = list(trained.class_names)
        for combo, first in ((self.classFilterCombo, "All classes"), (self.classCombo, "Predicted class")):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([first] + names)
            combo.blockSignals(False)
        self.headCombo.blockSignals(True)
        self.headCombo.clear()
        self.headCombo.addItems(["Mean over heads"] + [f"Head {h + 1}" for h in range(trained.model_config.num_heads)])
        self.headCombo.blockSignals(False)
        self.methodCombo.setCurrentIndex(0)
        n_wrong = 0 if self.y is None else int((self.predicted != self.y).sum())
        wrong = f", {n_wrong} misclassified" if self.y is not None else " (no labels: predictions only)"
        unlike = (f", {int(self.unlike.sum())} unlike the training data (marked ⚠)"
                  if self.unlike is not None and self.unlike.any() else "")
        self.hintLabel.setText(f"{len(self.X)} {what}{wrong}{unlike}. Pick a row; Grad-CAM and attention show at "
                               f"once, SHAP after Compute.")
        self.additivityLabel.setText("SHAP not computed yet.")
        self.additivityLabel.setStyleSheet("")
        self._name_backgrounds()
        self.ensure_panels()
        self._set_enabled(len(self.X) > 0)
        self._fill_list()

    def show_row(self, index: int) -> None:
        """Select test row `index` (e.g. a misclassified row clicked in Evaluation)."""
        if self.X is None or not 0 <= index < len(self.X):
            return
        if index not in self._visible_indices():
            self.classFilterCombo.setCurrentIndex(0)
            self.misclassifiedOnlyCheck.setChecked(False)
        for i in range(self.sampleList.count()):
            if self.sampleList.item(i).data(Qt.ItemDataRole.UserRole) == index:
                self.sampleList.setCurrentRow(i)
                break
        self.figureTabs.setCurrentIndex(0)

    def current_index(self) -> int | None:
        item = self.sampleList.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def figure_source(self):
        """The panel of the page showing (File ▸ Export figure writes its figure)."""
        if not self.panels or self.trained is None:
            return None
        return self.panels[FIGURE_PAGES[self.figureTabs.currentIndex()]]

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()  # built here: for tests and scripts

    def is_busy(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def shutdown(self) -> None:
        """Cancel and join the SHAP worker (window closing)."""
        self._stop.set()
        if self.worker is not None:
            self.worker.shutdown()
            self._worker_finished()

    # ---- rows -------------------------------------------------------------------------------
    def _visible_indices(self) -> list[int]:
        if self.X is None:
            return []
        keep = np.ones(len(self.X), dtype=bool)
        c = self.classFilterCombo.currentIndex() - 1
        if c >= 0 and self.y is not None:
            keep &= self.y == c
        if self.misclassifiedOnlyCheck.isChecked() and self.y is not None:
            keep &= self.predicted != self.y
        return np.nonzero(keep)[0].tolist()

    def _fill_list(self) -> None:
        previous = self.current_index()
        names = list(self.trained.class_names) if self.trained is not None else []
        self.sampleList.blockSignals(True)
        self.sampleList.clear()
        for i in self._visible_indices():
            pred = names[self.predicted[i]]
            if self.y is not None:
                ok = self.y[i] == self.predicted[i]
                text = f"row {self.rows[i]}: {names[self.y[i]]}" + ("" if ok else f" → {pred} ✗")
            else:
                text = f"row {self.rows[i]}: predicted {pred}"
            if self.unlike is not None and self.unlike[i]:
                text += " ⚠ unlike the training data"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            self.sampleList.addItem(item)
        self.sampleList.blockSignals(False)
        target = 0
        for k in range(self.sampleList.count()):
            if self.sampleList.item(k).data(Qt.ItemDataRole.UserRole) == previous:
                target = k
        if self.sampleList.count():
            self.sampleList.setCurrentRow(target)
        self._row_changed()

    def _row_changed(self) -> None:
        i = self.current_index()
        self.unlikeLabel.setVisible(self.unlike is not None and i is not None and bool(self.unlike[i]))
        if self.trained is not None and self.X is not None:
            self.computeButton.setEnabled(self.sampleList.count() > 0 and not self.is_busy()
                                          and not self._background_reading)
        self._redraw_all()

    def _nothing_selected(self) -> str:
        if self.X is not None and self.sampleList.count() == 0:
            return "No rows match this filter: choose another class or untick “Misclassified only”."
        return "No row selected: pick a row in the list on the left."

    def _class_for(self, index: int) -> int:
        c = self.classCombo.currentIndex() - 1
        return int(self.predicted[index]) if c < 0 else c

    def _show_status(self, text: str, ok: bool | None) -> None:
        self.additivityLabel.setText(text)
        color = {True: "#1b7f2a", False: "#c62828", None: "palette(text)"}[ok]
        self.additivityLabel.setStyleSheet(f"color: {color}; font-weight: {'bold' if ok is False else 'normal'};")

    def _set_enabled(self, on: bool) -> None:
        for w in (self.sampleList, self.classFilterCombo, self.misclassifiedOnlyCheck, self.methodCombo,
                  self.classCombo, self.backgroundCombo, self.scopeCombo, self.computeButton, self.shapViewCombo,
                  self.headCombo, self.unitsCombo):
            w.setEnabled(on)
