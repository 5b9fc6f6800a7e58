"""Repeated evaluation: stratified folds of the right sizes, every fold prepared like a single run, a separate
test file that never chooses anything, cancel, and the baselines on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybridxai_gui.core.config import DataConfig, ModelConfig, TrainConfig
from hybridxai_gui.core.evaluation.crossval import (CrossValidationConfig, FoldResult, cross_validate, fold_splits)
from hybridxai_gui.core.data.tables import read_rows
from hybridxai_gui.core.data.prepare import assemble, prepare_data, stratified_split
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.pipeline import TrainingRequest, drain
from hybridxai_gui.core.training.loop import TrainControl

SMALL = ModelConfig(cnn_channels=4, lstm_hidden=8, lstm_layers=1, num_heads=2, kernel_size=3)


def frame(n_per_class: int = 20, seed: int = 0, shift: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    X = rng.normal(size=(len(y), 6)) + y[:, None] * shift
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    df["label"] = [f"c{v}" for v in y]
    return df


def request(df, test=None, epochs: int = 1, **data) -> TrainingRequest:
    return TrainingRequest(df, test, DataConfig(**data), SMALL, TrainConfig(epochs=epochs, batch_size=16, seed=0))


def test_stratified_folds_have_the_right_sizes_and_hold_every_row_out_once():
    table = read_rows(frame())
    folds = list(fold_splits(table, CrossValidationConfig(folds=5), seed=0))
    assert len(folds) == 5
    held = np.concatenate([h for _, _, _, h in folds])
    assert sorted(held.tolist()) == list(range(60))  # every row held out exactly once
    for repeat, fold, kept, h in folds:
        assert repeat == 1 and len(h) == 12 and len(kept) == 48 and not set(kept) & set(h)
        assert np.bincount(table.y[h]).tolist() == [4, 4, 4]  # stratified: 4 of each class per fold
    repeated = list(fold_splits(table, CrossValidationConfig(folds=5, repeats=2), seed=0))
    assert len(repeated) == 10 and [r for r, *_ in repeated] == [1] * 5 + [2] * 5
    assert any(not np.array_equal(a[3], b[3]) for a, b in zip(repeated[:5], repeated[5:]))  # drawn anew


def test_repeated_random_splits_hold_out_the_test_share():
    table = read_rows(frame())
    splits = list(fold_splits(table, CrossValidationConfig(scheme="split", repeats=3, test_size=0.25), seed=0))
    assert [len(h) for *_, h in splits] == [15, 15, 15]
    assert len({tuple(h) for *_, h in splits}) == 3


def test_too_few_rows_per_class_for_the_folds_names_the_class_and_the_fix():
    with pytest.raises(HybridXAIError) as info:
        drain(cross_validate(request(frame(n_per_class=3)), CrossValidationConfig(folds=5, baselines="off")))
    assert "'c0'" in str(info.value) and "--folds 3" in str(info.value)
    with pytest.raises(HybridXAIError, match="at least 2 folds"):
        CrossValidationConfig(folds=1).validate()


def test_assemble_is_prepare_data_for_the_same_rows():
    df = frame()
    single = prepare_data(df, seed=3)
    table = read_rows(df)
    train, test = stratified_split(table, np.arange(len(table)), 0.2, 3, "test")
    again = assemble(table, train, test, seed=3)  # its validation share drawn as prepare_data draws it
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "rows_test"):
        assert np.array_equal(getattr(single, name), getattr(again, name)), name
    assert single.data_hash == again.data_hash


def test_cross_validation_reports_every_fold_with_mean_and_sd():
    items = []
    result = drain(cross_validate(request(frame()), CrossValidationConfig(folds=3, baselines="on")), items.append)
    assert [type(i).__name__ for i in items if type(i).__name__ != "FoldProgress"] == \
        ["FoldStarted", "FoldResult"] * 3
    assert len(result.folds) == 3 and not result.cancelled
    assert sum(f.n_test for f in result.folds) == 60
    # the default holds no validation rows out: every row outside a fold's test part trains
    assert all(f.n_val == 0 and f.n_train + f.n_test == 60 for f in result.folds)
    acc = result.values("accuracy")
    assert result.summary("accuracy") == pytest.approx((np.mean(acc), np.std(acc, ddof=1)))
    assert result.models == ["hybrid", "logistic_regression", "nearest_neighbour", "random_forest", "gradient_boosting"]
    assert all(0.0 <= v <= 1.0 for v in result.values("accuracy", "random_forest"))
    assert result.summary("accuracy", "logistic_regression")[0] > 0.7  # separable classes
    roundtrip = type(result).from_dict(result.to_dict())
    assert roundtrip.summary("macro_f1") == result.summary("macro_f1")


def test_a_separate_test_file_is_only_scored_never_used_to_choose():
    df, test = frame(seed=0), frame(seed=1)
    cv = CrossValidationConfig(folds=3, baselines="off")
    alone = drain(cross_validate(request(df, epochs=30), cv))
    with_file = drain(cross_validate(request(df, test, epochs=30), cv))
    shuffled = test.copy()
    shuffled["label"] = shuffled["label"].sample(frac=1.0, random_state=0).to_numpy()
    with_wrong_labels = drain(cross_validate(request(df, shuffled, epochs=30), cv))
    for a, b, c in zip(alone.folds, with_file.folds, with_wrong_labels.folds):
        assert a.metrics == b.metrics == c.metrics  # the same training, the same epochs, the same scores
        assert a.n_test == b.n_test and a.epochs == b.epochs == c.epochs
        assert a.test_file is None and b.test_file is not None and c.test_file is not None
    assert with_file.test_source is not None
    assert with_file.test_file_summary("accuracy")[0] > with_wrong_labels.test_file_summary("accuracy")[0]


def test_stop_keeps_the_finished_folds_and_leaves_out_the_cut_one():
    control = TrainControl()
    gen = cross_validate(request(frame(), epochs=2), CrossValidationConfig(folds=4, baselines="off"), control)
    seen = []

    def on_item(item):
        seen.append(item)
        if isinstance(item, FoldResult):
            control.stop()

    result = drain(gen, on_item)
    assert result.cancelled and len(result.folds) == 1
    assert "1 of 4 folds" in result.describe()


def test_baselines_on_a_split_and_when_auto_leaves_them_out():
    from hybridxai_gui.core.evaluation import baselines

    data = prepare_data(frame(shift=3.0), seed=0)
    scores, note = baselines.on_split(data, seed=0, mode="on")
    assert [s.model for s in scores] == list(baselines.BASELINES) and not note
    assert all(s.accuracy >= 0.75 for s in scores)
    assert baselines.on_split(data, mode="off") == ([], "")
    run, why = baselines.wanted("auto", 2_000_000, 500_000, 100)
    assert not run and "2,000,000 training rows" in why
    assert baselines.wanted("auto", 500, 100, 30) == (True, "")
    assert baselines.wanted("on", 2_000_000, 500_000, 100)[0]


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_series_files_are_split_by_whole_series(layout):
    from test_series import recordings, to_wide

    long = recordings(n_series=24, length=12)
    df = long if layout == "long" else to_wide(long)
    req = TrainingRequest(df, None, DataConfig(label="activity"), SMALL, TrainConfig(epochs=1, batch_size=8, seed=0))
    result = drain(cross_validate(req, CrossValidationConfig(folds=3, baselines="on")))
    assert result.n_rows == 24 and result.class_names == ["still", "wave"]
    assert [f.n_test for f in result.folds] == [8, 8, 8]  # whole series held out: 24 series in three folds
    assert all(f.n_train + f.n_val == 16 for f in result.folds)
    assert result.models == ["hybrid", "logistic_regression", "nearest_neighbour", "random_forest", "gradient_boosting"]
    assert result.summary("accuracy", "random_forest")[0] > 0.8  # 'wave' swings one channel: easy


def test_folds_hold_validation_rows_out_when_early_stopping_watches_them():
    from dataclasses import replace

    base = request(frame())
    stopping = replace(base, training=replace(base.training, epochs=3, early_stopping=1))
    result = drain(cross_validate(stopping, CrossValidationConfig(folds=3, baselines="off")))
    assert all(f.n_val > 0 and f.n_train + f.n_val + f.n_test == 60 for f in result.folds)
    first = result.folds[0]
    assert any(n.startswith(f"Every fold: {first.n_val} of the {first.n_train + first.n_val} training rows")
               and "early stopping watches validation rows" in n for n in result.notes)
