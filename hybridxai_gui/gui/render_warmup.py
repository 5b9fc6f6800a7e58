"""What the render process runs besides drawing: its start (it ends with the app; then the imports the first
figures need) and, when figures of a trained model are coming, the imports those need. No Qt: the process
imports this module to run it, and needs no Qt to draw."""

from __future__ import annotations

import multiprocessing
import os
import threading


def first() -> None:
    """The render process's initializer: it ends with the app (see exit_with_parent), then imports what the Data
    tab's plots need."""
    exit_with_parent()
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    from ..core import pipeline  # noqa: F401  (the data classes a Data tab plot carries)
    from ..plotting import data_plots, evaluation_plots, render  # noqa: F401


def later() -> None:
    """Figures of a trained model: their data classes import torch and the explainers when unpickled."""
    import matplotlib.backends.backend_pdf  # noqa: F401
    import matplotlib.backends.backend_ps  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401

    from ..core import explain  # noqa: F401
    from ..core.evaluation import calibration, metrics  # noqa: F401
    from ..plotting import (explain_plots, export, faithfulness_plots, report, row_figures,  # noqa: F401
                            training_plots)


def exit_with_parent() -> None:
    """End this render process as soon as the app's process is gone, however it ended. A pool's worker waits
    for jobs on a pipe it also holds open itself, so it never sees the app go (os._exit, a crash, a kill): it
    stayed alive, holding the app's stdout open for whoever read it."""
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
