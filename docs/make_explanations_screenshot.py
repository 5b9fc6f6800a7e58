"""The README's "one row in plain words" screenshot: docs/screenshots/explanations_plain.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_explanations_screenshot.py [--min-steps N]

Writes scikit-learn's breast-cancer table (named columns, classes malignant/benign) to a temporary CSV,
opens it in the app, trains with the defaults, selects a test row, computes its explanation (SHAP and the
checks) and grabs the window with `QWidget.grab()` (offscreen works). A second shot shows the
Faithfulness page: docs/screenshots/explanations_faithfulness.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from make_screenshots import settle, wait_for  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-steps", type=int, default=600, help="optimiser steps to train (default 600)")
    parser.add_argument("--row", type=int, default=5, help="the test row to show (its index in the test rows)")
    args = parser.parse_args()
    from PySide6.QtCore import QSettings
    from sklearn.datasets import load_breast_cancer

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    from hybridxai_gui.app import create_main_window
    from hybridxai_gui.gui import dialogs

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame["diagnosis"] = [str(data.target_names[i]) for i in data.target]
    csv = Path(tempfile.mkdtemp()) / "breast_cancer.csv"
    frame.to_csv(csv, index=False)

    dialogs.set_interactive(False)
    window = create_main_window([])
    window.persist_settings = False
    window.resize(1400, 900)
    window.show()
    window.open_data(str(csv))
    wait_for(window.dataLoaded)
    settle(800)
    window.trainingTab.trainForm.set_values({"min_steps": args.min_steps})
    window.start_training()
    wait_for(window.trainingDone, 900)
    tab = window.explanationsTab
    window.mainTabs.setCurrentWidget(tab)
    settle()
    tab.show_row(args.row)
    tab.compute()
    if tab.is_busy():
        wait_for(tab.busyChanged, 600, check=lambda busy: not busy)
    settle(800)
    out = HERE / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out / "explanations_plain.png"))
    tab.figureTabs.setCurrentIndex(3)
    settle(800)
    window.grab().save(str(out / "explanations_faithfulness.png"))
    print(tab.summaryLabel.text())
    print("seconds per stage:", {k: round(v, 2) for k, v in tab.run.seconds.items()})
    print(out / "explanations_plain.png")
    window.dirty = False
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
