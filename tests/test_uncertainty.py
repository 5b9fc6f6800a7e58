"""Prediction sets and the unlike-the-training-data flag (core.evaluation.uncertainty, issue 27): known answers
for the scores, thresholds and sets, the coverage guarantee over many draws, noise flagged, the features the flag
reads, and the model file keeping all of it under the same checks as everything else."""

import math
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from hybridxai_gui.core.errors import CheckpointError, HybridXAIError
from hybridxai_gui.core.evaluation import uncertainty as U
from hybridxai_gui.core.model_files.checkpoint import load_checkpoint, save_checkpoint

from hostile_models import small_trained


# ---- known answers -----------------------------------------------------------------------------------


def test_class_scores_add_the_classes_ranked_above_and_half_their_own():
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
    np.testing.assert_allclose(U.class_scores(proba), [[0.25, 0.65, 0.9], [0.95, 0.3, 0.75], [0.625, 0.875, 0.25]])
    np.testing.assert_allclose(U.true_class_scores(proba, [1, 0, 2]), [0.65, 0.95, 0.25])


def test_two_classes_get_sets_that_adapt_to_how_sure_the_model_is():
    """With whole probabilities every misclassified row of two classes scored 1, so a threshold below 1 gave every
    row one class and a threshold of 1 every row both; half its own probability keeps the scores apart."""
    proba = np.array([[0.95, 0.05], [0.6, 0.4], [0.52, 0.48]])
    sets = U.prediction_sets(proba, 0.8)  # the second class: 0.95 + 0.025, 0.6 + 0.2, 0.52 + 0.24
    np.testing.assert_array_equal(sets, [[1, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(U.prediction_sets(proba, 0.775), [[1, 0], [1, 0], [1, 1]])


def test_the_threshold_is_the_ceil_n_plus_1_times_c_th_smallest_score():
    scores = np.arange(1, 20) / 20  # 19 scores 0.05 ... 0.95, shuffled below
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(scores)
    assert U.threshold(shuffled, 0.9) == pytest.approx(0.90)  # ceil(20 * 0.9) = 18th
    assert U.threshold(shuffled, 0.8) == pytest.approx(0.80)  # 16th
    assert U.threshold(shuffled, 0.95) == pytest.approx(0.95)  # ceil(20 * 0.95) = 19 <= 19 (float rounding aside)
    assert U.threshold(shuffled, 0.96) is None  # 20 > 19 scores: no guarantee possible
    calibration = U.Calibration("split", np.sort(scores))
    assert calibration.max_coverage == pytest.approx(19 / 20)
    assert calibration.bounds(0.9) == pytest.approx((0.9, 0.95))
    assert "needs at least 24" in calibration.unavailable(0.96)


def test_sets_of_a_model_whose_scores_are_known():
    """Threshold 0.7: a sure row keeps its class alone, an unsure one gains the classes within 0.7, and the
    predicted class is kept even when it alone passes the threshold."""
    proba = np.array([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.05, 0.05, 0.9]])
    # scores: [0.25, 0.65, 0.9], [0.45, 0.925, 0.975], [0.2, 0.575, 0.875], [0.925, 0.975, 0.45]
    sets = U.prediction_sets(proba, 0.7)
    np.testing.assert_array_equal(sets, [[1, 1, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1]])
    tight = U.prediction_sets(proba, 0.4, include_predicted=False)
    np.testing.assert_array_equal(tight[1], [0, 0, 0])  # 0.45 > 0.4: the set {score <= q} alone would be empty
    assert U.prediction_sets(proba, 0.4)[1].tolist() == [1, 0, 0]
    assert U.set_names(sets, ["a", "b", "c"], proba) == ["a|b", "a", "a|b", "c"]
    assert U.set_names(U.prediction_sets(np.array([[0.3, 0.6, 0.1]]), 0.9), ["a", "b", "c"],
                       np.array([[0.3, 0.6, 0.1]])) == ["b|a"]  # most probable first


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, float("nan"), "x"])
def test_a_coverage_outside_0_1_is_refused_naming_the_setting(value):
    with pytest.raises(HybridXAIError) as caught:
        U.check_coverage(value)
    assert caught.value.fixes == [("coverage", "")]
    assert str(caught.value).count("\n") == 0 and "--coverage" in str(caught.value)


# ---- the guarantee, over many draws ------------------------------------------------------------------


def _draws(rng, n, n_classes=4):
    """Exchangeable rows of a calibrated classifier: probabilities from a Dirichlet, the class drawn from them."""
    proba = rng.dirichlet(np.full(n_classes, 0.7), size=n)
    y = (rng.random(n)[:, None] > np.cumsum(proba, axis=1)).sum(axis=1)
    return proba, np.minimum(y, n_classes - 1)


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_sets_hold_the_true_class_at_the_stated_rate_over_many_draws(coverage):
    """Split conformal with n = 49 calibration rows: the set {score <= q} holds a new row's class with probability
    exactly k / (n + 1), k = ceil((n + 1)·c), for continuous scores: inside [c, c + 1/(n + 1)]. The product's sets
    (which also hold the predicted class) never hold it less often."""
    rng = np.random.default_rng(1)
    n, draws = 49, 4000
    k = math.ceil((n + 1) * coverage)
    held = tight_held = 0
    for _ in range(draws):
        cal_p, cal_y = _draws(rng, n)
        new_p, new_y = _draws(rng, 1)
        q = U.Calibration("split", np.sort(U.true_class_scores(cal_p, cal_y))).threshold(coverage)
        held += U.prediction_sets(new_p, q)[0, new_y[0]]
        tight_held += U.prediction_sets(new_p, q, include_predicted=False)[0, new_y[0]]
    expected = k / (n + 1)
    sd = math.sqrt(expected * (1 - expected) / draws)
    assert coverage <= expected <= coverage + 1 / (n + 1)
    assert abs(tight_held / draws - expected) < 4 * sd
    assert held / draws >= tight_held / draws


# ---- unlike the training data ------------------------------------------------------------------------


def test_rows_of_noise_ten_times_the_spread_are_flagged_and_fresh_rows_are_not():
    """Known answer: the limit is the 99th percentile of held-out rows' distances, so about 1 % of fresh rows like
    the training rows lie beyond it, and noise ten times the data's spread lies far beyond."""
    rng = np.random.default_rng(0)
    d, n = 16, 400
    centres = rng.normal(0, 2, size=(3, d))

    def rows(count):
        y = np.arange(count) % 3
        return centres[y] + rng.normal(size=(count, d)), y

    F, y = rows(n)
    density = U.fit_density(F, y, 3)
    assert density.limit == np.inf  # no limit until held-out rows set it
    held = density.distances(rows(n)[0])
    density = replace(density, limit=float(np.percentile(held, 99)))
    fresh = rows(4000)[0]
    noise = F.mean(axis=0) + 10 * F.std(axis=0) * rng.normal(size=(500, d))
    assert density.unlike(noise).mean() == 1.0
    assert 0.002 <= density.unlike(fresh).mean() <= 0.03
    assert np.all(density.distances(density.means) < 1e-9)  # a class mean is at distance 0


def test_the_distance_is_mahalanobis_to_the_nearest_class_mean():
    means = np.array([[0.0, 0.0], [10.0, 0.0]])
    precision = np.diag([1.0, 0.25])  # sd 1 along x, 2 along y
    density = U.FeatureDensity(means, precision, 4.0)
    np.testing.assert_allclose(density.distances(np.array([[1.0, 0.0], [0.0, 2.0], [9.0, 4.0]])), [1.0, 1.0, 5.0])
    np.testing.assert_array_equal(density.unlike(np.array([[1.0, 0.0], [9.0, 4.0]])), [False, True])


def _block_means(model, X):
    got = []
    layers = [m.gradcam_layer for m in getattr(model, "members", [model])]
    hooks = [layer.register_forward_hook(lambda _m, _a, out: got.append(out.mean(dim=2))) for layer in layers]
    try:
        with torch.no_grad():
            model(torch.from_numpy(X))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.cat(got, dim=1).numpy()


def test_features_are_the_last_convolution_block_averaged_over_positions_and_no_hook_is_left():
    trained = small_trained()
    X = np.random.default_rng(0).normal(size=(7, 8)).astype(np.float32)
    logits, features = U.logits_and_features(trained.model, X, batch=3)
    assert features.shape == (7, U.feature_width(trained.model_config)) == (7, 32)
    np.testing.assert_allclose(features, _block_means(trained.model, X), atol=1e-5)
    np.testing.assert_allclose(logits, trained.predict_logits(X), atol=1e-5)
    assert not trained.model.gradcam_layer._forward_hooks
    big = U.logits_and_features(trained.model, 10 * X)[1]  # the convolutions grow with the input: noise shows
    assert np.abs(big).mean() > 3 * np.abs(features).mean()


def test_an_ensembles_features_are_its_first_members():
    """The fold models that set the flag's limit are single networks: the ensemble's features are those of its
    member 0 (a single network of the same seed), in the same space, while its logits stay the ensemble's."""
    from hybridxai_gui.core.model.network import build_model

    config = replace(small_trained().model_config, ensemble=3)
    torch.manual_seed(0)
    model = build_model(config).eval()
    X = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    logits, features = U.logits_and_features(model, X)
    assert features.shape == (5, U.feature_width(config)) == (5, 32)
    np.testing.assert_allclose(features, _block_means(model, X)[:, :32], atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(logits, model(torch.from_numpy(X))[0].numpy(), atol=1e-5)
    assert not any(m.gradcam_layer._forward_hooks for m in model.members)



# ---- in a model file ---------------------------------------------------------------------------------


def _with_uncertainty(trained, n_scores=50, seed=0):
    rng = np.random.default_rng(seed)
    width = U.feature_width(trained.model_config)
    F, y = rng.normal(size=(40, width)), np.arange(40) % len(trained.class_names)
    density = replace(U.fit_density(F, y, len(trained.class_names)), limit=7.5)
    trained.uncertainty = U.Uncertainty(U.Calibration("cross", np.sort(rng.uniform(0.3, 1.0, n_scores)), 5), density)
    return trained


def test_a_model_file_keeps_its_calibration_and_feature_statistics(tmp_path):
    trained = _with_uncertainty(small_trained())
    loaded = load_checkpoint(save_checkpoint(trained, tmp_path / "m.pth"))
    kept, saved = loaded.uncertainty, trained.uncertainty
    assert kept.calibration.method == "cross" and kept.calibration.folds == 5
    np.testing.assert_array_equal(kept.calibration.scores, saved.calibration.scores)
    np.testing.assert_array_equal(kept.density.precision, saved.density.precision)
    assert kept.density.limit == saved.density.limit


def test_an_old_model_file_loads_predicts_and_says_sets_are_not_available(tmp_path):
    import pandas as pd

    from hybridxai_gui.core.pipeline import predict_frame

    path = save_checkpoint(small_trained(), tmp_path / "old.pth")  # no uncertainty: as saved before issue 27
    raw = torch.load(path, weights_only=True)
    raw.pop("uncertainty")
    torch.save(raw, path)
    trained = load_checkpoint(path)
    assert trained.uncertainty is None
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 8)), columns=[f"f{i}" for i in range(8)])
    out = predict_frame(trained, frame, "new.csv", coverage=0.9)
    assert out.table["predicted"].notna().all()
    assert out.table["prediction_set"].isna().all() and out.table["unlike_training"].isna().all()
    assert any("sets are not available" in n for n in out.notes)


def _hostile(tmp_path, change):
    path = save_checkpoint(_with_uncertainty(small_trained()), tmp_path / "good.pth")
    raw = torch.load(path, weights_only=True)
    change(raw["uncertainty"])
    torch.save(raw, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(tmp_path / "bad.pth")
    assert "bad.pth" in str(caught.value) and "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("change, message", [
    (lambda u: u["calibration"].update(scores=torch.full((50,), float("nan"), dtype=torch.float64)), "NaN"),
    (lambda u: u["calibration"].update(scores=torch.full((50,), 7.0, dtype=torch.float64)), "outside 0 to 1"),
    (lambda u: u["calibration"].update(scores=torch.rand(U.MAX_SCORES + 1, dtype=torch.float64)),
     "5,001 calibration scores, above the 5,000"),
    (lambda u: u["calibration"].update(scores=torch.rand(5, 5, dtype=torch.float64)), "not one score per row"),
    (lambda u: u["calibration"].update(scores=torch.rand(50)), "stored as f4"),
    (lambda u: u["calibration"].update(method="magic"), "names no method"),
    (lambda u: u["calibration"].update(folds=10**6), "fold models"),
    (lambda u: u["density"].update(precision=torch.eye(33, dtype=torch.float64)), "precision matrix is"),
    (lambda u: u["density"].update(means=torch.zeros(4, 32, dtype=torch.float64)), "feature means is"),
    (lambda u: u["density"].update(precision=torch.full((32, 32), float("inf"), dtype=torch.float64)), "NaN"),
    (lambda u: u["density"].update(limit=float("inf")), "limit"),
    (lambda u: u["density"].update(limit=-1.0), "limit"),
    (lambda u: u.update(notes=["x" * 10_000]), "notes"),
])
def test_hostile_calibration_values_are_refused(tmp_path, change, message):
    assert re.search(message, _hostile(tmp_path, change))


def test_an_uncertainty_record_of_the_wrong_kind_is_refused(tmp_path):
    path = save_checkpoint(small_trained(), tmp_path / "good.pth")
    raw = torch.load(path, weights_only=True)
    raw["uncertainty"] = [1, 2, 3]
    torch.save(raw, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="not a record"):
        load_checkpoint(tmp_path / "bad.pth")
