"""State that leaked from one run into the next, each reproduced with the steps a new user took."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from conftest import fast_settings  # noqa: E402


def open_data(qtbot, window, dialogs, path) -> None:
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()


def open_test(qtbot, window, dialogs, path) -> None:
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataTab.testLoaded, timeout=30_000):
        window.actionOpenTestData.trigger()


def train(qtbot, window) -> None:
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()


def write(folder, name: str, n_features: int, classes: list[str], prefix: str = "f", seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.resize(np.arange(len(classes)), 60)
    X = rng.normal(size=(60, n_features)) + y[:, None]
    frame = pd.DataFrame(X, columns=[f"{prefix}{i}" for i in range(n_features)])
    frame["label"] = [classes[i] for i in y]
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def test_the_report_shows_only_the_current_models_cells(qtbot, window, dialogs, tmp_path):
    open_data(qtbot, window, dialogs, write(tmp_path, "three.csv", 8, ["a", "b", "c"]))
    fast_settings(window)
    train(qtbot, window)
    window.dirty = False
    open_data(qtbot, window, dialogs, write(tmp_path, "two.csv", 6, ["yes", "no"], prefix="g"))
    train(qtbot, window)
    table = window.evaluationTab.classificationReportTable
    labels = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert labels[:2] == ["no", "yes"] and labels[-1] == "accuracy"
    accuracy_row = table.rowCount() - 1
    # The accuracy row has an F1 cell (the accuracy) and a support cell; precision and recall stay empty.
    assert table.item(accuracy_row, 0) is None and table.item(accuracy_row, 1) is None
    assert float(table.item(accuracy_row, 2).text()) == pytest.approx(window.evaluationTab.result.accuracy, abs=1e-3)


def test_a_test_file_that_does_not_fit_a_new_training_file_is_set_aside(qtbot, window, dialogs, tmp_path):
    first = write(tmp_path, "first.csv", 8, ["a", "b", "c"])
    open_data(qtbot, window, dialogs, first)
    open_test(qtbot, window, dialogs, write(tmp_path, "test.csv", 8, ["a", "b", "c"], seed=1))
    assert not window.dataTab.testShareSpin.isEnabled()
    fast_settings(window)
    train(qtbot, window)
    window.dirty = False
    other = write(tmp_path, "other.csv", 5, ["x", "y"], prefix="sensor")
    open_data(qtbot, window, dialogs, other)
    data = window.dataTab
    assert data.test_table is None and data.testShareSpin.isEnabled()
    assert "test.csv" in data.problemsPanel.text() and "set aside" in data.problemsPanel.text()
    assert "test.csv" not in data.fileLabel.text()
    train(qtbot, window)  # the held-out share of other.csv is the test set now
    assert window.trained.class_names == ["x", "y"] and window.evaluationTab.result is not None


def test_forgetting_the_test_file_and_a_new_label_clear_the_problem_banner(qtbot, window, dialogs, tmp_path):
    train_path = write(tmp_path, "train.csv", 6, ["a", "b"])
    frame = pd.read_csv(train_path)
    frame.assign(kind=np.resize(["p", "q"], len(frame))).to_csv(train_path, index=False)
    open_data(qtbot, window, dialogs, train_path)
    test_path = tmp_path / "test.csv"
    # a class training never saw: training will fail (`kind`, a text column, is a feature: the test file has it)
    frame.assign(kind=np.resize(["p", "q"], len(frame)), label="z").to_csv(test_path, index=False)
    open_test(qtbot, window, dialogs, test_path)
    fast_settings(window)
    with qtbot.waitSignal(window.trainingTab.trainingFailed, timeout=60_000):
        window.trainingTab.startTrainingButton.click()
    data = window.dataTab
    assert not data.problemsPanel.isHidden() and data.problemsPanel.text().startswith("Problem:")
    assert "never occurs in the training data" in data.problemsPanel.text()
    data.clearTestButton.click()
    assert data.problemsPanel.isHidden()
    # A problem about the label goes away when another label is chosen, too.
    data.set_problems(["train.csv: the label column 'label' has only the class 'a'"])
    assert not data.problemsPanel.isHidden()
    data.labelColumnCombo.setCurrentText("kind")
    assert data.problemsPanel.isHidden()


@pytest.mark.parametrize("answer, trains", [(QMessageBox.StandardButton.Cancel, False),
                                            (QMessageBox.StandardButton.Discard, True)])
def test_start_over_an_unsaved_model_asks_first(qtbot, window, dialogs, tiny_csv, answer, trains):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window)
    train(qtbot, window)
    first = window.trained
    assert window.dirty
    dialogs.question_answer = answer
    if trains:
        train(qtbot, window)
    else:
        window.trainingTab.startTrainingButton.click()
        qtbot.wait(100)
        assert not window.trainingTab.running
    assert dialogs.messages[-1][0] == "question" and "not been saved" in dialogs.messages[-1][2]
    assert (window.trained is not first) is trains


def test_a_reopened_model_says_its_rows_cannot_be_explained_and_scores_a_labelled_csv(qtbot, window, dialogs,
                                                                                        tiny_csv, tmp_path):
    open_data(qtbot, window, dialogs, tiny_csv)
    fast_settings(window, epochs=1)  # barely trained: some test rows are misclassified
    train(qtbot, window)
    dialogs.save_path = str(tmp_path / "model.pth")
    window.actionSaveModel.trigger()
    dialogs.open_path = str(tmp_path / "model.pth")
    with qtbot.waitSignal(window.modelLoaded, timeout=60_000):
        window.actionOpenModel.trigger()
    evaluation = window.evaluationTab
    assert len(evaluation.result.misclassified), "a 1-epoch model should get some rows wrong"
    assert "double-click" not in evaluation.misclassifiedLabel.text()
    assert "Predict tab" in evaluation.misclassifiedLabel.text()
    before = len(dialogs.messages)
    evaluation.misclassifiedTable.cellActivated.emit(0, 0)  # a double-click on the first row
    assert len(dialogs.messages) == before  # nothing is offered and then refused
    # The Predict tab shows how the model does on a labelled CSV.
    predict = window.predictTab
    dialogs.open_path = str(tiny_csv)
    with qtbot.waitSignal(predict.busyChanged, timeout=30_000, check_params_cb=lambda busy: not busy):
        predict.openPredictDataButton.click()
    with qtbot.waitSignal(predict.predictionsReady, timeout=30_000):
        predict.predictButton.click()
    expected = predict.outcome.evaluation.accuracy
    assert f"accuracy <b>{expected:.3f}</b>" in predict.statusLabel.text()
    assert (predict.predictions["predicted"] == pd.read_csv(tiny_csv)["label"]).mean() == pytest.approx(expected)


def test_start_is_disabled_while_a_test_file_is_read(qtbot, window, dialogs, tiny_csv, tmp_path):
    open_data(qtbot, window, dialogs, tiny_csv)
    button = window.trainingTab.startTrainingButton
    assert button.isEnabled()
    test_path = tmp_path / "test.csv"
    pd.read_csv(tiny_csv).to_csv(test_path, index=False)
    dialogs.open_path = str(test_path)
    with qtbot.waitSignal(window.dataTab.testLoaded, timeout=30_000):
        window.actionOpenTestData.trigger()
        assert not button.isEnabled() and "still being read" in button.toolTip()
    assert button.isEnabled()
