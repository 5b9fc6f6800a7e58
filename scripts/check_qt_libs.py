"""Before `make run` opens the window: are Qt's system libraries there, and is there a screen?

The PySide6 wheel bundles Qt but not the X11/xcb, OpenGL, fontconfig, GLib and D-Bus libraries of
the system. On a fresh Debian/Ubuntu some of them are missing and Qt aborts with a message about its
"xcb" platform plugin that does not say what to install. This script runs `ldd` on the installed
PySide6's platform plugin and Qt libraries (found from the PySide6 folder, without importing
QtWidgets, since that import is one of the things that may fail), collects every library reported
"not found", adds libxcb-cursor (Qt loads it at run time, so older builds do not list it), and
prints ONE line naming the Debian/Ubuntu packages to install. Exit status 1 then, 0 when all is well.

Skipped (exit 0) off Linux and when QT_QPA_PLATFORM names a platform other than xcb or wayland
(offscreen, minimal, ...: no window system libraries needed). With neither DISPLAY nor
WAYLAND_DISPLAY set, it says there is no screen to open the window on and exits 1.

    .venv/bin/python scripts/check_qt_libs.py     # what the Makefile's `run` target does first

Only the standard library: it runs with the venv's python before anything of Qt is loaded.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from collections.abc import Callable, Iterable, Mapping

# Library soname -> the Debian/Ubuntu package that ships it (checked with `dpkg -S` and
# `apt-cache policy` on Debian 12; Ubuntu uses the same names, apt picks the t64 variants itself).
PACKAGES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXext.so.6": "libxext6",
    "libXrender.so.1": "libxrender1",
    "libXi.so.6": "libxi6",
    "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

# Inside the PySide6 folder: the platform plugin and the Qt libraries a widgets window loads.
COMMON = ("Qt/lib/libQt6Core.so.6", "Qt/lib/libQt6Gui.so.6", "Qt/lib/libQt6Widgets.so.6",
          "Qt/lib/libQt6DBus.so.6", "QtGui.abi3.so", "QtWidgets.abi3.so")
BINARIES = {
    "xcb": ("Qt/plugins/platforms/libqxcb.so", "Qt/lib/libQt6XcbQpa.so.6") + COMMON,
    "wayland": ("Qt/plugins/platforms/libqwayland.so", "Qt/lib/libQt6WaylandClient.so.6") + COMMON,
}
# Loaded with dlopen by the xcb plugin (Qt >= 6.5 will not start without it), so `ldd` may not
# list it.
DLOPENED = {"xcb": ("libxcb-cursor.so.0",), "wayland": ()}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def parse_ldd(text: str) -> list[str]:
    """The sonames `ldd` reports as "=> not found", in order, each once."""
    missing: list[str] = []
    for line in text.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in missing:
            missing.append(m.group(1))
    return missing


def run_ldd(path: str) -> str:
    """`ldd PATH`'s output; empty when ldd is not there or fails (the check is then best effort)."""
    try:
        return subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds SONAME the way Qt's dlopen would."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def pyside_dir() -> Path | None:
    """The installed PySide6 package folder, found without importing it (or any Qt module)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def platform_to_check(environ: Mapping[str, str]) -> str | None:
    """'xcb' or 'wayland': the platform plugin Qt will load; None when no window system is used."""
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        # "xcb", "wayland;xcb", "offscreen:fontengine=freetype", ...: Qt tries the first one first.
        name = requested.split(";")[0].split(":")[0].strip().lower()
        if name.startswith("wayland"):
            return "wayland"
        return "xcb" if name == "xcb" else None
    # Qt falls back to xcb on a Wayland desktop, and XWayland gives it a DISPLAY.
    if environ.get("DISPLAY"):
        return "xcb"
    if environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def missing_libraries(binaries: Iterable[str], platform: str,
                      ldd: Callable[[str], str] = run_ldd,
                      loadable: Callable[[str], bool] = can_load) -> list[str]:
    """Every soname that `ldd` cannot resolve for BINARIES, plus the dlopen'ed ones not loadable."""
    missing: list[str] = []
    for path in binaries:
        for soname in parse_ldd(ldd(path)):
            if soname not in missing:
                missing.append(soname)
    for soname in DLOPENED.get(platform, ()):
        if soname not in missing and not loadable(soname):
            missing.append(soname)
    return missing


def missing_message(missing: Iterable[str]) -> str:
    """The one line for the user: the packages to install, and any soname no package is known for."""
    packages: list[str] = []
    unknown: list[str] = []
    for soname in missing:
        package = PACKAGES.get(soname)
        if package is None:
            if soname not in unknown:
                unknown.append(soname)
        elif package not in packages:
            packages.append(package)
    line = "Qt needs system libraries that are missing:"
    if packages:
        line += " sudo apt-get install " + " ".join(sorted(packages))
    if unknown:
        line += ("; and " if packages else " ") + ", ".join(unknown) + \
            " (find the package with: apt-file search " + unknown[0] + ")"
    return line


def no_screen_message(reason: str) -> str:
    return (f"No screen to open the window on ({reason}): run it in a desktop session "
            "or with ssh -X, under a virtual screen (xvfb-run -a make run), or without a window "
            "(QT_QPA_PLATFORM=offscreen .venv/bin/hybridxai-gui --self-test).")


def check(environ: Mapping[str, str] = os.environ, system: str = sys.platform,
          package_dir: Path | None = None, ldd: Callable[[str], str] = run_ldd,
          loadable: Callable[[str], bool] = can_load, err=None) -> int:
    """0 when the window can open as far as can be told; else prints one line to ERR and returns 1."""
    err = err if err is not None else sys.stderr
    if not system.startswith("linux"):
        return 0
    platform = platform_to_check(environ)
    if platform is None:
        return 0
    if package_dir is None:
        package_dir = pyside_dir()
    binaries: list[str] = []
    if package_dir is not None:
        binaries = [str(package_dir / rel) for rel in BINARIES[platform]
                    if (package_dir / rel).exists()]
    missing = missing_libraries(binaries, platform, ldd=ldd, loadable=loadable)
    if missing:
        print(missing_message(missing), file=err)
        return 1
    variable = "DISPLAY" if platform == "xcb" else "WAYLAND_DISPLAY"
    if not environ.get(variable):
        print(no_screen_message(f"{variable} is not set" if environ.get("QT_QPA_PLATFORM")
                                else "neither DISPLAY nor WAYLAND_DISPLAY is set"), file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(check())
