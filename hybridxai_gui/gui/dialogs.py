"""How the app shows errors: one line for the user, a log file for the rest.

- A `HybridXAIError` (bad data, bad option, unusable model file) is shown with its one-line
  message through `QMessageBox.warning`.
- Anything else is a bug: its traceback goes to a log file in the user's data folder and the message
  box shows one line with the details folded (`setDetailedText`).

`set_interactive(False)` (the --self-test run) turns every message into a log line, so no modal
dialog can stall an unattended run.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("hybridxai_gui")
_interactive = True
_log_file: Path | None = None
messages_shown: list[str] = []  # the last messages, newest last (read by --self-test)


def set_interactive(value: bool) -> None:
    global _interactive
    _interactive = value


def is_interactive() -> bool:
    return _interactive


def log_file_path() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder or Path.home() / ".hybridxai") / "hybridxai-gui.log"


def setup_file_logging() -> Path | None:
    """Send warnings and errors of the app to its log file (once); returns the file or None."""
    global _log_file
    if _log_file is not None:
        return _log_file
    path = log_file_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _log_file = path
    return path


def _record(text: str) -> None:
    messages_shown.append(text)
    del messages_shown[:-20]


def show_user_error(parent: QWidget | None, message: str, title: str = "HybridXAI") -> None:
    """A problem the user can fix: one line, no traceback."""
    _record(message)
    log.warning("%s", message)
    if _interactive:
        QMessageBox.warning(parent, title, message)
    else:
        print(f"hybridxai-gui: {message}", file=sys.stderr)


def show_internal_error(parent: QWidget | None, message: str, details: str = "") -> None:
    """A bug: log the details, show one line with the details folded away."""
    _record(message)
    setup_file_logging()
    log.error("%s\n%s", message, details)
    where = f"\n\nThe details were written to {_log_file}." if _log_file else ""
    if not _interactive:
        print(f"hybridxai-gui: internal error: {message}\n{details}", file=sys.stderr)
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "HybridXAI: unexpected error",
                      f"Something went wrong inside HybridXAI: {message}{where}", parent=parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def confirm_stop_and_quit(parent: QWidget | None, running: list[str]) -> bool:
    """Before quitting stops a run (training, the repeated evaluation): ask, unless nothing runs or no one can
    answer (--self-test). True to stop and quit; No (the default) keeps the window and the run going."""
    if not running or not _interactive:
        return True
    what = " and ".join(running)
    answer = QMessageBox.question(parent, "Quit HybridXAI?", f"{what} {'is' if len(running) == 1 else 'are'} running: "
                                  f"stop {'it' if len(running) == 1 else 'them'} and quit?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer not in (QMessageBox.StandardButton.No, QMessageBox.StandardButton.Cancel,
                          QMessageBox.StandardButton.NoButton)


def show_failure(parent: QWidget | None, message: str, details: str) -> None:
    """Route a worker's `failed(message, details)`: empty details = a user error."""
    if details:
        show_internal_error(parent, message, details)
    else:
        show_user_error(parent, message)


def install_excepthook() -> None:
    """Unexpected exceptions in slots: log them and show them folded, instead of only on stderr."""

    def hook(exc_type, exc, tb):
        import traceback

        from ..core.errors import HybridXAIError

        if issubclass(exc_type, HybridXAIError):
            show_user_error(None, str(exc))
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        show_internal_error(None, f"{exc_type.__name__}: {exc}", details)

    sys.excepthook = hook
