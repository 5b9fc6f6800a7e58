"""Run in a fresh interpreter by test_gui_imports.py: start the app as `python -m hybridxai_gui` does, then walk
a short journey (open a CSV as soon as the window shows, each tab, train, explain a row, export a figure and
the report) and write, as JSON, every module the GUI thread imported for the first time after the window
showed.

    python tests/gui_imports_probe.py DATA.csv OUT.json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path


class GuiThreadImports:
    """A meta-path finder that notes the modules the GUI thread imports first (it finds nothing itself)."""

    def __init__(self):
        self.armed = False
        self.modules: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if self.armed and threading.current_thread() is threading.main_thread():
            self.modules.append(name)
        return None


def main(data: str, out: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hybridxai-probe-config-")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hybridxai_gui.app import create_main_window
    from hybridxai_gui.gui import dialogs

    dialogs.set_interactive(False)
    window = create_main_window([])
    window.persist_settings = False
    folder = Path(tempfile.mkdtemp(prefix="hybridxai-probe-"))
    imports = GuiThreadImports()
    sys.meta_path.insert(0, imports)
    failures: list[str] = []
    window.failure.connect(failures.append)

    def finish() -> None:
        imports.armed = False
        Path(out).write_text(json.dumps({"modules": imports.modules, "failures": failures}), encoding="utf-8")
        window.dirty = False
        QApplication.instance().quit()

    def when(condition, then, limit: int = 6000) -> None:  # poll every 50 ms, up to 300 s
        if condition():
            QTimer.singleShot(50, then)
        elif limit <= 0:
            failures.append(f"timed out before {then.__name__}")
            finish()
        else:
            QTimer.singleShot(50, lambda: when(condition, then, limit - 1))

    def train() -> None:
        t = window.trainingTab
        window.mainTabs.setCurrentWidget(t)
        t.modelForm.set_values({"cnn_channels": 4, "lstm_hidden": 8, "lstm_layers": 1, "num_heads": 2,
                                "kernel_size": 3})
        t.trainForm.set_values({"epochs": 1, "batch_size": 16, "threads": 1, "seed": 0})
        window.trainingDone.connect(lambda _o: QTimer.singleShot(200, explain))
        t.startTrainingButton.click()

    def explain() -> None:
        window.mainTabs.setCurrentWidget(window.evaluationTab)
        tab = window.explanationsTab
        window.mainTabs.setCurrentWidget(tab)
        tab.busyChanged.connect(lambda busy: None if busy else QTimer.singleShot(200, export))
        tab.computeButton.click()

    def export() -> None:
        window.mainTabs.setCurrentWidget(window.predictTab)
        window.mainTabs.setCurrentWidget(window.explanationsTab)
        window.figureExported.connect(lambda _p: report())
        window.export_figure(str(folder / "figure.png"))

    def report() -> None:
        window.reportExported.connect(lambda _p: finish())
        window.export_report(str(folder / "report.html"))

    window.show()
    imports.armed = True
    window.open_data(data)  # as soon as the window shows: the warm-up has only begun
    when(lambda: window.dataTab.train_table is not None and not window.dataTab.busy, train)
    QTimer.singleShot(600_000, finish)
    QApplication.instance().exec()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
