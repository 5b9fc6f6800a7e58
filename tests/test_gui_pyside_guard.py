"""PySide6 6.12.0 on Python < 3.12 drops a reference to None / True / False on every void call or signal emit;
after enough calls (a few hundred epochs of live charts) Python aborts. The gui package raises those three counts
beyond reach on that one release only. Each case runs in a subprocess of its own: the guard rewrites reference
counts, which the test process must never see (the installed PySide6 is 6.11, so the guard is driven with a stated
version)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("PySide6")

CHECK = """
import sys
from hybridxai_gui.gui import SINGLETON_REFCOUNTS_GUARDED, _guard_singleton_refcounts
assert SINGLETON_REFCOUNTS_GUARDED is False  # the installed PySide6 is not the broken release
before = {{s: sys.getrefcount(s) for s in (None, True, False)}}
applied = _guard_singleton_refcounts({pyside}, {python})
after = {{s: sys.getrefcount(s) for s in (None, True, False)}}
raised = all(after[s] > 1 << 47 for s in after) and all(before[s] < 1 << 47 for s in before)
untouched = all(abs(after[s] - before[s]) < 1000 for s in after)
print(applied, raised, untouched)
"""


def _run(pyside, python) -> str:
    done = subprocess.run([sys.executable, "-c", CHECK.format(pyside=pyside, python=python)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal on 3.12+")
def test_the_guard_raises_the_counts_on_the_broken_release_only():
    assert _run((6, 12, 0), (3, 11)) == ["True", "True", "False"]


@pytest.mark.parametrize("pyside, python", [((6, 11, 3), (3, 11)), ((6, 12, 1), (3, 11)), ((6, 13, 0), (3, 11)),
                                            ((6, 12, 0), (3, 12))])
def test_the_guard_leaves_every_other_release_alone(pyside, python):
    assert _run(pyside, python) == ["False", "False", "True"]
