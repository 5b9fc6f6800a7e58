"""Explanation plots render onto a plain Figure for 2 and 3+ classes, 4 and 150 features; export works."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.core.explain import AttentionExplainer, GradCAM, ShapResult
from hybridxai_gui.core.model.network import build_model
from hybridxai_gui.plotting import explain_plots as ep
from hybridxai_gui.plotting.export import export_figure

torch.set_num_threads(1)
SAVE = os.environ.get("HYBRIDXAI_PLOT_DIR")  # set to look at the figures


def fake_result(n_features: int, n_classes: int, n_rows: int = 12, additive: bool = True) -> ShapResult:
    rng = np.random.default_rng(n_features * 10 + n_classes)
    scale = np.linspace(2.0, 0.05, n_features)
    values = rng.normal(size=(n_rows, n_features, n_classes)) * scale[None, :, None]
    base = rng.normal(size=n_classes)
    out = base + values.sum(axis=1) + (0 if additive else 0.3)
    X = rng.normal(size=(n_rows, n_features))
    gap = float(np.abs(base + values.sum(axis=1) - out).max())
    return ShapResult(
        values=values, base_values=base, model_output=out, rows=np.arange(n_rows) + 5, X=X, X_raw=X * 10 + 100,
        feature_names=[f"feature_with_long_name_{i}" if i % 7 == 3 else f"f{i + 1}" for i in range(n_features)],
        class_names=[f"class {c}" for c in range(n_classes)], method="permutation" if additive else "gradient",
        background_size=50, additivity_gap=gap, additive=gap <= 1e-4, n_evaluations=100, seconds=0.1,
        predicted=out.argmax(1), true=rng.integers(0, n_classes, n_rows))


def render(fig: Figure, name: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # layout + every artist, as a save would
    if SAVE:
        fig.savefig(os.path.join(SAVE, f"{name}.png"), dpi=90)


def new_fig(w=7.0, h=5.0) -> Figure:
    return Figure(figsize=(w, h), layout="constrained")


CASES = [(4, 2), (4, 3), (150, 2), (150, 5)]


@pytest.mark.parametrize("n_features,n_classes", CASES)
def test_shap_plots_render(n_features, n_classes):
    res = fake_result(n_features, n_classes)
    tag = f"{n_features}f{n_classes}c"
    fig = new_fig()
    ax = fig.add_subplot()
    ep.draw_shap_bar(ax, res)
    assert len(ax.get_legend().get_texts()) == n_classes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == res.class_names
    expected_lines = min(n_features, ep.TOP_K) + (1 if n_features > ep.TOP_K else 0)
    assert len(ax.get_yticks()) == expected_lines
    if n_features > ep.TOP_K:
        assert ax.get_yticklabels()[-1].get_text() == f"{n_features - ep.TOP_K} other features"
    render(fig, f"bar_{tag}")
    for c in sorted({0, n_classes - 1}):  # first and last class: the code path is the same for all
        fig = new_fig()
        ep.draw_beeswarm(fig.add_subplot(), res, c)
        render(fig, f"beeswarm_{tag}_{c}")
    fig = new_fig()
    ax = fig.add_subplot()
    ep.draw_waterfall(ax, res, row=1)
    assert len(ax.patches) == expected_lines
    texts = [t.get_text() for t in ax.texts]
    # the two ends named in words, not as f(x) and E[f(b)]
    assert any(t.startswith("this row's prediction: ") for t in texts)
    assert any(t.startswith("average prediction over the background: ") for t in texts)
    assert not any("f(x)" in t or "E[f" in t for t in texts)
    assert not any("nan" in t.lower() for t in texts)
    render(fig, f"waterfall_{tag}")
    fig = new_fig(9, 3.2)
    ep.draw_force(fig.add_subplot(), res, row=2, class_index=n_classes - 1)
    render(fig, f"force_{tag}")
    fig = new_fig()
    ep.draw_shap_heatmap(fig.add_subplot(), res)
    render(fig, f"heatmap_{tag}")


def test_additivity_text_shows_gap_and_failure():
    ok = fake_result(4, 2)
    assert "additive" in ep.additivity_text(ok) and "✓" in ep.additivity_text(ok)
    bad = fake_result(4, 2, additive=False)
    text = ep.additivity_text(bad)
    assert "NOT additive" in text and "0.3" in text and "approximation" in text
    fig = new_fig()
    ax = fig.add_subplot()
    ep.draw_waterfall(ax, bad, row=0)
    assert any("NOT additive" in t.get_text() and t.get_color() == ep.BAD_COLOR for t in ax.texts)


@pytest.fixture(scope="module", params=[(4, 2), (13, 3), (150, 4)], ids=lambda p: f"{p[0]}f{p[1]}c")
def model_case(request):
    n_features, n_classes = request.param
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=n_features, n_classes=n_classes, cnn_channels=4, lstm_hidden=4,
                                    num_heads=2)).eval()
    x = np.random.default_rng(0).normal(size=(2, n_features)).astype(np.float32)
    names = [f"f{i + 1}" for i in range(n_features)]
    return model, x, names


def test_gradcam_attention_comparison_render(model_case):
    model, x, names = model_case
    F = x.shape[1]
    cam = GradCAM(model).attribute(x)
    att = AttentionExplainer(model, names).attribute(x)
    fig = new_fig(8, 3)
    ax = fig.add_subplot()
    ep.draw_gradcam(ax, x[0], cam.heatmap[0], names, title=cam.message(0), no_evidence=bool(cam.no_evidence[0]))
    assert len(ax.get_xticklabels()) <= ep.MAX_TICKS + 1
    render(fig, f"gradcam_{F}")
    fig = new_fig(6, 5)
    ax = fig.add_subplot()
    ep.draw_attention(ax, att)
    assert [t.get_text() for t in ax.get_yticklabels()][0].startswith(("f1", "1–"))
    render(fig, f"attention_{F}")
    fig = new_fig(8, 3)
    ep.draw_received_attention(fig.add_subplot(), att, 0, names)
    render(fig, f"received_{F}")
    fig = new_fig(10, 7)
    shap_row = np.random.default_rng(1).normal(size=F)
    ep.comparison_figure(fig, x[0], shap_row, cam.heatmap[0], att.received_upsampled[0], names, "class 0")
    assert len(fig.axes) >= 5
    render(fig, f"comparison_{F}")


def test_gradcam_no_evidence_banner():
    fig = new_fig(8, 3)
    ax = fig.add_subplot()
    ep.draw_gradcam(ax, np.arange(6.0), np.zeros(6), None, no_evidence=True)
    assert any("no positive evidence" in t.get_text() for t in ax.texts)
    render(fig, "gradcam_no_evidence")


def test_rank_agreement_matrix():
    a = np.arange(10.0)
    names, mat = ep.rank_agreement({"a": a, "b": a ** 2, "c": -a, "flat": np.zeros(10)})
    assert names == ["a", "b", "c", "flat"]
    assert mat[0, 1] == pytest.approx(1.0) and mat[0, 2] == pytest.approx(-1.0)
    assert np.isnan(mat[0, 3]) and mat[3, 3] == 1.0
    fig = new_fig(4, 4)
    ep.draw_rank_agreement(fig.add_subplot(), {"a": a, "b": a[::-1], "flat": np.zeros(10)})
    render(fig, "rank")


@pytest.mark.parametrize("ext,magic", [(".png", b"\x89PNG"), (".eps", b"%!PS-Adobe"), (".pdf", b"%PDF"),
                                       (".svg", b"<svg")])
def test_export_formats(tmp_path, ext, magic):
    fig = new_fig(5, 4)
    ep.draw_shap_bar(fig.add_subplot(), fake_result(20, 3))
    path = export_figure(fig, tmp_path / f"sub/figure{ext.upper() if ext == '.png' else ext}", dpi=80)
    data = path.read_bytes()
    if ext == ".svg":
        assert magic in data[:2000]
    else:
        assert data.startswith(magic)


def test_export_unknown_extension(tmp_path):
    with pytest.raises(HybridXAIError, match=r"\.png"):
        export_figure(new_fig(), tmp_path / "figure.jpg")


def test_the_summed_rest_is_one_grey_bar_of_its_total():
    from matplotlib.colors import to_rgba

    res = fake_result(40, 3)
    ax = new_fig().add_subplot()
    ep.draw_shap_bar(ax, res, top_k=10)
    rest_y = min(p.get_y() for p in ax.patches)  # the lowest row
    rest_bars = [p for p in ax.patches if p.get_y() == rest_y]
    assert len(rest_bars) == 1 and rest_bars[0].get_facecolor() == to_rgba("0.72")
    imp = res.mean_abs()
    top = np.argsort(-imp.sum(axis=1))[:10]
    expected = imp[np.setdiff1d(np.arange(40), top)].sum()
    assert rest_bars[0].get_width() == pytest.approx(expected)


def test_values_are_written_as_a_person_reads_them():
    """One formatter for the plain-words summary and the figures: a four-digit year or count has no separator."""
    from hybridxai_gui.core.explain.summary import format_number

    assert [format_number(v) for v in (0, 0.0004, 0.35, 12.5, 230, 2009, 5850, 12345.6, -0.5)] == \
        ["0", "0.0004", "0.35", "12.5", "230", "2009", "5850", "12,346", "-0.50"]
    # whole numbers (a class, a count; read back from the network's scale with float error) as whole numbers
    assert [format_number(v) for v in (3.0, 2.9999999, 1.0000001, -2.0, 12.0, 1.5, 0.9999999)] == \
        ["3", "3", "1", "-2", "12", "1.50", "1"]
