"""Small builders for the Data tab's widgets: object and accessible names set together, share spin boxes, and
table views that stay fast on a million rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QDoubleSpinBox, QHeaderView, QPushButton, QTableView, QWidget


def named(widget: QWidget, name: str, accessible: str) -> None:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)


def button(name: str, text: str) -> QPushButton:
    made = QPushButton(text)
    named(made, name, text.rstrip("…"))
    return made


def share_spin(name: str, accessible: str, value: float, tip: str, minimum: float = 0.01) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    named(spin, name, accessible)
    spin.setRange(minimum, 0.9)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def table_view(name: str, accessible: str, model) -> QTableView:
    view = QTableView()
    named(view, name, accessible)
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
