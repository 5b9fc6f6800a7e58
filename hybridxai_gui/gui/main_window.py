"""The main window: tabs, menus, settings and a clean shutdown (its File menu's work on model files, figures and
reports is in window_files.py).

The tabs own their widgets and background jobs; this window wires them together (data -> training
-> evaluation / explanations / predict) and owns what is global: files, settings, closing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from . import dialogs, settings
from .data_tab import DataTab
from .evaluation_tab import EvaluationTab
from .jobs import start_job, stop_jobs
from .predict_tab import PredictTab
from .explanations_tab import ExplanationsTab
from .render_service import service
from .startup import warm_up_imports, warmed_devices
from .training_tab import TrainingTab
from .window_files import WindowFiles

log = logging.getLogger(__name__)
PNG_DPIS = (100, 150, 300, 600)


class MainWindow(WindowFiles, QMainWindow):
    dataLoaded = Signal(str)
    trainingDone = Signal(object)  # core.pipeline.TrainingOutcome
    modelLoaded = Signal(object)  # TrainedModel
    modelSaved = Signal(str)
    figureExported = Signal(str)
    reportExported = Signal(str)
    failure = Signal(str)  # every message shown to the user (the self-test listens)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("HybridXAI")
        self.setAccessibleName("HybridXAI")
        self.trained = None  # the current TrainedModel
        self.prepared = None  # the PreparedData it was trained on (None for a model opened from file)
        self.model_path: str | None = None
        self.dirty = False  # a trained model that is not saved yet
        self._closing = False
        self._warm_started = False  # the background imports (gui/startup.py) have been started
        self.persist_settings = True
        self.dataTab = DataTab()
        self.trainingTab = TrainingTab()
        self.evaluationTab = EvaluationTab()
        self.predictTab = PredictTab()
        self.explanationsTab = ExplanationsTab()
        self.mainTabs = QTabWidget()
        self.mainTabs.setObjectName("mainTabs")
        self.mainTabs.setAccessibleName("Main tabs")
        self.mainTabs.setDocumentMode(True)
        for tab, title in ((self.dataTab, "Data"), (self.trainingTab, "Training"), (self.evaluationTab, "Evaluation"),
                           (self.explanationsTab, "Explanations"), (self.predictTab, "Predict")):
            self.mainTabs.addTab(tab, title)
        self.setCentralWidget(self.mainTabs)
        self.statusLabel = QLabel("Ready")
        self.statusBar().addWidget(self.statusLabel, 1)
        self._build_actions()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self._restore_settings()
        self._update_actions()

    # ---- construction -------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.setStatusTip(action.toolTip())
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.actionOpenData = self._action("actionOpenData", "&Open data…", self.open_data_dialog,
                                           QKeySequence.StandardKey.Open, "Open a training CSV")
        self.actionOpenTestData = self._action("actionOpenTestData", "Open &test data…", self.open_test_data_dialog,
                                               None, "Open a separate CSV of test rows (optional)")
        self.actionOpenModel = self._action("actionOpenModel", "Open &model…", self.open_model_dialog,
                                            QKeySequence("Ctrl+Shift+O"), "Open a saved model (.pth)")
        self.actionSaveModel = self._action("actionSaveModel", "&Save model as…", self.save_model,
                                            QKeySequence.StandardKey.Save, "Save the trained model (.pth)")
        self.actionExportFigure = self._action("actionExportFigure", "&Export figure…", self.export_figure,
                                               QKeySequence("Ctrl+E"),
                                               "Export this tab's figure as PNG, EPS, PDF or SVG")
        self.actionExportReport = self._action("actionExportReport", "Export &report…", self.export_report,
                                               QKeySequence("Ctrl+R"),
                                               "Write the run (data, settings, curves, evaluation, calibration, "
                                               "explanations) as one HTML or PDF file")
        self.actionQuit = self._action("actionQuit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.actionOpenData)
        self.recentMenu = file_menu.addMenu("Open &recent")
        self.recentMenu.setObjectName("recentFilesMenu")
        self.recentMenu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.actionOpenTestData)
        file_menu.addSeparator()
        file_menu.addAction(self.actionOpenModel)
        file_menu.addAction(self.actionSaveModel)
        file_menu.addSeparator()
        file_menu.addAction(self.actionExportFigure)
        file_menu.addAction(self.actionExportReport)
        dpi_menu = file_menu.addMenu("PNG &resolution")
        self.dpiGroup = QActionGroup(self)
        saved = int(settings.app_settings().value("export/dpi", 150))
        for dpi in PNG_DPIS:
            a = dpi_menu.addAction(f"{dpi} dpi")
            a.setCheckable(True)
            a.setData(dpi)
            a.setChecked(dpi == saved)
            self.dpiGroup.addAction(a)
        if self.dpiGroup.checkedAction() is None:
            self.dpiGroup.actions()[1].setChecked(True)
        file_menu.addSeparator()
        file_menu.addAction(self.actionQuit)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About HybridXAI", self._about)

    def _connect(self) -> None:
        d, t = self.dataTab, self.trainingTab
        d.openButton.clicked.connect(self.open_data_dialog)
        d.openTestButton.clicked.connect(self.open_test_data_dialog)
        d.trainLoaded.connect(self._data_loaded)
        d.loadFailed.connect(self.show_failure)
        d.busyChanged.connect(self._data_busy)
        t.startRequested.connect(self.start_training)
        t.prepared.connect(self._prepared)
        t.trainingFinished.connect(self._training_done)
        t.trainingFailed.connect(self._training_failed)
        t.busyChanged.connect(lambda busy: (self._status("Training…" if busy else "Ready"), self._update_actions()))
        self.evaluationTab.explainRequested.connect(self.explain_row)
        cv = self.evaluationTab.crossValidationPanel
        cv.crossValidateRequested.connect(self.start_cross_validation)
        cv.failed.connect(self.show_failure)
        cv.busyChanged.connect(lambda busy: (self._status("Repeated evaluation…" if busy else "Ready"),
                                             self._update_actions()))
        self.predictTab.openModelRequested.connect(self.open_model_dialog)
        self.predictTab.failed.connect(self.show_failure)
        self.predictTab.predictionsReady.connect(self._explain_predicted_rows)
        self.mainTabs.currentChanged.connect(lambda _i: self._update_actions())
        self.explanationsTab.busyChanged.connect(lambda busy: self._status("Explaining…" if busy else "Ready"))
        self._data_busy(False)

    def _data_busy(self, busy: bool) -> None:
        self._status("Reading data…" if busy else "Ready")
        if busy:
            self.trainingTab.set_data_ready(False, "Wait: the data is still being read (Data tab).")
        elif self.dataTab.train_table is None:
            self.trainingTab.set_data_ready(False, "Open a training CSV first (File ▸ Open data…).")
        else:
            self.trainingTab.set_data_ready(True)
        if hasattr(self, "actionExportReport"):
            self._update_actions()

    def _status(self, text: str) -> None:
        self.statusLabel.setText(text)

    def _update_actions(self) -> None:
        training = self.trainingTab.running
        self.actionSaveModel.setEnabled(self.trained is not None and not training)
        self.actionOpenModel.setEnabled(not training)
        self.actionOpenData.setEnabled(not training)
        self.actionOpenTestData.setEnabled(not training)
        self.actionExportFigure.setEnabled(self.mainTabs.currentWidget() is not self.predictTab)
        self.actionExportReport.setEnabled(self.trained is not None)
        cv = self.evaluationTab.crossValidationPanel
        ready = self.dataTab.train_table is not None and not self.dataTab.busy and not training
        cv.set_available(ready, "" if ready else "Open a training CSV (Data tab) and wait for any training to end.")

    # ---- errors -------------------------------------------------------------------------------
    def show_failure(self, message: str, details: str = "") -> None:
        from .wording import for_the_app

        message = for_the_app(message)
        self.failure.emit(message)
        self._status(message)
        dialogs.show_failure(self, message, details)

    # ---- data ---------------------------------------------------------------------------------
    def open_data_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open training data", settings.last_folder("data"),
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.open_data(path)

    def open_test_data_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open test data (optional)", settings.last_folder("data"),
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            settings.remember_folder("data", path)
            self.dataTab.open_test(path)

    def open_data(self, path: str) -> None:
        settings.remember_folder("data", path)
        self.mainTabs.setCurrentWidget(self.dataTab)
        self.dataTab.open_train(str(path))

    def _data_loaded(self, path: str) -> None:
        settings.add_recent_file(path)
        self._data_busy(self.dataTab.busy)
        self._status(f"Opened {Path(path).name}")
        self.setWindowTitle(f"{Path(path).name} — HybridXAI")  # Qt adds the app name unless the title ends with it
        self.dataLoaded.emit(path)

    def _fill_recent_menu(self) -> None:
        self.recentMenu.clear()
        files = settings.recent_files()
        for path in files:
            action = self.recentMenu.addAction(Path(path).name, lambda p=path: self.open_data(p))
            action.setToolTip(path)
        if not files:
            self.recentMenu.addAction("(none yet)").setEnabled(False)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        if paths[0].lower().endswith((".pth", ".pt")):
            self.open_model(paths[0])
        else:
            self.open_data(paths[0])

    # ---- training -----------------------------------------------------------------------------
    def start_training(self) -> None:
        table = self.dataTab.train_table
        if table is None:
            self.show_failure("Open a training CSV first (File ▸ Open data…).")
            return
        if self.dataTab.busy or self.trainingTab.running:  # the button is disabled then; a shortcut may still ask
            return
        if self.evaluationTab.crossValidationPanel.running:
            self.show_failure("The repeated evaluation is running (Evaluation tab): wait for it or cancel it first.")
            return
        config = self.dataTab.data_config()
        if not (config.features or config.channels):
            self.show_failure("No feature or channel columns are ticked on the Data tab: tick at least one.")
            return
        if not self._confirm_discard("Train a new model"):
            return
        settings.save_json("hyperparameters", self.trainingTab.settings_dict())
        self.dataTab.set_problems([])
        test = self.dataTab.test_table.frame if self.dataTab.test_table is not None else None
        self.trainingTab.start(table.frame, test, config)
        service().warm_later()  # the trained model's figures need more in the render process: loaded meanwhile
        self.mainTabs.setCurrentWidget(self.trainingTab)
        self._update_actions()

    def _prepared(self, prepared) -> None:
        self.dataTab.set_problems(list(prepared.warnings), level="warning")

    def _training_done(self, outcome) -> None:
        result = outcome.result
        self._update_actions()
        if not result.history:  # stopped before the first epoch ended: nothing worth keeping
            self._status(result.message)
            self.trainingDone.emit(outcome)
            return
        self.trained, self.prepared, self.model_path = result.trained, outcome.prepared, None
        self.dirty = True
        if outcome.evaluation is not None:
            self.evaluationTab.set_result(outcome.evaluation, temperature=self.trained.temperature)
            # no new job once the window is closing: a training stopped by the close still lands here
            self.evaluationTab.set_split(None if self._closing else outcome.prepared, self.trained.seed)
        else:
            self.evaluationTab.clear("This model has no test rows to evaluate.")
        self.predictTab.set_model(self.trained)
        self._set_explanations(outcome.prepared, outcome.evaluation, outcome.uncertainty)
        self._update_actions()
        self._status(result.message)
        self.trainingDone.emit(outcome)

    def _training_failed(self, message: str, details: str) -> None:
        self._update_actions()
        if not details:
            self.dataTab.set_problems([message])
        self.show_failure(message, details)

    def _set_explanations(self, prepared, evaluation=None, uncertainty=None) -> None:
        tab = self.explanationsTab
        if prepared is None or len(prepared.y_test) == 0:
            return  # the explanations tab explains test rows; without any it keeps its hint
        # The worker's evaluation already holds each test row's prediction: running the model on every
        # test row here again took the GUI thread up to 1.5 s.
        predicted = evaluation.y_pred if evaluation is not None else None
        tab.threads = self.trainingTab.configs()[2].threads
        tab.set_model(self.trained, prepared.X_test, prepared.X_test_raw, prepared.y_test, prepared.rows_test,
                      lengths=prepared.test_lengths,
                      background_pool=prepared.X_train, predicted=predicted,
                      unlike=None if uncertainty is None else uncertainty.unlike)

    def _explain_predicted_rows(self, _predictions) -> None:
        """A model opened from a file carries no test rows: the rows just predicted become the rows to explain
        (with their labels when the CSV has the label column). A model trained here keeps its test rows."""
        tab = self.explanationsTab
        if self.prepared is not None or self.trained is None:
            return
        outcome, source = self.predictTab.outcome, Path(self.predictTab.data_path or "data").name
        if outcome is None or outcome.X is None or not len(outcome.rows):
            return
        # The prediction already read the rows as the model does (and scored them where the file has labels).
        y = outcome.evaluation.y_true if outcome.evaluation is not None else None
        what = f"series of {source}" if getattr(self.trained, "series", None) is not None else f"rows of {source}"
        tab.threads = self.trainingTab.configs()[2].threads
        tab.set_model(self.trained, outcome.X, self.trained.unscale(outcome.X), y, outcome.rows,
                      background_pool=self.trained.background, what=what, lengths=outcome.lengths,
                      predicted=outcome.evaluation.y_pred if outcome.evaluation is not None else None,
                      unlike=None if outcome.uncertainty is None else outcome.uncertainty.unlike)

    def explain_row(self, index: int) -> None:
        if self.prepared is None:  # a model opened from a file carries no test rows
            self.show_failure("The rows saved with a model file hold no feature values to explain: predict a CSV "
                              "on the Predict tab, and its rows can be explained.")
            return
        self.mainTabs.setCurrentWidget(self.explanationsTab)
        self.explanationsTab.show_row(index)

    def start_cross_validation(self) -> None:
        """The Data tab's table and settings and the Training tab's recipe, evaluated fold by fold."""
        table = self.dataTab.train_table
        if table is None or self.dataTab.busy:
            self.show_failure("Open a training CSV first (File ▸ Open data…).")
            return
        if self.trainingTab.running:
            self.show_failure("A model is training: wait for it to finish before the repeated evaluation.")
            return
        config = self.dataTab.data_config()
        if not config.features:
            self.show_failure("No feature columns are ticked on the Data tab: tick at least one.")
            return
        from ..core.errors import HybridXAIError
        from ..core.pipeline import TrainingRequest

        model, train, runtime = self.trainingTab.configs()
        test = self.dataTab.test_table.frame if self.dataTab.test_table is not None else None
        panel = self.evaluationTab.crossValidationPanel
        cv = panel.config(self.evaluationTab.baselinesCheck.isChecked(), config.test_size)
        try:
            cv.validate()
        except HybridXAIError as exc:
            self.show_failure(str(exc))
            return
        panel.start(TrainingRequest(table.frame, test, config, model, train, runtime), cv)
        self._update_actions()

    # ---- model files --------------------------------------------------------------------------
    # ---- settings and closing -----------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = settings.app_settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.trainingTab.restore_settings(settings.load_json("hyperparameters"))

    def save_settings(self) -> None:
        if not self.persist_settings:
            return
        s = settings.app_settings()
        s.setValue("window/geometry", self.saveGeometry())
        settings.save_json("hyperparameters", self.trainingTab.settings_dict())
        s.setValue("export/dpi", self.png_dpi())
        s.sync()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._warm_started:
            self._warm_started = True
            QTimer.singleShot(0 if warmed_devices() is not None else 150, self._warm_up)

    def _warm_up(self) -> None:
        if self._closing:
            return
        service().start()  # the render process imports matplotlib in parallel, in its own interpreter
        devices = warmed_devices()
        if devices is not None:  # loaded behind the splash (app.start_window): nothing left to import
            self._warmed(devices)
            return
        start_job(self, warm_up_imports, done=self._warmed, failed=lambda m, d: log.warning("warm-up: %s", m),
                  name="warm_up")

    def _warmed(self, devices) -> None:
        self.trainingTab.set_devices(devices)
        self.evaluationTab.ensure_panels()

    def _confirm_discard(self, doing: str = "Quit") -> bool:
        """Ask before a trained, unsaved model is lost; True when it is fine to go on."""
        if self.trained is None or not self.dirty or not dialogs.is_interactive():
            return True
        answer = QMessageBox.question(
            self, "Save the trained model?",
            f"The trained model has not been saved. {doing} anyway?\n\nSave it first to use it again later.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_model()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event) -> None:
        running = [what for what, on in (("Training", self.trainingTab.running),
                                         ("The repeated evaluation", self.evaluationTab.crossValidationPanel.running))
                   if on]
        if not self._closing and not (dialogs.confirm_stop_and_quit(self, running) and self._confirm_discard()):
            event.ignore()
            return
        self._closing = True
        self.save_settings()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop training and every background job, and join their threads (idempotent)."""
        self._closing = True
        if self.trainingTab.control is not None:
            self.trainingTab.control.stop()
        self.explanationsTab.shutdown()
        if not stop_jobs(self):
            log.warning("A background job did not stop in time.")

    def _about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, "About HybridXAI",
                          f"<b>HybridXAI {__version__}</b><br>Train and explain a hybrid CNN + BiLSTM + attention "
                          "classifier on CSV data.<br><br>Log file: " + str(dialogs.log_file_path()))
