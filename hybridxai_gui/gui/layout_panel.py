"""The Data tab's layout controls: a table, or how the rows hold series (wide or long), the series id and time
columns, and a line saying what was detected. The tab re-reads the layout in a worker when they change, and
training reads the file as chosen (every choice takes effect: DataConfig.layout)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

NO_TIME = "(none: file order)"


class LayoutPanel(QGroupBox):
    changed = Signal()  # the user chose another layout, id or time column
    unequalChanged = Signal()  # the user chose another reading of unequal lengths (the per-class view follows)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Layout", parent)
        self.setObjectName("layoutPanel")
        self.layoutCombo = self._combo("layoutCombo", "Layout",
                                       "table: one row per sample, each column a feature; wide: one series per row "
                                       "(channels named <channel>_<index>, or the columns in file order); long: one "
                                       "row per time step, grouped by a series id")
        self.layoutCombo.addItems(["table", "wide", "long"])
        self.idColumnCombo = self._combo("idColumnCombo", "Series id column", "Long layout: the column naming "
                                         "each series (its rows need not be contiguous)")
        self.timeColumnCombo = self._combo("timeColumnCombo", "Time column", "Long layout: the column that orders "
                                           "each series' steps; without one, the file order is kept")
        self.unequalCombo = self._combo("unequalCombo", "Unequal lengths",
                                        "Series of unequal length. Resample: each is stretched onto the longest "
                                        "(a movement or a process whose pace varies). Pad: each keeps its own time "
                                        "axis, with zeros after its end (recordings at one fixed sampling rate, "
                                        "such as current draws of different durations); a longer series at "
                                        "prediction is cut to the model's length")
        self.unequalCombo.setPlaceholderText("")
        for text, value in (("resample (stretch onto the longest)", "resample"),
                            ("pad with zeros (keep the time axis)", "pad")):
            self.unequalCombo.addItem(text, value)
        self.unequalCombo.setCurrentIndex(0)
        self.layoutLabel = QLabel("")
        self.layoutLabel.setObjectName("layoutLabel")
        self.layoutLabel.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Layout:", self.layoutCombo)
        form.addRow("Series id:", self.idColumnCombo)
        form.addRow("Time:", self.timeColumnCombo)
        form.addRow("Unequal lengths:", self.unequalCombo)
        form.addRow(self.layoutLabel)
        self._id_known = False  # the id combo shows a detected or chosen id, not just the first column
        self.idColumnCombo.activated.connect(lambda _i: setattr(self, "_id_known", True))
        for combo in (self.layoutCombo, self.idColumnCombo, self.timeColumnCombo):
            combo.activated.connect(lambda _i: self._user_changed())
        self.unequalCombo.activated.connect(lambda _i: self.unequalChanged.emit())
        self._update_enabled()

    def _combo(self, name: str, accessible: str, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        combo.setToolTip(tip)
        combo.setPlaceholderText("(not used by a table or a wide file)")  # shown while no column is chosen
        return combo

    def _user_changed(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        long = self.layoutCombo.currentText() == "long"
        self.idColumnCombo.setEnabled(long and self.idColumnCombo.count() > 0)
        self.timeColumnCombo.setEnabled(long and self.timeColumnCombo.count() > 0)
        self.unequalCombo.setEnabled(self.layoutCombo.currentText() in ("wide", "long"))

    def set_columns(self, columns: list[str], label: str | None) -> None:
        """The columns that can be an id or a time (every column but the label)."""
        others = [c for c in columns if c != label]
        for combo, first in ((self.idColumnCombo, []), (self.timeColumnCombo, [NO_TIME])):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(first + others)
            if current in first + others:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        self._id_known = False
        self._update_enabled()

    def show_detected(self, detected, n_series: int | None = None, steps: int | None = None) -> None:
        """Set the controls to a detected (or chosen) layout and describe it."""
        spec = detected.spec
        self.layoutCombo.setCurrentText(detected.layout if detected.layout in ("long", "wide") else "table")
        if spec is not None and spec.layout == "long":
            self.idColumnCombo.setCurrentText(spec.id_column)
            self.timeColumnCombo.setCurrentText(spec.time_column or NO_TIME)
            self._id_known = True
            text = f"Long file, one row per time step: {spec.describe(n_series, steps).split(': ', 1)[1]}."
        elif spec is not None:
            text = f"Wide file, one series per row: {spec.describe(n_series, steps).split(': ', 1)[1]}."
        else:
            text = "A table: one row per sample, each ticked column one feature (no time axis)."
            if detected.notes:  # why it is not read as series
                text += " " + " ".join(detected.notes)
        if spec is None or spec.layout != "long":
            for combo in (self.idColumnCombo, self.timeColumnCombo):  # no column of a wide file plays these parts
                combo.blockSignals(True)
                combo.setCurrentIndex(-1)
                combo.blockSignals(False)
        self.set_note(text)
        self._update_enabled()

    def set_note(self, text: str) -> None:
        """The sentence under the combos (what the rows were read as, or why they cannot be)."""
        self.layoutLabel.setText(text)
        self._fit_note()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_note()

    def _fit_note(self) -> None:
        # A word-wrapped label in a form inside a group box got the height of its one-line size hint, which cut
        # a two- or three-line note in half; its height at its actual width is what it needs.
        label = self.layoutLabel
        if label.width() > 0:
            label.setMinimumHeight(max(0, label.heightForWidth(label.width())))  # -1: no text

    def set_unequal(self, value: str) -> None:
        """Show how series of unequal length are read (a loaded model's rule)."""
        i = self.unequalCombo.findData(value)
        if i >= 0:
            self.unequalCombo.setCurrentIndex(i)

    def choice(self) -> dict:
        """The layout settings as DataConfig fields."""
        long = self.layoutCombo.currentText() == "long"
        time = self.timeColumnCombo.currentText()
        return {"layout": self.layoutCombo.currentText() or "table",
                "id_column": (self.idColumnCombo.currentText() or None) if long and self._id_known else None,
                "time_column": (time if time and time != NO_TIME else None) if long else None,
                # a table has no time axis: the control is off there, and so is its choice
                "unequal": (self.unequalCombo.currentData() or "resample")
                if self.layoutCombo.currentText() in ("wide", "long") else "resample"}
