"""The GUI thread imports nothing heavy once the window shows: in a fresh process (nothing imported before the
app, as a user starts it), a journey through every tab imports torch, pandas, scikit-learn, matplotlib and
the core's modules in worker threads (or in the render process), never in the GUI thread. An import there
froze the window for as long as it took, and one that waited for a worker importing the same module froze it
for as long as the worker took."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "pandas", "sklearn", "scipy", "matplotlib", "shap", "captum", "numba", "llvmlite", "seaborn",
         "sympy", "PIL", "joblib"}
# the core modules a window may import at any time: settings, messages, and the stop/pause flags of training
LIGHT_CORE = {"hybridxai_gui.core.config", "hybridxai_gui.core.errors", "hybridxai_gui.core.training",
              "hybridxai_gui.core.training.events"}


def heavy(name: str) -> bool:
    return name.split(".")[0] in HEAVY or (name.startswith("hybridxai_gui.core.") and name not in LIGHT_CORE)


def test_heavy(tmp_path):
    assert heavy("torch._dynamo") and heavy("hybridxai_gui.core.explain.run") and heavy("pandas")
    assert not heavy("hybridxai_gui.core.training.events") and not heavy("hybridxai_gui.plotting.render")
    assert not heavy("json") and not heavy("hybridxai_gui.gui.wording")


def test_the_gui_thread_imports_nothing_heavy_after_the_window_shows(tiny_csv, tmp_path):
    out = tmp_path / "imports.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("gui_imports_probe.py")), str(tiny_csv),
                           str(out)], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=900)
    assert out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert not report["failures"], report["failures"]
    assert "hybridxai_gui.gui.render_service" not in report["modules"]  # imported with the app, before it shows
    offending = sorted({name for name in report["modules"] if heavy(name)})
    assert not offending, f"imported by the GUI thread after the window showed: {offending}"
