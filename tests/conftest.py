"""Shared fixtures: a headless Qt, settings kept away from the user's, no blocking dialogs, and
background threads always stopped and joined (a test that ends with a thread running would take
the whole pytest process down with "QThread: Destroyed while thread is still running")."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    yield


def _qt_available() -> bool:
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError:
        return False
    return True


if _qt_available():
    import hybridxai_gui.gui  # noqa: F401  (guards refcounts against PySide6 6.12.0 before any Qt call)
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

    class DialogRecorder:
        """Stands in for the static QMessageBox / QFileDialog functions during a test."""

        def __init__(self):
            self.messages: list[tuple[str, str, str]] = []  # (kind, title, text)
            self.question_answer = QMessageBox.StandardButton.Discard
            self.open_path = ""
            self.save_path = ""

        def texts(self) -> list[str]:
            return [m[2] for m in self.messages]

    @pytest.fixture(autouse=True)
    def dialogs(monkeypatch, tmp_path):
        """No modal dialog can block a test: message boxes are recorded, file dialogs answer what
        the test put in `open_path` / `save_path` (an empty string = the user cancelled)."""
        rec = DialogRecorder()

        def message(kind):
            def show(parent, title, text, *args, **kwargs):
                rec.messages.append((kind, title, text))
                return QMessageBox.StandardButton.Ok
            return staticmethod(show)

        for kind in ("warning", "critical", "information", "about"):
            monkeypatch.setattr(QMessageBox, kind, message(kind))

        def question(parent, title, text, *args, **kwargs):
            rec.messages.append(("question", title, text))
            return rec.question_answer

        monkeypatch.setattr(QMessageBox, "question", staticmethod(question))

        def box_exec(self):
            rec.messages.append(("box", self.windowTitle(), self.text() + "\n" + self.detailedText()))
            return int(QMessageBox.StandardButton.Ok)

        monkeypatch.setattr(QMessageBox, "exec", box_exec)
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, **k: (str(rec.open_path), "")))
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            staticmethod(lambda *a, **k: (str(rec.save_path), "")))
        yield rec

    @pytest.fixture(autouse=True)
    def isolated_settings(tmp_path):
        """QSettings and the app's data folder (log file) point into the test's tmp folder."""
        QStandardPaths.setTestModeEnabled(True)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
        yield tmp_path / "settings"

    @pytest.fixture(autouse=True)
    def stop_all_workers():
        """After every test: stop and join every background thread any window still runs."""
        yield
        app = QApplication.instance()
        if app is None:
            return
        from hybridxai_gui.gui import dialogs as app_dialogs
        from hybridxai_gui.gui.worker import GeneratorWorker

        app_dialogs.set_interactive(True)
        for widget in app.topLevelWidgets():
            shutdown = getattr(widget, "shutdown", None)
            if callable(shutdown):
                shutdown()
            for worker in widget.findChildren(GeneratorWorker):
                worker.shutdown(30_000)

    @pytest.fixture
    def window(qtbot):
        from hybridxai_gui.app import create_main_window

        win = create_main_window([])
        qtbot.addWidget(win)
        win.show()
        yield win
        win.dirty = False
        win.shutdown()
        win.close()

    def fast_settings(win, epochs: int = 2) -> None:
        """A tiny model and two epochs: a whole training run takes well under a second."""
        t = win.trainingTab
        t.modelForm.set_values({"cnn_channels": 4, "lstm_hidden": 8, "lstm_layers": 1, "num_heads": 2,
                                "kernel_size": 3})
        t.trainForm.set_values({"epochs": epochs, "batch_size": 16, "threads": 1, "seed": 0})

    def train_in_window(qtbot, win, dialogs, path, epochs: int = 2):
        """Open `path` through the File menu and train a tiny model on it to the end; the window."""
        dialogs.open_path = str(path)
        with qtbot.waitSignal(win.dataLoaded, timeout=30_000):
            win.actionOpenData.trigger()
        fast_settings(win, epochs=epochs)
        with qtbot.waitSignal(win.trainingDone, timeout=120_000):
            win.trainingTab.startTrainingButton.click()
        return win

    @pytest.fixture
    def fast(window):
        fast_settings(window)
        return window


@pytest.fixture(scope="session")
def tiny_csv(tmp_path_factory):
    """60 rows × 8 numeric features, 3 classes that a small model can tell apart."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    y = np.repeat(np.arange(3), 20)
    X = rng.normal(size=(60, 8)) + y[:, None] * np.linspace(-1, 1, 8)[None, :] * 1.5
    header = ",".join(f"f{i}" for i in range(8)) + ",label"
    lines = [header] + [",".join(f"{v:.4f}" for v in row) + f",c{label}" for row, label in zip(X, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pytest_configure(config):
    # matplotlib's Qt backend asks Qt for a deprecated attribute; not ours to fix.
    config.addinivalue_line("filterwarnings",
                            "ignore:Enum value .Qt..ApplicationAttribute.AA_UseHighDpiPixmaps:DeprecationWarning")


def drawn(canvas_or_panel):
    """The figure of a FigurePanel or its canvas as drawn: the app draws in its render process, so a test builds
    the panel's current figure here to read its artists (FigurePanel.settle)."""
    panel = canvas_or_panel if hasattr(canvas_or_panel, "settle") else canvas_or_panel.parent()
    return panel.settle()
