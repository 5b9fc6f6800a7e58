"""What every figure shares: how text is drawn (names as typed, CJK glyphs), and for the explanation figures
colours, limits, additivity text and feature-name ticks.

Every figure is made by new_figure, which sets matplotlib's text up once per process (before any of our figures
has a Text); importing this module does too where matplotlib is already loaded, and otherwise loads no matplotlib
(the window imports the plotting modules at start-up, to name what its render process draws). Class, feature,
channel and file names are the user's data,
never markup, so mathtext is off (`$5-$10` is drawn as typed, `cost $\\x$` cannot fail at draw time), and the
font list falls back on a font with CJK glyphs where one is installed (the bundled Noto Sans CJK, else the
system's), instead of drawing empty boxes. Our figures draw no mathtext of their own (no log axes, whose tick
labels are mathtext). training_plots draws no names and stays free of matplotlib at import: the window imports it
at start-up.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

TOP_K = 15
MAX_TICKS = 25
POS_COLOR = "#d62728"  # pushes the output (probability or logit) up
NEG_COLOR = "#1f77b4"  # pushes it down
OK_COLOR = "#2ca02c"
BAD_COLOR = "#d62728"
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def additivity_text(result) -> str:
    """Short additivity line for plot titles: the largest gap and whether the check passed."""
    gap = result.additivity_gap
    if result.additive:
        return f"additive ✓ (largest gap {gap:.1e})"
    suffix = ", approximation" if result.method == "gradient" else ""
    return f"NOT additive ✗ (largest gap {gap:.2g}{suffix})"


def short_name(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def feature_ticks(ax, names: Sequence[str], max_ticks: int = MAX_TICKS, axis: str = "x") -> None:
    """Ticks at feature positions, thinned to at most max_ticks labels, rotated when many."""
    n = len(names)
    step = max(1, int(np.ceil(n / max_ticks)))
    pos = np.arange(0, n, step)
    labels = [short_name(names[i], 22) for i in pos]
    if axis == "x":
        ax.set_xticks(pos)
        rotate = n > 6 or max(len(s) for s in labels) > 6
        ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center",
                           rotation_mode="anchor", fontsize=7 if n > 12 else 8)
    else:
        ax.set_yticks(pos)
        ax.set_yticklabels(labels, fontsize=7 if n > 12 else 8)


def plain_axis(ax, values) -> None:
    """No '1e-5 + 3.33e-1' offset labels; say so when the values hardly vary (untrained attention)."""
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    values = np.asarray(values, dtype=float)
    if values.size and np.ptp(values) < 1e-3 * max(abs(float(values.mean())), 1e-12):
        mid = float(values.mean())
        ax.set_ylim(mid * 0.9, mid * 1.1 if mid > 0 else 1)
        ax.text(0.5, 0.85, f"nearly uniform ({mid:.3g})", transform=ax.transAxes, ha="center", fontsize=8,
                color="0.35")


# ---- text: names as typed, CJK glyphs from a font that has them -----------------------------------------------

# Families with CJK glyphs, best first: pan-CJK fonts (Chinese, Japanese and Korean in one), then the regional
# fonts that Windows, macOS and Linux distributions ship. The bundled Noto Sans CJK registers the Noto names.
CJK_FAMILIES = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans CJK HK",
    "Source Han Sans", "Source Han Sans SC", "Source Han Sans JP", "Source Han Sans K",
    "Arial Unicode MS", "Droid Sans Fallback", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimHei", "Noto Sans SC", "Noto Sans TC",
    "Yu Gothic", "Meiryo", "MS Gothic", "Hiragino Sans", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic",
    "Malgun Gothic", "Apple SD Gothic Neo", "NanumGothic", "Noto Sans KR", "UnDotum",
)
MAX_FALLBACKS = 4  # a Chinese, a Japanese and a Korean font and one more; each is one more font file kept open
BUNDLED_CJK = ("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc")  # (package, file): Noto Sans CJK, SIL OFL 1.1
_text_ready = False
_cjk_chosen: list[str] = []  # the CJK fallbacks setup_text() chose


def bundled_cjk_font() -> Path | None:
    """The bundled CJK font file, found without running the package's code (it only carries the file): where
    the package is installed, or in the double-click app's folder (build.spec copies the file there)."""
    package, name = BUNDLED_CJK
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if getattr(sys, "frozen", False):
        folders.append(str(Path(getattr(sys, "_MEIPASS", "")) / package))
    for folder in folders:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def cjk_fallbacks(fonts: Iterable[tuple[str, str]], preferred: Sequence[str] = CJK_FAMILIES,
                  limit: int = MAX_FALLBACKS) -> list[str]:
    """The families to fall back on for CJK glyphs, from the installed fonts' (family, file) pairs: the preferred
    families present, in preference order, one per font file (the faces of one collection add no glyph), at most
    `limit`."""
    files: dict[str, set[str]] = {}
    for family, path in fonts:
        files.setdefault(family, set()).add(str(path))
    chosen: list[str] = []
    used: set[str] = set()
    for family in preferred:
        if family in files and not files[family] <= used:
            chosen.append(family)
            used |= files[family]
            if len(chosen) == limit:
                break
    return chosen


def with_fallbacks(families: str | Sequence[str], fallbacks: Sequence[str]) -> list[str]:
    """A font family list: the given families, then the fallbacks (matplotlib draws each glyph with the first
    font in the list that has it)."""
    first = [families] if isinstance(families, str) else list(families)
    return first + [f for f in fallbacks if f not in first]


def text_families(family: str = "sans-serif") -> list[str]:
    """The family list for text drawn with an explicit family (the report's monospace tables): the family, then
    the CJK fallbacks."""
    setup_text()
    return with_fallbacks(family, _cjk_chosen)


def setup_text() -> None:
    """Once per process: mathtext off and the CJK fallbacks appended to the font list (see the module's doc)."""
    global _text_ready, _cjk_chosen
    if _text_ready:
        return
    import matplotlib
    from matplotlib import font_manager

    matplotlib.rcParams["text.parse_math"] = False
    bundled = bundled_cjk_font()
    if bundled is not None:
        try:
            font_manager.fontManager.addfont(bundled)
        except (OSError, RuntimeError, ValueError):  # an unreadable file: the system's fonts only
            pass
    _cjk_chosen = cjk_fallbacks((f.name, f.fname) for f in font_manager.fontManager.ttflist)
    matplotlib.rcParams["font.family"] = with_fallbacks(matplotlib.rcParams["font.family"], _cjk_chosen)
    if _cjk_chosen:
        logging.getLogger("matplotlib.font_manager").addFilter(_regular_fallback_is_fine)
    _text_ready = True


def _regular_fallback_is_fine(record: logging.LogRecord) -> bool:
    """Bold text looks its fallback font up in bold too; a CJK font with one weight then logs a warning per
    lookup ("Failed to find font weight bold for Noto Sans CJK JP, now using 400") that the command line would
    print: the regular weight is what was meant for the glyphs the main font lacks."""
    message = record.getMessage()
    return not (message.startswith("findfont: Failed to find font weight")
                and any(f"for {family}," in message for family in _cjk_chosen))


def new_figure(*args, **kwargs):
    """A matplotlib Figure, with the text set up first: every figure of the product is made here (the window's
    render process, the command line's outputs, the report), so none draws a name as mathtext or as boxes."""
    setup_text()
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


if "matplotlib" in sys.modules:  # already loaded: set up now, for figures made by hand (tests, scripts)
    setup_text()
