"""The desktop app: PySide6 + pyqtgraph widgets over the Qt-free core (the only package importing Qt)."""

from __future__ import annotations

import sys

# The one PySide6 release measured to drop references to None, True and False (pyproject.toml excludes it; a user
# who installs it anyway still gets a window that does not abort after a few hundred epochs of live charts).
BROKEN_PYSIDE = (6, 12, 0)


def _guard_singleton_refcounts(pyside_version: tuple[int, ...] | None = None,
                               python_version: tuple[int, ...] | None = None) -> bool:
    """Work around PySide6 6.12.0 on Python < 3.12: it returns None, True and False without taking
    the reference it hands over (measured: 1000 x QWidget.update() -> None's count -1000; 1000 x
    signal.emit() -> True's count -1000). After a few hundred training epochs of live charts a count
    reaches zero and Python aborts ("none_dealloc: deallocating None", "bool_dealloc"). PySide6 6.11.3
    does not do this, and Python 3.12+ is immune because these objects are immortal there (PEP 683).
    Only on that release, we give the three a reference count no run can exhaust, which is what 3.12 does by
    design. Returns True if the guard was applied (the versions default to the running ones; tests pass others,
    in a subprocess of their own).
    """
    if tuple(python_version or sys.version_info)[:2] >= (3, 12) or not hasattr(sys, "getrefcount"):
        return False
    if pyside_version is None:
        try:
            from PySide6 import __version_info__ as pyside_version
        except ImportError:
            return False
    if tuple(pyside_version[:3]) != BROKEN_PYSIDE:
        return False
    import ctypes

    applied = False
    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt comes first (non-debug builds)
        if count.value in (sys.getrefcount(singleton) - 1, sys.getrefcount(singleton)) and count.value < 1 << 47:
            count.value += 1 << 48
            applied = True
    return applied


SINGLETON_REFCOUNTS_GUARDED = _guard_singleton_refcounts()
