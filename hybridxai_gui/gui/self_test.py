"""`hybridxai-gui --self-test`: a smoke test of an installed or packaged app.

Opens the window (offscreen works), loads the demo data, trains one epoch, explains one test row
(when the explanations tab is present), exports one figure to a temporary folder, and exits 0; any
failure or a time-out exits 1 with a message. It is driven by signals and timers, never by blocking
waits, so the window stays live the whole time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from . import dialogs


class SelfTest(QObject):
    def __init__(self, window, data_path: str, timeout_s: float = 300.0):
        super().__init__(window)
        self.window = window
        self.data_path = data_path
        self.started = time.perf_counter()
        self.out_dir = tempfile.mkdtemp(prefix="hybridxai-selftest-")
        self.exit_code: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.fail(f"timed out after {timeout_s:.0f} s"))
        self._timer.start(int(timeout_s * 1000))

    def say(self, text: str) -> None:
        print(f"self-test [{time.perf_counter() - self.started:6.1f} s] {text}", flush=True)

    def start(self) -> None:
        dialogs.set_interactive(False)
        w = self.window
        w.persist_settings = False  # a smoke test must not change the user's settings
        w.failure.connect(lambda message: self.fail(message))
        w.dataLoaded.connect(self._data_loaded)
        w.trainingDone.connect(self._trained)
        self.say(f"window shown; opening {self.data_path}")
        w.open_data(self.data_path)

    def _data_loaded(self, path: str) -> None:
        self.say(f"data loaded: {Path(path).name}")
        tab = self.window.trainingTab
        tab.epochsSpin.setValue(1)
        tab.runtimeForm.inputs["threads"].setValue(1)
        self.window.start_training()

    def _trained(self, outcome) -> None:
        result = outcome.result
        if not result.history:
            self.fail(f"training produced no epoch: {result.message}")
            return
        self.say(f"trained: {result.message}")
        tab = self.window.explanationsTab
        if not (hasattr(tab, "show_row") and hasattr(tab, "compute")) or self.window.prepared is None \
                or not len(self.window.prepared.y_test):
            self.say("no explanations tab in this build: skipping the explanation")
            self.window.mainTabs.setCurrentWidget(self.window.trainingTab)
            self._export()
            return
        self.window.mainTabs.setCurrentWidget(tab)
        tab.show_row(0)
        tab.busyChanged.connect(self._explain_busy)
        tab.compute()  # SHAP for the selected row, in the tab's worker
        if not tab.is_busy():
            self.fail(f"the explanation did not start: {tab.additivityLabel.text()}")

    def _explain_busy(self, busy: bool) -> None:
        if busy or self.exit_code is not None:
            return
        tab = self.window.explanationsTab
        tab.busyChanged.disconnect(self._explain_busy)
        if getattr(tab, "result", None) is None or tab.figure_source() is None:
            self.fail(f"the explanation produced no result: {tab.additivityLabel.text()}")
            return
        self.say(f"explained test row 0: {tab.additivityLabel.text()}")
        self._export()

    def _export(self) -> None:
        """The figure is drawn and written in the render process: checked once the window says it is written."""
        path = Path(self.out_dir) / "self-test-figure.png"
        self.window.figureExported.connect(lambda written: self._exported(Path(written), path))
        if not self.window.export_figure(str(path)):
            self.fail("exporting a figure failed")

    def _exported(self, written: Path, path: Path) -> None:
        if written != path or not path.is_file() or path.stat().st_size == 0:
            self.fail("exporting a figure failed")
            return
        if path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            self.fail(f"{path} is not a PNG file")
            return
        from .render_service import service

        where = "in a thread (no render process could start)" if service().threaded else "in the render process"
        self.say(f"figure exported: {path} ({path.stat().st_size} bytes), drawn {where}")
        self.finish(0, "passed")

    def fail(self, message: str) -> None:
        self.finish(1, f"FAILED: {message}")

    def finish(self, code: int, message: str) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        self._timer.stop()
        self.say(message)
        self.window.dirty = False  # nothing to ask about in an unattended run
        QTimer.singleShot(0, lambda: self._quit(code))

    def _quit(self, code: int) -> None:
        self.window.close()
        self.window.shutdown()
        QApplication.instance().exit(code)


def run_self_test(window, data_path: str, timeout_s: float = 300.0) -> SelfTest:
    test = SelfTest(window, data_path, timeout_s)
    QTimer.singleShot(0, test.start)
    return test


__all__ = ["SelfTest", "run_self_test"]
