"""The files in resources/ and the lookup that finds them from any working directory."""

from __future__ import annotations

import configparser
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hybridxai_gui.core.errors import HybridXAIError
from hybridxai_gui.resources_path import (
    ICON_PNG_SIZES,
    demo_data_path,
    icon_path,
    resource_path,
)

REPO = Path(__file__).resolve().parent.parent


def test_demo_csv_parses_with_expected_shape():
    import pandas as pd

    path = demo_data_path()
    assert path.name == "demo_signals.csv" and path.is_file()
    assert path.stat().st_size < 200_000
    df = pd.read_csv(path)
    assert df.shape == (300, 49)
    assert list(df.columns[:48]) == [f"t{i:02d}" for i in range(48)]
    assert df.columns[-1] == "label"
    assert sorted(df["label"].unique()) == ["early fault", "late fault", "normal"]
    assert df["label"].value_counts().tolist() == [100, 100, 100]
    assert df.iloc[:, :48].notna().all().all()
    assert all(str(t) == "float64" for t in df.dtypes.iloc[:48])


def test_demo_csv_bursts_are_where_the_readme_says():
    """Fault rows vary more than normal rows exactly in their burst window (what Grad-CAM should find)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(demo_data_path())
    X = df.iloc[:, :48].to_numpy()
    normal_std = X[df["label"] == "normal"].std(axis=0)
    for label, window in (("early fault", range(8, 16)), ("late fault", range(32, 42))):
        ratio = X[df["label"] == label].std(axis=0) / normal_std
        loud = set(np.flatnonzero(ratio > 1.3))
        assert loud and loud <= set(window), (label, sorted(loud))


def test_demo_csv_is_reproducible(tmp_path):
    out = tmp_path / "demo.csv"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_demo_data.py"), str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == demo_data_path().read_bytes()


@pytest.mark.parametrize("size", ICON_PNG_SIZES)
def test_png_icons_are_valid_and_sized(size):
    from PIL import Image

    path = icon_path(size)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (size, size) and img.mode == "RGBA"
        # transparent corners (rounded square), opaque centre
        assert img.getpixel((0, 0))[3] == 0
        assert img.getpixel((size // 2, size // 2))[3] == 255


def test_svg_icon_is_valid_svg():
    root = ET.parse(icon_path()).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


def test_svg_icon_renders_with_qt():
    pytest.importorskip("PySide6.QtSvg")
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(icon_path()))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == 256


def test_ico_holds_all_sizes():
    from PIL import Image

    path = resource_path("hybridxai.ico")
    assert path.read_bytes()[:4] == b"\x00\x00\x01\x00"
    with Image.open(path) as img:
        assert img.format == "ICO"
        assert {(s, s) for s in ICON_PNG_SIZES} <= set(img.info["sizes"])


def test_desktop_entry_has_required_keys():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(resource_path("hybridxai.desktop"), encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "HybridXAI"
    assert entry["Exec"] == "HybridXAI %f"
    assert entry["Icon"] == "hybridxai"
    assert entry["Terminal"] == "false"
    categories = entry["Categories"].split(";")
    assert {"Science", "Education", "DataVisualization"} <= set(categories)
    assert entry["Categories"].endswith(";") and entry["MimeType"].endswith(";")
    assert "text/csv" in entry["MimeType"].split(";")


def test_missing_resource_is_a_clear_error():
    with pytest.raises(HybridXAIError, match="no_such_file.txt"):
        resource_path("no_such_file.txt")
    with pytest.raises(HybridXAIError):
        resource_path("../pyproject.toml")
    with pytest.raises(HybridXAIError, match="sizes"):
        icon_path(17)


def test_lookup_works_from_another_working_directory(tmp_path):
    code = (
        "from hybridxai_gui.resources_path import demo_data_path, icon_path\n"
        "p = demo_data_path(); i = icon_path(256)\n"
        "assert p.is_absolute() and p.is_file() and i.is_file(), (p, i)\n"
        "print(p)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    # An installed package is found as it is; a bare checkout needs the repo on the path.
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = Path(result.stdout.strip())
    assert found.read_bytes() == demo_data_path().read_bytes()
    assert tmp_path not in found.parents


def _launcher():
    import importlib.util

    spec = importlib.util.spec_from_file_location("hybridxai_launcher", REPO / "scripts" / "hybridxai_launcher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("environ, expected", [
    ({}, {"LC_CTYPE": "C.UTF-8"}),                                  # env -i, desktop launchers
    ({"LANG": "C"}, {"LANG": "C", "LC_CTYPE": "C.UTF-8"}),           # a non-UTF-8 locale
    ({"LC_ALL": "C"}, {"LC_ALL": "C.UTF-8"}),                        # LC_ALL overrides LC_CTYPE
    ({"LANG": "de_DE.UTF-8"}, {"LANG": "de_DE.UTF-8"}),              # the user's own: untouched
    ({"LC_ALL": "en_US.utf8"}, {"LC_ALL": "en_US.utf8"}),
])
def test_bundle_launcher_sets_a_utf8_ctype_only_when_missing(environ, expected):
    launcher = _launcher()
    env = dict(environ)
    launcher._ensure_utf8_locale(env, "linux")
    assert env == expected
    env = dict(environ)
    launcher._ensure_utf8_locale(env, "darwin")
    assert env == environ
