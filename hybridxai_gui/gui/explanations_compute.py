"""The Explanations tab's computing side: the SHAP background it offers, the units shown, and the worker that
runs one explanation (core.explain.run: SHAP, the views, faithfulness, the randomisation check).

A mixin of ExplanationsTab (kept apart from its layout and drawing): `compute()` reads the widgets in the GUI
thread, then runs the core's generator in a `GeneratorWorker` on a private copy of the model; progress,
the result and failures come back as signals; Cancel sets the core's stop flag.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtWidgets import QFileDialog

UNITS = (("Probability", "probability"), ("Logit", "logit"))
SCOPES = (("Selected row", 1), ("Shown rows (up to 25)", 25), ("Shown rows (up to 100)", 100))
STAGES = {"shap": "SHAP", "views": "Grad-CAM and attention", "faithfulness": "Faithfulness",
          "sanity": "Randomisation check"}


class ExplanationsCompute:
    """Background, units and the explanation worker of ExplanationsTab."""

    # ---- SHAP worker --------------------------------------------------------------------------
    def _pool(self):
        return self.background_pool if self.background_pool is not None else self.trained.background

    def _name_backgrounds(self) -> None:
        """Say in the Background box how many rows SHAP will use (the number the result reports)."""
        from ..core.explain.rows import BACKGROUND_ROWS

        pool = self._pool() if self.trained is not None else None
        n = 0 if pool is None else min(BACKGROUND_ROWS, len(pool))
        self.backgroundCombo.setItemText(0, f"Training sample ({n} rows)" if n else "Training sample (none kept)")
        self.backgroundCombo.setItemText(1, f"k-means summary (up to {n} rows)" if n else "k-means summary (none)")
        self.backgroundCombo.setItemText(2, "CSV file…")

    def _background_chosen(self, choice: int) -> None:
        if choice != 2 or self.trained is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Background rows (CSV with the model's feature columns)", "",
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if not path:
            self.backgroundCombo.setCurrentIndex(0)
            return
        from pathlib import Path

        from .jobs import start_job

        trained, name = self.trained, Path(path).name

        def read():  # in a worker: a large CSV takes seconds to read and check
            from ..core.pipeline import read_table

            return trained.transform(read_table(path), name)

        self.csv_background = None
        self._background_reading = True
        self.backgroundCombo.setItemText(2, f"CSV: reading {name}…")
        self.computeButton.setEnabled(False)  # not before the rows it would use are read
        self._show_status(f"Reading the background rows of {name}…", ok=None)
        start_job(self, read, done=lambda rows: self._background_read(rows, name, trained),
                  failed=lambda message, _details: self._background_read(None, name, trained, message),
                  name="background_csv")

    def _background_read(self, rows, name: str, trained, problem: str = "") -> None:
        from ..core.explain.rows import BACKGROUND_ROWS
        from .wording import for_the_app

        self._background_reading = False
        self.computeButton.setEnabled(self.trained is not None and self.sampleList.count() > 0
                                      and self.worker is None)
        if trained is not self.trained:  # another model came meanwhile: these rows are not its
            return
        if rows is None:
            self.backgroundCombo.setItemText(2, "CSV file…")
            self._show_status(for_the_app(problem), ok=False)
            self.backgroundCombo.setCurrentIndex(0)
            return
        self.csv_background = rows
        n = len(rows)
        used = f"{n} rows" if n <= BACKGROUND_ROWS else f"{BACKGROUND_ROWS} of {n} rows"
        self.backgroundCombo.setItemText(2, f"CSV: {name} ({used})")
        self._show_status(f"Background: {used} of {name}.", ok=True)

    def _background(self) -> np.ndarray:
        from ..core.errors import HybridXAIError
        from ..core.explain import select_background
        from ..core.explain.rows import BACKGROUND_ROWS

        choice = self.backgroundCombo.currentIndex()
        if choice == 2 and self.csv_background is None:  # never the training rows in its place, unsaid
            raise HybridXAIError("The background CSV is still being read, or could not be read: wait for it, or "
                                 "choose another background.")
        if choice == 2:
            pool, kind = self.csv_background, "random"
        else:
            pool = self._pool()
            kind = "kmeans" if choice == 1 else "random"
        if pool is None or len(pool) == 0:
            raise HybridXAIError("No background rows: this model holds no training rows; choose a CSV background.")
        return select_background(pool, BACKGROUND_ROWS, kind, seed=0)

    def _kind(self) -> str:
        from ..core.explain.run import guess_kind

        if self.kind is not None:
            return self.kind
        pool = self._pool()
        raw = None if pool is None or not len(pool) else self.trained.unscale(pool)
        return guess_kind(self.trained.feature_names, raw, int(getattr(self.trained.model_config, "n_channels", 1)))

    def units(self) -> str:
        """The units SHAP is shown in: "probability" or "logit"."""
        return UNITS[max(0, self.unitsCombo.currentIndex())][1]

    def shown_result(self):
        """The SHAP result in the units chosen (both were computed: switching recomputes nothing)."""
        if self.result is None:
            return None
        units = self.units()
        return self.result.in_units(units) if units in self.result.available_units else self.result

    def _units_changed(self) -> None:
        self._draw_shap()

    def compute(self) -> None:
        if self.trained is None or self.is_busy():
            return
        visible = self._visible_indices()
        current = self.current_index()
        if current is None:
            self._show_status(self._nothing_selected(), None)
            return
        limit = SCOPES[self.scopeCombo.currentIndex()][1]
        chosen = [current] if limit == 1 else ([current] + [i for i in visible if i != current])[:limit]
        chosen = sorted(chosen)
        from ..core.explain.rows import BACKGROUND_ROWS, series_units

        shared, views_lock = self.trained.model, self._views_lock
        method = self.methodCombo.currentText()
        X, X_raw = self.X[chosen], None if self.X_raw is None else self.X_raw[chosen]
        true = None if self.y is None else self.y[chosen]
        rows = self.rows[chosen]
        names, classes = list(self.trained.feature_names), list(self.trained.class_names)
        target = self.classCombo.currentIndex() - 1  # -1: each row's predicted class
        units = self.units()
        combo_choice = self.backgroundCombo.currentIndex()
        background_for = self._background  # reads widgets: call it here, not in the thread
        try:
            background = background_for() if combo_choice != 1 else None
        except Exception as exc:  # noqa: BLE001 - HybridXAIError: shown to the user
            from .wording import for_the_app

            self._show_status(for_the_app(exc), ok=False)
            return
        groups, group_names, _segments = series_units(self.trained)  # series: channel × time segments
        series, lengths = self.trained.series, None if self.lengths is None else self.lengths[chosen]
        pool = self._pool()
        if background is None and (pool is None or len(pool) == 0):
            self._show_status("No training rows for a k-means background: choose a CSV background.", ok=False)
            return
        self._stop = stop = threading.Event()
        threads, kind_of = self.threads, self._kind

        def job():
            import copy

            import torch

            with views_lock:  # not while a page's Grad-CAM has its hooks on the shared model
                model = copy.deepcopy(shared)  # the worker's own copy: no hook or mode races

            from ..core.explain import select_background
            from ..core.explain.run import iter_explanation_run  # imported here: never by the GUI thread

            kind = kind_of()
            # torch's own default is one thread per core: on a busy 2-core machine two threads made one series
            # row take 83 s instead of 19 (35 CPU s instead of 7.4); the Training tab's setting (1 by default)
            # holds for explaining too, as the command line's --threads does. Worker processes inherit it.
            previous = torch.get_num_threads()
            if threads > 0:
                torch.set_num_threads(threads)
            try:
                bg = background if background is not None else select_background(pool, BACKGROUND_ROWS, "kmeans",
                                                                                  seed=0)
                from ..core.explain.parallel import auto_workers

                # processes, not threads: the window's thread then never shares the interpreter with the work
                workers = auto_workers(len(X), torch.get_num_threads(), "processes")
                run = yield from iter_explanation_run(
                    model, X, bg, feature_names=names, class_names=classes, rows=rows, method=method, units=units,
                    X_raw=X_raw, true=true, targets=None if target < 0 else target, kind=kind, groups=groups,
                    group_names=group_names, workers=workers, parallel="processes", cancel=stop)
            finally:
                torch.set_num_threads(previous)
            if run is not None:
                run.series, run.lengths = series, lengths
            return run

        from .jobs import start_job

        self.worker = start_job(self, job, done=self._done, failed=self._failed, yielded=self._progress,
                                cancel=stop.set, finished=self._worker_finished, name="explain")
        self.progressBar.setRange(0, len(chosen))
        self.progressBar.setValue(0)
        self.progressBar.setFormat(f"SHAP ({method}): %v / %m rows")
        self._show_status(f"Explaining {len(chosen)} row(s): SHAP ({method}), then how far each view can be "
                          f"trusted…", ok=None)
        self.computeButton.setEnabled(False)
        self.cancelButton.setEnabled(True)
        self.busyChanged.emit(True)

    def cancel(self) -> None:
        self._stop.set()

    def _progress(self, item) -> None:
        """The share of the whole run done (within a row too: a series row takes seconds) and the time left."""
        stage = STAGES.get(getattr(item, "stage", ""), "")
        fraction = getattr(item, "fraction", -1.0)
        if fraction < 0:  # a stage that only counts rows
            self.progressBar.setRange(0, max(1, item.total))
            self.progressBar.setValue(item.done)
            if stage:
                self.progressBar.setFormat(f"{stage}: %v / %m")
            return
        self.progressBar.setRange(0, 1000)
        self.progressBar.setValue(round(1000 * fraction))
        rows = f" ({item.done}/{item.total} rows)" if item.stage in ("shap", "faithfulness") else ""
        left = getattr(item, "remaining", "")
        self.progressBar.setFormat(f"{stage}{rows} · %p%" + (f" · {left}" if left else ""))

    def _done(self, run) -> None:
        if run is None:
            self._show_status("Explanation cancelled.", ok=None)
            return
        self.run = run
        self.result = result = run.shap
        self.progressBar.setRange(0, result.n_rows)
        self.progressBar.setValue(result.n_rows)
        self.progressBar.setFormat("Done: %v / %m rows")
        text = (f"{result.additivity_message}. {result.n_rows} row(s), {result.method}, background "
                f"{result.background_size} rows, {sum(run.seconds.values()):.1f} s.")
        shown = result.in_units("probability") if "probability" in result.available_units else result
        if shown.sampling_message:
            text += f" {shown.sampling_message}."
        faith = run.faithfulness
        if faith is not None:
            text += f" {faith.headline()}; see the Faithfulness page."
            flagged = faith.randomisation.flagged if faith.randomisation is not None else []
            if flagged:
                text += f" Not explaining the model: {', '.join(faith.views[v].label for v in flagged)}."
        self._show_status(text, ok=result.additive or (None if result.method == "gradient" else False))
        self.figureTabs.setCurrentIndex(0)
        self._draw_shap()
        self._draw_faithfulness()
        self._update_summary()

    def _failed(self, message: str, _details: str) -> None:
        self._show_status(f"Explanation failed: {message}", ok=False)

    def _worker_finished(self) -> None:
        if self.worker is None:
            return
        self.worker = None  # start_job deletes it once finished
        self.computeButton.setEnabled(self.trained is not None and self.sampleList.count() > 0
                                      and not self._background_reading)
        self.cancelButton.setEnabled(False)
        self.busyChanged.emit(False)

