"""The Data tab's Features box: which columns the model reads, ticked by the core's rules.

Tables: every column but the label, identifiers unticked (table_checks: the same rule the command line applies
when no --features are given) and text columns ticked (the core encodes them: core.data.text_columns). Long files:
the channel columns (numbers besides the id and time), the layout's channels ticked. What is ticked is exactly what
training reads (DataConfig.features).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

TIPS = {
    "identifier": "A different value in (nearly) every row: it looks like an identifier (a row number, an ID or a "
                  "name per row), so it is left out. Tick it to use it anyway.",
    "text": "Text: each of its values becomes an input of its own (one-hot; an empty cell is a value too). "
            "Explanations speak of the column as a whole.",
    "constant": "The same value in every row: it cannot help tell the classes apart.",
    "empty": "No value in any row: nothing to learn from, nor a value to fill its gaps with, so it is left out.",
}


class FeatureList(QGroupBox):
    changed = Signal()  # the user ticked or unticked a column

    def __init__(self, parent=None):
        super().__init__("Features", parent)
        self.list = QListWidget()
        self.list.setObjectName("featureList")
        self.list.setAccessibleName("Features")
        self.list.setToolTip("Tick the columns the model should use as features")
        self.list.itemChanged.connect(lambda _item: self._item_changed())
        self.countLabel = QLabel("")
        row = QHBoxLayout()
        row.addWidget(self.countLabel, 1)
        for name, text, checked in (("selectAllFeaturesButton", "All", True), ("selectNoFeaturesButton", "None", False)):
            button = QPushButton(text)
            button.setObjectName(name)
            button.setAccessibleName(text)
            button.clicked.connect(lambda _=False, c=checked: self.check_all(c))
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.list)
        self.channels = False  # listing a long file's channel columns
        self.update_count()

    def fill(self, stats, label: str, spec, found) -> None:
        """List the columns of `stats` (column_stats: column, type) for `label`, read by `spec` (a long file lists
        its channels), with `found` (ColumnFindings) marking identifiers and constant columns."""
        long = spec is not None and spec.layout == "long"
        skip = {label} | ({spec.id_column, spec.time_column} if long else set())
        self.list.blockSignals(True)
        self.list.clear()
        for name, kind in zip(stats["column"], stats["type"]):
            if name in skip or (long and kind != "number"):
                continue
            identifier = not long and name in found.identifiers  # unticked: a row number teaches the row order
            empty = not long and name in found.empty  # unticked: nothing to learn, no value to fill its gaps with
            why = ("identifier" if identifier else "empty" if empty else "text" if kind != "number"
                   else "constant" if name in found.constant else None)
            item = QListWidgetItem(name + (f"  ({why}?)" if why == "identifier" else f"  ({why})" if why else ""))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = name in spec.channels if long else not (identifier or empty)  # text too: the core encodes it
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            if why:
                item.setToolTip(TIPS[why])
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.setTitle("Channels" if long else "Features")
        self.channels = long
        self.update_count()

    def check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(state)
        self.list.blockSignals(False)
        self._item_changed()

    def selected(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _item_changed(self) -> None:
        self.update_count()
        self.changed.emit()

    def update_count(self) -> None:
        total = self.list.count()
        self.countLabel.setText(f"{len(self.selected())} of {total} columns used" if total
                                else "Open a CSV to list its columns")
