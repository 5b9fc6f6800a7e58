"""Open data through the File menu, train with live charts, stop, and close while training."""

from __future__ import annotations


import pytest

pytest.importorskip("pytestqt")

from conftest import drawn, fast_settings  # noqa: E402


def open_data(qtbot, window, dialogs, path) -> None:
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()


def test_open_data_through_the_file_dialog(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    tab = window.dataTab
    assert tab.previewModel.rowCount() == 60
    assert tab.previewModel.columnCount() == 9
    assert tab.labelColumnCombo.currentText() == "label"
    assert tab.selected_features() == [f"f{i}" for i in range(8)]
    assert tab.statsModel.rowCount() == 9
    assert tab.distribution is not None and drawn(tab.distribution).axes
    assert not dialogs.messages


def test_validation_share_defaults_to_none(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    spin = window.dataTab.valShareSpin
    assert spin.value() == 0.0 and spin.text() == "none"  # every training row trains
    assert window.dataTab.data_config().val_size == 0.0
    spin.setValue(0.15)
    assert window.dataTab.data_config().val_size == 0.15


def test_another_label_column_is_counted_in_a_worker(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    tab = window.dataTab
    assert "label" in tab.train_table.counts  # counted while loading, with the guessed label
    assert tab.train_table.counts["label"] == ({"c0": 20, "c1": 20, "c2": 20}, 3)
    tab.labelColumnCombo.setCurrentText("f0")  # 60 distinct values
    # counted in a worker: until its (queued) result arrives, the chart says so
    figure = drawn(tab.distribution)
    assert not figure.axes and "Counting" in figure.texts[0].get_text()
    qtbot.waitUntil(lambda: bool(drawn(tab.distribution).axes)
                    and "'f0'" in drawn(tab.distribution).axes[0].get_title(), timeout=10_000)
    assert "60 distinct values" in drawn(tab.distribution).axes[0].get_title()
    assert len(tab.train_table.counts["f0"][0]) == 50  # at most 50 bars
    tab.labelColumnCombo.setCurrentText("label")  # counted before: drawn at once
    assert "'label'" in drawn(tab.distribution).axes[0].get_title()


def test_class_counts_matches_counting_every_row_as_text():
    import numpy as np
    import pandas as pd

    from hybridxai_gui.core.pipeline import class_counts

    frame = pd.DataFrame({"y": ["b", "a", None, "a", "b", "b"], "n": [1, 2, 2, np.nan, 1, 1],
                          "o": pd.Series([1, "1", "x", 1, 2, "x"], dtype=object)})
    for column in frame.columns:
        expected = frame[column].astype(str).value_counts(dropna=False)
        counts, distinct = class_counts(frame, column)
        assert counts == {str(k): int(v) for k, v in sorted(expected.items(), key=lambda kv: str(kv[0]))}
        assert distinct == len(counts)


def test_train_two_epochs_shows_two_points_per_curve(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=2)
    tab = window.trainingTab
    with qtbot.waitSignal(window.trainingDone, timeout=120_000) as blocker:
        tab.startTrainingButton.click()
        assert not tab.startTrainingButton.isEnabled()  # disabled while training runs
    outcome = blocker.args[0]
    assert [m.epoch for m in outcome.result.history] == [1, 2]
    assert tab.startTrainingButton.isEnabled()
    for chart in (tab.lossPlot, tab.accuracyPlot):
        for split in ("train", "test"):
            xs, ys = chart.curves[split].getData()
            assert list(xs) == [1, 2], (chart.objectName(), split)
            assert len(ys) == 2
        # no validation rows by default: no validation curve, no legend entry for it, no best-epoch line
        val_xs = chart.curves["val"].getData()[0]
        assert val_xs is None or len(val_xs) == 0
        assert [label.text for _sample, label in chart.legend.items] == ["train", "test"]
        assert not chart.best_line.isVisible()
    assert tab.trainingProgress.value() == 1000
    assert "Epoch 2/2" in tab.trainingLog.toPlainText()
    # the evaluation, predict and save actions now have a model
    assert window.evaluationTab.result is not None
    assert window.evaluationTab.classificationReportTable.rowCount() == 6  # 3 classes, 2 averages, accuracy
    assert window.actionSaveModel.isEnabled()
    assert window.predictTab.trained is window.trained
    assert window.dirty
    assert not dialogs.messages
    # with a validation share, the validation curve and the best validation epoch's line are drawn
    window.dataTab.valShareSpin.setValue(0.2)
    window.dirty = False
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        tab.startTrainingButton.click()
    for chart in (tab.lossPlot, tab.accuracyPlot):
        assert list(chart.curves["val"].getData()[0]) == [1, 2]
        assert [label.text for _sample, label in chart.legend.items] == ["train", "validation", "test"]
        assert chart.best_line.isVisible()


def test_stop_mid_run(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=100_000)  # never finishes on its own
    window.trainingTab.trainForm.set_values({"batch_size": 4})
    tab = window.trainingTab
    with qtbot.waitSignal(window.trainingDone, timeout=120_000) as blocker:
        tab.startTrainingButton.click()
        qtbot.waitUntil(lambda: len(tab.history) >= 20, timeout=60_000)
        shown = len(tab.history)
        tab.stopTrainingButton.click()
    # The GUI keeps up with hundreds of epochs a second (charts are redrawn on a timer, not per epoch), so
    # when Stop is pressed the window has seen every epoch so far, and the loop ends within its batch.
    result = blocker.args[0].result
    assert result.reason == "stopped"
    assert shown <= len(result.history) <= shown + 1
    assert tab.startTrainingButton.isEnabled()
    assert not tab.stopTrainingButton.isEnabled()


def test_stop_before_the_worker_reads_the_data(qtbot, window, dialogs, tiny_csv, monkeypatch):
    """The worker waits for the tab's first paint before it prepares the data; Stop pressed in that wait ends the
    run before its first epoch, and the window keeps no model from it."""
    from hybridxai_gui.gui import training_tab

    monkeypatch.setattr(training_tab, "PAINT_GRACE_S", 600.0)  # the wait would outlast the test unless Stop ends it
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=5)
    tab = window.trainingTab
    with qtbot.waitSignal(window.trainingDone, timeout=60_000) as blocker:
        tab.startTrainingButton.click()
        assert tab.running and tab.history == []
        tab.stopTrainingButton.click()
    result = blocker.args[0].result
    assert result.reason == "stopped" and result.history == []
    assert window.trained is None and not window.dirty
    assert tab.startTrainingButton.isEnabled()


def test_pause_and_resume(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=100_000)  # never finishes on its own
    tab = window.trainingTab
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        tab.startTrainingButton.click()
        qtbot.waitUntil(lambda: len(tab.history) >= 1, timeout=60_000)
        tab.pauseTrainingButton.click()
        assert tab.control is not None, tab.trainingLog.toPlainText() + str(dialogs.messages)
        assert tab.control.paused and tab.pauseTrainingButton.text() == "Resume"
        tab.pauseTrainingButton.click()
        assert not tab.control.paused
        tab.stopTrainingButton.click()


def test_close_while_training_stops_the_worker(qtbot, dialogs, tiny_csv, qtlog):
    from hybridxai_gui.app import create_main_window
    from hybridxai_gui.gui.worker import GeneratorWorker

    win = create_main_window([])
    win.show()
    open_data(qtbot, win, dialogs, tiny_csv)
    fast_settings(win, epochs=100_000)
    win.trainingTab.startTrainingButton.click()
    qtbot.waitUntil(lambda: len(win.trainingTab.history) >= 1, timeout=60_000)
    workers = win.findChildren(GeneratorWorker)
    assert any(w.isRunning() for w in workers)
    dialogs.question_answer = dialogs.question_answer.__class__.Yes  # "Training is running: stop it and quit?"
    assert win.close()
    assert dialogs.messages[-1][0] == "question"
    assert not any(w.isRunning() for w in win.findChildren(GeneratorWorker))
    win.deleteLater()
    qtbot.wait(50)
    assert not [r for r in qtlog.records if "Destroyed while" in r.message]


def test_start_without_data_says_what_to_do(qtbot, window, dialogs):
    button = window.trainingTab.startTrainingButton
    assert not button.isEnabled() and "Open a training CSV" in button.toolTip()
    window.start_training()  # the shortcut path says it too
    assert any("Open a training CSV" in t for t in dialogs.texts())


def test_noise_augmentation_inputs_follow_the_presets(window):
    tab = window.trainingTab
    combo = tab.trainForm.inputs["augment"]
    spin = tab.trainForm.inputs["augment_noise"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["on", "off", "auto"]
    tab.apply_preset("seed")
    assert combo.currentText() == "off"
    tab.apply_preset("default")
    assert combo.currentText() == "auto" and spin.value() == 0.5
    spin.setValue(0.8)
    combo.setCurrentText("on")
    _model, train, _runtime = tab.configs()
    assert train.augment == "on" and train.augment_noise == 0.8


def test_the_ensemble_input_reads_auto_under_the_default_preset(window):
    tab = window.trainingTab
    spin = tab.modelForm.inputs["ensemble"]
    tab.apply_preset("default")
    assert spin.value() == 0 and spin.text() == "auto (3 for series, 1 for tables)"
    assert tab.configs()[0].ensemble == 0
    assert "3 networks for series" in tab.trainingLog.toPlainText()
    tab.apply_preset("quick")
    assert spin.value() == 1 and tab.configs()[0].ensemble == 1
    spin.setValue(5)
    assert tab.configs()[0].ensemble == 5


def test_a_failed_retrain_shows_the_previous_models_curves_again(qtbot, window, dialogs, tiny_csv, tmp_path):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=2)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()
    tab = window.trainingTab
    assert len(tab.history) == 2
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("a,b,label\n" + "".join(f"{i},{i * 2},x\n" for i in range(20)), encoding="utf-8")
    open_data(qtbot, window, dialogs, one_class)
    with qtbot.waitSignal(tab.trainingFailed, timeout=60_000):
        tab.startTrainingButton.click()
    assert len(tab.history) == 2  # the model still in use keeps its curves on screen
    assert "previous model" in tab.summaryLabel.text() and "Training failed" in tab.summaryLabel.text()


def test_loading_notes_gaps_and_a_single_column_file(qtbot, window, dialogs, tmp_path):
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("a,b,label\n1,,x\n2,3,y\n4,inf,x\n5,6,y\n", encoding="utf-8")
    open_data(qtbot, window, dialogs, gaps)
    text = window.dataTab.problemsPanel.text()
    assert not window.dataTab.problemsPanel.isHidden() and "'b' (2)" in text and "Missing values" in text
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a csv\njust words\n", encoding="utf-8")
    open_data(qtbot, window, dialogs, notes)
    assert "single column ('this is not a csv')" in window.dataTab.problemsPanel.text()


@pytest.mark.parametrize("how", ["window", "File ▸ Quit"])
def test_quitting_while_training_asks_first_and_no_keeps_the_run(qtbot, window, dialogs, tiny_csv, how):
    from PySide6.QtWidgets import QMessageBox

    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=100_000)  # never finishes on its own
    tab = window.trainingTab
    tab.startTrainingButton.click()
    qtbot.waitUntil(lambda: len(tab.history) >= 1, timeout=60_000)
    quit_now = window.close if how == "window" else window.actionQuit.trigger
    dialogs.question_answer = QMessageBox.StandardButton.No
    quit_now()
    assert dialogs.messages[-1][0] == "question"
    assert dialogs.messages[-1][2] == "Training is running: stop it and quit?"
    assert window.isVisible() and tab.running and not tab.control.stopped
    epochs = len(tab.history)
    qtbot.waitUntil(lambda: len(tab.history) > epochs, timeout=60_000)  # the run goes on
    asked = len(dialogs.messages)
    dialogs.question_answer = QMessageBox.StandardButton.Yes
    quit_now()
    assert len(dialogs.messages) == asked + 1 and not window.isVisible()
    assert tab.control is None or tab.control.stopped


def test_the_quit_question_names_what_runs_and_asks_nothing_unattended(qtbot, dialogs):
    from hybridxai_gui.gui import dialogs as app_dialogs

    assert app_dialogs.confirm_stop_and_quit(None, []) and not dialogs.messages  # nothing runs: no question
    dialogs.question_answer = dialogs.question_answer.__class__.No
    assert not app_dialogs.confirm_stop_and_quit(None, ["The repeated evaluation"])
    assert dialogs.messages[-1][2] == "The repeated evaluation is running: stop it and quit?"
    app_dialogs.set_interactive(False)  # --self-test: no one to answer
    assert app_dialogs.confirm_stop_and_quit(None, ["Training"]) and len(dialogs.messages) == 1


def test_a_worker_gives_way_until_the_window_has_handled_an_item(qtbot):
    """give_way: the worker computes on only after the GUI thread handled the item (the live charts' repaint then
    does not compete with it for the interpreter); other items do not wait."""
    import time

    from PySide6.QtWidgets import QWidget

    from hybridxai_gui.gui.jobs import start_job

    owner = QWidget()
    qtbot.addWidget(owner)
    handled, seen_by_worker, finished = [], [], []

    def job():
        for name in ("epoch 1", "batch", "epoch 2"):
            yield name
            seen_by_worker.append((name, list(handled)))  # what the window had handled when the worker went on
        return "ok"

    def on_item(item):
        time.sleep(0.03)  # a handler that takes a while, as a repaint does
        handled.append(item)

    start_job(owner, job, yielded=on_item, done=finished.append, failed=lambda m, d: finished.append(m),
              give_way=lambda item: item.startswith("epoch"), name="give_way")
    qtbot.waitUntil(lambda: bool(finished), timeout=5_000)
    assert finished == ["ok"]
    by_name = dict(seen_by_worker)
    assert by_name["epoch 1"] == ["epoch 1"] and by_name["epoch 2"][-1] == "epoch 2"
    assert "batch" not in by_name["batch"]  # a batch does not wait for its handler


def test_a_worker_waits_for_a_busy_window_only_a_bounded_time(qtbot):
    """The GUI thread never waits on the worker, and a window too busy to answer costs the worker at most
    GIVE_WAY_S per item: the job ends while the GUI thread handles no events at all."""
    import threading

    from PySide6.QtWidgets import QWidget

    from hybridxai_gui.gui.jobs import start_job
    from hybridxai_gui.gui.worker import GeneratorWorker

    owner = QWidget()
    qtbot.addWidget(owner)
    ended = threading.Event()

    def job():
        yield from range(3)
        ended.set()

    start_job(owner, job, yielded=lambda item: None, done=lambda r: None, failed=lambda m, d: None,
              give_way=lambda item: True, name="bounded")
    assert ended.wait(3 * GeneratorWorker.GIVE_WAY_S + 2.0)  # no Qt event handled meanwhile
    qtbot.waitUntil(lambda: not owner.findChildren(GeneratorWorker) or not any(
        w.isRunning() for w in owner.findChildren(GeneratorWorker)), timeout=5_000)


def test_the_live_charts_are_redrawn_as_an_epoch_arrives_when_the_last_redraw_is_old(window, monkeypatch):
    """An epoch's metrics redraw the charts in their own handler (the worker waits for it) when the last redraw
    is CHART_EVERY_S old; sooner, the timer shows them later."""
    from hybridxai_gui.core.pipeline import EpochMetrics
    from hybridxai_gui.gui import training_tab

    tab = window.trainingTab
    redraws = []
    real = tab._redraw_charts
    monkeypatch.setattr(tab, "_redraw_charts", lambda finished=True: (redraws.append(finished), real(finished)))
    tab.history = []

    def epoch(n):
        return EpochMetrics(epoch=n, epochs=5, train_loss=1.0 / n, train_acc=0.5, val_loss=None, val_acc=None,
                            test_loss=None, test_acc=None, lr=0.01, seconds=0.1, best_epoch=0)

    tab._last_redraw = 0.0
    tab._on_item(epoch(1))
    assert redraws == [False]
    tab._on_item(epoch(2))  # at once after: left to the timer
    assert redraws == [False] and tab._chart_timer.isActive()
    tab._last_redraw -= training_tab.CHART_EVERY_S
    tab._on_item(epoch(3))
    assert redraws == [False, False] and not tab._chart_timer.isActive()
    assert len(tab.history) == 3
