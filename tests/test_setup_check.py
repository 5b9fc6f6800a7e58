"""scripts/check_qt_libs.py, the check `make run` does before opening the window: fed canned `ldd`
output and a fake loader, so what this machine has installed does not matter."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "check_qt_libs.py"


def _load():
    spec = importlib.util.spec_from_file_location("check_qt_libs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chk = _load()

# `ldd libqxcb.so` on a Debian 12 without libxcb-icccm4 and libxcb-keysyms1 (abridged).
LDD_QXCB_MISSING = """\
\tlinux-vdso.so.1 (0x00007f57fad22000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f57fa800000)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f57fac8f000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f57fac87000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f57fa7d5000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f57fa400000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f57fad24000)
"""
LDD_ALL_FOUND = """\
\tlinux-vdso.so.1 (0x00007ffd5a3f2000)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f57fac8f000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f57fa400000)
"""

# Soname -> Debian/Ubuntu package, checked with `dpkg -S` / `apt-cache policy` on Debian 12.
EXPECTED_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxcb.so.1": "libxcb1",
    "libfreetype.so.6": "libfreetype6",
    "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
}

DESKTOP = {"DISPLAY": ":0"}


@pytest.fixture
def pyside(tmp_path):
    """A fake PySide6 folder holding (empty) files where the wheel keeps its Qt binaries."""
    for rel in set(chk.BINARIES["xcb"]) | set(chk.BINARIES["wayland"]):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    return tmp_path


class FakeLdd:
    """ldd(path): the canned output for the file's name, else everything found; records the calls."""

    def __init__(self, outputs=None):
        self.outputs = outputs or {}
        self.calls: list[str] = []

    def __call__(self, path):
        self.calls.append(path)
        return self.outputs.get(Path(path).name, LDD_ALL_FOUND)


def run_check(environ, pyside_dir, ldd, loadable=lambda soname: True, system="linux"):
    err = io.StringIO()
    rc = chk.check(environ=environ, system=system, package_dir=pyside_dir, ldd=ldd,
                   loadable=loadable, err=err)
    return rc, err.getvalue()


def test_parse_ldd_lists_each_missing_library_once():
    assert chk.parse_ldd(LDD_QXCB_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert chk.parse_ldd(LDD_ALL_FOUND) == []
    assert chk.parse_ldd("\tnot a dynamic executable\n") == []


def test_missing_plugin_libraries_give_one_line_with_the_packages(pyside):
    rc, out = run_check(DESKTOP, pyside, FakeLdd({"libqxcb.so": LDD_QXCB_MISSING}))
    assert rc == 1
    assert out == ("Qt needs system libraries that are missing: "
                   "sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n")


def test_a_library_missing_for_qtgui_is_not_swallowed(pyside):
    ldd = FakeLdd({"libQt6Gui.so.6": "\tlibEGL.so.1 => not found\n\tlibfontconfig.so.1 => not found\n",
                   "libQt6DBus.so.6": "\tlibdbus-1.so.3 => not found\n"})
    rc, out = run_check(DESKTOP, pyside, ldd)
    assert rc == 1
    assert out.strip().endswith("sudo apt-get install libdbus-1-3 libegl1 libfontconfig1")
    assert out.count("\n") == 1


def test_the_plugin_and_qt_libraries_are_what_ldd_is_run_on(pyside):
    ldd = FakeLdd()
    assert run_check(DESKTOP, pyside, ldd) == (0, "")
    names = {Path(p).name for p in ldd.calls}
    assert {"libqxcb.so", "libQt6XcbQpa.so.6", "libQt6Gui.so.6", "libQt6Widgets.so.6"} <= names
    assert all(Path(p).is_relative_to(pyside) for p in ldd.calls)


@pytest.mark.parametrize("soname, package", sorted(EXPECTED_PACKAGES.items()))
def test_each_soname_maps_to_its_debian_package(soname, package, pyside):
    rc, out = run_check(DESKTOP, pyside, FakeLdd({"libqxcb.so": f"\t{soname} => not found\n"}))
    assert rc == 1
    assert out == f"Qt needs system libraries that are missing: sudo apt-get install {package}\n"


def test_xcb_cursor_is_checked_even_when_ldd_does_not_list_it(pyside):
    tried = []

    def loadable(soname):
        tried.append(soname)
        return soname != "libxcb-cursor.so.0"

    rc, out = run_check(DESKTOP, pyside, FakeLdd(), loadable=loadable)
    assert tried == ["libxcb-cursor.so.0"]
    assert rc == 1
    assert out == "Qt needs system libraries that are missing: sudo apt-get install libxcb-cursor0\n"


def test_xcb_cursor_reported_by_both_ldd_and_the_loader_is_named_once(pyside):
    ldd = FakeLdd({"libqxcb.so": "\tlibxcb-cursor.so.0 => not found\n"})
    rc, out = run_check(DESKTOP, pyside, ldd, loadable=lambda soname: False)
    assert out.count("libxcb-cursor0") == 1


def test_an_unknown_missing_library_is_still_named(pyside):
    ldd = FakeLdd({"libqxcb.so": "\tlibfoo-bar.so.7 => not found\n\tlibxcb-shape.so.0 => not found\n"})
    rc, out = run_check(DESKTOP, pyside, ldd)
    assert rc == 1
    assert out.count("\n") == 1
    assert "sudo apt-get install libxcb-shape0" in out
    assert "libfoo-bar.so.7" in out
    rc, out = run_check(DESKTOP, pyside, FakeLdd({"libqxcb.so": "\tlibfoo-bar.so.7 => not found\n"}))
    assert rc == 1 and "libfoo-bar.so.7" in out and "apt-get install" not in out.split("(")[0]


def test_nothing_missing_with_a_screen_returns_0_silently(pyside):
    assert run_check(DESKTOP, pyside, FakeLdd()) == (0, "")
    assert run_check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, pyside, FakeLdd()) == (0, "")


@pytest.mark.parametrize("environ", [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "minimal"},
                                     {"QT_QPA_PLATFORM": "offscreen:fontengine=freetype"}])
def test_skipped_without_a_window_system(environ, pyside):
    ldd = FakeLdd({"libqxcb.so": LDD_QXCB_MISSING})
    assert run_check(environ, pyside, ldd, loadable=lambda soname: False) == (0, "")
    assert ldd.calls == []


def test_skipped_off_linux(pyside):
    ldd = FakeLdd({"libqxcb.so": LDD_QXCB_MISSING})
    for system in ("win32", "darwin"):
        assert run_check({}, pyside, ldd, loadable=lambda soname: False, system=system) == (0, "")
    assert ldd.calls == []


def test_no_screen_is_one_clear_line(pyside):
    rc, out = run_check({}, pyside, FakeLdd())
    assert rc == 1
    assert out.count("\n") == 1
    assert out.startswith("No screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)")
    assert "xvfb-run" in out and "QT_QPA_PLATFORM=offscreen" in out
    rc, out = run_check({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, pyside, FakeLdd())
    assert rc == 1 and "(DISPLAY is not set)" in out


def test_missing_libraries_are_reported_before_the_missing_screen(pyside):
    rc, out = run_check({}, pyside, FakeLdd({"libqxcb.so": LDD_QXCB_MISSING}))
    assert rc == 1
    assert out == ("Qt needs system libraries that are missing: "
                   "sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n")


def test_a_wayland_only_session_checks_the_wayland_plugin(pyside):
    ldd = FakeLdd({"libqwayland.so": "\tlibwayland-cursor.so.0 => not found\n"})
    rc, out = run_check({"WAYLAND_DISPLAY": "wayland-0"}, pyside, ldd)
    assert out == "Qt needs system libraries that are missing: sudo apt-get install libwayland-cursor0\n"
    assert "libqxcb.so" not in {Path(p).name for p in ldd.calls}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the wheel's layout on Linux")
def test_finds_the_installed_plugin_without_importing_qt_widgets():
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('c', sys.argv[1]); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); d = m.pyside_dir(); "
            "assert (d / m.BINARIES['xcb'][0]).is_file(), d; "
            "assert all((d / rel).is_file() for rel in m.BINARIES['xcb']), d; "
            "assert not [n for n in sys.modules if n.startswith('PySide6')], sys.modules.keys()")
    subprocess.run([sys.executable, "-c", code, str(SCRIPT)], check=True, timeout=60)


def test_make_run_checks_first_and_make_test_does_not():
    makefile = (REPO / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    test = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert run.index("scripts/check_qt_libs.py") < run.index("hybridxai-gui --demo")
    assert "check_qt_libs" not in test
