"""Progress of an explanation within a row, and the time left: a series row takes seconds, and a bar at
"0 / 1 rows" until the end said nothing (issue 26.2). The progress never changes the values."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import ShapExplainer, clear_cache
from hybridxai_gui.core.explain import shap_engine
from hybridxai_gui.core.explain.groups import segment_groups
from hybridxai_gui.core.explain.run import ExplainProgress, RunClock, iter_explanation_run
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)


def series_model(channels: int = 2, length: int = 12, classes: int = 3) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=channels * length, n_channels=channels, n_classes=classes, cnn_channels=4,
                      lstm_hidden=4, lstm_layers=1, num_heads=2, dropout=0.0, kernel_size=3)
    return build_model(cfg).eval()


def drain(gen):
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            return items, stop.value


@pytest.fixture
def every_batch(monkeypatch):
    """Progress after every model call, not at most every 0.2 s: the test must not depend on the clock."""
    monkeypatch.setattr(shap_engine, "throttle", lambda: (lambda: True))


@pytest.fixture
def series():
    rng = np.random.default_rng(0)
    groups, names = segment_groups(2, 12, 4)
    return series_model(), rng.normal(size=(6, 24)).astype(np.float32), rng.normal(size=(2, 24)).astype(np.float32), \
        groups, names


@pytest.mark.parametrize("method", ["permutation", "exact"])
def test_shap_reports_how_far_into_a_row_it_is(series, every_batch, method):
    model, bg, X, groups, names = series
    clear_cache()
    explainer = ShapExplainer(model, bg, method, groups=groups, group_names=names, batch_rows=64, cache=False)
    items, result = drain(explainer.iter_explain(X))
    inside = [i for i in items if i.done < i.total and 0 < i.fraction < 1]
    assert len(inside) >= 4  # several steps within each of the two rows, not only "0 of 2", "1 of 2"
    shares = [i.share for i in items]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert any(i.done == 0 and 0 < i.fraction < 0.5 for i in items)  # partway through the first row
    clear_cache()
    plain = ShapExplainer(model, bg, method, groups=groups, group_names=names, cache=False).explain(X)
    np.testing.assert_array_equal(result.values, plain.values)  # reporting changed nothing


def test_run_clock_known_answers():
    now = [100.0]
    clock = RunClock({"shap": 10, "views": 0, "faithfulness": 30}, clock=lambda: now[0])
    assert clock.at("shap", 0.5) == (0.125, None)  # too early to tell the time left (under 0.5 s)
    now[0] = 101.0
    fraction, left = clock.at("shap", 0.5)
    assert fraction == 0.125 and left == pytest.approx(7.0)  # 1 s for an eighth: 7 s for the rest
    assert clock.at("faithfulness", 0.5)[0] == pytest.approx(25 / 40)
    assert clock.at("faithfulness", 1.0) == (1.0, 0.0)
    assert ExplainProgress("shap", 0, 1, "", 0.5, 6.4).remaining == "about 6 s left"
    assert ExplainProgress("shap", 0, 1, "", 0.1, 300).remaining == "about 5 min left"
    assert ExplainProgress("shap", 0, 1, "").remaining == ""


def test_a_whole_explanation_reports_its_share_and_the_time_left(series, every_batch):
    model, bg, X, groups, names = series
    clear_cache()
    items, run = drain(iter_explanation_run(model, X[:1], bg, feature_names=[f"f{i}" for i in range(24)],
                                            class_names=["a", "b", "c"], groups=groups, group_names=names,
                                            kind="series"))
    fractions = [i.fraction for i in items]
    assert all(0 <= f <= 1 for f in fractions) and fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = [i.stage for i in items]
    assert {"shap", "views", "faithfulness", "sanity"} <= set(stages)
    # the randomisation check re-explains the row on a randomised model, reporting its progress too
    assert sum(1 for i in items if i.stage == "sanity" and 0 < i.fraction < 1) >= 2
    assert run.faithfulness.randomisation is not None and "shap" in run.faithfulness.randomisation.correlation


def test_the_command_line_prints_the_share_of_the_run_and_the_time_left():
    from hybridxai_gui.cli_output import Progress as _Progress

    stream = io.StringIO()
    progress = _Progress(stream)
    for fraction in (0.0, 0.05, 0.12, 0.13, 0.31, 1.0):
        progress(ExplainProgress("shap", 0 if fraction < 1 else 1, 1, "SHAP (permutation): 0/1 rows", fraction,
                                 None if fraction < 0.1 else 10 * (1 - fraction)))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # 0 %, 12 %, 31 % and the end: one line per tenth of the run
    assert lines[1].endswith("(12% of the run, about 9 s left)")


def test_the_app_shows_the_share_and_the_time_left(qtbot):
    pytest.importorskip("pytestqt")
    from hybridxai_gui.gui.explanations_tab import ExplanationsTab

    tab = ExplanationsTab()
    qtbot.addWidget(tab)
    tab._progress(ExplainProgress("shap", 0, 1, "SHAP (permutation): 0/1 rows", 0.4, 6.0))
    bar = tab.progressBar
    assert bar.maximum() == 1000 and bar.value() == 400
    assert bar.text() == "SHAP (0/1 rows) · 40% · about 6 s left"


def test_the_randomisation_check_explains_against_fewer_background_rows(series, monkeypatch):
    """The check re-explains its rows on a randomised model: a series row's check cost as much as its SHAP. It
    uses SANITY_BACKGROUND_ROWS of the background (a seeded sample), and says so."""
    import hybridxai_gui.core.explain.run as run_module

    model, _bg, X, groups, names = series
    background = np.random.default_rng(3).normal(size=(30, 24)).astype(np.float32)
    sizes = []
    original = run_module.ShapExplainer

    class Recording(original):
        def __init__(self, m, bg, *args, **kwargs):
            sizes.append(len(bg))
            super().__init__(m, bg, *args, **kwargs)

    monkeypatch.setattr(run_module, "ShapExplainer", Recording)
    clear_cache()
    _items, run = drain(iter_explanation_run(model, X[:1], background, feature_names=[f"f{i}" for i in range(24)],
                                             class_names=["a", "b", "c"], groups=groups, group_names=names,
                                             kind="series"))
    assert sizes == [30, run_module.SANITY_BACKGROUND_ROWS] == [30, 10]
    check = run.faithfulness.randomisation
    assert "SHAP against 10 of the background rows" in check.text() and "shap" in check.correlation
