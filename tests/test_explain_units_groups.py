"""SHAP in probability units and over groups of features (known answers), the channel-aware maps, and the
one-row summary in words."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.explain import AttentionExplainer, GradCAM, ShapExplainer, segment_groups
from hybridxai_gui.core.explain.groups import check_groups
from hybridxai_gui.core.explain.shap_result import ShapResult, format_probability
from hybridxai_gui.core.explain.summary import summarise_row
from hybridxai_gui.core.model.network import build_model

from test_explain_shap import _fresh_cache, small, tiny_model  # noqa: F401  (fixtures shared with that file)

torch.set_num_threads(1)


def probabilities(model, X):
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(np.asarray(X, np.float32)))[0].double(), 1).numpy()


def brute_force_groups(model, bg, X, groups, out):
    """Shapley values of the group game by the subset formula, one coalition at a time."""
    G = len(groups)

    def v(x, S):
        z = bg.copy()
        for g in S:
            z[:, groups[g]] = x[groups[g]]
        return out(model, z).mean(axis=0)

    values = []
    for x in X:
        phi = np.zeros((G, v(x, ()).shape[0]))
        for i in range(G):
            others = [j for j in range(G) if j != i]
            for k in range(G):
                w = math.factorial(k) * math.factorial(G - k - 1) / math.factorial(G)
                for S in itertools.combinations(others, k):
                    phi[i] += w * (v(x, S + (i,)) - v(x, S))
        values.append(phi)
    return np.stack(values)


@pytest.mark.parametrize("method", ["exact", "permutation", "kernel"])
def test_probability_units_are_additive(small, method):
    model, bg, X = small
    res = ShapExplainer(model, bg, method, output="probability", n_permutations=40).explain(X)
    assert res.units == "probability" and res.available_units == ["probability", "logit"]
    p = probabilities(model, X)
    np.testing.assert_allclose(res.model_output, p, atol=1e-6)
    np.testing.assert_allclose(res.base_values, probabilities(model, bg).mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(res.base_values + res.values.sum(axis=1), p, atol=1e-6)
    np.testing.assert_allclose(res.values.sum(axis=2), 0, atol=1e-6)  # probabilities sum to 1: effects to 0
    logit = res.in_units("logit")
    assert logit.units == "logit" and logit.in_units("probability").units == "probability"
    np.testing.assert_allclose(logit.base_values + logit.values.sum(axis=1), logit.model_output, atol=1e-5)
    assert res.additive and "OK" in res.additivity_message


def test_both_units_come_from_the_same_game(small):
    model, bg, X = small
    by_logit = ShapExplainer(model, bg, "exact").explain(X)
    by_prob = ShapExplainer(model, bg, "exact", output="probability").explain(X)
    np.testing.assert_allclose(by_prob.in_units("logit").values, by_logit.values, atol=1e-9)
    np.testing.assert_allclose(by_logit.in_units("probability").values, by_prob.values, atol=1e-9)
    with pytest.raises(HybridXAIError, match="output"):
        ShapExplainer(model, bg, "exact", output="odds")


def test_any_output_function(small):
    model, bg, X = small
    margin = lambda z: z[:, 0] - z[:, 1]  # noqa: E731 - a caller's own output: the margin of class 0 over 1
    res = ShapExplainer(model, bg, "exact", output=margin, class_names=["margin"]).explain(X)
    assert res.values.shape == (3, 6, 1) and res.units == "output" and res.alternate is None
    logits = ShapExplainer(model, bg, "exact").explain(X)
    np.testing.assert_allclose(res.values[:, :, 0], logits.values[:, :, 0] - logits.values[:, :, 1], atol=1e-9)


def test_group_shap_matches_the_brute_force_group_game(small):
    model, bg, X = small
    groups = [[0, 1], [2], [3, 4, 5]]
    res = ShapExplainer(model, bg, "exact", groups=groups, output="probability").explain(X)
    assert res.values.shape == (3, 3, 3) and res.feature_names == ["f1–f2", "f3", "f4–f6"]
    assert res.input_names == [f"f{i + 1}" for i in range(6)] and res.grouped
    ref = brute_force_groups(model, bg, X, groups, probabilities)
    np.testing.assert_allclose(res.values, ref, atol=1e-7)
    assert res.unit_value(0, 1) == pytest.approx(float(X[0, 2])) and res.unit_value(0, 0) is None


@pytest.mark.parametrize("method", ["exact", "permutation", "kernel"])
def test_group_shap_is_additive(small, method):
    model, bg, X = small
    groups = [[0, 3], [1, 4], [2, 5]]  # not contiguous: any partition works
    for output in ("logit", "probability"):
        res = ShapExplainer(model, bg, method, groups=groups, output=output, n_permutations=20).explain(X)
        np.testing.assert_allclose(res.base_values + res.values.sum(axis=1), res.model_output, atol=1e-6)
        assert res.additive


@pytest.mark.parametrize("method", ["exact", "permutation", "kernel", "gradient"])
def test_one_feature_per_group_equals_per_feature_shap(small, method):
    model, bg, X = small
    options = dict(n_permutations=20, gradient_samples=16, cache=False)
    plain = ShapExplainer(model, bg, method, output="probability", **options).explain(X)
    grouped = ShapExplainer(model, bg, method, output="probability", groups=[[i] for i in range(6)],
                            **options).explain(X)
    np.testing.assert_allclose(grouped.values, plain.values, atol=1e-6)
    assert grouped.feature_names == plain.feature_names


def test_groups_must_partition_the_features():
    check_groups([[0, 1], [2]], 3)
    with pytest.raises(HybridXAIError, match="feature 2 is in no group"):
        check_groups([[0, 1]], 3)
    with pytest.raises(HybridXAIError, match="two groups"):
        check_groups([[0, 1], [1, 2]], 3)
    with pytest.raises(HybridXAIError, match="outside"):
        check_groups([[0, 5]], 3)
    groups, names = segment_groups(2, 10, 3, ["accel", "gyro"])
    assert names == ["accel@0-2", "accel@3-6", "accel@7-9", "gyro@0-2", "gyro@3-6", "gyro@7-9"]
    assert [list(g) for g in groups[:2]] == [[0, 1, 2], [3, 4, 5, 6]] and list(groups[3]) == [10, 11, 12]
    check_groups(groups, 20)


def test_grouped_series_rows_explain_additively():
    """A 2-channel series of 12 steps explained over 3 segments per channel (exact over 6 groups)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=24, n_channels=2, n_classes=2, cnn_channels=4, lstm_hidden=4,
                                    lstm_layers=1, num_heads=2)).eval()
    rng = np.random.default_rng(0)
    groups, names = segment_groups(2, 12, 3, ["x", "y"])
    res = ShapExplainer(model, rng.normal(size=(8, 24)), "auto", groups=groups, group_names=names,
                        output="probability").explain(rng.normal(size=(2, 24)))
    assert res.method == "exact" and res.values.shape == (2, 6, 2) and res.feature_names == names
    assert res.additive


def test_maps_are_over_time_and_repeated_over_channels():
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=3 * 20, n_channels=3, n_classes=2, cnn_channels=4, lstm_hidden=4,
                                    lstm_layers=1, num_heads=2)).eval()
    X = np.random.default_rng(0).normal(size=(4, 60)).astype(np.float32)
    cam = GradCAM(model).attribute(X)
    assert cam.heatmap.shape == (4, 20) and cam.n_channels == 3
    per_feature = cam.per_feature()
    assert per_feature.shape == (4, 60)
    for c in range(3):  # channel-major: the same time map for every channel
        np.testing.assert_array_equal(per_feature[:, c * 20:(c + 1) * 20], cam.heatmap)
    att = AttentionExplainer(model).attribute(X)
    assert att.received_upsampled.shape == (4, 20) and att.per_feature().shape == (4, 60)
    assert att.spans[-1][1] == 20 and att.labels[0].startswith("steps 0–")


def fake_result(values, base, output, names, true=None) -> ShapResult:
    values = np.asarray(values, dtype=float)[None, :, :]  # (1, F, C)
    return ShapResult(values=values, base_values=np.asarray(base, float), model_output=np.asarray([output], float),
                      rows=np.array([12]), X=np.zeros((1, values.shape[1])),
                      X_raw=np.array([[23.1, 0.14, 30.2, 0.08, 20.0, 5.0]]), feature_names=names,
                      class_names=["benign", "malignant"], method="exact", background_size=50, additivity_gap=0.0,
                      additive=True, n_evaluations=1, seconds=0.0, predicted=np.array([1]),
                      true=None if true is None else np.array([true]), units="probability")


def test_summary_in_plain_words():
    names = ["worst radius", "mean concave points", "worst texture", "mean smoothness", "area error", "other"]
    phi_malignant = np.array([0.21, 0.12, 0.08, -0.04, -0.02, 0.17])
    values = np.stack([-phi_malignant, phi_malignant], axis=1)
    res = fake_result(values, [0.63, 0.37], [0.09, 0.91 - 0.37 + 0.37], names, true=1)
    s = summarise_row(res, 0)
    assert s.class_name == "malignant" and s.probability == pytest.approx(0.91)
    assert [c.name for c in s.towards] == ["worst radius", "other", "mean concave points"]
    assert [c.name for c in s.against] == ["mean smoothness", "area error"]
    assert s.text.startswith("Row 12: the model predicts malignant with probability 0.91 (the average prediction "
                             "over the background is 0.37).")
    assert "worst radius = 23.1 (+0.21)" in s.text and "mean smoothness = 0.08 (−0.04)" in s.text
    assert "The true class is malignant." in s.text and "logit" not in s.text
    other = summarise_row(res, 0, class_index=0)  # the other class: what pushed against malignant pushes for it
    assert other.class_name == "benign" and [c.name for c in other.towards] == ["mean smoothness", "area error"]


def test_probabilities_to_two_or_three_digits():
    assert format_probability(0.91234) == "0.91"
    assert format_probability(0.9951) == "0.995"
    assert format_probability(0.00432) == "0.004"
    assert format_probability(0.99999) == "> 0.999"
    assert format_probability(1.0) == "1.00" and format_probability(0.0) == "0.00"
    from hybridxai_gui.core.explain.shap_result import format_effect

    assert [format_effect(v) for v in (0.213, -0.04, 0.0042, -0.0004, 0.0)] == ["+0.21", "−0.04", "+0.004",
                                                                                 "−0.0004", "0"]


def test_files_and_figures_for_a_grouped_multichannel_run(tmp_path):
    """A 2-channel series explained over segments: every file and figure is written; the maps are over time."""
    from hybridxai_gui.core.config import TrainConfig
    from hybridxai_gui.core.data.prepare import Scaler
    from hybridxai_gui.core.explain.run import iter_explanation_run
    from hybridxai_gui.core.jobs import drain
    from hybridxai_gui.core.model.trained import TrainedModel
    from hybridxai_gui.outputs.explanations import write_explanation

    torch.manual_seed(0)
    cfg = ModelConfig(n_features=32, n_channels=2, n_classes=2, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                      num_heads=2)
    names = [f"{ch}_{t:02d}" for ch in ("accel", "gyro") for t in range(16)]
    trained = TrainedModel(model=build_model(cfg).eval(), model_config=cfg, train_config=TrainConfig(),
                           feature_names=names, class_names=["rest", "walk"], label_column="label",
                           scaler=Scaler(np.zeros(32), np.ones(32)))
    rng = np.random.default_rng(0)
    groups, group_names = segment_groups(2, 16, 4, ["accel", "gyro"])
    run = drain(iter_explanation_run(trained.model, rng.normal(size=(3, 32)), rng.normal(size=(20, 32)),
                                          feature_names=names, class_names=trained.class_names, kind="series",
                                          groups=groups, group_names=group_names))
    assert run.shap.feature_names == group_names and run.faithfulness.unit_word == "segment"
    assert run.gradcam.heatmap.shape == (3, 16) and "cannot say which channel" in run.faithfulness.views[
        "gradcam"].caveat
    assert "accel@0-3" in run.text() or "gyro@" in run.text()
    written = write_explanation(trained, run, tmp_path, figures="1", formats=("png",))
    names_written = {p.name for p in written}
    assert {"shap_values.csv", "faithfulness.csv", "summary.txt", "gradcam_row0.png", "comparison_row0.png",
            "faithfulness.png"} <= names_written
    header = (tmp_path / "shap_values.csv").read_text().splitlines()[0].split(",")
    assert header[4:] == group_names
