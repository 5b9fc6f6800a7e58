"""Start the desktop app: `hybridxai-gui [DATA.csv] [--demo] [--self-test]` or `python -m hybridxai_gui`.

A splash shows as soon as PySide6 has loaded (well under a second); torch, pandas, scikit-learn and the
explainers load in a thread behind it (5-6 s in a fresh process on a 2-core machine), and the main window shows
when they have: a window shown before them stalled for 0.1-0.7 s at a time while they loaded
(start_window; benchmarks/README.md, GUI responsiveness). matplotlib loads in the render process meanwhile.
`create_main_window` builds a window without the splash (tests, scripts): it loads the same libraries in a
worker after it shows.
"""

from __future__ import annotations

import argparse
import locale
import os
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMainWindow

from . import gui as _gui  # noqa: F401  (first: guards against PySide6 6.12's None refcount bug)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hybridxai-gui",
                                     description="Train and explain a hybrid CNN + BiLSTM + attention classifier.")
    parser.add_argument("data", nargs="?", help="a CSV to open at start")
    parser.add_argument("--test-data", help="an optional CSV of test rows")
    parser.add_argument("--model", help="a saved model (.pth) to open at start")
    parser.add_argument("--demo", action="store_true", help="open the demo data set shipped with the app")
    parser.add_argument("--self-test", action="store_true",
                        help="load the demo data, train one epoch, explain a row, export a figure, exit 0 if all worked")
    # Qt's own options (e.g. -platform offscreen) are consumed by QApplication; ignore what is left.
    args, _unknown = parser.parse_known_args(list(argv) if argv is not None else [])
    return args


def _ensure_utf8_locale() -> None:
    """Qt warns and falls back to C when no UTF-8 locale is set (e.g. a bare container or desktop file)."""
    if not (os.environ.get("LC_ALL") or os.environ.get("LC_CTYPE") or os.environ.get("LANG")):
        os.environ["LANG"] = "C.UTF-8"
    try:
        locale.setlocale(locale.LC_ALL, "")
    except locale.Error:
        pass


def _application(argv: Sequence[str] | None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "hybridxai-gui", *(argv or [])])
    from .gui import settings

    # Fixed names: Qt would otherwise derive the data folder (log file) from argv[0], which differs
    # between `hybridxai-gui`, `python -m hybridxai_gui` and the bundled app.
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("HybridXAI")
    app.setDesktopFileName("hybridxai")
    try:
        from PySide6.QtGui import QIcon

        from .resources_path import icon_path

        app.setWindowIcon(QIcon(str(icon_path())))
    except Exception:  # noqa: BLE001 - no icon is no reason not to start
        pass
    return app


def create_main_window(argv: Sequence[str] | None = None) -> QMainWindow:
    """Build the main window (and the QApplication if needed) without starting the event loop.

    Files named in `argv` (a data CSV, --demo, --model) start loading in the background at once.
    """
    args = parse_args(argv)
    _application(argv)
    # The GUI thread shares the GIL with the workers that train, explain and read files. Each time it calls into Qt
    # (which releases the GIL) it must get the GIL back, waiting up to one switch interval for a busy worker: over
    # the dozens of Qt calls of one event that adds up. The default 5 ms gave 64-82 ms stalls when a data file was
    # shown while a worker drew its plots; 1 ms gave 45-47 ms, and 54-74 ms when the live charts repainted during
    # training in a fresh process; 0.25 ms gave 28 ms there, with no slower training (benchmarks/README.md, GUI
    # responsiveness). A worker alone is not slowed: the interval only matters while another thread waits.
    sys.setswitchinterval(0.00025)
    from .gui.main_window import MainWindow

    window = MainWindow()
    data = args.data
    if (args.demo or args.self_test) and not data:
        from .resources_path import demo_data_path

        data = str(demo_data_path())
    window.start_data = data
    if args.self_test:
        return window  # the self-test opens the data itself, step by step
    if data:
        window.open_data(data)
    if args.test_data:
        window.dataTab.open_test(args.test_data)
    if args.model:
        window.open_model(args.model)
    return window


def _splash_pixmap():
    """The splash's picture: the app's icon and name on a plain card (drawn here: no image file to keep)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

    from .resources_path import icon_path

    pixmap = QPixmap(460, 220)
    pixmap.fill(QColor("#ffffff"))
    painter = QPainter(pixmap)
    try:
        painter.setPen(QColor("#c8ccd2"))
        painter.drawRect(0, 0, pixmap.width() - 1, pixmap.height() - 1)
        icon = QIcon(str(icon_path())).pixmap(96, 96)
        if not icon.isNull():
            painter.drawPixmap(28, 44, icon)
        texts = (("HybridXAI", 22, True, "#1f2933", QRectF(140, 48, 300, 40)),
                 ("CNN + BiLSTM + attention classifiers, explained", 10, False, "#52606d", QRectF(140, 88, 300, 48)))
        for text, size, bold, colour, box in texts:
            font = QFont(painter.font())
            font.setPointSize(size)
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(QColor(colour))
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, text)
    finally:
        painter.end()
    return pixmap


def load_behind_splash(argv: Sequence[str] | None = None):
    """Show a splash at once and load the heavy libraries (torch, pandas, scikit-learn, the explainers) in a
    thread behind it, the event loop turning meanwhile; returns the splash, still shown.

    Why: loaded after the window shows, those imports stalled the window's thread for 0.1-0.7 s at a time in
    its first seconds (gui/startup.py says why a thread does not help); a window shown after them answers at
    once. The render process is started first: a process started while torch's libraries load waits for them."""
    import threading

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QSplashScreen

    from .gui.render_service import service
    from .gui.startup import warm_up_imports

    app = _application(argv)
    splash = QSplashScreen(_splash_pixmap())
    splash.setObjectName("splash")
    where = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom

    def say(what: str) -> None:
        splash.showMessage(f"  {what}…\n", where, QColor("#52606d"))

    say("Starting")
    splash.show()
    app.processEvents()
    service().start()
    stages: list[str] = []  # what the thread has started loading, in order (the splash shows the latest)
    splash.stages = stages
    done = threading.Event()

    def load() -> None:
        try:
            warm_up_imports(progress=stages.append)
        except Exception:  # noqa: BLE001 - the window loads what it needs itself (and says what failed)
            import logging

            logging.getLogger(__name__).warning("loading before the window failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=load, name="load", daemon=True).start()
    shown = 0
    while not done.wait(0.02):
        if len(stages) != shown:
            shown = len(stages)
            say(stages[-1])
        app.processEvents()
    return splash


def start_window(argv: Sequence[str] | None = None) -> QMainWindow:
    """What `hybridxai-gui` does before its event loop: a splash at once, the libraries loaded behind it, then
    the main window built and shown (the files named in argv start opening) and the splash closed."""
    splash = load_behind_splash(argv)
    window = create_main_window(argv)
    window.show()
    splash.finish(window)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen app's worker processes (explanations of many rows) run as workers
    argv = list(sys.argv[1:] if argv is None else argv)
    _ensure_utf8_locale()
    args = parse_args(argv)
    if args.self_test and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a smoke test must also run headless
    try:
        window = start_window(argv)
    except Exception as exc:  # noqa: BLE001 - e.g. a missing demo file: one line, exit 2
        from .core.errors import HybridXAIError

        if isinstance(exc, HybridXAIError):
            print(f"hybridxai-gui: {exc}", file=sys.stderr)
            return 2
        raise
    from .gui import dialogs

    dialogs.setup_file_logging()
    app = QApplication.instance()
    if args.self_test:
        from .gui.self_test import run_self_test

        tester = run_self_test(window, window.start_data)
        code = app.exec()
        return tester.exit_code if tester.exit_code is not None else (code or 1)
    dialogs.install_excepthook()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
