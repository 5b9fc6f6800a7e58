"""Series layouts: wide channels, long files, unequal lengths; detection, reading, preparing, predicting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.config import ModelConfig, TrainConfig
from hybridxai_gui.core.data.csvio import Source
from hybridxai_gui.core.data.tables import read_table
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.pipeline import predict_frame, read_labelled
from hybridxai_gui.core.data.series import SeriesSpec, read_series, resample, to_own_steps
from hybridxai_gui.core.data.layout import detect_layout, wide_channels

from helpers import fit, wine_frame

TINY = ModelConfig(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)
CHANNELS = ("ax", "ay", "gz")


def recordings(n_series: int = 24, length: int = 20, seed: int = 0, shuffle: bool = True) -> pd.DataFrame:
    """A long file: recording id, time, 3 channels, activity. Class 'wave' swings ax; 'still' does not."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_series):
        activity = "wave" if s % 2 else "still"
        t = np.arange(length) * 0.1
        ax = (np.sin(2 * np.pi * t) * 3 if activity == "wave" else np.zeros(length)) + rng.normal(0, 0.2, length)
        ay = rng.normal(0, 1, length)
        gz = 10 + rng.normal(0, 0.5, length)
        for i in range(length):
            rows.append({"recording": f"r{s:03d}", "time_s": round(t[i], 3), "ax": ax[i], "ay": ay[i], "gz": gz[i],
                         "activity": activity})
    frame = pd.DataFrame(rows)
    if shuffle:  # the rows of a series need not be contiguous, nor in time order
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return frame


def to_wide(long: pd.DataFrame) -> pd.DataFrame:
    """The same recordings, one row each, columns <channel>_<step>, in order of first appearance."""
    out = []
    for rec in pd.unique(long["recording"]):
        part = long[long["recording"] == rec].sort_values("time_s")
        row = {f"{c}_{i:03d}": v for c in CHANNELS for i, v in enumerate(part[c])}
        row["activity"] = part["activity"].iloc[0]
        out.append(row)
    return pd.DataFrame(out)


# ---- detection -------------------------------------------------------------------------------------------------


def test_wide_columns_group_into_channels_by_name():
    columns = ["acc.x.0", "acc.x.1", "acc.x.2", "gyro-0", "gyro-2", "gyro-1"]  # any of _ . - ; sorted by index
    assert wide_channels(columns) == [("acc.x", ["acc.x.0", "acc.x.1", "acc.x.2"]), ("gyro", ["gyro-0", "gyro-1", "gyro-2"])]
    columns = ["a_0", "a_1", "a_2", "a_10", "b_0", "b_1", "b_2", "b_10"]
    assert wide_channels(columns) == [("a", ["a_0", "a_1", "a_2", "a_10"]), ("b", ["b_0", "b_1", "b_2", "b_10"])]
    assert wide_channels(["x.1", "x.2", "y.1", "y.2"]) == [("x", ["x.1", "x.2"]), ("y", ["y.1", "y.2"])]
    assert wide_channels(["a_0", "a_1", "b_0"]) is None  # channels of different lengths
    assert wide_channels([f"z{i:03d}" for i in range(12)]) == [("z", [f"z{i:03d}" for i in range(12)])]
    assert wide_channels(["alcohol", "malic_acid", "ash"]) is None
    # letters then a number, no separator: one channel per prefix, at least MIN_WIDE_STEPS steps each
    xy = [f"x{i}" for i in range(1, 21)] + [f"y{i}" for i in range(1, 21)]
    assert wide_channels(xy) == [("x", xy[:20]), ("y", xy[20:])]
    assert wide_channels(["a1", "a2", "a3", "b1", "b2", "b3"]) is None  # too few steps to be more than features
    assert wide_channels([f"x{i}" for i in range(10)] + [str(i) for i in range(10)]) is None  # bare numbers


def test_two_channels_named_without_separator_read_as_wide_when_their_values_are_series():
    """x1 … x30, y1 … y30 (a wide file as people write one): two channels, when the values move like steps; numbered
    features of a table under two prefixes (different scales, no neighbour relation) stay a table."""
    rng = np.random.default_rng(0)
    n, T = 40, 30
    t = np.arange(T)
    y = rng.integers(0, 2, n)
    phase = rng.uniform(0, 6, (n, 1))
    xs = np.sin(t / 4 + phase) * (1 + y[:, None]) + rng.normal(0, 0.05, (n, T))
    ys = np.cos(t / 4 + phase) + rng.normal(0, 0.05, (n, T))
    frame = pd.DataFrame(np.hstack([xs, ys]), columns=[f"x{i}" for i in range(1, T + 1)] + [f"y{i}" for i in
                                                                                           range(1, T + 1)])
    found = detect_layout(frame.assign(label=y), "label")
    assert found.layout == "wide" and found.spec.channels == ("x", "y")
    assert found.spec.columns[1][:2] == ("y1", "y2") and len(found.spec.columns[0]) == T
    table = pd.DataFrame(rng.normal(size=(50, 16)) * np.logspace(0, 3, 16),
                         columns=[f"a{i}" for i in range(8)] + [f"b{i}" for i in range(8)])
    assert detect_layout(table.assign(label=rng.integers(0, 2, 50)), "label").layout == "table"


def test_detection_long_wide_and_table():
    long = recordings()
    found = detect_layout(long, "activity")
    assert found.layout == "long" and found.spec.id_column == "recording" and found.spec.time_column == "time_s"
    assert found.spec.channels == CHANNELS
    wide = detect_layout(to_wide(long), "activity")
    assert wide.layout == "wide" and wide.spec.channels == CHANNELS and len(wide.spec.columns[0]) == 20
    assert detect_layout(wine_frame(), "label").layout == "table"
    # numbered features of a table are not time steps
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(50, 10)) * np.logspace(0, 3, 10), columns=[f"f{i}" for i in range(10)])
    assert detect_layout(table.assign(y=rng.integers(0, 2, 50)), "y").layout == "table"


def test_id_or_time_imply_long_and_must_exist():
    long = recordings(shuffle=False)
    assert detect_layout(long, "activity", id_column="recording").layout == "long"
    spec = detect_layout(long, "activity", time_column="time_s", id_column="recording").spec
    assert spec.id_column == "recording" and spec.time_column == "time_s"
    with pytest.raises(HybridXAIError, match="no column 'session'"):
        detect_layout(long, "activity", id_column="session")
    with pytest.raises(HybridXAIError, match="--id"):
        detect_layout(wine_frame(), "label", layout="long")


# ---- reading ---------------------------------------------------------------------------------------------------


def test_long_rows_are_grouped_and_sorted_by_time():
    ordered = recordings(n_series=4, length=5, shuffle=False)
    shuffled = ordered.sample(frac=1.0, random_state=3).reset_index(drop=True)
    spec = SeriesSpec("long", CHANNELS, id_column="recording", time_column="time_s")
    rows = read_series(shuffled, spec, Source("s.csv", False), label="activity")
    order = list(pd.unique(shuffled["recording"]))  # order of first appearance
    assert rows.ids == order and rows.labels == ["still" if int(r[1:]) % 2 == 0 else "wave" for r in order]
    first = ordered[ordered["recording"] == order[0]]
    np.testing.assert_allclose(rows.X[0, :5], first["ax"], rtol=1e-6)  # channel-major: ax steps, then ay ...
    np.testing.assert_allclose(rows.X[0, 5:10], first["ay"], rtol=1e-6)
    # Without a time column, the file order of a series' rows is its order.
    no_time = read_series(ordered, SeriesSpec("long", CHANNELS, id_column="recording"), Source("s", False))
    np.testing.assert_allclose(no_time.X[0, 10:15], ordered[ordered["recording"] == "r000"]["gz"], rtol=1e-6)


def test_time_values_read_numbers_dates_and_durations():
    from hybridxai_gui.core.data.series import time_values

    np.testing.assert_array_equal(time_values(pd.Series([0.5, 0.1, np.nan])), [0.5, 0.1, np.nan])
    np.testing.assert_array_equal(time_values(pd.Series(["3", " 1.5", ""])), [3.0, 1.5, np.nan])
    stamps = time_values(pd.Series(["2021-03-01 08:00:00.100", "2021-03-01 08:00:00.000", None]))
    np.testing.assert_allclose(stamps[:2] - stamps[1], [0.1, 0.0], atol=1e-6) and np.isnan(stamps[2])
    zoned = time_values(pd.Series(["2021-03-01T08:00:00+01:00", "2021-03-01T07:00:01Z"]))
    assert zoned[1] - zoned[0] == pytest.approx(1.0)  # the same instant read in one clock
    np.testing.assert_allclose(time_values(pd.Series(["00:01:00", "00:00:30.5"])), [60.0, 30.5])
    assert time_values(pd.Series(["walk", "run", "walk"])) is None
    assert time_values(pd.Series([True, False])) is None


def test_a_long_file_ordered_by_timestamps_as_text_is_sorted_by_them():
    """A sensor log with a `timestamp` column of dates and times (text in a CSV) was read in file order, so its
    rows out of order gave scrambled series: the time column is read as dates and times, found and sorted by."""
    ordered = recordings(n_series=6, length=12, shuffle=False)
    start = pd.Timestamp("2021-03-01 08:00:00")
    ordered["timestamp"] = [(start + pd.Timedelta(seconds=float(t))).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
                            for t in ordered["time_s"]]
    ordered = ordered.drop(columns="time_s")
    shuffled = ordered.sample(frac=1.0, random_state=1).reset_index(drop=True)
    detected = detect_layout(shuffled, "activity")
    assert detected.spec.layout == "long" and detected.spec.time_column == "timestamp"
    assert set(detected.spec.channels) == set(CHANNELS)
    spec = SeriesSpec("long", CHANNELS, id_column="recording", time_column="timestamp")
    a = read_series(ordered, spec, Source("o.csv", False), label="activity")
    b = read_series(shuffled, spec, Source("s.csv", False), label="activity")
    by_id = {rid: b.X[i] for i, rid in enumerate(b.ids)}
    for i, rid in enumerate(a.ids):
        np.testing.assert_array_equal(by_id[rid], a.X[i])
    twice = pd.concat([ordered, ordered.iloc[[3]]], ignore_index=True)
    with pytest.raises(HybridXAIError, match=r"two rows at timestamp = 2021-03-01 08:00:00.300"):
        read_series(twice, spec, Source("t.csv", False), label="activity")
    words = ordered.assign(timestamp="soon")
    with pytest.raises(HybridXAIError, match="neither numbers nor dates"):
        read_series(words, spec, Source("w.csv", False), label="activity")


def test_gaps_filled_in_series_are_said_in_the_files_own_cells(tmp_path):
    frame = recordings(n_series=6, length=12, shuffle=False)
    frame.loc[[2, 30], "ay"] = np.nan
    spec = SeriesSpec("long", CHANNELS, id_column="recording", time_column="time_s")
    rows = read_series(frame, spec, Source("g.csv", False), "mean", label="activity")
    assert any("2 missing or infinite value(s), in 2 series, are filled" in n for n in rows.notes)
    wide = to_wide(frame)
    wide.iloc[1, 3] = np.nan  # a gap inside a series (not a shorter series' empty end)
    wide_spec = detect_layout(wide, "activity").spec
    rows = read_series(wide, wide_spec, Source("w.csv", False), "mean")
    assert any("3 missing or infinite value(s), in 3 series, are filled" in n for n in rows.notes), rows.notes
    # prediction counts the same cells as training did (not the cells after resampling to the model's length)
    path = tmp_path / "g.csv"
    frame.to_csv(path, index=False)
    short = frame[~((frame["recording"] == "r001") & (frame["time_s"] > 0.85))]  # one series resampled
    short.to_csv(path, index=False)
    data = prepare_data(path, label="activity", missing="mean", test_size=0.5)
    trained = fit(data, TINY, TrainConfig(epochs=1, batch_size=8)).trained
    notes: list[str] = []
    trained.read_rows(read_table(path), "g.csv", "mean", notes=notes)
    assert notes == [n for n in notes if "2 missing or infinite value(s), in 2 series, are filled" in n] and notes


def test_a_series_whose_label_changes_names_it_and_both_lines():
    frame = recordings(n_series=4, length=5, shuffle=False)
    frame.loc[7, "activity"] = "run"  # recording r001, its third row (file line 9)
    spec = SeriesSpec("long", CHANNELS, id_column="recording", time_column="time_s")
    with pytest.raises(HybridXAIError, match=r"series 'r001' changes: 'wave' at line 7 but 'run' at line 9"):
        read_series(frame, spec, Source("rec.csv", True), label="activity")


def test_resampling_known_answers():
    np.testing.assert_allclose(resample(np.array([0.0, 1.0]), 3), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(resample(np.array([0.0, 2.0, 4.0]), 5), [0, 1, 2, 3, 4])
    np.testing.assert_allclose(resample(np.array([7.0]), 3), [7, 7, 7])
    np.testing.assert_allclose(to_own_steps(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 3), [0, 2, 4])


def test_unequal_wide_rows_are_resampled_to_the_longest():
    frame = pd.DataFrame({"z0": [0.0, 0.0, 1.0], "z1": [1.0, 2.0, 1.0], "z2": [2.0, np.nan, 1.0],
                          "z3": [3.0, np.nan, 1.0], "z4": [4.0, np.nan, np.nan]})
    spec = SeriesSpec("wide", ("z",), columns=(tuple(frame.columns),))
    rows = read_series(frame, spec, Source("u.csv", False))
    np.testing.assert_array_equal(rows.lengths, [5, 2, 4])
    np.testing.assert_allclose(rows.X[1], [0, 0.5, 1, 1.5, 2])  # 2 steps stretched over 5
    np.testing.assert_allclose(rows.X[2], [1, 1, 1, 1, 1])
    gap = frame.copy()
    gap.loc[0, "z2"] = np.nan  # a gap inside a series, not at its end
    with pytest.raises(HybridXAIError, match="missing or infinite values, first at row 0"):
        read_series(gap, spec, Source("u.csv", False))
    dropped = read_series(gap, spec, Source("u.csv", False), missing="drop")
    assert dropped.ids == [1, 2] and dropped.n_total == 3


# ---- preparing, training, predicting -----------------------------------------------------------------------------


def test_long_and_wide_files_prepare_the_same_series():
    long = recordings()
    a = prepare_data(long, label="activity", seed=3)
    b = prepare_data(to_wide(long), label="activity", seed=3)
    assert a.series.layout == "long" and b.series.layout == "wide" and a.series.n_channels == 3
    assert a.class_names == b.class_names == ["still", "wave"]
    np.testing.assert_allclose(a.X_train, b.X_train, atol=1e-5)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    # scaling is per channel: one mean and spread per channel, repeated over its 20 steps
    means = a.scaler.mean.reshape(3, 20)
    assert np.all(np.ptp(means, axis=1) == 0) and means[2, 0] == pytest.approx(10, abs=0.3)
    assert a.config.id_column == "recording" and a.config.series_length == 20


def test_unequal_long_series_train_and_predict_one_line_per_series(tmp_path):
    frame = recordings(n_series=30, length=16, shuffle=True)
    short = frame["recording"].isin([f"r{s:03d}" for s in range(0, 30, 3)]) & (frame["time_s"] >= 1.0)
    frame = frame[~short].reset_index(drop=True)  # every third recording stops after 10 steps
    path = tmp_path / "rec.csv"
    frame.to_csv(path, index=False)
    data = prepare_data(path, label="activity", seed=0)
    assert data.series.resample and data.series.length == 16
    assert any("resampled to 16 steps" in w for w in data.warnings)
    result = fit(data, TINY, TrainConfig(epochs=3, augment="off"))
    trained = result.trained
    assert trained.model_config.n_channels == 3 and trained.model_config.n_features == 48
    saved = load_checkpoint(save_checkpoint(trained, tmp_path / "m.pth"))
    assert saved.series == trained.series
    new = read_table(path).drop(columns="activity")
    predictions = predict_frame(saved, new, "rec.csv")
    table = predictions.table
    assert list(table.columns[:2]) == ["recording", "predicted"] and len(table) == 30
    assert table["recording"].tolist() == list(pd.unique(frame["recording"]))
    np.testing.assert_allclose(table[["p_still", "p_wave"]].sum(axis=1), 1.0)
    # With the label column the same call scores the series.
    labelled = predict_frame(saved, read_table(path), "rec.csv")
    assert labelled.evaluation is not None and len(labelled.evaluation.y_true) == 30
    rows = read_labelled(saved, read_table(path), "rec.csv")
    assert rows.ids == table["recording"].tolist()


def test_an_old_checkpoint_loads_as_a_one_channel_table(tmp_path):
    import torch

    data = prepare_data(wine_frame(), seed=0)
    trained = fit(data, TINY, TrainConfig(epochs=1)).trained
    path = save_checkpoint(trained, tmp_path / "m.pth")
    payload = torch.load(path, weights_only=True)
    for key in ("series", "data_config", "runtime_config"):
        payload.pop(key)
    payload["model_config"].pop("n_channels")
    payload["train_config"].update(missing="error", test_size=0.2, device="cpu")  # where old files kept them
    torch.save(payload, tmp_path / "old.pth")
    old = load_checkpoint(tmp_path / "old.pth")
    assert old.series is None and old.model_config.n_channels == 1 and old.data_config.test_size == 0.2
    X = data.X_test[:5]
    np.testing.assert_allclose(old.predict_logits(X), trained.predict_logits(X), atol=1e-6)


def test_command_line_layout_flags(tmp_path):
    from hybridxai_gui.cli import _configs_from_args, build_parser, main

    parse = build_parser().parse_args
    data, *_ = _configs_from_args(parse(["train", "d.csv", "--out", "m.pth", "--id", "recording"]))
    assert data.layout == "long" and data.id_column == "recording"
    path = tmp_path / "rec.csv"
    recordings(n_series=20, length=12).to_csv(path, index=False)
    assert main(["train", str(path), "--label", "activity", "--layout", "wide", "--id", "recording", "--out",
                 str(tmp_path / "m.pth")]) == 2
    assert main(["train", str(path), "--label", "activity", "--epochs", "2", "--cnn-channels", "4", "--lstm-hidden",
                 "4", "--heads", "2", "--out", str(tmp_path / "m.pth"), "--quiet"]) == 0
    assert main(["predict", str(tmp_path / "m.pth"), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    out = pd.read_csv(tmp_path / "p.csv")
    assert list(out.columns[:2]) == ["recording", "predicted"] and len(out) == 20


def test_one_resampler_for_a_series_and_for_groups():
    from hybridxai_gui.core.data.series import _resample_group, resample

    assert resample(np.array([0.0, 10.0]), 3).tolist() == [0.0, 5.0, 10.0]
    assert resample(np.array([2.0]), 4).tolist() == [2.0] * 4
    assert resample(np.array([1.0, 2.0, 3.0], dtype=np.float32), 5).dtype == np.float32
    rng = np.random.default_rng(0)
    group = rng.normal(size=(4, 2, 7))
    group[1, 0, 3] = np.nan  # a gap stays a gap at the steps it reaches
    out = _resample_group(group, 12)
    assert out.shape == (4, 2, 12) and out.dtype == np.float32
    for k in range(4):
        for c in range(2):
            np.testing.assert_allclose(out[k, c], resample(group[k, c], 12), rtol=1e-6, equal_nan=True)
    assert np.isnan(out[1, 0]).any() and not np.isnan(out[0]).any()


def test_the_data_tab_on_a_long_file_with_gaps_and_text_timestamps(qtbot, tmp_path):
    """The window reads such a file as long, ordered by its timestamps; its id and time columns are no features
    (no identifier note about them), its gaps are gaps (the gap note stays), its lengths are said in long terms."""
    pytest.importorskip("pytestqt")
    from helpers import open_in_data_tab

    frame = recordings(n_series=8, length=12, shuffle=False)
    frame = frame[~((frame["recording"] == "r001") & (frame["time_s"] > 0.85))]  # one series shorter
    start = pd.Timestamp("2021-03-01 08:00:00")
    frame["timestamp"] = [(start + pd.Timedelta(seconds=float(t))).isoformat() for t in frame["time_s"]]
    frame = frame.drop(columns="time_s").sample(frac=1.0, random_state=0)
    frame.loc[frame.index[:3], "ay"] = np.nan
    tab = open_in_data_tab(qtbot, frame, tmp_path / "log.csv")
    qtbot.waitUntil(lambda: tab.view is not None and tab.view.detected.spec is not None, timeout=30_000)
    assert tab.view.detected.spec.layout == "long" and tab.view.detected.spec.time_column == "timestamp"
    text = tab.problemsPanel.text()
    assert "identifier" not in text
    assert "'ay' (3)" in text and "each series ends at its last row" in text
