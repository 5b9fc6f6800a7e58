"""The main window's File menu work on files: open and save a model, export the current tab's figure and the run
report. A mixin of MainWindow (it uses the window's tabs, status line, signals and settings); the heavy parts run
elsewhere: loading a model in a worker (gui.jobs), drawing and writing figures and the report in the render process
(gui.render_service).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from . import settings
from .jobs import start_job
from .startup import FIGURE_SUFFIXES

FIGURE_FILTERS = "PNG image (*.png);;EPS (*.eps);;PDF (*.pdf);;SVG (*.svg)"


class WindowFiles:
    """Model files, figure export and the run report, for MainWindow."""

    # ---- model files ---------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        if not self._confirm_discard("Open another model"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open model", settings.last_folder("model"),
                                              "HybridXAI models (*.pth *.pt);;All files (*)")
        if path:
            self.open_model(path)

    def open_model(self, path: str) -> None:
        settings.remember_folder("model", path)
        self._status(f"Opening {Path(path).name}…")

        def job():
            from ..core.model_files.checkpoint import load_checkpoint
            from ..core.evaluation.metrics import EvaluationResult

            trained = load_checkpoint(path)
            evaluation = EvaluationResult.from_dict(trained.evaluation) if trained.evaluation else None
            from .startup import import_for_a_model

            import_for_a_model()  # what showing it imports: here, not in the GUI thread
            return trained, evaluation

        start_job(self, job, done=self._model_opened, failed=self.show_failure, name="open_model")

    def _model_opened(self, loaded) -> None:
        trained, evaluation = loaded
        self.trained, self.prepared, self.dirty = trained, None, False
        self.model_path = trained.source or None
        self.trainingTab.set_configs(trained.model_config, trained.train_config, trained.runtime_config)
        self.dataTab.set_data_config(trained.data_config)
        name = Path(self.model_path).name if self.model_path else "the model file"
        best = (f"best validation epoch {trained.best_epoch}" if trained.best_epoch else "no validation rows")
        self.trainingTab.show_history(trained.history, f"Model from {name}: {len(trained.history)} epochs, "
                                                       f"{best}; classes {', '.join(trained.class_names)}.")
        if evaluation is not None:  # its rows' values are not in the file: they cannot be explained from here
            self.evaluationTab.set_result(evaluation, "test rows (saved with the model)", explainable=False,
                                          temperature=trained.temperature)
            self.evaluationTab.set_split(None)
        else:
            self.evaluationTab.clear("This model file holds no evaluation.")
        self.predictTab.set_model(trained)
        self._update_actions()
        self._status(f"Opened model {name}")
        self.setWindowTitle(f"{name} — HybridXAI")
        self.modelLoaded.emit(trained)

    def save_model(self) -> bool:
        if self.trained is None:
            self.show_failure("There is no trained model to save yet.")
            return False
        suggestion = self.model_path or str(Path(settings.last_folder("model") or Path.home()) / "model.pth")
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", suggestion, "HybridXAI models (*.pth)")
        if not path:
            return False
        if not Path(path).suffix:
            path += ".pth"
        from ..core.model_files.checkpoint import save_checkpoint
        from ..core.errors import HybridXAIError

        try:
            save_checkpoint(self.trained, path)  # small (a few MB at most): atomic write, no worker needed
        except HybridXAIError as exc:
            self.show_failure(str(exc))
            return False
        except OSError as exc:
            self.show_failure(f"Could not save the model to {path}: {exc.strerror or exc}.")
            return False
        settings.remember_folder("model", path)
        self.model_path, self.dirty = path, False
        self._status(f"Model saved to {path}")
        self.modelSaved.emit(path)
        return True

    # ---- figures ------------------------------------------------------------------------------
    def figure_source(self):
        """What File ▸ Export figure writes (a FigurePanel or DrawingSource), or None."""
        tab = self.mainTabs.currentWidget()
        return tab.figure_source() if hasattr(tab, "figure_source") else None

    def current_figure(self):  # built in this thread: for tests and scripts
        source = self.figure_source()
        return None if source is None else source.settle()

    def png_dpi(self) -> int:
        action = self.dpiGroup.checkedAction()
        return int(action.data()) if action is not None else 150

    def export_figure(self, path: str | None = None) -> str | None:
        """Write the current tab's figure in the render process; `figureExported(path)` once it is written."""
        source = self.figure_source()
        if source is None:
            self.show_failure("This tab has no figure to export yet.")
            return None
        if not path:
            title = self.mainTabs.tabText(self.mainTabs.currentIndex()).lower()
            suggestion = str(Path(settings.last_folder("figure") or Path.home()) / f"{title}.png")
            path, chosen = QFileDialog.getSaveFileName(self, "Export figure", suggestion, FIGURE_FILTERS)
            if not path:
                return None
            if not Path(path).suffix and chosen:
                path += "." + chosen.split("*.")[-1].rstrip(")")
        if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
            self.show_failure(f"Cannot export '{Path(path).name}': use a name ending in .png, .eps, .pdf or .svg.")
            return None
        settings.remember_folder("figure", path)
        settings.app_settings().setValue("export/dpi", self.png_dpi())
        self._status(f"Exporting the figure to {Path(path).name}…")

        def done(written: str) -> None:
            self._status(f"Figure exported to {written}")
            self.figureExported.emit(written)

        source.export(path, self.png_dpi(), done=done, failed=self.show_failure)
        return path

    def export_report(self, path: str | None = None) -> None:
        """Write the run report (HTML or PDF, by the file's extension) in a worker; `reportExported` when done."""
        if self.trained is None:
            self.show_failure("There is no model to report on yet: train one or open a model file.")
            return
        from . import report_export

        if not path:
            name = Path(self.model_path).stem if self.model_path else "run"
            suggestion = str(Path(settings.last_folder("report") or Path.home()) / f"{name}_report.html")
            path, chosen = QFileDialog.getSaveFileName(self, "Export report", suggestion, report_export.REPORT_FILTERS)
            if not path:
                return
            if not Path(path).suffix:
                path += ".pdf" if chosen and "pdf" in chosen.lower() else ".html"
        if Path(path).suffix.lower() not in (".html", ".htm", ".pdf"):
            self.show_failure(f"A report is written as .html or .pdf, not '{Path(path).suffix}': choose another name.")
            return
        settings.remember_folder("report", path)
        inputs = report_export.gather(self)
        self._status(f"Writing the report {Path(path).name}…")

        def done(written: str) -> None:
            self._status(f"Report written to {written}")
            self.reportExported.emit(written)

        report_export.write_in_background(self, inputs, path, done=done, failed=self.show_failure)
