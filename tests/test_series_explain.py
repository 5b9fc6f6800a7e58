"""Explanations of series: SHAP over channel × time segments finds the channel and the time that carry the
class (a constructed known answer), keeps additivity, and the files name the groups <channel>@<start>-<end>."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.explain.rows import explain_table_rows, series_units
from hybridxai_gui.core.jobs import drain

from helpers import fit


def bump_recordings(n_series: int = 48, length: int = 40, seed: int = 0) -> pd.DataFrame:
    """Long file, 3 channels; class 'bump' has ay raised over steps 20-29, class 'flat' does not."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_series):
        bump = s % 2 == 1
        values = rng.normal(0, 0.5, (3, length))
        if bump:
            values[1, 20:30] += 3.0
        for t in range(length):
            rows.append({"recording": f"rec{s}", "t": t, "ax": values[0, t], "ay": values[1, t], "az": values[2, t],
                         "label": "bump" if bump else "flat"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bump_model():
    frame = bump_recordings()
    data = prepare_data(frame, seed=0)
    assert data.series.layout == "long" and data.series.channels == ("ax", "ay", "az")
    model = ModelConfig(cnn_channels=8, lstm_hidden=8, lstm_layers=1, num_heads=2, kernel_size=5, dropout=0.0,
                        position_channel=True)
    result = fit(data, model, TrainConfig(epochs=40, lr=0.005, augment="off", restore_best=False))
    assert result.history[-1].test_acc >= 0.9
    return result.trained, frame


def test_segments_are_bounded_and_named(bump_model):
    trained, _ = bump_model
    groups, names, segments = series_units(trained)
    assert segments == 21 and len(groups) == 63  # 64 units at most: 3 channels × 21 segments
    groups, names, segments = series_units(trained, segments=4)
    assert names[:4] == ["ax@0-9", "ax@10-19", "ax@20-29", "ax@30-39"] and names[4] == "ay@0-9"
    assert sorted(np.concatenate(groups).tolist()) == list(range(120))  # every input in exactly one unit


def test_shap_finds_the_channel_and_the_time_that_carry_the_class(bump_model):
    trained, frame = bump_model
    bump_series = "0-5"  # series 1, 3, 5 are 'bump'
    run = drain(explain_table_rows(trained, frame, "rec.csv", bump_series, segments=4, units="probability",
                                        method="permutation", faithfulness=False))
    result = run.shap
    assert result.additive and result.grouped
    assert result.feature_names[6] == "ay@20-29"
    bump = np.flatnonzero(result.true == trained.class_names.index("bump"))
    c = trained.class_names.index("bump")
    top = [result.feature_names[int(np.argmax(result.values[i, :, c]))] for i in bump]
    assert top.count("ay@20-29") >= len(bump) - 1, top
    assert run.series is trained.series and list(run.lengths) == [40] * 6
