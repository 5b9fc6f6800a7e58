"""Names in figures are shown as typed (issue 22.10): a class, feature, channel or file name is the user's data,
never mathtext (`$5-$10` is drawn with its dollars, `cost $\\x$` cannot fail at draw time), and CJK names are drawn
with real glyphs where a font has them (the bundled Noto Sans CJK); every figure family is drawn with such names.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from hybridxai_gui.plotting import _common
from hybridxai_gui.plotting import evaluation_plots as evp
from hybridxai_gui.plotting import explain_plots as ep
from hybridxai_gui.plotting.crossval_plots import draw_model_spread
from hybridxai_gui.plotting.data_plots import draw_class_profile
from hybridxai_gui.plotting.row_figures import draw_shap_view
from hybridxai_gui.plotting.series_plots import draw_series_explanation

from test_explain_plots import fake_result

torch.set_num_threads(1)
DOLLARS = ["$5-$10", "cost $\\x$"]  # mathtext would draw "5-10" and fail on the unknown symbol \x
CJK = ["猫类", "한국어"]
NAMES = DOLLARS + CJK
SAVE = os.environ.get("HYBRIDXAI_PLOT_DIR")  # set to look at the figures
_saved = itertools.count()


def has_cjk_font() -> bool:
    """A font with CJK glyphs is here: the bundled one (a dependency) or a system CJK font."""
    from matplotlib import font_manager

    return (importlib.util.find_spec("noto_cjk_sans_otc") is not None
            or any("CJK" in f.name or f.name in _SYSTEM_CJK for f in font_manager.fontManager.ttflist))


_SYSTEM_CJK = {"Microsoft YaHei", "SimHei", "Yu Gothic", "Meiryo", "MS Gothic", "Malgun Gothic", "PingFang SC",
               "Hiragino Sans", "Apple SD Gothic Neo", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback"}


def drawn(fig: Figure, names=NAMES) -> list[str]:
    """Render the figure as a save would; check every name is shown as typed; the glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    if SAVE:
        fig.savefig(os.path.join(SAVE, f"names_{next(_saved):02d}.png"), dpi=80)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    shown = "\n".join(t.get_text() for t in texts)
    for name in names:
        assert name in shown, (name, shown)
    for t in texts:
        if "$" in t.get_text():
            assert not t.get_parse_math(), t.get_text()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def expect_glyphs(missing: list[str]) -> None:
    if has_cjk_font():
        assert not missing, missing


def figure(w=7.0, h=5.0) -> Figure:
    return Figure(figsize=(w, h), layout="constrained")


def named_result(n_classes: int = 4):
    result = fake_result(4, n_classes)
    result.feature_names = list(NAMES)
    result.class_names = list(NAMES[:n_classes])
    return result


# ---- each figure family --------------------------------------------------------------------------------------


def test_evaluation_figures_show_class_names_as_typed():
    from hybridxai_gui.core.evaluation.metrics import precision_recall

    fig = figure()
    evp.draw_confusion_matrix(fig.add_subplot(), np.arange(16).reshape(4, 4), NAMES)
    expect_glyphs(drawn(fig))
    fig = figure()
    curve = (np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0]))
    evp.draw_roc_curves(fig.add_subplot(), {n: curve for n in NAMES}, {n: 0.9 for n in NAMES})
    expect_glyphs(drawn(fig))
    fig = figure()
    evp.draw_class_distribution(fig.add_subplot(), {n: 5 for n in NAMES}, title=f"rows per class in '{NAMES[1]}'")
    expect_glyphs(drawn(fig))
    fig = figure()
    pr = precision_recall(np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.9, 0.6, 0.4, 0.8]))
    evp.draw_precision_recall(fig.add_subplot(), pr, positive_name=NAMES[1])
    drawn(fig, [NAMES[1]])


def test_the_cross_validation_spread_shows_model_names_as_typed():
    fig = figure()
    draw_model_spread(fig.add_subplot(), {n: [0.8, 0.9] for n in NAMES}, labels={n: n for n in NAMES})
    expect_glyphs(drawn(fig))


def test_data_figures_show_class_channel_and_feature_names_as_typed():
    from hybridxai_gui.core.data.class_profile import class_profile
    from hybridxai_gui.core.data.layout import detect_layout

    rng = np.random.default_rng(0)
    rows = [{"id": s, "t": t, NAMES[0]: rng.normal(), NAMES[2]: rng.normal(), "label": NAMES[s % 4]}
            for s in range(8) for t in range(6)]
    long = pd.DataFrame(rows)
    detected = detect_layout(long, "label", layout="long", id_column="id", time_column="t")
    fig = figure()
    draw_class_profile(fig, class_profile(long, detected, "label"))
    expect_glyphs(drawn(fig))
    table = pd.DataFrame({n: rng.normal(size=20) for n in NAMES} | {"label": [NAMES[i % 4] for i in range(20)]})
    fig = figure()
    draw_class_profile(fig, class_profile(table, detect_layout(table, "label"), "label"))
    expect_glyphs(drawn(fig))


@pytest.mark.parametrize("draw", ["bar", "beeswarm", "waterfall", "force", "heatmap"])
def test_shap_figures_show_feature_and_class_names_as_typed(draw):
    result = named_result()
    fig = figure()
    ax = fig.add_subplot()
    {"bar": lambda: ep.draw_shap_bar(ax, result), "beeswarm": lambda: ep.draw_beeswarm(ax, result, 1),
     "waterfall": lambda: ep.draw_waterfall(ax, result, row=0, class_index=1),
     "force": lambda: ep.draw_force(ax, result, row=0, class_index=1),
     "heatmap": lambda: ep.draw_shap_heatmap(ax, result, class_index=1)}[draw]()
    expect_glyphs(drawn(fig, NAMES if draw != "force" else [NAMES[1]]))


def test_map_figures_and_the_one_row_views_show_names_as_typed():
    from hybridxai_gui.core.config import ModelConfig
    from hybridxai_gui.core.explain import AttentionExplainer, GradCAM, ShapExplainer
    from hybridxai_gui.core.explain.rows import row_views
    from hybridxai_gui.core.model.network import build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=4, n_classes=4, cnn_channels=4, lstm_hidden=4, num_heads=2)).eval()
    x = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    cam = GradCAM(model).attribute(x)
    att = AttentionExplainer(model, NAMES).attribute(x)
    fig = figure(8, 3)
    ep.draw_gradcam(fig.add_subplot(), x[0], cam.heatmap[0], NAMES, title=f"class {NAMES[3]}")
    expect_glyphs(drawn(fig))
    fig = figure(8, 3)
    ep.draw_received_attention(fig.add_subplot(), att, 0, NAMES)
    expect_glyphs(drawn(fig))
    fig = figure(10, 7)
    ep.comparison_figure(fig, x[0], np.arange(4.0), cam.heatmap[0], att.received_upsampled[0], NAMES, NAMES[1])
    expect_glyphs(drawn(fig))
    fig = figure(4, 4)
    ep.draw_rank_agreement(fig.add_subplot(), {n: np.arange(5.0) * (i + 1) for i, n in enumerate(NAMES)})
    expect_glyphs(drawn(fig))
    result = ShapExplainer(model, x, "exact", feature_names=NAMES, class_names=NAMES).explain(x, rows=[3, 5])
    views = row_views(model, x[:1], None, NAMES, NAMES)
    for view in ("waterfall", "comparison"):
        fig = Figure(figsize=(8, 6))
        draw_shap_view(fig, result, view, 1, 0, x[:1], 3, views)
        expect_glyphs(drawn(fig, [NAMES[1]]))


def test_the_series_figure_shows_channel_and_class_names_as_typed():
    from hybridxai_gui.core.explain.groups import segment_groups

    groups, _ = segment_groups(4, 8, 2, NAMES)
    fig = Figure(figsize=(8, 8), layout="constrained")
    draw_series_explanation(fig, np.random.default_rng(0).normal(size=(4, 8)), np.arange(8.0), groups, NAMES,
                            np.linspace(0, 1, 8), np.linspace(1, 0, 8), class_name=NAMES[1])
    expect_glyphs(drawn(fig))


def test_the_pdf_report_writes_names_as_typed(tmp_path, caplog):
    from hybridxai_gui.plotting.report import Document, Paragraph, Table
    from hybridxai_gui.plotting.report_render import render_pdf

    document = Document(f"Report on {NAMES[0]}", "names", [
        Paragraph(f"Classes {', '.join(NAMES)}."),
        Table(["class", "rows"], [[n, "3"] for n in NAMES], f"Rows per class of {NAMES[2]}")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open(tmp_path / "r.pdf", "wb") as fh:
            render_pdf(document, fh)  # mathtext would raise on `cost $\x$` here
    data = (tmp_path / "r.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    expect_glyphs([str(w.message) for w in caught if "missing from font" in str(w.message)])
    if _common.bundled_cjk_font() is not None:
        assert b"NotoSansCJK" in data  # the CJK glyphs came from the bundled font
    # bold headings with a CJK fallback of one weight: nothing for the command line to print
    assert not [r for r in caplog.records if "Failed to find font weight" in r.getMessage()]


# ---- the CJK font, and the choice of fallbacks -----------------------------------------------------------------


def test_a_cjk_name_is_drawn_with_real_glyphs():
    if not has_cjk_font():
        pytest.skip("no font with CJK glyphs here: install the project's dependencies (noto-cjk-sans-otc)")
    fig = figure(3, 1)
    fig.text(0.1, 0.5, "猫类 한국어 ひらがな")
    assert not drawn(fig, ["猫类 한국어 ひらがな"])

    def pixels(character: str) -> np.ndarray:
        fig = Figure(figsize=(0.6, 0.6), dpi=100)
        fig.text(0.5, 0.5, character, ha="center", va="center", fontsize=24)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., 0].copy()

    # As the eye sees it: a font without the glyphs draws the same empty box for every character
    drawings = [pixels(c) for c in "猫类한ひ"]
    assert all((drawings[i] < 128).sum() > 20 for i in range(4))
    assert all(not np.array_equal(drawings[i], drawings[j]) for i in range(4) for j in range(i + 1, 4))


def test_the_bundled_font_is_found_and_used_first():
    path = _common.bundled_cjk_font()
    if path is None:
        pytest.skip("noto-cjk-sans-otc (a dependency) is not installed in this environment")
    assert path.name == "NotoSansCJK-Regular.ttc" and path.stat().st_size > 10_000_000
    assert _common.text_families("monospace")[:2] == ["monospace", "Noto Sans CJK JP"]


@pytest.mark.parametrize("installed, chosen", [
    ([("DejaVu Sans", "/f/dejavu.ttf")], []),  # no CJK font at all: nothing to fall back on
    ([("DejaVu Sans", "d.ttf"), ("Malgun Gothic", "malgun.ttf"), ("Yu Gothic", "yu.ttc"),
      ("Microsoft YaHei", "msyh.ttc"), ("Meiryo", "meiryo.ttc"), ("MS Gothic", "msgothic.ttc")],
     ["Microsoft YaHei", "Yu Gothic", "Meiryo", "MS Gothic"]),  # Windows: best first, at most four
    ([("Noto Sans CJK KR", "cjk.ttc"), ("Noto Sans CJK JP", "cjk.ttc"), ("Noto Sans CJK SC", "cjk.ttc"),
      ("WenQuanYi Zen Hei", "wqy.ttc")], ["Noto Sans CJK JP", "WenQuanYi Zen Hei"]),  # one face per file
    ([("PingFang SC", "p.ttc"), ("Hiragino Sans", "h.ttc"), ("Apple SD Gothic Neo", "a.ttc")],
     ["PingFang SC", "Hiragino Sans", "Apple SD Gothic Neo"]),  # macOS
])
def test_the_fallbacks_are_the_preferred_cjk_fonts_installed(installed, chosen):
    assert _common.cjk_fallbacks(installed) == chosen
    assert _common.with_fallbacks(["sans-serif"], chosen) == ["sans-serif", *chosen]
    assert _common.with_fallbacks("monospace", chosen + ["monospace"]) == ["monospace", *chosen]


def test_every_figure_is_made_with_the_text_set_up():
    """A figure made without _common.new_figure would draw names as mathtext until another module happened to set
    the text up: no module of the package makes a Figure any other way."""
    package = Path(_common.__file__).parents[1]
    for path in sorted(package.rglob("*.py")):
        if path.name == "_common.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "matplotlib.figure":
                assert all(a.name != "Figure" for a in node.names), f"{path.name} makes a Figure of its own"


def test_a_new_figure_sets_the_text_up_in_a_fresh_process():
    """The window loads the plotting modules without matplotlib; its first figure still draws names as typed."""
    import subprocess
    import sys

    code = ("import sys; from hybridxai_gui.plotting import _common, evaluation_plots;"
            "print('LOADED', 'matplotlib' in sys.modules);"
            "fig = _common.new_figure(); import matplotlib; print('MATH', matplotlib.rcParams['text.parse_math'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LOADED False" in out.stdout and "MATH False" in out.stdout, out.stdout
