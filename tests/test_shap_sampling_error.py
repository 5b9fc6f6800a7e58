"""Each SHAP value's stated sampling error: exact values state none; permutation values state a standard error that
covers their distance from the exact values and shrinks as the sampling grows; every front end says it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai_gui.core.explain import ShapExplainer, select_background
from hybridxai_gui.core.explain.parallel import join_results

from test_explain_shap import _fresh_cache, tiny_model  # noqa: F401  (its autouse fixture: a fresh SHAP cache)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def game():
    rng = np.random.default_rng(3)
    F = 7
    model = tiny_model(F, 3, seed=2)
    bg = rng.normal(size=(12, F)).astype(np.float32)
    X = rng.normal(size=(6, F)).astype(np.float32) * 1.5
    exact = ShapExplainer(model, bg, "exact", output="probability").explain(X)
    return model, bg, X, exact


def test_exact_values_state_no_sampling_error(game):
    _model, _bg, _X, exact = game
    assert exact.standard_error is not None and exact.standard_error.shape == exact.values.shape
    assert not exact.standard_error.any()
    assert exact.sampling_message == "Exact values: no sampling error"


def test_permutation_error_covers_the_distance_from_the_values_against_the_whole_pool(game):
    """The known answer a user's values estimate: exact Shapley values against every row of the pool the background
    was sampled from (here 80 rows; in the app the training rows). The shipped scheme (a random sample of the pool
    as background, one antithetic pair of permutations per background row) misses them by its permutations and by
    its sample of rows; two stated standard errors hold that distance for about 95 % of the values (one for about
    68 %), and the stated error is no empty bound: the median distance is about 0.67 of it, as for a normal error."""
    model, _bg, X, _exact = game
    pool = np.random.default_rng(4).normal(size=(80, X.shape[1])).astype(np.float32)
    target = ShapExplainer(model, pool, "exact", output="probability", exact_budget=10**7).explain(X)
    covered, ratios = [], []
    for seed in range(4):
        bg = select_background(pool, 16, "random", seed=seed)
        res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * len(bg), seed=seed,
                            cache=False).explain(X)
        se = res.standard_error
        assert se.shape == res.values.shape and np.isfinite(se).all() and (se > 0).all()
        err = np.abs(res.values - target.values)
        covered.append((err <= 2 * se).mean())
        ratios.append(np.median(err) / np.median(se))
    assert np.mean(covered) >= 0.88, covered
    assert 0.25 < np.median(ratios) < 1.5, ratios


def test_against_its_own_background_the_stated_error_is_conservative(game):
    """Against the values of its own background (every row used equally, so only the permutations vary) the
    estimate is closer than the stated error, which also counts the choice of background rows."""
    model, bg, X, exact = game
    res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * 3 * len(bg)).explain(X)
    assert (np.abs(res.values - exact.values) <= 2 * res.standard_error).mean() >= 0.95


def test_more_sampling_states_a_smaller_error(game):
    model, bg, X, _exact = game
    few = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * len(bg)).explain(X)
    many = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * 16 * len(bg)).explain(X)
    ratio = np.median(few.standard_error) / np.median(many.standard_error)
    assert 2.5 < ratio < 6.5, ratio  # 16 times the pairs: about 4 times smaller
    assert few.n_pairs == len(bg) and many.n_pairs == 16 * len(bg)


def test_both_units_and_joined_chunks_keep_their_errors(game):
    model, bg, X, _exact = game
    res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=4 * len(bg)).explain(X)
    logit = res.in_units("logit")
    assert logit.standard_error.shape == res.standard_error.shape
    assert not np.allclose(logit.standard_error, res.standard_error)  # its own units, not a copy
    assert logit.in_units("probability").standard_error is res.standard_error
    halves = [ShapExplainer(model, bg, "permutation", output="probability", n_permutations=4 * len(bg))
              .explain(X[a:b], rows=np.arange(a, b)) for a, b in ((0, 3), (3, 6))]
    joined = join_results(halves)
    np.testing.assert_array_equal(joined.standard_error, res.standard_error)  # per-row seeds: the same numbers
    np.testing.assert_array_equal(joined.in_units("logit").standard_error, logit.standard_error)


def test_the_message_quotes_two_standard_errors_of_the_predicted_class(game):
    model, bg, X, _exact = game
    res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * len(bg)).explain(X)
    se = res.standard_error[np.arange(len(X)), :, res.predicted]
    text = res.sampling_message
    assert text.startswith("Sampling error: each value (probability of the row's predicted class) is within about ±")
    assert f"±{2 * np.median(se):.2g} " in text and f"largest ±{2 * se.max():.2g})" in text
    assert f"each row's {len(bg)} pairs of permutations" in text


def test_methods_without_a_stated_error_say_nothing(game):
    model, bg, X, _exact = game
    for method in ("kernel", "gradient"):
        res = ShapExplainer(model, bg, method, output="probability").explain(X[:2])
        assert res.standard_error is None and res.sampling_message == ""


def test_the_command_line_the_report_and_the_run_say_it(tmp_path, capsys):
    from hybridxai_gui.cli import main
    from hybridxai_gui.plotting.report import shap_items

    from helpers import untrained_wine_model

    model, csv, _trained = untrained_wine_model(tmp_path)
    assert main(["explain", str(model), str(csv), "--rows", "0-3", "--figures", "none", "--out",
                 str(tmp_path / "ex")]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Sampling error:"))
    assert "(probability of the row's predicted class)" in line and "each row's 50 pairs" in line

    from hybridxai_gui.core.explain.rows import explain_table_rows
    from hybridxai_gui.core.pipeline import drain, read_table

    run = drain(explain_table_rows(_trained, read_table(csv, label="label"), csv.name, "0-2", faithfulness=False))
    assert run.shap.sampling_message in run.text()
    (item,) = shap_items(run.shap)
    assert run.shap.sampling_message in item.text and "of the probability for 3 row(s)" in item.text


def test_the_waterfall_draws_two_standard_errors_around_each_sampled_bar(game):
    from matplotlib.container import ErrorbarContainer
    from matplotlib.figure import Figure

    from hybridxai_gui.plotting.explain_plots import draw_waterfall

    model, bg, X, exact = game
    res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * len(bg)).explain(X)
    ax = Figure().add_subplot()
    draw_waterfall(ax, res, row=1, top_k=4)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    c = int(res.predicted[1])
    top = np.argsort(-np.abs(res.values[1, :, c]))[:4]
    assert len(bars) == 4  # the four named features; none on the summed rest
    half_widths = sorted(float(np.ptp(b.lines[2][0].get_segments()[0][:, 0])) / 2 for b in bars)
    np.testing.assert_allclose(half_widths, sorted(2 * res.standard_error[1, top, c]), rtol=1e-6)
    assert any("±2 standard errors" in t.get_text() for t in ax.texts)
    ax = Figure().add_subplot()
    draw_waterfall(ax, exact, row=1, top_k=4)  # exact values: no whiskers, no note
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert not any("standard errors" in t.get_text() for t in ax.texts)
