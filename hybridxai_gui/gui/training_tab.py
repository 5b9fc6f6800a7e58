"""The Training tab: hyperparameter form, presets, device, Start / Stop / Pause, live charts, log.

Training runs in a worker thread as the core's one pipeline (`core.pipeline.run_training`: prepare →
train → evaluate).
The GUI thread only receives small dataclasses (BatchProgress, EpochMetrics) and redraws; Stop and
Pause set the core's `TrainControl` flags, which the loop checks between batches.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from ..core.config import PRESETS, ModelConfig, RuntimeConfig, TrainConfig, apply_preset, config_from_dict, to_dict
from ..plotting.render import Drawing
from ..plotting.training_plots import draw_training_history
from .config_form import ConfigForm, shown_value
from .jobs import start_job
from .live_charts import LiveChart

# Data options live on the Data tab; n_features/n_classes/n_channels come from the data; the device and
# threads (RuntimeConfig) have their own inputs at the top.
MODEL_SKIP = {"n_features", "n_classes", "n_channels"}
TRAIN_SKIP: set[str] = set()


START_TIP = "Split the data and train a new model with these settings"

# The training worker waits this long before it reads the data: the click switches to this tab, and its first
# paint (the charts' axes, the form) ran at the same time as the worker's data preparation, which took turns
# with it for the interpreter and stretched a ~30 ms paint to 40-56 ms (benchmarks/README.md, GUI responsiveness).
PAINT_GRACE_S = 0.15


def _after_first_paint(run, control):
    """The run's items and outcome, started PAINT_GRACE_S later (at once if stopped meanwhile: the loop sees it);
    what showing the model imports is imported here, in the worker, before the outcome is handed over."""
    control.sleep(PAINT_GRACE_S)
    outcome = yield from run
    from .startup import import_for_a_model

    import_for_a_model()
    return outcome


CHART_EVERY_S = 0.12  # the live charts' shortest time between redraws


def _repaints_charts(item) -> bool:
    """Worker thread: the items after which the worker lets the window repaint its live charts first (an epoch's
    metrics: once per epoch)."""
    from ..core.pipeline import EpochMetrics

    return isinstance(item, EpochMetrics)


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainingTab(QWidget):
    startRequested = Signal()  # the main window gathers the data and calls start()
    trainingStarted = Signal()
    prepared = Signal(object)  # PreparedData, as soon as the split is made
    trainingFinished = Signal(object)  # core.pipeline.TrainingOutcome
    trainingFailed = Signal(str, str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingTab")
        self.setAccessibleName("Training")
        self.control = None
        self._worker = None
        self._started = 0.0
        self.history: list[Any] = []
        self._previous_history: list[Any] = []  # shown again if a run fails or ends before its first epoch
        self._members = 1  # networks the running (or last) training trains; 0 until an auto choice is made
        self._batches = 1  # batches per epoch of the running training
        self._calibration_fold = 0  # the fold model last shown while prediction sets are calibrated
        self._data_ready, self._data_why = True, ""  # whether Start may run, and why not
        self._device_chosen = False  # the user picked a device: a later list of devices keeps it
        # Charts are redrawn at most ~8 times a second: a redraw costs O(epochs), and tiny data can
        # finish hundreds of epochs a second, which flooded the GUI thread (O(epochs²) work, minutes). A redraw
        # happens as an epoch's metrics arrive (the worker waits for it: gui/worker.py give_way; a redraw later,
        # with the worker computing, waited on the interpreter at each of its Qt calls: 55-61 ms stalls), when the
        # last one is CHART_EVERY_S old; the timer shows epochs left over when none follows soon.
        self._last_redraw = 0.0
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(500)
        self._chart_timer.timeout.connect(lambda: self._redraw_charts(finished=False))
        self._build()

    def _build(self) -> None:
        self.presetCombo = QComboBox()
        self.presetCombo.setObjectName("presetCombo")
        self.presetCombo.setAccessibleName("Preset")
        self.presetCombo.addItems(list(PRESETS))
        self.presetCombo.setToolTip("default: the recipe chosen on real series, an ensemble of 3 networks for series "
                                    "(3× the time of one) and one network for tables; quick: the same as one network, "
                                    "a third of the time, 4–11 points less accurate on small real series sets; seed: "
                                    "the original script's recipe (for comparison)")
        self.presetCombo.activated.connect(lambda _i: self.apply_preset(self.presetCombo.currentText()))
        self.deviceCombo = QComboBox()
        self.deviceCombo.setObjectName("deviceCombo")
        self.deviceCombo.setAccessibleName("Device")
        self.deviceCombo.addItem("CPU", "cpu")
        self.deviceCombo.setToolTip("Where to train: the CPU or a GPU found on this machine")
        self.runtimeForm = ConfigForm(RuntimeConfig, {"device"})
        top = QFormLayout()
        top.addRow("Preset:", self.presetCombo)
        top.addRow("Device:", self.deviceCombo)
        top.addRow(self.runtimeForm)
        self.modelForm = ConfigForm(ModelConfig, MODEL_SKIP)
        self.trainForm = ConfigForm(TrainConfig, TRAIN_SKIP)
        # The form opens on the "default" recipe (e.g. kernel 9), not the bare dataclass defaults,
        # which describe the reference design.
        default_model, default_train = apply_preset("default")
        self.modelForm.set_values(to_dict(default_model))
        self.trainForm.set_values(to_dict(default_train))
        self.epochsSpin = self.trainForm.inputs["epochs"]
        self.batchSizeSpin = self.trainForm.inputs["batch_size"]
        self.learningRateSpin = self.trainForm.inputs["lr"]
        model_box = QGroupBox("Model")
        QVBoxLayout(model_box).addWidget(self.modelForm)
        train_box = QGroupBox("Training")
        QVBoxLayout(train_box).addWidget(self.trainForm)
        form_holder = QWidget()
        fl = QVBoxLayout(form_holder)
        fl.addLayout(top)
        fl.addWidget(train_box)
        fl.addWidget(model_box)
        fl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(form_holder)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(form_holder.sizeHint().width() + 24)

        self.startTrainingButton = self._button("startTrainingButton", "Start training", self.startRequested.emit)
        self.stopTrainingButton = self._button("stopTrainingButton", "Stop", self.stop)
        self.pauseTrainingButton = self._button("pauseTrainingButton", "Pause", self.toggle_pause)
        self.startTrainingButton.setDefault(True)
        self.startTrainingButton.setToolTip(START_TIP)
        self.stopTrainingButton.setToolTip("Stop after the current batch and keep the model: the last finished epoch's "
                                           "weights, or the best epoch's with “Keep best epoch's weights”")
        self.trainingProgress = QProgressBar()
        self.trainingProgress.setObjectName("trainingProgress")
        self.trainingProgress.setAccessibleName("Training progress")
        self.trainingProgress.setRange(0, 1000)
        self.trainingProgress.setValue(0)
        self.trainingProgress.setTextVisible(True)
        self.trainingProgress.setFormat("Not started")
        buttons = QHBoxLayout()
        for b in (self.startTrainingButton, self.pauseTrainingButton, self.stopTrainingButton):
            buttons.addWidget(b)
        buttons.addWidget(self.trainingProgress, 1)

        self.lossPlot = LiveChart("loss", "Loss", "cross-entropy", "lossPlot")
        self.accuracyPlot = LiveChart("acc", "Accuracy", "accuracy", "accuracyPlot")
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.lossPlot)
        charts.addWidget(self.accuracyPlot)
        self.trainingLog = QPlainTextEdit()
        self.trainingLog.setObjectName("trainingLog")
        self.trainingLog.setAccessibleName("Training log")
        self.trainingLog.setReadOnly(True)
        self.trainingLog.setMaximumBlockCount(5000)
        self.trainingLog.setPlaceholderText("Training messages appear here.")
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(charts)
        right_split.addWidget(self.trainingLog)
        right_split.setStretchFactor(0, 4)
        right_split.setStretchFactor(1, 1)
        self.summaryLabel = QLabel("Open data on the Data tab, then press Start training.")
        self.summaryLabel.setObjectName("trainingSummaryLabel")
        self.summaryLabel.setWordWrap(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(buttons)
        rl.addWidget(self.summaryLabel)
        rl.addWidget(right_split, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(split)
        self._set_running(False)

    def _button(self, name: str, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(text)
        button.clicked.connect(slot)
        return button

    # ---- configuration ------------------------------------------------------------------------
    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Fill the device picker with what the machine has: [(id, label)], CPU first."""
        current = self.deviceCombo.currentData()
        self.deviceCombo.clear()
        for key, label in devices:
            self.deviceCombo.addItem(label, key)
        i = self.deviceCombo.findData(current)
        if len(devices) > 1 and current == "cpu" and not self._device_chosen:
            i = 1  # a GPU is there: use it unless the user chose the CPU
        self.deviceCombo.setCurrentIndex(max(0, i))

    def apply_preset(self, name: str) -> None:
        keep = {"seed": self.trainForm.values()["seed"]}
        model, train = apply_preset(name)
        self.modelForm.set_values(to_dict(model))
        self.trainForm.set_values({**to_dict(train), **keep})
        if model.ensemble == 0:
            members = "an ensemble of 3 networks for series (about 3× the time of one), one network for a table"
        elif model.ensemble > 1:
            members = f"an ensemble of {model.ensemble} networks, about {model.ensemble}× the time of one"
        else:
            members = "one network"
        self.log(f"Preset '{name}' applied: {members}.")

    def configs(self) -> tuple[ModelConfig, TrainConfig, RuntimeConfig]:
        model = config_from_dict(ModelConfig, self.modelForm.values())
        train = config_from_dict(TrainConfig, self.trainForm.values())
        runtime = config_from_dict(RuntimeConfig, {**self.runtimeForm.values(),
                                                   "device": self.deviceCombo.currentData() or "cpu"})
        return model, train, runtime

    def set_configs(self, model: ModelConfig, train: TrainConfig, runtime: RuntimeConfig | None = None) -> None:
        self.modelForm.set_values(to_dict(model))
        self.trainForm.set_values(to_dict(train))
        if runtime is not None:
            self.runtimeForm.set_values({"threads": runtime.threads})
            i = self.deviceCombo.findData(runtime.device)
            if i >= 0:
                self.deviceCombo.setCurrentIndex(i)

    def set_data_ready(self, ready: bool, why: str = "") -> None:
        """Start is offered only when there is data to train on and none is still being read."""
        self._data_ready, self._data_why = ready, why
        self._set_running(self.running)

    def settings_dict(self) -> dict:
        # The defaults the values were chosen against travel with them, so that a later version's new
        # defaults replace only the values the user never changed (see restore_settings).
        model, train = apply_preset("default")
        return {"model": self.modelForm.values(), "train": self.trainForm.values(),
                "device": self.deviceCombo.currentData(), "threads": self.runtimeForm.values()["threads"],
                "defaults": {"model": to_dict(model), "train": to_dict(train)}}

    def restore_settings(self, values: dict | None) -> None:
        if not isinstance(values, dict):
            return
        saved_defaults = values.get("defaults") if isinstance(values.get("defaults"), dict) else {}
        model, train = apply_preset("default")
        now = {"model": to_dict(model), "train": to_dict(train)}
        changed = []
        for section, form in (("model", self.modelForm), ("train", self.trainForm)):
            stored = dict(values.get(section) or {})
            then = saved_defaults.get(section) or {}
            for name, value in list(stored.items()):
                if name in then and value == then[name] and name in now[section] and now[section][name] != value:
                    stored[name] = now[section][name]  # an untouched default that has changed since
                    changed.append(f"{name} {shown_value(name, value)} → {shown_value(name, now[section][name])}")
            form.set_values(stored)
        if changed:
            self.log("The default recipe changed since these settings were saved; updated the values you had "
                     "left at their defaults: " + ", ".join(changed) + ".")
        threads = values.get("threads", (values.get("train") or {}).get("threads"))
        if isinstance(threads, int):
            self.runtimeForm.set_values({"threads": threads})
        i = self.deviceCombo.findData(values.get("device"))
        if i >= 0:
            self.deviceCombo.setCurrentIndex(i)
            self._device_chosen = True

    # ---- running ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.control is not None

    def start(self, train_frame, test_frame, data_config) -> None:
        from ..core.pipeline import TrainingRequest, run_training  # imports torch: only when the user trains
        from ..core.pipeline import TrainControl

        model_config, train_config, runtime = self.configs()
        request = TrainingRequest(train_frame, test_frame, data_config, model_config, train_config, runtime)
        self.control = TrainControl()
        self._previous_history = self.history  # shown again if this run fails or ends before its first epoch
        self._members = model_config.ensemble
        self._start_model = model_config
        self.history = []
        self._redraw_charts(finished=False)
        self.summaryLabel.setText("Training…")
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat("Preparing data…")
        self._started = time.perf_counter()
        self._calibration_fold = 0
        self._set_running(True)
        self.log(f"Training started on {self.deviceCombo.currentText()}: "
                 f"{'auto' if train_config.epochs == 0 else train_config.epochs} epochs, batch "
                 f"{train_config.batch_size}, learning rate {train_config.lr:g}, {train_config.optimizer}, "
                 f"{train_config.scheduler} schedule.")
        control = self.control
        self._worker = start_job(self, lambda: _after_first_paint(run_training(request, control), control),
                                 yielded=self._on_item, done=self._on_done, failed=self._on_failed,
                                 cancel=control.stop, give_way=_repaints_charts, name="train")
        self.trainingStarted.emit()

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()
            self.stopTrainingButton.setEnabled(False)
            self.pauseTrainingButton.setEnabled(False)
            self.trainingProgress.setFormat("Stopping after this batch…")
            self.log("Stop requested: finishing the current batch.")

    def toggle_pause(self) -> None:
        if self.control is None:
            return
        if self.control.paused:
            self.control.resume()
            self.pauseTrainingButton.setText("Pause")
            self.log("Resumed.")
        else:
            self.control.pause()
            self.pauseTrainingButton.setText("Resume")
            self.trainingProgress.setFormat(self.trainingProgress.format() + " (paused)")
            self.log("Paused: press Resume to continue.")

    def _set_running(self, running: bool) -> None:
        ready = self._data_ready
        self.startTrainingButton.setEnabled(not running and ready)
        self.startTrainingButton.setToolTip(START_TIP if ready or running else self._data_why)
        self.stopTrainingButton.setEnabled(running)
        self.pauseTrainingButton.setEnabled(running)
        self.pauseTrainingButton.setText("Pause")
        self.presetCombo.setEnabled(not running)
        self.modelForm.setEnabled(not running)
        self.trainForm.setEnabled(not running)
        self.deviceCombo.setEnabled(not running)
        self.runtimeForm.setEnabled(not running)
        self.busyChanged.emit(running)

    def _on_item(self, item: Any) -> None:
        from ..core.pipeline import BatchProgress, CalibrationProgress, EpochMetrics, PreparedData

        if isinstance(item, PreparedData):
            from .wording import for_the_app

            for w in item.warnings:
                self.log(f"Note: {for_the_app(w)}")
            if self._members == 0:  # auto: members for series, one network for a table
                from ..core.pipeline import members_for

                self._members = members_for(self._start_model, item)
                self.log("Ensemble: auto, " + (f"{self._members} networks (series rows)" if self._members > 1
                                               else "one network (table rows)") + ".")
            self.log(f"Data: {len(item.y_train)} training, {len(item.y_val)} validation, {len(item.y_test)} test "
                     f"rows; {len(item.feature_names)} features; classes {', '.join(item.class_names)}.")
            self.prepared.emit(item)
        elif isinstance(item, CalibrationProgress):  # fold models scoring the training rows for the prediction sets
            if item.fold != self._calibration_fold:
                self._calibration_fold = item.fold
                self.log(f"Prediction sets: training fold model {item.fold}/{item.folds} (it scores the training "
                         "rows it does not see).")
            self.trainingProgress.setValue(int(1000 * ((item.fold - 1) + item.epoch / max(1, item.epochs))
                                               / max(1, item.folds)))
            self.trainingProgress.setFormat(f"Prediction sets: fold model {item.fold}/{item.folds} · epoch "
                                            f"{item.epoch}/{item.epochs} · {format_seconds(item.elapsed)}")
        elif isinstance(item, BatchProgress):
            self._batches = item.batches
            self._show_progress(item.epoch, item.epochs, item.batch, item.batches, item.elapsed)
        elif isinstance(item, EpochMetrics):
            self.history.append(item)
            if time.perf_counter() - self._last_redraw >= CHART_EVERY_S:
                self._redraw_charts(finished=False)
            elif not self._chart_timer.isActive():
                self._chart_timer.start()
            batches = self._batches
            self._show_progress(item.epoch, item.epochs, batches, batches, time.perf_counter() - self._started)
            val = f", validation {item.val_loss:.4f} / {item.val_acc:.3f}" if item.val_loss is not None else ""
            test = f", test {item.test_loss:.4f} / {item.test_acc:.3f}" if item.test_loss is not None else ""
            best = f"; best validation epoch {item.best_epoch}" if item.val_loss is not None else ""
            self.log(f"Epoch {item.epoch}/{item.epochs}: loss / accuracy train {item.train_loss:.4f} / "
                     f"{item.train_acc:.3f}{val}{test}; lr {item.lr:.2e}{best}.")

    def _redraw_charts(self, finished: bool = True) -> None:
        """Both charts from self.history; finished=False while a run goes on (x axis to the planned epochs)."""
        self._chart_timer.stop()
        self._last_redraw = time.perf_counter()
        for chart in (self.lossPlot, self.accuracyPlot):
            chart._finished = finished
            chart.set_history(self.history)
            if chart.isVisible():
                chart.viewport().repaint()  # now, while the worker waits (give_way), rather than contended later

    def _show_progress(self, epoch: int, epochs: int, batch: int, batches: int, elapsed: float) -> None:
        done = ((epoch - 1) + batch / max(1, batches)) / max(1, epochs)
        self.trainingProgress.setValue(int(1000 * done))
        eta = elapsed * (1 - done) / done if done > 0 else 0.0
        paused = " (paused)" if self.control is not None and self.control.paused else ""
        members = self._members
        who = f"{members} members · " if members > 1 else ""
        self.trainingProgress.setFormat(f"{who}Epoch {epoch}/{epochs} · batch {batch}/{batches} · "
                                        f"{format_seconds(elapsed)} elapsed · ETA {format_seconds(eta)}{paused}")

    def _finish(self) -> None:
        self._redraw_charts()  # the last epochs, without waiting for the timer
        self.control = None
        self._worker = None
        self._set_running(False)

    def _on_done(self, outcome) -> None:
        result = outcome.result
        self._finish()
        self.trainingProgress.setValue(1000 if result.reason == "completed" else self.trainingProgress.value())
        self.trainingProgress.setFormat(f"{result.reason.replace('_', ' ').capitalize()} · "
                                        f"{len(result.history)} epochs in {format_seconds(result.seconds)}")
        self.log(result.message)
        text = result.message
        if not result.history:
            text += self._restore_previous()
        if outcome.evaluation is not None:
            text += f" Test accuracy {outcome.evaluation.accuracy:.3f}, macro F1 {outcome.evaluation.macro_f1:.3f}."
            self.log(f"Test rows: accuracy {outcome.evaluation.accuracy:.4f}, macro F1 "
                     f"{outcome.evaluation.macro_f1:.4f}.")
        rows = getattr(outcome, "uncertainty", None)
        if rows is not None:  # why there are no prediction sets or no unlike flag (e.g. too few rows for 0.9)
            from .wording import for_the_app

            for note in rows.notes:
                self.log(f"Note: {for_the_app(note)}")
        self.summaryLabel.setText(text)
        self.trainingFinished.emit(outcome)

    def _on_failed(self, message: str, details: str) -> None:
        self._finish()
        self.trainingProgress.setFormat("Failed")
        self.log(f"Training failed: {message}")
        self.summaryLabel.setText(f"Training failed: {message}{self._restore_previous()}")
        self.trainingFailed.emit(message, details)

    def _restore_previous(self) -> str:
        """After a run that produced no model: the previous model's curves again, and a note that it stays."""
        previous = self._previous_history
        if not previous:
            return ""
        self.history = list(previous)
        self._redraw_charts()
        return " The previous model (its curves shown here) is still the one in use."

    def show_history(self, history: list, text: str = "") -> None:
        """Show a saved model's history (from its checkpoint)."""
        self.history = list(history)
        self._redraw_charts()
        self.trainingProgress.setValue(1000 if history else 0)
        self.trainingProgress.setFormat(f"{len(history)} epochs (from the model file)" if history else "Not started")
        if text:
            self.summaryLabel.setText(text)

    def log(self, text: str) -> None:
        self.trainingLog.appendPlainText(f"[{time.strftime('%H:%M:%S')}] {text}")

    def figure_source(self):
        """The current history as a figure (the live charts redrawn, for export); None before any."""
        if not self.history:
            return None
        from .figure_canvas import DrawingSource

        history = [h if isinstance(h, dict) else h.to_dict() for h in self.history]  # plain data to pickle
        return DrawingSource(Drawing(draw_training_history, (history,), layout=None), (10.0, 4.0))

    def current_figure(self):
        source = self.figure_source()
        return None if source is None else source.settle()
