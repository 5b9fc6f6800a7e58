"""The desktop app: PySide6 + pyqtgraph widgets over the Qt-free core (the only package importing Qt)."""
