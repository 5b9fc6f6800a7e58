"""Model files, figure export, predictions and bad input, through the same dialogs a user sees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from conftest import drawn, fast_settings  # noqa: E402

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF", ".eps": b"%!PS-Adobe"}


def open_data(qtbot, window, dialogs, path) -> None:
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()


@pytest.fixture
def trained_window(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=2)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()
    return window


def test_save_and_reopen_a_model(qtbot, trained_window, dialogs, tmp_path):
    window = trained_window
    dialogs.save_path = str(tmp_path / "model")  # no suffix: .pth is added
    window.actionSaveModel.trigger()
    saved = tmp_path / "model.pth"
    assert saved.is_file() and not window.dirty
    history = [m.to_dict() for m in window.trainingTab.history]
    accuracy = window.evaluationTab.result.accuracy

    window.trainingTab.trainForm.set_values({"epochs": 7})
    window.trainingTab.lossPlot.set_history([])
    window.evaluationTab.clear()
    dialogs.open_path = str(saved)
    with qtbot.waitSignal(window.modelLoaded, timeout=60_000):
        window.actionOpenModel.trigger()
    assert window.trainingTab.epochsSpin.value() == 2  # the model's settings are restored
    xs, _ys = window.trainingTab.lossPlot.curves["train"].getData()
    assert list(xs) == [h["epoch"] for h in history]
    assert window.evaluationTab.result.accuracy == pytest.approx(accuracy)
    assert window.predictTab.trained is window.trained
    assert not dialogs.messages


def test_a_model_opened_from_a_file_explains_the_rows_it_predicts(qtbot, trained_window, dialogs, tiny_csv,
                                                                   tmp_path):
    window = trained_window
    dialogs.save_path = str(tmp_path / "m.pth")
    window.actionSaveModel.trigger()
    dialogs.open_path = str(tmp_path / "m.pth")
    with qtbot.waitSignal(window.modelLoaded, timeout=60_000):
        window.actionOpenModel.trigger()
    tab = window.predictTab
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.openPredictDataButton.click()
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000):
        tab.predictButton.click()
    explanations = window.explanationsTab
    qtbot.waitUntil(lambda: explanations.X is not None and len(explanations.X) == 60, timeout=30_000)
    assert "60 rows of tiny.csv" in explanations.hintLabel.text() and "misclassified" in explanations.hintLabel.text()
    assert explanations.sampleList.count() == 60 and explanations.computeButton.isEnabled()
    np.testing.assert_array_equal(explanations.rows, np.arange(60))
    assert not dialogs.messages


def test_quit_with_unsaved_model_asks(qtbot, trained_window, dialogs):
    window = trained_window
    dialogs.question_answer = dialogs.question_answer.__class__.Cancel
    assert not window.close()  # the user cancelled
    assert window.isVisible()
    assert dialogs.messages[-1][0] == "question"
    dialogs.question_answer = dialogs.question_answer.__class__.Discard
    assert window.close()


@pytest.mark.parametrize("tab", ["trainingTab", "evaluationTab", "dataTab"])
def test_export_figure_in_four_formats(qtbot, trained_window, dialogs, tmp_path, tab):
    window = trained_window
    window.mainTabs.setCurrentWidget(getattr(window, tab))
    for suffix in (".png", ".eps", ".pdf", ".svg"):
        path = tmp_path / f"figure{suffix}"
        dialogs.save_path = str(path)
        with qtbot.waitSignal(window.figureExported, timeout=60_000):  # written by the render process
            window.actionExportFigure.trigger()
        data = path.read_bytes()
        if suffix == ".svg":
            assert b"<svg" in data[:400]
        else:
            assert data.startswith(MAGIC[suffix]), suffix
    assert not dialogs.messages


def test_export_with_an_unknown_suffix_is_refused(qtbot, trained_window, dialogs, tmp_path):
    dialogs.save_path = str(tmp_path / "figure.bmp")
    trained_window.mainTabs.setCurrentWidget(trained_window.trainingTab)
    trained_window.actionExportFigure.trigger()
    assert any(".png, .eps, .pdf or .svg" in t for t in dialogs.texts())
    assert not (tmp_path / "figure.bmp").exists()


def test_predict_new_rows_and_export_csv(qtbot, trained_window, dialogs, tiny_csv, tmp_path):
    window = trained_window
    tab = window.predictTab
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.openPredictDataButton.click()
    assert tab.predictButton.isEnabled()
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000) as blocker:
        tab.predictButton.click()
    frame = blocker.args[0]
    # each row's prediction set beside its class, and whether it is unlike the training data (issue 27)
    assert list(frame.columns[:6]) == ["predicted", "prediction_set", "unlike_training", "p_c0", "p_c1", "p_c2"]
    assert tab.predictionsTable.model().rowCount() == 60
    assert (frame[["p_c0", "p_c1", "p_c2"]].sum(axis=1) - 1).abs().max() < 1e-5
    out = tmp_path / "predictions.csv"
    dialogs.save_path = str(out)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.exportPredictionsButton.click()
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith(
        "predicted,prediction_set,unlike_training,p_c0,p_c1,p_c2,f0")
    assert not dialogs.messages


def test_predict_rows_with_gaps_by_the_chosen_policy(qtbot, trained_window, dialogs, tiny_csv, tmp_path):
    import pandas as pd

    tab = trained_window.predictTab
    frame = pd.read_csv(tiny_csv)
    frame.loc[[2, 5], "f1"] = float("nan")
    gaps = tmp_path / "gaps.csv"
    frame.to_csv(gaps, index=False)
    dialogs.open_path = str(gaps)
    with qtbot.waitSignal(tab.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        tab.openPredictDataButton.click()
    assert tab.predictMissingCombo.currentData() == "error"
    with qtbot.waitSignal(tab.failed, timeout=30_000) as blocker:
        tab.predictButton.click()
    shown = dialogs.messages[-1][2]
    assert "line 4" in blocker.args[0] and "--missing" not in shown and "“Missing values: drop those rows”" in shown
    tab.predictMissingCombo.setCurrentIndex(tab.predictMissingCombo.findData("drop"))
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000) as blocker:
        tab.predictButton.click()
    out = blocker.args[0]
    assert len(out) == len(frame) and out["predicted"].isna().tolist() == [i in (2, 5) for i in range(len(frame))]
    tab.predictMissingCombo.setCurrentIndex(tab.predictMissingCombo.findData("mean"))
    with qtbot.waitSignal(tab.predictionsReady, timeout=30_000) as blocker:
        tab.predictButton.click()
    assert blocker.args[0]["predicted"].notna().all()


def test_core_advice_names_the_apps_controls(tmp_path):
    """The core names settings as data; the app shows its controls, the command line its flags."""
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.errors import HybridXAIError, render
    from hybridxai_gui.gui.wording import for_the_app

    path = tmp_path / "a.csv"
    path.write_text("site,f1,label\n1,1,a\n2,2,b\n?,3,a\n4,4,b\n", encoding="utf-8")  # a stray cell: not text
    with pytest.raises(HybridXAIError) as caught:
        prepare_data(path)
    assert ("exclude", "'site'") in caught.value.fixes
    assert "--exclude 'site'" in str(caught.value)
    app = for_the_app(caught.value)
    assert "untick 'site' under Features" in app and "--" not in app
    path.write_text("f1,f2,label\n1,,a\n2,3,b\n3,4,a\n4,5,b\n", encoding="utf-8")
    with pytest.raises(HybridXAIError) as caught:
        prepare_data(path)
    assert caught.value.fixes == [("missing", "drop"), ("missing", "mean")]
    assert "choose --missing drop to skip those rows or --missing mean to fill them" in str(caught.value)
    assert ("choose “Missing values: drop those rows” to skip those rows or “Missing values: fill with training "
            "mean” to fill them") in for_the_app(caught.value)
    # A note (not an error) carries its settings the same way.
    X = np.random.default_rng(0).normal(size=(40, 20))
    X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    frame = pd.DataFrame(X, columns=[f"t{i}" for i in range(20)]).assign(label=["a", "b"] * 20)
    (note,) = [n for n in prepare_data(frame).warnings if "normalised" in n]
    assert "use --scaling zscore" in render(note)
    assert "use “Scaling: z-score”" in for_the_app(note)


def test_broken_csv_shows_a_message_and_the_app_keeps_working(qtbot, window, dialogs, tmp_path, tiny_csv):
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b,label\n1,2,x\n3,4,5,6,7\n", encoding="utf-8")  # line 3 has too many values
    dialogs.open_path = str(broken)
    with qtbot.waitSignal(window.dataTab.loadFailed, timeout=30_000):
        window.actionOpenData.trigger()
    assert dialogs.messages and dialogs.messages[-1][0] == "warning"
    text = dialogs.messages[-1][2]
    assert "broken.csv" in text and "line 3" in text and "Traceback" not in text
    assert not window.dataTab.problemsPanel.isHidden()
    # the app still works: a good file opens and trains
    open_data(qtbot, window, dialogs, tiny_csv)
    assert window.dataTab.problemsPanel.isHidden()
    fast_settings(window, epochs=1)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()


def test_a_core_error_during_training_is_shown_in_the_problems_panel(qtbot, window, dialogs, tmp_path):
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("a,b,label\n" + "".join(f"{i},{i * 2},x\n" for i in range(20)), encoding="utf-8")
    open_data(qtbot, window, dialogs, one_class)
    fast_settings(window, epochs=1)
    with qtbot.waitSignal(window.trainingTab.trainingFailed, timeout=60_000):
        window.trainingTab.startTrainingButton.click()
    assert dialogs.messages[-1][0] == "warning"
    assert not window.dataTab.problemsPanel.isHidden()
    assert "Training failed" in window.trainingTab.summaryLabel.text()
    assert dialogs.messages[-1][2] in window.dataTab.problemsPanel.text()
    assert window.trainingTab.startTrainingButton.isEnabled()


def test_opening_a_corrupt_model_shows_a_message(qtbot, window, dialogs, tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a model")
    dialogs.open_path = str(bad)
    with qtbot.waitSignal(window.failure, timeout=30_000):
        window.actionOpenModel.trigger()
    assert dialogs.messages[-1][0] == "warning" and "bad.pth" in dialogs.messages[-1][2]


def test_a_misclassified_row_opens_in_the_explanations_tab(qtbot, trained_window):
    window = trained_window
    tab = window.explanationsTab
    if not hasattr(tab, "show_row"):
        pytest.skip("no explanations tab in this build")
    window.evaluationTab.explainRequested.emit(3)  # what a double-click on a misclassified row sends
    assert window.mainTabs.currentWidget() is tab
    assert tab.current_index() == 3


def test_evaluation_figures_are_drawn_when_shown_or_exported(qtbot, trained_window, dialogs, tmp_path):
    """Training ends on the Training tab: the evaluation figures wait (they froze the GUI 0.4-0.8 s) until
    their page is shown, and File > Export figure draws a figure that was never shown."""
    window = trained_window
    tab = window.evaluationTab
    assert window.mainTabs.currentWidget() is window.trainingTab
    for panel in (tab.confusionPanel, tab.rocPanel):
        assert panel.pending and not panel.figure.axes
    # a figure never shown is drawn on demand for an export
    figure = tab.current_figure()
    assert figure is tab.confusionPanel.figure and figure.axes and not tab.confusionPanel.pending
    tab.figureTabs.setCurrentIndex(1)  # chosen while the tab is hidden: still not drawn
    assert tab.rocPanel.pending
    window.mainTabs.setCurrentWidget(tab)  # shown: the ROC page draws now
    assert not tab.rocPanel.pending and drawn(tab.rocPanel).axes
    path = tmp_path / "roc.png"
    dialogs.save_path = str(path)
    with qtbot.waitSignal(window.figureExported, timeout=60_000):
        window.actionExportFigure.trigger()
    assert path.read_bytes().startswith(MAGIC[".png"])
    # a change while visible redraws at once
    tab.normaliseCheck.setChecked(True)
    tab.figureTabs.setCurrentIndex(0)
    assert not tab.confusionPanel.pending and drawn(tab.confusionPanel).axes
    assert not dialogs.messages


def test_export_from_a_never_shown_evaluation_tab(qtbot, trained_window, dialogs, tmp_path):
    window = trained_window
    tab = window.evaluationTab
    assert not tab.isVisible() and tab.confusionPanel.pending
    from hybridxai_gui.gui.startup import write_figure

    path = tmp_path / "confusion.svg"
    write_figure(tab.current_figure(), str(path), 100)
    assert b"<svg" in path.read_bytes()[:400]
    assert not tab.isVisible()  # exporting did not switch tabs


def test_export_from_training_before_any_run_says_there_is_nothing(qtbot, window, dialogs, tmp_path):
    window.mainTabs.setCurrentWidget(window.trainingTab)
    dialogs.save_path = str(tmp_path / "empty.png")
    window.actionExportFigure.trigger()
    assert not (tmp_path / "empty.png").exists()
    assert dialogs.messages and "no figure to export yet" in dialogs.messages[-1][2]
