"""Screenshot of the Data tab on one file: docs/screenshots/<name>.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_data_screenshot.py FILE OUT.png [--pad] [--series N]

Opens FILE in a Data tab (1400 × 860), waits for the layout and the per-class view, with `--pad` chooses
*Unequal lengths: pad with zeros* and waits for the view again, and with `--series N` lays series N (its position
in the file) over the class means. The README's screenshots of the Data tab on series:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_data_screenshot.py \\
        ../shared/data/PLAID_train_long.csv docs/screenshots/data_unequal_pad.png --pad
    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_data_screenshot.py \\
        ../shared/data/BasicMotions_train_long.csv docs/screenshots/data_series.png --series 15
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def settle(app, seconds: float) -> None:
    """Run the event loop for `seconds` (the view is read in a worker and drawn by the render process)."""
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.05)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--pad", action="store_true", help="choose Unequal lengths: pad with zeros")
    parser.add_argument("--series", type=int, default=-1, help="lay this series over the class means")
    parser.add_argument("--wait", type=float, default=8.0, help="seconds to let the view settle")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from hybridxai_gui.gui.data_tab import DataTab

    tab = DataTab()
    tab.resize(1400, 860)
    tab.show()
    loop = QEventLoop()
    tab.trainLoaded.connect(lambda *_: loop.quit())
    QTimer.singleShot(60_000, loop.quit)
    tab.open_train(args.file)
    loop.exec()
    settle(app, args.wait)
    if args.pad:
        combo = tab.layoutPanel.unequalCombo
        combo.setCurrentIndex(combo.findData("pad"))
        combo.activated.emit(combo.currentIndex())
        settle(app, args.wait)
    if args.series >= 0:
        tab.classPlot.seriesRowSpin.setValue(args.series)
        settle(app, args.wait)
    tab.grab().save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
