"""The Data tab on series: the layout it detects and lets the user change, and the plot per class."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from hybridxai_gui.gui.figure_canvas import RenderCanvas  # noqa: E402

from conftest import drawn, fast_settings  # noqa: E402
from test_series import recordings, to_wide  # noqa: E402


def open_data(qtbot, window, dialogs, path) -> None:
    dialogs.open_path = str(path)
    with qtbot.waitSignal(window.dataLoaded, timeout=30_000):
        window.actionOpenData.trigger()
    tab = window.dataTab
    qtbot.waitUntil(lambda: tab.view is not None and tab.classPlot is not None and tab.classPlot.profile is not None,
                    timeout=30_000)


def test_a_long_file_shows_its_layout_channels_and_series_per_class(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "recordings.csv"
    recordings(n_series=24, length=20).to_csv(path, index=False)
    open_data(qtbot, window, dialogs, path)
    tab = window.dataTab
    assert tab.layoutCombo.currentText() == "long"
    assert [tab.layoutCombo.itemText(i) for i in range(tab.layoutCombo.count())] == ["table", "wide", "long"]
    assert tab.idColumnCombo.currentText() == "recording" and tab.timeColumnCombo.currentText() == "time_s"
    assert tab.featuresBox.title() == "Channels" and tab.selected_features() == ["ax", "ay", "gz"]
    assert "24 series" in tab.layoutPanel.layoutLabel.text()
    canvas = window.findChild(RenderCanvas, "seriesPlotCanvas")
    assert canvas is not None and len([a for a in drawn(canvas).axes if a.get_visible()]) == 3
    tab.classPlot.seriesRowSpin.setValue(2)  # lay one series over the class means
    assert "series r" in tab.classPlot.pickedLabel.text()
    config = tab.data_config()
    assert config.layout == "long" and config.id_column == "recording" and config.channels == ("ax", "ay", "gz")
    # Unticking a channel trains on the others.
    tab.featureList.item(1).setCheckState(tab.featureList.item(1).checkState().Unchecked)
    fast_settings(window)
    with qtbot.waitSignal(window.trainingDone, timeout=120_000):
        window.trainingTab.startTrainingButton.click()
    assert window.trained.series.layout == "long" and window.trained.series.channels == ("ax", "gz")


def test_the_user_can_choose_another_layout(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "wide.csv"
    to_wide(recordings(n_series=12, length=10)).to_csv(path, index=False)
    open_data(qtbot, window, dialogs, path)
    tab = window.dataTab
    assert tab.layoutCombo.currentText() == "wide" and "3 channel" in tab.layoutPanel.layoutLabel.text()
    assert not tab.idColumnCombo.isEnabled()
    view = tab.view
    tab.layoutCombo.setCurrentText("long")
    tab.layoutCombo.activated.emit(2)  # as a user's choice
    qtbot.waitUntil(lambda: "Cannot read" in tab.layoutPanel.layoutLabel.text() or tab.view is not view,
                    timeout=30_000)
    assert "Cannot read the rows this way" in tab.layoutPanel.layoutLabel.text()  # no column names a series


def test_a_table_shows_feature_distributions_per_class(qtbot, window, dialogs, tiny_csv):
    open_data(qtbot, window, dialogs, tiny_csv)
    tab = window.dataTab
    assert tab.layoutCombo.currentText() == "table" and "table" in tab.layoutPanel.layoutLabel.text()
    assert tab.classPlot.profile.kind == "table" and not tab.classPlot.seriesRowSpin.isVisible()
    assert window.current_figure() is not None  # the per-class plot exports like any figure
