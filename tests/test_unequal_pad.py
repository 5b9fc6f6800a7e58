"""Series of unequal length padded instead of resampled (`--unequal pad`, DataConfig.unequal, SeriesSpec.unequal):
known answers for the reading, the model file, prediction of a longer series, the command line, the figure and the
Data tab's control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
from hybridxai_gui.core.data.csvio import Source
from hybridxai_gui.core.data.prepare import prepare_data
from hybridxai_gui.core.data.series import SeriesSpec, read_series
from hybridxai_gui.core.errors import HybridXAIError, render
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint
from hybridxai_gui.core.pipeline import predict_frame

from helpers import fit

TINY = ModelConfig(cnn_channels=4, lstm_hidden=4, lstm_layers=1, num_heads=2, kernel_size=3)


def draws(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """A long file of current draws at one sampling rate: 'motor' ripples with period 4, 'heater' is flat; each
    draw lasts 8 to 20 samples (the appliance runs as long as it runs, at the same rate)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        kind = "motor" if s % 2 else "heater"
        length = int(rng.integers(8, 21))
        t = np.arange(length)
        current = 2.0 + (np.sin(2 * np.pi * t / 4) if kind == "motor" else 0.0) + rng.normal(0, 0.05, length)
        rows += [{"draw": f"d{s:02d}", "sample": int(i), "current": float(current[i]), "kind": kind}
                 for i in range(length)]
    return pd.DataFrame(rows)


def test_wide_rows_keep_their_time_axis_with_zeros_after_the_end():
    frame = pd.DataFrame({"z0": [1.0, 5.0, 1.0], "z1": [2.0, 6.0, 1.0], "z2": [3.0, np.nan, 1.0],
                          "z3": [4.0, np.nan, 1.0], "z4": [9.0, np.nan, np.nan]})
    spec = SeriesSpec("wide", ("z",), columns=(tuple(frame.columns),), unequal="pad")
    rows = read_series(frame, spec, Source("u.csv", False))
    np.testing.assert_array_equal(rows.lengths, [5, 2, 4])
    np.testing.assert_array_equal(rows.X, [[1, 2, 3, 4, 9], [5, 6, 0, 0, 0], [1, 1, 1, 1, 0]])
    assert rows.notes == []
    # a model of 3 steps reads the first 3 of a longer series, and says which series were cut
    cut = read_series(frame, SeriesSpec("wide", ("z",), length=3, columns=(tuple(frame.columns),), unequal="pad"),
                      Source("u.csv", False))
    np.testing.assert_array_equal(cut.X, [[1, 2, 3], [5, 6, 0], [1, 1, 1]])
    assert len(cut.notes) == 1 and "2 series are longer than the 3 steps" in cut.notes[0]
    assert "row 0, row 2" in cut.notes[0] and "--unequal pad" in render(cut.notes[0])


def test_long_series_are_padded_in_time_order_and_cut_by_name():
    frame = pd.DataFrame({"id": ["a", "b", "a", "b", "a"], "t": [2, 0, 0, 1, 1], "v": [30.0, 7.0, 10.0, 8.0, 20.0]})
    spec = SeriesSpec("long", ("v",), id_column="id", time_column="t", unequal="pad")
    rows = read_series(frame, spec, Source("l.csv", False))
    np.testing.assert_array_equal(rows.X, [[10, 20, 30], [7, 8, 0]])
    cut = read_series(frame, SeriesSpec("long", ("v",), length=2, id_column="id", time_column="t", unequal="pad"),
                      Source("l.csv", False))
    np.testing.assert_array_equal(cut.X, [[10, 20], [7, 8]])
    assert "series 'a'" in cut.notes[0] and "up to 3 steps" in cut.notes[0]
    # the default stretches instead: the short series' last value lands on the last step
    stretched = read_series(frame, SeriesSpec("long", ("v",), id_column="id", time_column="t"), Source("l.csv", False))
    np.testing.assert_allclose(stretched.X[1], [7, 7.5, 8])


def test_the_model_file_keeps_the_rule_and_prediction_applies_it(tmp_path):
    frame = draws()
    data = prepare_data(frame, label="kind", unequal="pad", seed=0)
    assert data.series.padded and data.series.resample and data.config.unequal == "pad"
    assert any("padded with zeros after its end" in w for w in data.warnings)
    longest = int(frame.groupby("draw").size().max())
    assert data.series.length == longest
    # the model reads each draw's own samples, then zeros (scaled like the channel's other values)
    first = frame[frame["draw"] == "d00"]["current"].to_numpy()
    row = int(np.flatnonzero(data.rows_train == 0)[0]) if 0 in data.rows_train else None
    if row is not None:
        mean, std = float(data.scaler.mean[0]), float(data.scaler.std[0])
        expected = (np.r_[first, np.zeros(longest - len(first))] - mean) / std
        np.testing.assert_allclose(data.X_train[row], expected, rtol=1e-5, atol=1e-5)
    trained = fit(data, TINY, TrainConfig(epochs=2, augment="off")).trained
    path = save_checkpoint(trained, tmp_path / "m.pth")
    saved = load_checkpoint(path)
    assert saved.series.padded and saved.series == trained.series
    assert "padded with zeros" in saved.series.describe()
    # a draw longer than any in training is cut to the model's length, with a note naming it
    longer = pd.DataFrame({"draw": "new", "sample": range(longest + 5), "current": 2.0, "kind": "heater"})
    predictions = predict_frame(saved, pd.concat([frame, longer], ignore_index=True), "draws.csv")
    assert len(predictions.table) == 41
    assert any("series 'new'" in n and f"first {longest} steps" in n for n in predictions.notes)


def test_default_files_are_written_as_before_and_unknown_rules_are_refused():
    spec = SeriesSpec("long", ("v",), length=3, id_column="id")
    assert "unequal" not in spec.to_dict()  # a resampling model's file is byte for byte what it was
    assert SeriesSpec.from_dict(spec.to_dict()).unequal == "resample"
    padded = SeriesSpec("long", ("v",), length=3, id_column="id", unequal="pad")
    assert SeriesSpec.from_dict(padded.to_dict()) == padded
    with pytest.raises(HybridXAIError, match="series reading 'warp' is unknown"):
        SeriesSpec.from_dict({**padded.to_dict(), "unequal": "warp"})
    with pytest.raises(HybridXAIError, match="unequal lengths 'warp'"):
        DataConfig(unequal="warp").validate()


def test_command_line_trains_and_predicts_padded_series(tmp_path):
    from hybridxai_gui.cli import main

    path = tmp_path / "draws.csv"
    draws(n=30).to_csv(path, index=False)
    model = tmp_path / "m.pth"
    assert main(["train", str(path), "--label", "kind", "--unequal", "pad", "--epochs", "2", "--cnn-channels", "4",
                 "--lstm-hidden", "4", "--heads", "2", "--prediction-sets", "off", "--out", str(model),
                 "--quiet"]) == 0
    assert load_checkpoint(model).series.padded
    assert main(["predict", str(model), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 30
    assert main(["train", str(path), "--label", "kind", "--unequal", "warp", "--out", str(model)]) == 2


def test_cross_validation_says_how_the_series_were_read(tmp_path, capsys):
    """cv reads each fold's series as training does: the note on their lengths (and the ripple hint) is said once,
    as the first fold's, and a summary keeps it."""
    from hybridxai_gui.cli import main

    path = tmp_path / "draws.csv"
    draws(n=30).to_csv(path, index=False)
    for rule, words in (("pad", "padded with zeros after its end"), ("resample", "each is resampled to")):
        out = tmp_path / rule
        assert main(["cv", str(path), "--label", "kind", "--unequal", rule, "--folds", "2", "--epochs", "2",
                     "--cnn-channels", "4", "--lstm-hidden", "4", "--heads", "2", "--baselines", "off",
                     "--out", str(out)]) == 0
        printed = capsys.readouterr()
        said = [line for line in (printed.out + printed.err).splitlines() if "Fold 1: The series have" in line]
        assert len(said) == 1 and words in said[0], said
        summary = __import__("json").loads((out / "cv_summary.json").read_text(encoding="utf-8"))
        assert any(n.startswith("Fold 1: The series have") and words in n for n in summary["notes"])
        assert summary["unit"] == "series" and "cross-validation of 30 series of " in printed.out
        assert "fold 1/2: 15 training, 0 validation, 15 held-out series ..." in printed.out


def test_the_series_figure_shows_the_padding_on_the_series_own_axis():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from hybridxai_gui.plotting.series_plots import draw_series_explanation

    T, own = 12, 8
    values = np.r_[np.sin(np.arange(own)), np.zeros(T - own)][None, :]
    groups = [list(range(0, 6)), list(range(6, 12))]
    maps = np.linspace(0, 1, T)
    fig = Figure()
    draw_series_explanation(fig, values, np.array([0.3, -0.1]), groups, ["current"], maps, maps, own, "motor",
                            padded=True)
    ax = fig.axes[-1]
    assert ax.get_xlim() == (-0.5, T - 0.5)  # the model's steps are the series' own: nothing stretched
    assert "padding" in ax.get_xlabel() and f"{own} steps" in ax.get_xlabel()
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches if isinstance(p, Rectangle)]
    assert any(np.isclose(a, own - 0.5) and np.isclose(b, T - 0.5) for a, b in spans)  # the padding, shaded
    resampled = Figure()
    draw_series_explanation(resampled, values, np.array([0.3, -0.1]), groups, ["current"], maps, maps, own, "motor")
    assert resampled.axes[-1].get_xlim() == (-0.5, own - 0.5) and "padding" not in resampled.axes[-1].get_xlabel()


def test_the_data_tab_control_reaches_training(qtbot):
    from hybridxai_gui.gui.layout_panel import LayoutPanel

    panel = LayoutPanel()
    qtbot.addWidget(panel)
    panel.layoutCombo.setCurrentText("table")
    panel._update_enabled()
    assert not panel.unequalCombo.isEnabled()
    panel.layoutCombo.setCurrentText("long")
    panel._update_enabled()
    assert panel.unequalCombo.isEnabled() and panel.choice()["unequal"] == "resample"
    panel.unequalCombo.setCurrentIndex(panel.unequalCombo.findData("pad"))
    assert panel.choice()["unequal"] == "pad"
    assert DataConfig(**panel.choice()).unequal == "pad"
    with qtbot.waitSignal(panel.unequalChanged, timeout=1000):  # the Data tab re-reads its per-class view on it
        panel.unequalCombo.activated.emit(panel.unequalCombo.currentIndex())
    panel.layoutCombo.setCurrentText("table")  # a table has no time axis: the choice stays, unused
    assert panel.choice()["unequal"] == "resample"
    panel.layoutCombo.setCurrentText("wide")
    assert panel.choice()["unequal"] == "pad"
    panel.set_unequal("resample")
    assert panel.choice()["unequal"] == "resample"


def test_the_per_class_view_follows_the_choice():
    """Draws of one sampling rate keep their ripple in the class mean when padded; resampled, each draw's ripple is
    stretched by another factor and the mean smears it out."""
    from hybridxai_gui.core.pipeline import table_view

    frame = draws(n=60)
    padded = table_view(frame, "kind", unequal="pad").profile
    stretched = table_view(frame, "kind").profile
    motor = padded.class_names.index("motor")
    mean = padded.mean[motor, 0]
    np.testing.assert_allclose(mean[[1, 5, 9]], 3.0, atol=0.1)  # 2 + sin(2π t / 4) at its peaks, every draw alike
    np.testing.assert_allclose(mean[[3, 7, 11]], 1.0, atol=0.1)
    assert np.ptp(stretched.mean[stretched.class_names.index("motor"), 0]) < 0.75 * np.ptp(mean)
    # the padding is no value of a series: a draw's steps after its end are left out of the means
    assert np.isnan(padded.X[np.argmin(padded.lengths)]).sum() == padded.steps - padded.lengths.min()


def test_a_ripple_shared_whatever_the_length_is_named_as_a_fixed_sampling_rate():
    from hybridxai_gui.core.data.ripple import shared_ripple

    rng = np.random.default_rng(1)
    lengths = rng.integers(40, 400, 60)
    # current draws at one rate: a mains ripple of 5 samples on a level that differs per draw
    fixed = [(rng.uniform(1, 5) * (1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / 5)) + rng.normal(0, 0.02, n))[None, :]
             for n in lengths]
    period, share, channel = shared_ripple(fixed, ["current"])
    assert period == pytest.approx(5.0, rel=0.05) and share > 0.9 and channel == "current"
    # one movement per series, done faster or slower: its period follows the length, so no ripple is shared
    paced = [np.sin(np.pi * np.linspace(0, 2, n))[None, :] + rng.normal(0, 0.02, (1, n)) for n in lengths]
    assert shared_ripple(paced, ["z"]) is None
    # noise has no peak that holds half its power
    assert shared_ripple([rng.normal(0, 1, (1, n)) for n in lengths], ["z"]) is None
    # lengths within 1.5x of each other, or too few series: no hint
    assert shared_ripple([x[:, :40] for x in fixed], ["current"]) is None
    assert shared_ripple(fixed[:5], ["current"]) is None


def test_the_hint_reaches_training_and_the_data_tab_in_the_apps_words():
    from hybridxai_gui.core.pipeline import table_view
    from hybridxai_gui.gui.wording import for_the_app

    rng = np.random.default_rng(2)
    rows = []
    for s in range(30):
        n = int(rng.integers(40, 200))
        kind = "motor" if s % 2 else "heater"
        level = 3.0 if kind == "motor" else 1.0
        current = level * (1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / 5)) + rng.normal(0, 0.02, n)
        rows += [{"draw": f"d{s}", "sample": i, "current": current[i], "kind": kind} for i in range(n)]
    frame = pd.DataFrame(rows)
    data = prepare_data(frame, label="kind", seed=0)
    hint = [w for w in data.warnings if "share a ripple of 5.0 samples" in w]
    assert hint and "--unequal pad" in render(hint[0])
    padded = prepare_data(frame, label="kind", unequal="pad", seed=0)
    assert any("which padding keeps" in w for w in padded.warnings)
    profile = table_view(frame, "kind").profile
    assert profile.ripple is not None and profile.ripple[0] == pytest.approx(5.0, rel=0.05)
    assert "choose “Unequal lengths: pad with zeros”." in for_the_app(profile.ripple_hint)


def test_padding_asked_of_a_table_is_said_not_to_apply():
    from helpers import wine_frame

    data = prepare_data(wine_frame(), unequal="pad", seed=0)
    assert data.series is None
    assert any("does not apply" in w and "--unequal pad" in render(w) for w in data.warnings)
    assert not any("does not apply" in w for w in prepare_data(wine_frame(), seed=0).warnings)


def test_the_data_tab_note_says_what_the_chosen_reading_does():
    from hybridxai_gui.core.data.table_checks import ColumnFindings
    from hybridxai_gui.core.pipeline import table_view
    from hybridxai_gui.gui.data_notes import view_notes

    frame = draws(n=30)
    stretched = " ".join(view_notes([], ColumnFindings([]), table_view(frame, "kind")))
    padded = " ".join(view_notes([], ColumnFindings([]), table_view(frame, "kind", unequal="pad")))
    assert "each is resampled to the longest" in stretched and "keeps its own time axis" not in stretched.split(";")[0]
    assert "each keeps its own time axis, with zeros after its end" in padded and "is resampled" not in padded


def test_only_training_and_the_data_view_look_for_a_ripple():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"z{t}": [np.nan] * 12 for t in range(120)})
    for r in range(12):
        n = 40 + 6 * r
        frame.iloc[r, :n] = 1 + 0.3 * np.sin(2 * np.pi * np.arange(n) / 5) + rng.normal(0, 0.01, n)
    spec = SeriesSpec("wide", ("z",), columns=(tuple(frame.columns),))
    assert read_series(frame, spec, Source("w.csv", False)).ripple is None  # prediction, explain: no search
    assert read_series(frame, spec, Source("w.csv", False), ripple=True).ripple[0] == pytest.approx(5.0, rel=0.05)
