"""Each SHAP value's stated sampling error: how far it may be from what more permutations and more background rows
of the same data would give. Known answers: exact values over the whole pool the background rows were drawn from
(the target), each background row's own exact values (the spread the error is made of); every front end says it."""

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


def test_exact_values_state_the_spread_of_each_background_rows_exact_values(game):
    """Exact SHAP against B rows is the mean of the exact values against each row alone: its standard error is their
    spread over the rows, over √B (brute force: one explainer per background row)."""
    model, bg, X, exact = game
    alone = np.stack([ShapExplainer(model, bg[b:b + 1], "exact", output="probability").explain(X).values
                      for b in range(len(bg))])  # (B, R, U, C)
    np.testing.assert_allclose(alone.mean(axis=0), exact.values, atol=1e-12)
    np.testing.assert_allclose(exact.standard_error, alone.std(axis=0, ddof=1) / np.sqrt(len(bg)), rtol=1e-9,
                               atol=1e-15)
    assert exact.sampling_message.startswith("Sampling error: each value (probability of the row's predicted class)")
    assert exact.sampling_message.endswith(f"over the {len(bg)} background rows (exact values against each)")


@pytest.mark.parametrize("method,pairs", [("permutation", 1), ("permutation", 4), ("exact", 0)])
def test_the_stated_error_covers_the_distance_from_the_values_against_the_whole_pool(game, method, pairs):
    """The known answer a user's values estimate: exact Shapley values against every row of the pool the background
    was drawn from (here 80 rows; in the app the training rows). A random sample of the pool as background (one or
    more antithetic pairs of permutations per row, or exact values) misses them by its permutations and by its
    sample of rows; two stated standard errors hold that distance for about 95 % of the values, and the stated error
    is no empty bound: the median distance is about 0.67 of it, as for a normal error."""
    model, _bg, X, _exact = game
    pool = np.random.default_rng(4).normal(size=(80, X.shape[1])).astype(np.float32)
    target = ShapExplainer(model, pool, "exact", output="probability", exact_budget=10**7).explain(X)
    covered, ratios = [], []
    for seed in range(4):
        bg = select_background(pool, 16, "random", seed=seed)
        options = {"n_permutations": 2 * pairs * len(bg)} if method == "permutation" else {}
        res = ShapExplainer(model, bg, method, output="probability", seed=seed, cache=False, **options).explain(X)
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


def test_more_background_rows_state_a_smaller_error(game):
    model, _bg, X, _exact = game
    pool = np.random.default_rng(5).normal(size=(400, X.shape[1])).astype(np.float32)
    few, many = (ShapExplainer(model, select_background(pool, n, "random", seed=1), "permutation",
                               output="probability", n_permutations=2 * n).explain(X) for n in (12, 192))
    ratio = np.median(few.standard_error) / np.median(many.standard_error)
    assert 2.5 < ratio < 6.5, ratio  # 16 times the rows: about 4 times smaller


def test_pairs_of_one_background_row_count_as_one_draw(game):
    """With several pairs per background row the error is the spread of each row's mean over its pairs (the rows are
    the draws): computed by hand from one explainer per background row with that row's own permutations."""
    model, bg, X, _exact = game
    res = ShapExplainer(model, bg, "permutation", output="probability", n_permutations=2 * 3 * len(bg)).explain(X)
    assert res.n_pairs == 3 * len(bg)
    assert res.sampling_message.endswith(f"over the {len(bg)} background rows (3 pairs of permutations each)")
    # each row's estimate against its own background row converges to that row's exact values: the stated error
    # is close to the exact values' spread (the permutations add a little)
    exact_alone = np.stack([ShapExplainer(model, bg[b:b + 1], "exact", output="probability").explain(X).values
                            for b in range(len(bg))])
    spread = exact_alone.std(axis=0, ddof=1) / np.sqrt(len(bg))
    ratio = np.median(res.standard_error / spread)
    assert 0.8 < ratio < 1.5, ratio


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
    assert "of what more permutations and more background rows of the same data would give" in text
    assert f"±{2 * np.median(se):.2g} " in text and f"largest ±{2 * se.max():.2g})" in text
    assert text.endswith(f"over the {len(bg)} background rows (one pair of permutations each)")


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
    assert "(probability of the row's predicted class)" in line and "over the 50 background rows" in line

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
