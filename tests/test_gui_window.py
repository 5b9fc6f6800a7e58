"""The window itself: names for automation, light start-up, settings, the self-test, big tables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView, QProgressBar, QPushButton, QSpinBox, QTabWidget, QWidget  # noqa: E402

TAB_NAMES = ["dataTab", "trainingTab", "evaluationTab", "explanationsTab", "predictTab"]
ACTION_NAMES = ["actionOpenData", "actionOpenTestData", "actionOpenModel", "actionSaveModel", "actionExportFigure",
                "actionQuit"]
WIDGETS = {"labelColumnCombo": QWidget, "epochsSpin": QSpinBox, "batchSizeSpin": QWidget,
           "learningRateSpin": QWidget, "deviceCombo": QWidget, "startTrainingButton": QPushButton,
           "stopTrainingButton": QPushButton, "trainingProgress": QProgressBar,
           "classificationReportTable": QAbstractItemView, "openPredictDataButton": QPushButton,
           "predictButton": QPushButton, "predictionsTable": QAbstractItemView}


def test_object_and_accessible_names(qtbot, window):
    import pyqtgraph as pg
    from hybridxai_gui.gui.figure_canvas import RenderCanvas

    tabs = window.findChild(QTabWidget, "mainTabs")
    assert tabs is not None and tabs.accessibleName()
    assert [tabs.widget(i).objectName() for i in range(tabs.count())] == TAB_NAMES
    for i in range(tabs.count()):
        assert tabs.widget(i).accessibleName()
    for name in ACTION_NAMES:
        action = window.findChild(QAction, name)
        assert action is not None and action.parent() is window, name
    assert window.actionOpenData.shortcut().toString() == "Ctrl+O"
    for name, cls in WIDGETS.items():
        widget = window.findChild(cls, name)
        assert widget is not None, name
        assert widget.accessibleName(), name
    for name in ("lossPlot", "accuracyPlot"):
        plot = window.findChild(pg.PlotWidget, name)
        assert plot is not None and plot.accessibleName()
    window.mainTabs.setCurrentWidget(window.evaluationTab)  # its canvases are built on first show
    canvas = window.findChild(RenderCanvas, "confusionMatrixCanvas")
    assert canvas is not None and canvas.accessibleName()


def test_epochs_zero_reads_auto_and_every_config_field_has_a_tooltip(window):
    from dataclasses import fields

    from hybridxai_gui.core.config import ModelConfig, RuntimeConfig, TrainConfig

    tab = window.trainingTab
    tab.epochsSpin.setValue(0)
    assert tab.epochsSpin.text() == "auto"
    for form, cls in ((tab.modelForm, ModelConfig), (tab.trainForm, TrainConfig)):
        for f in fields(cls):
            if f.name in form.inputs:
                assert f.metadata["help"] in form.inputs[f.name].toolTip()
    names = set(tab.modelForm.inputs) | set(tab.trainForm.inputs) | set(tab.runtimeForm.inputs) | {"device"}
    assert names | {"n_features", "n_classes", "n_channels"} == {f.name for f in fields(ModelConfig)} | {
        f.name for f in fields(TrainConfig)} | {f.name for f in fields(RuntimeConfig)}


def test_seed_preset_fills_the_form(window):
    tab = window.trainingTab
    tab.apply_preset("seed")
    assert tab.epochsSpin.value() == 50
    assert tab.trainForm.inputs["optimizer"].currentText() == "adam"
    tab.apply_preset("default")
    assert tab.epochsSpin.value() == 0


def test_hyperparameters_and_geometry_persist(qtbot, isolated_settings):
    from hybridxai_gui.app import create_main_window

    first = create_main_window([])
    qtbot.addWidget(first)
    first.trainingTab.trainForm.set_values({"batch_size": 77, "lr": 0.0123})
    first.resize(900, 700)
    first.show()
    first.close()
    assert (isolated_settings).exists()
    second = create_main_window([])
    qtbot.addWidget(second)
    assert second.trainingTab.batchSizeSpin.value() == 77
    assert second.trainingTab.learningRateSpin.value() == pytest.approx(0.0123)


def test_the_app_starts_behind_a_splash_and_shows_a_window_with_nothing_left_to_load(qtbot, isolated_settings,
                                                                                       monkeypatch):
    """app.start_window (what `hybridxai-gui` runs): a splash that says what loads, the libraries loaded behind it
    in a thread, then the window shown with the devices listed and no warm-up job of its own."""
    from PySide6.QtWidgets import QSplashScreen

    from hybridxai_gui import app
    from hybridxai_gui.gui import main_window, startup

    messages, jobs = [], []
    real = QSplashScreen.showMessage
    monkeypatch.setattr(QSplashScreen, "showMessage", lambda self, text, *a: (messages.append(text.strip()),
                                                                               real(self, text, *a)))
    monkeypatch.setattr(main_window, "start_job", lambda *a, **k: jobs.append(k.get("name")))
    monkeypatch.setattr(startup, "_warmed", None)
    splashes, load = [], app.load_behind_splash
    monkeypatch.setattr(app, "load_behind_splash", lambda argv: splashes.append(load(argv)) or splashes[-1])
    window = app.start_window([])
    qtbot.addWidget(window)
    assert window.isVisible()
    assert len(splashes) == 1 and not splashes[0].isVisible()
    assert startup.warmed_devices() is not None and startup.warmed_devices()[0][0] == "cpu"
    assert messages[0] == "Starting…"  # what the splash showed first; then each stage it saw while loading
    assert set(messages[1:]) <= {f"{stage}…" for stage in splashes[0].stages}
    assert splashes[0].stages[:2] == ["Loading pandas", "Loading PyTorch"] and "Loading the explainers" in \
        splashes[0].stages
    qtbot.waitUntil(lambda: window.trainingTab.deviceCombo.count() >= 1)
    assert "warm_up" not in jobs  # the window found everything loaded
    window.close()


def test_new_defaults_replace_only_the_saved_values_the_user_never_changed(window, monkeypatch):
    from hybridxai_gui.core import config

    tab = window.trainingTab
    tab.apply_preset("default")
    tab.trainForm.set_values({"lr": 0.0123})  # the user's own choice
    saved = tab.settings_dict()
    assert saved["train"]["augment"] == "auto" and saved["defaults"]["train"]["augment"] == "auto"
    # A later version changes two defaults: the untouched one follows, the user's lr stays.
    new_presets = {**config.PRESETS, "default": {"model": {**config.PRESETS["default"]["model"], "kernel_size": 7},
                                                 "train": {**config.PRESETS["default"]["train"], "augment": "off",
                                                           "lr": 0.002}}}
    monkeypatch.setattr(config, "PRESETS", new_presets)
    tab.restore_settings(saved)
    assert tab.trainForm.inputs["augment"].currentText() == "off"
    assert tab.modelForm.inputs["kernel_size"].value() == 7
    assert tab.learningRateSpin.value() == pytest.approx(0.0123)
    log = tab.trainingLog.toPlainText()
    assert "augment 'auto' → 'off'" in log and "kernel_size 9 → 7" in log and "lr" not in log.split("defaults:")[-1]
    # Settings from before the defaults were saved with them are restored as they are.
    tab.restore_settings({"train": {"augment": "on"}})
    assert tab.trainForm.inputs["augment"].currentText() == "on"


def test_recent_files_menu(qtbot, window, dialogs, tiny_csv):
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    window._fill_recent_menu()
    assert [a.text() for a in window.recentMenu.actions()] == ["tiny.csv"]


def test_a_million_row_preview_does_not_walk_the_rows(qtbot):
    import numpy as np
    import pandas as pd
    from PySide6.QtWidgets import QTableView

    from hybridxai_gui.gui.table_models import DataFrameModel

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(1_000_000, 6)), columns=list("abcdef"))
    model = DataFrameModel(frame)
    asked: list[int] = []
    real_data, real_header = model.data, model.headerData
    model.data = lambda index, *a: (asked.append(index.row()), real_data(index, *a))[1]
    model.headerData = lambda section, *a: (asked.append(section), real_header(section, *a))[1]
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.verticalHeader().setDefaultSectionSize(22)
    view.resize(600, 400)
    view.show()
    view.scrollToBottom()
    qtbot.wait(10)
    # Only the rows on screen are asked for (fixed row heights: the view never measures a million rows).
    assert 0 < len(set(asked)) < 500 and max(asked) == 999_999
    assert model.rowCount() == 1_000_000
    from PySide6.QtCore import Qt

    assert model.headerData(999_999, Qt.Orientation.Vertical) == "999999"  # 0-based, as the core numbers rows


def _clean_env(tmp_path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path))
    return env


def test_start_up_imports_only_qt_and_pyqtgraph(tmp_path):
    code = ("import sys, time; t = time.perf_counter();"
            "from hybridxai_gui.app import create_main_window;"
            "w = create_main_window([]); w.show();"
            "heavy = [m for m in ('torch', 'pandas', 'sklearn', 'shap', 'seaborn', 'matplotlib', 'captum') "
            "if m in sys.modules]; print('HEAVY', heavy); print('SECONDS', time.perf_counter() - t);"
            "w.persist_settings = False")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=_clean_env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout, out.stdout


def test_self_test_exits_zero(tmp_path):
    out = subprocess.run([sys.executable, "-m", "hybridxai_gui", "--self-test"], capture_output=True, text=True,
                         timeout=300, env=_clean_env(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "passed" in out.stdout


def test_drop_a_csv_on_the_window_opens_it(qtbot, window, tiny_csv):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tiny_csv))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.dropEvent(event)
    assert window.dataTab.previewModel.rowCount() == 60


def test_an_unexpected_error_is_logged_and_shown_with_details_folded(qtbot, window, dialogs, monkeypatch, tiny_csv):
    from hybridxai_gui.gui import dialogs as app_dialogs

    def broken_loader(path):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("hybridxai_gui.gui.data_tab.load_table", broken_loader)
    with qtbot.waitSignal(window.dataTab.loadFailed, timeout=30_000):
        window.open_data(str(tiny_csv))
    kind, _title, text = dialogs.messages[-1]
    assert kind == "box"  # a QMessageBox with setDetailedText, not a static warning
    first, _, details = text.partition("\n")
    assert "simulated bug" in first and "Traceback" not in first
    assert "Traceback" in details
    log_file = app_dialogs.log_file_path()
    assert log_file.is_file() and "simulated bug" in log_file.read_text(encoding="utf-8")


def test_table_headers_carry_the_full_column_name_as_tooltip(window):
    import pandas as pd
    from PySide6.QtCore import Qt

    from hybridxai_gui.gui.table_models import DataFrameModel

    model = DataFrameModel()
    model.set_frame(pd.DataFrame({"sepal length (cm) measured by hand": [1.0], "y": [2]}))
    assert model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == \
        "sepal length (cm) measured by hand"
    assert model.headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.ToolTipRole) is None
    header = window.dataTab.previewTable.horizontalHeader()
    assert header.textElideMode() == Qt.TextElideMode.ElideRight


def test_a_changed_default_of_zero_is_named_as_its_input_shows_it(window):
    tab = window.trainingTab
    tab.apply_preset("default")
    saved = tab.settings_dict()
    saved["model"]["ensemble"] = saved["defaults"]["model"]["ensemble"] = 3  # saved when the default was 3
    tab.restore_settings(saved)
    assert tab.modelForm.inputs["ensemble"].value() == 0
    assert "ensemble 3 → 'auto (3 for series, 1 for tables)'" in tab.trainingLog.toPlainText()
