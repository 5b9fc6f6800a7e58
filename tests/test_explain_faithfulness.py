"""Faithfulness with known answers: deletion/insertion curves and areas, the random baseline, the verdicts, the
randomisation check, and the views' caveats."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai_gui.core.explain.faithfulness import (area, iter_faithfulness, orderings, random_scores,
                                                     removal_counts)
from hybridxai_gui.core.explain.run import guess_kind, view_caveats
from hybridxai_gui.core.explain.sanity import randomisation_check, randomised_copy, rank_similarity
from hybridxai_gui.core.jobs import drain

torch.set_num_threads(1)
SPAN = slice(8, 12)
F = 32


def measure(*args, **kwargs):
    """The faithfulness measurement run to its end."""
    return drain(iter_faithfulness(*args, **kwargs))


class SpanModel(nn.Module):
    """Class 1's logit is 3 × the sum of features 8..11; nothing else matters."""

    def forward(self, x):
        s = 3 * x[:, SPAN].sum(dim=1)
        return torch.stack([-s, s], dim=1), None


@pytest.fixture(scope="module")
def span_rows():
    rng = np.random.default_rng(0)
    background = rng.normal(size=(40, F)).astype(np.float32)
    X = rng.normal(size=(8, F)).astype(np.float32)
    X[:, SPAN] += 1.5  # every row is class 1 because of the span
    return X, background


def span_views(R: int) -> dict[str, np.ndarray]:
    finds = np.zeros((R, F))
    finds[:, SPAN] = 1.0
    misses = np.zeros((R, F))
    misses[:, 20:24] = 1.0
    backwards = np.tile(np.arange(F, dtype=float), (R, 1))  # ranks the last features first
    return {"finds": finds, "misses": misses, "backwards": backwards}


def test_the_view_that_finds_the_span_has_the_best_deletion_area(span_rows):
    X, background = span_rows
    res = measure(SpanModel(), X, 1, span_views(len(X)), background, class_names=["a", "b"])
    assert res.ranking()[0] == "finds"
    deletion = {name: res.mean_deletion(name) for name in res.views}
    insertion = {name: res.mean_insertion(name) for name in res.views}
    assert deletion["finds"] < deletion["random"] - 0.05
    assert deletion["finds"] < min(deletion["misses"], deletion["backwards"])
    assert insertion["finds"] == max(insertion.values())
    # removing 4 of 32 features (the span) first: every row's probability falls at the first grid point past it
    after_span = np.searchsorted(res.counts, 4)
    assert (res.views["finds"].deletion[:, after_span] < res.views["finds"].deletion[:, 0] - 0.3).all()
    assert res.better_than_random("finds") and not res.better_than_random("misses")
    text = res.verdict("finds")
    assert text.startswith("finds: removing its top 9 % (3 of 32 features) drops the probability of b from")
    assert "random removal" in text
    assert "No better than removing at random" in res.verdict("misses")


def test_curves_end_points_and_areas_in_unit_interval(span_rows):
    X, background = span_rows
    res = measure(SpanModel(), X, 1, span_views(len(X)), background, replacement_rows=40)
    with torch.no_grad():
        p_x = torch.softmax(SpanModel()(torch.from_numpy(X))[0].double(), 1)[:, 1].numpy()
        p_bg = torch.softmax(SpanModel()(torch.from_numpy(background))[0].double(), 1)[:, 1].numpy().mean()
    for view in res.views.values():
        np.testing.assert_allclose(view.deletion[:, 0], p_x)
        np.testing.assert_allclose(view.deletion[:, -1], p_bg)
        np.testing.assert_allclose(view.insertion[:, 0], p_bg)
        np.testing.assert_allclose(view.insertion[:, -1], p_x)
        for a in (view.deletion_auc, view.insertion_auc):
            assert ((a >= 0) & (a <= 1)).all()
        np.testing.assert_allclose(view.deletion_auc, area(view.deletion, res.fractions))
    assert res.fractions[0] == 0 and res.fractions[-1] == 1
    table = res.table()
    assert len(table) == len(X) * 4 and {m for _, m, _, _ in table} == {"finds", "misses", "backwards", "random"}


def test_deletion_replaces_with_the_background_average():
    """Removing the span replaces it by each background row in turn and averages the probabilities."""
    background = np.zeros((2, F), dtype=np.float32)
    background[1, SPAN] = 1.0  # the second background row carries the class
    X = np.zeros((1, F), dtype=np.float32)
    X[0, SPAN] = 2.0
    scores = np.zeros((1, F))
    scores[0, SPAN] = 1.0
    res = measure(SpanModel(), X, 1, {"finds": scores}, background, max_points=F + 1,
                               random_baseline=False)
    k = list(res.counts).index(4)
    expected = np.mean([1 / (1 + np.exp(-6 * 0)), 1 / (1 + np.exp(-6 * 4))])  # sum over the span 0 and 4
    assert res.views["finds"].deletion[0, k] == pytest.approx(expected)


def test_grid_orderings_and_random_baseline():
    assert list(removal_counts(6)) == list(range(7))  # few units: every count
    counts = removal_counts(30)
    assert list(counts) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert removal_counts(13)[0] == 0 and removal_counts(13)[-1] == 13
    order = orderings(np.array([[0.1, 0.9, 0.5]]))
    assert list(order[0]) == [1, 2, 0]
    ties = orderings(np.zeros((200, 5)))  # ties are broken at random, not by position
    assert len({tuple(o) for o in ties}) > 50
    np.testing.assert_array_equal(random_scores(3, 4, seed=1), random_scores(3, 4, seed=1))


def test_groups_as_units(span_rows):
    X, background = span_rows
    units = [np.arange(i, i + 4) for i in range(0, F, 4)]  # 8 segments; the span is segment 2
    scores = np.zeros((len(X), 8))
    scores[:, 2] = 1.0
    res = measure(SpanModel(), X, 1, {"finds": scores}, background, units=units, kind="series")
    assert res.unit_word == "segment" and res.n_units == 8 and list(res.counts) == list(range(9))
    # a table's units are its columns (a text column's one-hot parts together), and its text says so
    table = measure(SpanModel(), X, 1, {"finds": scores}, background, units=units, kind="table")
    assert table.unit_word == "column" and "top columns are removed" in table.ranking_text()
    assert res.views["finds"].deletion_auc.mean() < res.views["random"].deletion_auc.mean()
    assert res.views["finds"].deletion[:, 1].max() < 0.5  # removing the one segment removes the class


def test_infidelity_prefers_the_right_view(span_rows):
    X, background = span_rows
    views = span_views(len(X))
    res = measure(SpanModel(), X, 1, {"finds": views["finds"], "misses": views["misses"]}, background)
    assert res.views["finds"].infidelity.mean() < res.views["misses"].infidelity.mean()
    assert "infidelity" in res.text()


def test_a_cancelled_measurement_returns_nothing(span_rows):
    X, background = span_rows
    assert drain(iter_faithfulness(SpanModel(), X, 1, span_views(len(X)), background, cancel=lambda: True)) is None


# ---- the model-randomisation check ------------------------------------------------------------------


def small_model(F_=16, seed=123):
    from hybridxai_gui.core.config import ModelConfig
    from hybridxai_gui.core.model.network import build_model

    torch.manual_seed(seed)
    return build_model(ModelConfig(n_features=F_, n_classes=2, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                                   num_heads=2, dropout=0.0)).eval()


def occlusion(m, x, t):
    """Each feature's effect when set to 0: reads the model's weights."""
    with torch.no_grad():
        base = torch.softmax(m(torch.from_numpy(x))[0], 1)[:, 1]
        out = np.empty(x.shape)
        for f in range(x.shape[1]):
            z = x.copy()
            z[:, f] = 0
            out[:, f] = (base - torch.softmax(m(torch.from_numpy(z))[0], 1)[:, 1]).numpy()
    return out


def test_randomisation_flags_views_that_ignore_the_weights():
    model = small_model()
    X = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    views = {
        "constant": lambda m, x, t: np.ones(x.shape),  # the same whatever the model
        "input": lambda m, x, t: np.abs(x),  # an edge detector: reads the input, not the model
        "occlusion": occlusion,
    }
    check = randomisation_check(model, X, 1, views)
    assert check.flagged == ["constant", "input"]
    assert check.correlation["constant"] == 1.0 and check.correlation["input"] == 1.0
    assert check.correlation["occlusion"] < 0.5
    assert "not explaining the model" in check.text() and check.n_rows == 4
    # the trained model is left as it was
    before = {k: v.clone() for k, v in model.state_dict().items()}
    randomised_copy(model, seed=3)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_randomised_copy_changes_every_layer():
    model = small_model()
    clone = randomised_copy(model, seed=1)
    for (name, a), (_, b) in zip(model.named_parameters(), clone.named_parameters()):
        if a.dim() >= 2:  # every weight matrix (BatchNorm's untrained 1s and 0s stay 1s and 0s)
            assert not torch.equal(a, b), name
    assert rank_similarity(np.array([1, 2, 3.0]), np.array([1, 2, 3.0])) == 1.0
    assert rank_similarity(np.array([1, 1, 1.0]), np.array([1, 2, 3.0])) == 0.0
    assert rank_similarity(np.array([1, 2, 3.0]), np.array([3, 2, 1.0])) == pytest.approx(-1.0)


# ---- where a view cannot mean much -------------------------------------------------------------------


def test_caveats_for_tables_few_positions_and_channels():
    table = view_caveats("table", 1, 7, 30)
    assert "no order" in table["gradcam"] and "no order" in table["attention"]
    few = view_caveats("series", 1, 3, 13)
    assert "gradcam" not in few and "only 3 positions" in few["attention"]
    channels = view_caveats("series", 3, 25, 100)
    assert "cannot say which channel" in channels["gradcam"] and "cannot say which channel" in channels["attention"]
    assert view_caveats("series", 1, 25, 100) == {}


def test_guess_kind():
    assert guess_kind([f"f{i}" for i in range(30)][::-1]) == "table"  # numbered, but not in order
    assert guess_kind([f"t{i:03d}" for i in range(40)]) == "series"
    assert guess_kind(["alcohol", "malic acid", "ash"] * 6) == "table"
    assert guess_kind(["a", "b"], n_channels=2) == "series"
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 64))
    rows = (rows - rows.mean(1, keepdims=True)) / rows.std(1, keepdims=True)
    assert guess_kind([f"c{i}x" for i in range(64)], rows) == "series"  # rows normalised per series


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    from hybridxai_gui.core.explain.sanity import spearman

    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 5, size=12).astype(float)  # many ties
        b = a + rng.normal(size=12)
        assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)


def _result_with(deletion: dict[str, float]):
    from hybridxai_gui.core.explain.faithfulness import FaithfulnessResult, ViewFaithfulness

    views = {name: ViewFaithfulness(name, np.zeros((2, 3)), np.zeros((2, 3)), np.full(2, d), np.full(2, 0.5))
             for name, d in deletion.items()}
    return FaithfulnessResult(rows=np.arange(2), targets=np.zeros(2, int), class_names=["a", "b"],
                              fractions=np.linspace(0, 1, 3), counts=np.array([0, 1, 2]), n_units=2,
                              unit_word="feature", views=views)


def test_the_headline_names_the_best_view_only_when_it_beats_random():
    good = _result_with({"shap": 0.30, "gradcam": 0.50, "attention": 0.55, "random": 0.60}).headline()
    assert good.startswith("Most faithful: SHAP") and "0.30" in good and "random 0.60" in good
    # random first, or the best view within the margin of it: no view is called faithful
    for areas in ({"shap": 0.61, "gradcam": 0.70, "random": 0.40}, {"shap": 0.59, "random": 0.60}):
        text = _result_with(areas).headline()
        assert text.startswith("No view beats a random order") and "Most faithful" not in text, text
