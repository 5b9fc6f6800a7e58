"""The window says which table columns it reads on a signed-log scale, where the user looks after training starts."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")

from conftest import train_in_window  # noqa: E402
from test_table_tail import jobs_frame  # noqa: E402


def test_training_a_table_with_a_long_tailed_column_names_it_in_the_data_tab_and_the_log(qtbot, window, dialogs,
                                                                                          tmp_path):
    path = tmp_path / "jobs.csv"
    jobs_frame(240, 0).to_csv(path, index=False)
    train_in_window(qtbot, window, dialogs, path, epochs=1)
    panel = window.dataTab.problemsPanel.text()
    assert "'fields'" in panel and "'pending'" in panel and "signed-log" in panel
    assert "'temp'" not in panel and "'score'" not in panel
    assert window.trained.scaler.soft is not None
    assert "signed-log" in window.trainingTab.trainingLog.toPlainText()
    if os.environ.get("HYBRIDXAI_SHOTS"):  # a picture for a person to look at, when asked for
        window.mainTabs.setCurrentWidget(window.dataTab)
        window.dataTab.grab().save(os.path.join(os.environ["HYBRIDXAI_SHOTS"], "data_tab_tail.png"))
