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
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget)

from ..core.config import DataConfig
from ..plotting.evaluation_plots import draw_class_distribution
from ..plotting.render import axes_drawing
from .class_plot import ClassPlot
from .figure_canvas import FigurePanel
from .jobs import start_job
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
        self.missingCombo.setToolTip("What to do with empty, NaN or infinite feature values")
        self.scalingCombo = QComboBox()
        self._name(self.scalingCombo, "scalingCombo", "Scaling")
        for key, text in (("auto", "auto"), ("zscore", "z-score"), ("none", "none")):
            self.scalingCombo.addItem(text, key)
        self.scalingCombo.setToolTip("z-score each feature, none, or auto (leave already-normalised series alone)")
        options = QGroupBox("Label, split and missing values")
        form = QFormLayout(options)
        form.addRow("Label column:", self.labelColumnCombo)
        form.addRow("Test share:", self.testShareSpin)
        form.addRow("Validation share:", self.valShareSpin)
        form.addRow("Missing values:", self.missingCombo)
        form.addRow("Scaling:", self.scalingCombo)

        self.featureList = QListWidget()
        self._name(self.featureList, "featureList", "Features")
        self.featureList.setToolTip("Tick the columns the model should use as features")
        self.featureList.itemChanged.connect(lambda _item: self._update_feature_count())
        self.featureCountLabel = QLabel("")
        all_button = self._button("selectAllFeaturesButton", "All")
        none_button = self._button("selectNoFeaturesButton", "None")
        all_button.clicked.connect(lambda: self._check_all(True))
        none_button.clicked.connect(lambda: self._check_all(False))
        features = QGroupBox("Features")
        fl = QVBoxLayout(features)
        row = QHBoxLayout()
        row.addWidget(self.featureCountLabel, 1)
        row.addWidget(all_button)
        row.addWidget(none_button)
        fl.addLayout(row)
        fl.addWidget(self.featureList)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.layoutPanel = LayoutPanel()
        self.layoutPanel.changed.connect(self._layout_chosen)
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
        self._update_feature_count()
        self.clearTestButton.setEnabled(False)

    def _name(self, widget: QWidget, name: str, accessible: str) -> None:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)

    def _button(self, name: str, text: str) -> QPushButton:
        button = QPushButton(text)
        self._name(button, name, text.rstrip("…"))
        return button

    def _share_spin(self, name: str, accessible: str, value: float, tip: str, minimum: float = 0.01) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        self._name(spin, name, accessible)
        spin.setRange(minimum, 0.9)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _table_view(self, name: str, accessible: str, model) -> QTableView:
        view = QTableView()
        self._name(view, name, accessible)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setAlternatingRowColors(True)
        # Fixed row heights: the view never measures rows, so a million rows cost nothing.
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(22)
        view.horizontalHeader().setDefaultSectionSize(90)
        # A name wider than its column is cut at the right, not at both ends ("epal length (cm").
        view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        view.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        return view

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
        from ..core.pipeline import guess_label_column

        columns = [str(c) for c in frame.columns]
        self.labelColumnCombo.blockSignals(True)
        self.labelColumnCombo.clear()
        self.labelColumnCombo.addItems(columns)
        self.labelColumnCombo.setCurrentText(guess_label_column(columns))
        self.labelColumnCombo.blockSignals(False)
        self._layout_user_choice = False  # a new file: its layout is detected afresh
        self._label_changed(self.labelColumnCombo.currentText(), view=table.view)
        self.viewTabs.setCurrentWidget(self.classPlotHolder)  # what a domain expert looks at first
        self._update_file_label()
        notes = list(table.warnings)
        if len(columns) < 2:
            notes.append(f"{Path(table.path).name} has a single column ({columns[0]!r}), so there is nothing to train "
                         "on: a CSV needs a label column and feature columns, separated by commas, semicolons or "
                         "tabs.")
        missing = table.stats.loc[table.stats["missing"] > 0, ["column", "missing"]] if len(table.stats) else []
        if len(missing):
            shown = ", ".join(f"{c!r} ({n})" for c, n in missing.head(6).itertuples(index=False))
            notes.append(f"Missing or infinite values in {len(missing)} column(s): {shown}"
                         + (", …" if len(missing) > 6 else "") + ". Choose how to treat them under “Missing values”.")
        notes += self._findings().notes(unticked=True)
        dropped = self._drop_unfit_test_table()
        if dropped:
            notes.append(dropped)
        self._load_notes = notes
        self.set_problems(self._notes_for_view(), level="warning")
        self.trainLoaded.emit(table.path)

    def _findings(self):
        """The core's identifier and constant columns of the training table, the label column left out."""
        from ..core.pipeline import ColumnFindings

        found = getattr(self.train_table, "findings", None) or ColumnFindings()
        label = self.labelColumnCombo.currentText()
        return ColumnFindings([c for c in found.identifiers if c != label], [c for c in found.constant if c != label])

    def _notes_for_view(self) -> list[str]:
        """The load's notes; for series of unequal length, their trailing empty cells are no missing values."""
        notes = list(getattr(self, "_load_notes", []))
        profile = self.view.profile if self.view is not None else None
        if profile is not None and profile.kind == "series" and len(set(profile.lengths.tolist())) > 1:
            notes = [n for n in notes if not n.startswith("Missing or infinite values in")]
            notes.append(f"The series have {int(profile.lengths.min())} to {int(profile.lengths.max())} steps "
                         "(empty cells at a row's end end its series): each is resampled to the longest training "
                         "series, at training and at prediction.")
        return notes

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
    def _label_changed(self, label: str, view=None) -> None:
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
        """Tables and wide files: every column but the label (numbers ticked). Long files: the channel columns
        (numbers besides the id and time), the layout's channels ticked."""
        stats = self.train_table.stats
        found = self._findings()
        long = spec is not None and spec.layout == "long"
        skip = {label} | ({spec.id_column, spec.time_column} if long else set())
        self.featureList.blockSignals(True)
        self.featureList.clear()
        for name, kind in zip(stats["column"], stats["type"]):
            if name in skip or (long and kind != "number"):
                continue
            identifier = not long and name in found.identifiers  # unticked: a row number teaches the row order
            tag = ("  (text)" if kind != "number" else "  (identifier?)" if identifier
                   else "  (constant)" if name in found.constant else "")
            item = QListWidgetItem(name + tag)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = name in spec.channels if long else kind == "number" and not identifier
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            if identifier:
                item.setToolTip("A different value in every row: it looks like an identifier (a row number or an ID), "
                                "so it is left out. Tick it to use it anyway.")
            elif name in found.constant:
                item.setToolTip("The same value in every row: it cannot help tell the classes apart.")
            self.featureList.addItem(item)
        self.featureList.blockSignals(False)
        self.featuresBox.setTitle("Channels" if long else "Features")
        self._listing_channels = long
        self._update_feature_count()

    def _layout_chosen(self) -> None:
        self._layout_user_choice = True
        self._refresh_view()

    def _refresh_view(self) -> None:
        """Read the layout (detected, or as chosen) and the data per class again, in a worker."""
        table, label = self.train_table, self.labelColumnCombo.currentText()
        if table is None or not label:
            return
        from ..core.pipeline import table_view

        choice = self.layoutPanel.choice() if getattr(self, "_layout_user_choice", False) else {"layout": "auto"}
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
        if (spec is not None and spec.layout == "long") or getattr(self, "_listing_channels", False):
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

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.featureList.blockSignals(True)
        for i in range(self.featureList.count()):
            self.featureList.item(i).setCheckState(state)
        self.featureList.blockSignals(False)
        self._update_feature_count()

    def selected_features(self) -> list[str]:
        return [self.featureList.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.featureList.count())
                if self.featureList.item(i).checkState() == Qt.CheckState.Checked]

    def _update_feature_count(self) -> None:
        total = self.featureList.count()
        self.featureCountLabel.setText(f"{len(self.selected_features())} of {total} columns used"
                                       if total else "Open a CSV to list its columns")

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
        if not getattr(self, "_layout_user_choice", False) and not long:
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
        for combo, key in ((self.missingCombo, config.missing), (self.scalingCombo, config.scaling)):
            i = combo.findData(key)
            if i >= 0:
                combo.setCurrentIndex(i)
