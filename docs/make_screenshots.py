"""Take a screenshot of every tab of the app on the demo data: docs/screenshots/<tab>.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py [--epochs N]

Opens the demo data, trains a short run, explains a misclassified test row, opens the demo file on
the Predict tab and predicts it, and grabs each tab with `QWidget.grab()` (offscreen works).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
OUT = HERE / "screenshots"


def wait_for(signal, timeout_s: float = 300.0, check=None):
    """Run the event loop until `signal` fires (and `check(*args)` holds); returns its arguments."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got: list = []

    def on_signal(*args):
        if check is None or check(*args):
            got.append(args)
            loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(on_signal)
    if not got:
        raise SystemExit(f"timed out waiting for {signal}")
    return got[0]


def settle(ms: int = 300, timeout_s: float = 120.0) -> None:
    """Run the event loop for `ms`, then until every figure on screen is drawn (figures are built and
    rendered in workers)."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from hybridxai_gui.gui.figure_canvas import RenderCanvas

    def spin(wait_ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(wait_ms, loop.quit)
        loop.exec()

    spin(ms)
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        canvases = [c for w in QApplication.topLevelWidgets() for c in w.findChildren(RenderCanvas)]
        if all(c.idle for c in canvases if c.isVisible()):
            return
        spin(100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    from PySide6.QtCore import QSettings

    # Never read or write the user's own settings from here.
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from hybridxai_gui.app import create_main_window
    from hybridxai_gui.gui import dialogs
    from hybridxai_gui.resources_path import demo_data_path

    dialogs.set_interactive(False)
    window = create_main_window([])
    window.persist_settings = False
    window.resize(1400, 880)
    window.show()
    demo = str(demo_data_path())
    window.open_data(demo)
    wait_for(window.dataLoaded)
    settle(1500)  # the warm-up job fills the device list meanwhile
    OUT.mkdir(parents=True, exist_ok=True)
    shots = {}
    window.mainTabs.setCurrentWidget(window.dataTab)
    settle()
    shots["data"] = window.grab()

    window.trainingTab.trainForm.set_values({"epochs": args.epochs})
    window.start_training()
    wait_for(window.trainingDone, 900)
    window.mainTabs.setCurrentWidget(window.trainingTab)
    settle()
    shots["training"] = window.grab()

    window.mainTabs.setCurrentWidget(window.evaluationTab)
    for _ in range(600):  # the baselines are fitted in a worker: show them beside the network
        if "Fitting the baselines" not in window.evaluationTab.baselinesLabel.text():
            break
        settle(500)
    settle()
    shots["evaluation"] = window.grab()

    tab = window.explanationsTab
    if hasattr(tab, "show_row") and window.evaluationTab.result is not None:
        wrong = window.evaluationTab.result.misclassified
        window.mainTabs.setCurrentWidget(tab)
        settle()
        tab.show_row(int(wrong[0]) if len(wrong) else 0)
        if hasattr(tab, "compute"):
            tab.compute()  # SHAP for the selected row
            if tab.is_busy():
                wait_for(tab.busyChanged, 600, check=lambda busy: not busy)
        settle(800)
        shots["explanations"] = window.grab()

    predict = window.predictTab
    predict.open_data(demo)
    wait_for(predict.busyChanged, 60, check=lambda busy: not busy)
    predict.predict()
    wait_for(predict.predictionsReady, 120)
    window.mainTabs.setCurrentWidget(predict)
    settle()
    shots["predict"] = window.grab()

    for name, pixmap in shots.items():
        path = OUT / f"{name}.png"
        pixmap.save(str(path))
        print(path)
    window.dirty = False
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
