"""The PyInstaller bundle (build.spec, `make app`) passes its self-test as a new user would run it.

Skipped unless dist/HybridXAI/HybridXAI exists: building it takes minutes, so the ordinary test
run (.ci/run) does not. Runs exactly what docs/PACKAGING.md promises: from a foreign folder, with
an empty environment apart from PATH, HOME and QT_QPA_PLATFORM=offscreen (no LANG, no
PYTHONPATH, no virtual environment).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dist" / "HybridXAI" / ("HybridXAI.exe" if sys.platform.startswith("win") else "HybridXAI")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not APP.exists(), reason=f"no bundle at {APP}; build it with `make app`"),
]


def test_bundle_self_test_from_foreign_folder_with_empty_environment(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin" if os.name == "posix" else os.environ.get("PATH", ""),
        "HOME": str(Path.home()),
        "QT_QPA_PLATFORM": "offscreen",
    }
    if os.name == "nt":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", r"C:\Windows")
    result = subprocess.run([str(APP), "--self-test"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "passed" in output
    # The launcher set a UTF-8 locale, so Qt did not complain about the missing one.
    assert "not UTF-8" not in output and "falling back" not in output.lower(), output[-4000:]
