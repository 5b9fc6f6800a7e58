"""The Data tab: open the training (and optional test) CSV, pick the label and features, check them.

Files are read in a worker thread (`core.data.read_table` plus per-column statistics and the rows per
class of the guessed label), so even a large file never freezes the window; rows per class of another
label column are counted in a worker too, and both plots are drawn in the render process
(gui.render_service). The preview is a lazy table model. Problems from the core
(unreadable file, wrong label, missing values, ...) are listed in a visible panel with the core's
own one-line message.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from ..core.config import DataConfig
from ..plotting.evaluation_plots import draw_class_distribution
from ..plotting.render import axes_drawing
from .class_plot import ClassPlot
from .figure_canvas import FigurePanel
from .jobs import start_job
from .data_widgets import button, named, share_spin, table_view
from .feature_list import FeatureList
from .layout_panel import LayoutPanel
from .table_models import DataFrameModel


def load_table(path: str):
    """Runs in the worker: the core reads and summarises the table (its plots are drawn in the render
    process, gui.render_service)."""
    from ..core.pipeline import open_table

    return open_table(path)


class DataTab(QWidget):
    """Owns the loaded frames and the data options (label, features, split, missing values)."""

    trainLoaded = Signal(str)  # path of the training CSV, after it is shown
    testLoaded = Signal(str)
    loadFailed = Signal(str, str)  # (one-line message, traceback text or "" for user errors)
    busyChanged = Signal(bool)
    optionsChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataTab")
        self.setAccessibleName("Data")
        self.train_table = None  # core.pipeline.TableSummary
        self.test_table = None
        self._problem_level = None
        self.view = None  # core.pipeline.TableView: the layout and the data per class of the current label
        self._listing_channels = False  # the feature list shows a long file's channel columns
        self._layout_user_choice = False  # the user set the layout; else it is detected
        self._load_notes: list[str] = []  # what reading the training file noted
        self._loading = 0
        self._build()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.openButton = self._button("openDataButton", "Open training CSV…")
        self.openTestButton = self._button("openTestDataButton", "Open test CSV…")
        self.clearTestButton = self._button("clearTestDataButton", "Forget test CSV")
        self.clearTestButton.setToolTip("Forget the test CSV and hold out a share of the training rows instead")
        self.clearTestButton.clicked.connect(self.clear_test)
        self.fileLabel = QLabel("No data yet: open a CSV with File ▸ Open data… (Ctrl+O) or drop it here.")
        self.fileLabel.setObjectName("dataFileLabel")
        self.fileLabel.setWordWrap(True)
        self.fileLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        for w in (self.openButton, self.openTestButton, self.clearTestButton):
            top.addWidget(w)
        top.addWidget(self.fileLabel, 1)

        self.problemsPanel = QLabel()
        self.problemsPanel.setObjectName("problemsPanel")
        self.problemsPanel.setAccessibleName("Problems")
        self.problemsPanel.setWordWrap(True)
        self.problemsPanel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problemsPanel.setVisible(False)

        # left: options
        self.labelColumnCombo = QComboBox()
        self._name(self.labelColumnCombo, "labelColumnCombo", "Label column")
        self.labelColumnCombo.setToolTip("The column holding each row's class")
        self.labelColumnCombo.currentTextChanged.connect(self._label_changed)
        self.labelGuessLabel = QLabel("")  # says that the label column was guessed, why, and the other candidates
        self.labelGuessLabel.setObjectName("labelGuessLabel")
        self.labelGuessLabel.setWordWrap(True)
        self.labelGuessLabel.setVisible(False)
        self.testShareSpin = self._share_spin("testShareSpin", "Test share", 0.2,
                                              "Share of rows held out as test set when no test CSV is given")
        self.valShareSpin = self._share_spin(
            "valShareSpin", "Validation share", DataConfig().val_size,
            "Share of the training rows held out for a validation curve, and for what “Keep best epoch's weights”, "
            "early stopping and calibration watch.\nNone (the default): every training row trains; the default "
            "recipe keeps the last epoch and chooses nothing on validation rows.", minimum=0.0)
        self.valShareSpin.setSpecialValueText("none")
        self.missingCombo = QComboBox()
        self._name(self.missingCombo, "missingCombo", "Missing values")
        for key, text in (("error", "stop with a message"), ("drop", "drop those rows"),
                          ("mean", "fill with training mean")):
            self.missingCombo.addItem(text, key)
        self.missingCombo.setCurrentIndex(self.missingCombo.findData(DataConfig().missing))
        self.missingCombo.setToolTip("What to do with empty, NaN or infinite values in numeric feature columns (an "
                                     "empty cell in a text column is a value of its own)")
        self.scalingCombo = QComboBox()
        self._name(self.scalingCombo, "scalingCombo", "Scaling")
        for key, text in (("auto", "auto"), ("zscore", "z-score"), ("none", "none")):
            self.scalingCombo.addItem(text, key)
        self.scalingCombo.setToolTip("z-score each feature, none, or auto (leave already-normalised series alone)")
        options = QGroupBox("Label, split and missing values")
        form = QFormLayout(options)
        form.addRow("Label column:", self.labelColumnCombo)
        form.addRow(self.labelGuessLabel)
        form.addRow("Test share:", self.testShareSpin)
        form.addRow("Validation share:", self.valShareSpin)
        form.addRow("Missing values:", self.missingCombo)
        form.addRow("Scaling:", self.scalingCombo)

        features = FeatureList()
        self.featureList, self.featureCountLabel = features.list, features.countLabel
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.layoutPanel = LayoutPanel()
        self.layoutPanel.changed.connect(self._layout_chosen)
        self.layoutPanel.unequalChanged.connect(self._refresh_view)  # the per-class view as training will read it
        self.layoutCombo = self.layoutPanel.layoutCombo
        self.idColumnCombo = self.layoutPanel.idColumnCombo
        self.timeColumnCombo = self.layoutPanel.timeColumnCombo
        self.featuresBox = features
        ll.addWidget(options)
        ll.addWidget(self.layoutPanel)
        ll.addWidget(features, 1)

        # right: preview / statistics, class distribution below
        self.previewModel = DataFrameModel(parent=self)
        self.previewTable = self._table_view("dataPreviewTable", "Data preview", self.previewModel)
        self.statsModel = DataFrameModel(parent=self)
        self.statsTable = self._table_view("featureStatsTable", "Feature statistics", self.statsModel)
        self.viewTabs = QTabWidget()
        self.viewTabs.setObjectName("dataViewTabs")
        self.viewTabs.addTab(self.previewTable, "Preview")
        self.viewTabs.addTab(self.statsTable, "Feature statistics")
        self.classPlotHolder = QWidget()  # the plot per class, built on first use
        QVBoxLayout(self.classPlotHolder).setContentsMargins(0, 0, 0, 0)
        self.classPlot = None
        self.viewTabs.addTab(self.classPlotHolder, "By class")
        self.distributionHolder = QWidget()
        QVBoxLayout(self.distributionHolder).setContentsMargins(0, 0, 0, 0)
        self.distribution = None  # FigurePanel, built on first use
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.viewTabs)
        right.addWidget(self.distributionHolder)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.problemsPanel)
        layout.addWidget(split, 1)
        self.clearTestButton.setEnabled(False)

    _name = staticmethod(named)
    _button = staticmethod(button)
    _share_spin = staticmethod(share_spin)
    _table_view = staticmethod(table_view)

    # ---- loading ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._loading > 0

    def _set_loading(self, delta: int) -> None:
        was = self.busy
        self._loading += delta
        if was != self.busy:
            self.busyChanged.emit(self.busy)

    def open_train(self, path: str) -> None:
        self._set_loading(1)
        self.fileLabel.setText(f"Reading {Path(path).name}…")
        start_job(self, lambda: load_table(path), done=self._train_done, failed=self._train_failed,
                  name="load_train")

    def open_test(self, path: str) -> None:
        self._set_loading(1)
        start_job(self, lambda: load_table(path), done=self._test_done, failed=self._test_failed,
                  name="load_test")

    def _train_done(self, table) -> None:
        self._set_loading(-1)
        self.train_table = table
        frame = table.frame
        self.previewModel.set_frame(frame)
        self.statsModel.set_frame(table.stats)
        # Fixed widths: resizeColumnsToContents took ~0.7 s of the GUI thread here.
        self.statsTable.setColumnWidth(0, 160)
        columns = [str(c) for c in frame.columns]
        guess = table.label_guess
        self.labelColumnCombo.blockSignals(True)
        self.labelColumnCombo.clear()
        self.labelColumnCombo.addItems(columns)
        if guess is not None:
            self.labelColumnCombo.setCurrentText(guess.column)
        self.labelColumnCombo.blockSignals(False)
        self._show_guess()
        self._layout_user_choice = False  # a new file: its layout is detected afresh
        self._label_changed(self.labelColumnCombo.currentText(), view=table.view)
        self.viewTabs.setCurrentWidget(self.classPlotHolder)  # what a domain expert looks at first
        self._update_file_label()
        notes = list(table.warnings)
        if len(columns) < 2:
            notes.append(f"{Path(table.path).name} has a single column ({columns[0]!r}), so there is nothing to train "
                         "on: a CSV needs a label column and feature columns, separated by commas, semicolons or "
                         "tabs.")
        from .data_notes import gap_note

        gaps = gap_note(table.stats, self._findings().empty)
        if gaps:
            notes.append(gaps)
        dropped = self._drop_unfit_test_table()
        if dropped:
            notes.append(dropped)
        self._load_notes = notes
        self.set_problems(self._notes_for_view(), level="warning")
        self.trainLoaded.emit(table.path)

    def _findings(self):
        """The core's identifier, constant and empty columns of the training table, the label column left out."""
        from ..core.pipeline import ColumnFindings

        found = getattr(self.train_table, "findings", None) or ColumnFindings()
        return found.without([self.labelColumnCombo.currentText()])

    def _notes_for_view(self) -> list[str]:
        """The load's notes, the column findings' and the layout's (data_notes.view_notes)."""
        from .data_notes import view_notes

        return view_notes(self._load_notes, self._findings(), self.view)

    def _drop_unfit_test_table(self) -> str | None:
        """A test CSV opened for an earlier training file is kept only if it has this file's label and feature
        columns; otherwise it is forgotten, and the note returned says so."""
        if self.test_table is None or self.train_table is None:
            return None
        from ..core.pipeline import test_columns_problem

        test_name = Path(self.test_table.path).name
        problem = test_columns_problem([str(c) for c in self.train_table.frame.columns],
                                       [str(c) for c in self.test_table.frame.columns],
                                       self.labelColumnCombo.currentText() or None, self.selected_features(),
                                       test_name)
        if problem is None:
            return None
        self.clear_test()
        return f"{problem} It was set aside: the test rows are held out from this file instead."

    def _train_failed(self, message: str, details: str) -> None:
        self._set_loading(-1)
        self._update_file_label()
        self.set_problems([message])
        self.loadFailed.emit(message, details)

    def _test_done(self, table) -> None:
        self._set_loading(-1)
        self.test_table = table
        self.clearTestButton.setEnabled(True)
        self.testShareSpin.setEnabled(False)
        self._update_file_label()
        dropped = self._drop_unfit_test_table()
        self.set_problems(list(table.warnings) + ([dropped] if dropped else []), level="warning")
        self.testLoaded.emit(table.path)

    def _test_failed(self, message: str, details: str) -> None:
        self._set_loading(-1)
        self.set_problems([message])
        self.loadFailed.emit(message, details)

    def clear_test(self) -> None:
        self.test_table = None
        self.clearTestButton.setEnabled(False)
        self.testShareSpin.setEnabled(True)
        self._update_file_label()
        self.clear_errors()
        self.optionsChanged.emit()

    def clear_errors(self) -> None:
        """Hide a "Problem:" banner: the settings it was about have changed, the next start checks again."""
        if self._problem_level == "error":
            self.set_problems([])

    def _update_file_label(self) -> None:
        if self.train_table is None:
            self.fileLabel.setText("No data yet: open a CSV with File ▸ Open data… (Ctrl+O) or drop it here.")
            return
        frame = self.train_table.frame
        text = (f"<b>{Path(self.train_table.path).name}</b>: {len(frame):,} rows × {frame.shape[1]} columns")
        if self.test_table is not None:
            text += (f" &nbsp; test: <b>{Path(self.test_table.path).name}</b> "
                     f"({len(self.test_table.frame):,} rows)")
        else:
            text += " &nbsp; test rows: held out from this file"
        self.fileLabel.setText(text)
        self.fileLabel.setToolTip(self.train_table.path)

    # ---- problems -----------------------------------------------------------------------------
    def set_problems(self, messages: list[str], level: str = "error") -> None:
        """Show the core's messages (or hide the panel when there are none)."""
        self._problem_level = level if messages else None
        if not messages:
            self.problemsPanel.setVisible(False)
            self.problemsPanel.clear()
            return
        colour, border = ("#fdecea", "#d93025") if level == "error" else ("#fff8e1", "#f9a825")
        self.problemsPanel.setStyleSheet(f"QLabel#problemsPanel {{ background: {colour}; color: #202124;"
                                         f" border-left: 4px solid {border}; padding: 6px; }}")
        from .wording import for_the_app

        title = "Problem" if level == "error" else "Note"
        self.problemsPanel.setText("\n".join(f"{title}: {for_the_app(m)}" for m in messages))
        self.problemsPanel.setVisible(True)

    # ---- label and features -------------------------------------------------------------------
    def _show_guess(self) -> None:
        """Mark the label column as a guess while it is the guessed one (the core's label_guess says why)."""
        guess = getattr(self.train_table, "label_guess", None)
        guessed = guess is not None and self.labelColumnCombo.currentText() == guess.column
        if guessed:
            others = f" Other candidates: {', '.join(guess.candidates)}." if guess.candidates else ""
            self.labelGuessLabel.setText(f"Guessed: {guess.why}.{others} Choose another column if this is not the "
                                         "class.")
        self.labelGuessLabel.setVisible(guessed)
        self.labelColumnCombo.setToolTip("The column holding each row's class" + (" (guessed)" if guessed else ""))

    @property
    def label_is_guessed(self) -> bool:
        """Whether the label column is the guessed one, not one the user chose."""
        return self.labelGuessLabel.isVisibleTo(self) if self.train_table is not None else False

    def _label_changed(self, label: str, view=None) -> None:
        self._show_guess()
        if self.train_table is None or not label:
            return
        self._fill_feature_list(label, None)
        self.layoutPanel.set_columns([str(c) for c in self.train_table.frame.columns], label)
        self._draw_distribution(label)
        self.clear_errors()
        if view is not None and view.label == label:
            self._apply_view(view)
        else:
            self._refresh_view()
        self.optionsChanged.emit()

    def _fill_feature_list(self, label: str, spec) -> None:
        self.featuresBox.fill(self.train_table.stats, label, spec, self._findings())
        self._listing_channels = self.featuresBox.channels

    def _layout_chosen(self) -> None:
        self._layout_user_choice = True
        self._refresh_view()

    def _refresh_view(self) -> None:
        """Read the layout (detected, or as chosen) and the data per class again, in a worker."""
        table, label = self.train_table, self.labelColumnCombo.currentText()
        if table is None or not label:
            return
        from ..core.pipeline import table_view

        choice = self.layoutPanel.choice() if self._layout_user_choice else {
            "layout": "auto", "unequal": self.layoutPanel.choice()["unequal"]}
        frame, name = table.frame, Path(table.path).name
        self._ensure_class_plot()
        self.classPlot.set_profile(None, "Reading the layout…")

        def done(view, table=table) -> None:
            if self.train_table is table and self.labelColumnCombo.currentText() == view.label:
                self._apply_view(view)

        def failed(message: str, _details: str) -> None:
            self.layoutPanel.set_note(f"Cannot read the rows this way: {message}")
            self.classPlot.set_profile(None, message)

        start_job(self, lambda: table_view(frame, label, source=name, **choice), done=done, failed=failed,
                  name="table_view")

    def _apply_view(self, view) -> None:
        self.view = view
        spec = view.detected.spec
        series = view.profile.kind == "series"
        self.layoutPanel.show_detected(view.detected, len(view.profile.X) if series else None,
                                       view.profile.steps if series else None)
        if (spec is not None and spec.layout == "long") or self._listing_channels:
            self._fill_feature_list(view.label, spec)
        self._ensure_class_plot()
        self.classPlot.set_profile(view.profile)
        if self._problem_level != "error":
            self.set_problems(self._notes_for_view(), level="warning")
        if spec is not None and spec.layout == "long" and self.distribution is not None:  # count series, not rows
            profile = view.profile
            self._paint_counts(view.label, dict(zip(profile.class_names, profile.counts)), profile.n_classes,
                               "Series")
        self.optionsChanged.emit()

    def _ensure_class_plot(self) -> None:
        if self.classPlot is None:
            self.classPlot = ClassPlot()
            self.classPlotHolder.layout().addWidget(self.classPlot)
            self.classPlot.show()

    def selected_features(self) -> list[str]:
        return self.featuresBox.selected()

    def _draw_distribution(self, label: str) -> None:
        """Draw the rows per class of `label`; counted in a worker unless the load already did."""
        if self.distribution is None:
            self.distribution = FigurePanel("classDistributionCanvas", "Class distribution", figsize=(5, 2.5))
            self.distributionHolder.layout().addWidget(self.distribution)
            self.distribution.show()  # visible now if the Data tab shows (the layout would wait a loop)
        table = self.train_table
        if label in table.counts:
            self._paint_counts(label, *table.counts[label])
            return
        self.distribution.clear(f"Counting rows per class in '{label}'…")
        frame = table.frame

        def counted(result, table=table, label=label) -> None:
            table.counts[label] = result
            if self.train_table is table and self.labelColumnCombo.currentText() == label:
                self._paint_counts(label, *result)

        from ..core.pipeline import class_counts

        start_job(self, lambda: class_counts(frame, label), done=counted,
                  failed=lambda message, _details: self.distribution.clear(message), name="class_counts")

    def _paint_counts(self, label: str, counts: dict[str, int], distinct: int, what: str = "Rows") -> None:
        title = f"{what} per class in '{label}'"
        if distinct > 50:
            title += f" ({distinct} distinct values: is this the label column?)"


        # now if the Data tab shows, else when it is next shown
        self.distribution.paint(axes_drawing(draw_class_distribution, counts, title=title, unit=what.lower()))

    def figure_source(self):
        """What File ▸ Export figure writes: the plot per class when its page shows, else the class counts."""
        if self.viewTabs.currentWidget() is self.classPlotHolder and self.classPlot is not None:
            return self.classPlot.figure_source() if self.classPlot.profile is not None else None
        return self.distribution

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()

    # ---- what training needs ------------------------------------------------------------------
    def data_config(self):
        """The Data tab's settings as the core's DataConfig."""
        layout = self.layoutPanel.choice()
        long = layout["layout"] == "long"
        if not self._layout_user_choice and not long:
            layout["layout"] = "auto"  # wide as detected: a table, or series by their column names
        ticked = tuple(self.selected_features())
        return DataConfig(label=self.labelColumnCombo.currentText() or None, features=None if long else ticked,
                          channels=ticked if long else None, missing=self.missingCombo.currentData(),
                          scaling=self.scalingCombo.currentData(), test_size=self.testShareSpin.value(),
                          val_size=self.valShareSpin.value(), **layout)

    def set_data_config(self, config) -> None:
        """Show a model's data settings (shares, missing values, scaling)."""
        self.testShareSpin.setValue(config.test_size)
        self.valShareSpin.setValue(config.val_size)
        self.layoutPanel.set_unequal(getattr(config, "unequal", "resample"))
        for combo, key in ((self.missingCombo, config.missing), (self.scalingCombo, config.scaling)):
            i = combo.findData(key)
            if i >= 0:
                combo.setCurrentIndex(i)
