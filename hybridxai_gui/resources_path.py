"""Find the files shipped in resources/ (icon, desktop entry, demo CSV) from anywhere.

The same code runs in three layouts, tried in this order:

1. installed (wheel or editable): `importlib.resources.files("hybridxai_gui.resources")`; pyproject
   maps the repository's resources/ folder to that package;
2. the PyInstaller bundle: `sys._MEIPASS/hybridxai_gui/resources` (build.spec puts them there);
3. a plain checkout that was never installed: `<repo>/resources` next to the package folder.

None of them depends on the current working directory. A missing file is a `HybridXAIError` that
names the file and the places looked in.

Qt-free: the core, the command line and the GUI can all use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hybridxai_gui.core.errors import HybridXAIError

RESOURCE_PACKAGE = "hybridxai_gui.resources"
DEMO_DATA = "demo_signals.csv"
ICON_SVG = "hybridxai.svg"
ICON_PNG_SIZES = (16, 32, 48, 64, 128, 256)


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    try:
        from importlib.resources import files

        root = files(RESOURCE_PACKAGE)
        # Files are on disk in every layout we ship (wheel, editable, bundle, checkout), so a real
        # path exists; a zipped install would not have one, and is skipped.
        path = Path(str(root))
        if path.is_dir():
            dirs.append(path)
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass) / "hybridxai_gui" / "resources")
    dirs.append(Path(__file__).resolve().parent.parent / "resources")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def resource_path(name: str) -> Path:
    """Return the absolute path of the shipped resource file `name` (e.g. "hybridxai.svg").

    Raises HybridXAIError naming the file if it is in none of the places resources can be.
    """
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise HybridXAIError(f"{name!r} is not the name of a file in the app's resources")
    dirs = _candidate_dirs()
    for d in dirs:
        path = d / name
        if path.is_file():
            return path
    looked = ", ".join(str(d) for d in dirs)
    raise HybridXAIError(
        f"The app's resource file {name!r} is missing (looked in: {looked}); "
        "reinstall HybridXAI or download the app folder again."
    )


def demo_data_path() -> Path:
    """The bundled demo data set, resources/demo_signals.csv."""
    return resource_path(DEMO_DATA)


def icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG, or the PNG rendered at `size` pixels (one of ICON_PNG_SIZES)."""
    if size is None:
        return resource_path(ICON_SVG)
    if size not in ICON_PNG_SIZES:
        raise HybridXAIError(f"No {size}px icon; sizes shipped: {', '.join(map(str, ICON_PNG_SIZES))}")
    return resource_path(f"hybridxai-{size}.png")
