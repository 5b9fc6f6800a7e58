"""PySide6 6.12.0 on Python < 3.12 drops a reference to None / True / False on every void call or
signal emit; after enough calls (a few hundred epochs of live charts) Python aborts. The gui package
raises those three counts beyond reach when it finds that PySide6; this checks the decision and the effect
(the installed PySide6 is 6.11, which does not have the bug, so the guard is driven with a stated version)."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("PySide6")

from hybridxai_gui.gui import _guard_singleton_refcounts  # noqa: E402

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal on 3.12+")


def test_guard_is_left_off_where_the_bug_is_absent():
    before = {s: sys.getrefcount(s) for s in (None, True, False)}
    assert _guard_singleton_refcounts((6, 11, 3), (3, 11)) is False
    assert _guard_singleton_refcounts((6, 12, 0), (3, 12)) is False  # immortal singletons on 3.12
    for s in (None, True, False):
        assert abs(sys.getrefcount(s) - before[s]) < 1000


def test_guard_raises_the_counts_beyond_any_run_for_pyside_6_12():
    applied = _guard_singleton_refcounts((6, 12, 0), (3, 11))
    counts = {s: sys.getrefcount(s) for s in (None, True, False)}
    # Applied now, or already by an earlier call (the package guards at import on an affected PySide6):
    # either way no count can be exhausted by the ~5,000 lost references a long session costs.
    assert applied or all(c > 1 << 47 for c in counts.values())
    assert all(c > 1 << 47 for c in counts.values()), counts
