"""Start the desktop app: `hybridxai-gui [DATA.csv] [--demo] [--self-test]` or `python -m hybridxai_gui`.

Only PySide6 and pyqtgraph load before the window shows; torch, pandas, scikit-learn, shap and
matplotlib's Qt backend load later (in a background warm-up or when first needed), which takes the
time to a window from ~5 s to well under a second.
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
    # The GUI thread shares the GIL with the workers that train, explain and draw figures. Each time it calls
    # into Qt (which releases the GIL) it must get the GIL back, waiting up to one switch interval for a busy
    # worker: the default 5 ms, over the dozens of Qt calls of one event, gave 64-82 ms stalls when a data file
    # was shown while a worker drew its plots; 1 ms gave 45-47 ms (benchmarks/README.md, GUI responsiveness).
    sys.setswitchinterval(0.001)
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
        window = create_main_window(argv)
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

        window.show()
        tester = run_self_test(window, window.start_data)
        code = app.exec()
        return tester.exit_code if tester.exit_code is not None else (code or 1)
    dialogs.install_excepthook()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
