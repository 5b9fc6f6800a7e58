"""Entry script of the PyInstaller bundle (build.spec): `dist/HybridXAI/HybridXAI [--self-test | --demo | FILE.csv]`.

Kept tiny on purpose; all it adds to `hybridxai_gui.app.main` is what a double-clicked, frozen
program needs before anything else is imported:

- `multiprocessing.freeze_support()`, so a worker process started by joblib/loky (scikit-learn,
  shap) runs the worker instead of a second copy of the app;
- a UTF-8 character locale on Linux when the environment has none (desktop launchers and `env -i`
  often start programs without LANG): otherwise Qt warns on stderr and falls back to C.UTF-8
  anyway. Only the character type is set (LC_CTYPE), so number and date formats stay the user's.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _ensure_utf8_locale(environ=os.environ, platform: str = sys.platform) -> None:
    if not platform.startswith("linux"):
        return  # macOS apps get UTF-8 from the system; Windows does not use these variables
    effective = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or ""
    if "utf-8" in effective.lower() or "utf8" in effective.lower():
        return
    # LC_ALL overrides LC_CTYPE, so a non-UTF-8 LC_ALL (e.g. "C") has to be replaced itself.
    environ["LC_ALL" if environ.get("LC_ALL") else "LC_CTYPE"] = "C.UTF-8"


def main() -> int:
    multiprocessing.freeze_support()
    _ensure_utf8_locale()
    from hybridxai_gui.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
