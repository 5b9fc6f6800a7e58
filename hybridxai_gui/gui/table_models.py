"""A read-only Qt table model over a pandas DataFrame.

Views ask `data()` only for the cells they show, so a million-row frame opens at once: nothing here
walks the rows. Each column is turned into a NumPy array the first time one of its cells is shown.
pandas itself is never imported here (the frame arrives already built), which keeps start-up light.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

_Index = QModelIndex | QPersistentModelIndex
MARKED_COLOUR = QColor(255, 236, 179)  # amber: readable under dark and light text alike


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.6g}" if value != 0 else "0"  # no "-0"
    try:  # NumPy scalars
        import numpy as np

        if isinstance(value, np.floating):
            return format_cell(float(value))
    except ImportError:  # pragma: no cover - NumPy ships with the app
        pass
    return str(value)


class DataFrameModel(QAbstractTableModel):
    """Shows a DataFrame; rows are numbered from `first_row_number` (0: the core's data row numbers)."""

    def __init__(self, frame=None, parent=None, *, first_row_number: int = 0):
        super().__init__(parent)
        self._frame = None
        self._columns: list[Any] = []
        self._names: list[str] = []
        self._decimals: dict[str, int] = {}  # columns shown with that many decimals
        self._first_row = first_row_number
        if frame is not None:
            self.set_frame(frame)

    def set_frame(self, frame, decimals: dict[str, int] | None = None) -> None:
        """decimals: columns shown with that many decimals (their tooltip keeps every digit)."""
        self.beginResetModel()
        self._decimals = dict(decimals or {})
        self._marked = None  # a new frame has no marked rows until set_marked_rows
        self._frame = frame
        self._names = [str(c) for c in frame.columns] if frame is not None else []
        self._columns = [None] * len(self._names)
        self.endResetModel()

    def set_marked_rows(self, marked, tip: str = "") -> None:
        """Rows (a bool array, or None for none) drawn on a warning colour, with `tip` as their header's tooltip."""
        self._marked = None if marked is None or not len(marked) else marked
        self._marked_tip = tip
        if self._frame is not None and len(self._frame):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._frame) - 1, max(0, len(self._names) - 1)))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self._frame) - 1)

    def _is_marked(self, row: int) -> bool:
        marked = getattr(self, "_marked", None)
        return marked is not None and row < len(marked) and bool(marked[row])

    def frame(self):
        return self._frame

    def _column(self, j: int):
        col = self._columns[j]
        if col is None:
            col = self._frame.iloc[:, j].to_numpy()
            self._columns[j] = col
        return col

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid() or self._frame is None:
            return 0
        return len(self._frame)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._frame is None:
            return 0
        return len(self._names)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._frame is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._column(index.column())[index.row()]
            places = self._decimals.get(self._names[index.column()])
            if role == Qt.ItemDataRole.DisplayRole and places is not None and isinstance(value, (float, int)) \
                    and not (isinstance(value, float) and math.isnan(value)):
                return f"{float(value):.{places}f}"
            return format_cell(value)
        if role == Qt.ItemDataRole.BackgroundRole and self._is_marked(index.row()):
            return MARKED_COLOUR
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = self._column(index.column())[index.row()]
            if isinstance(value, (int, float)) or type(value).__module__ == "numpy":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation == Qt.Orientation.Horizontal:  # the tooltip holds a name the column is too narrow for
            return self._names[section] if section < len(self._names) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._marked_tip if self._is_marked(section) else None
        return str(section + self._first_row)
