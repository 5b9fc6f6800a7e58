"""What the main window loads late: the heavy imports, and figure writing."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)
FIGURE_SUFFIXES = (".png", ".eps", ".pdf", ".svg")


def warm_up_imports() -> list[tuple[str, str]]:
    """Runs in a worker right after the window shows: the heavy imports, then the device list.

    torch._dynamo is imported here because building the optimizer imports it otherwise, in the
    training worker, and its ~1 s import under the GIL showed as a ~200 ms freeze of the live charts.
    Doing it now, in the background while the user opens a file, keeps it out of training; doing it in
    the GUI thread instead would freeze the fresh window for the whole import (~2 s with torch).
    The same holds for scikit-learn's metrics: the core imports them only when it evaluates, which the
    training worker did at its end, freezing the window for 170-240 ms (the import holds the GIL in long
    C calls). The data split is numpy's own and needs no scikit-learn.
    """
    from ..core import pipeline  # noqa: F401  (pandas: what opening a file needs first)

    import matplotlib.backends.backend_qtagg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import torch
    import torch._dynamo  # noqa: F401

    import sklearn.metrics  # noqa: F401  (core.evaluation, after training)

    from ..core.evaluation import metrics  # noqa: F401
    from ..core.pipeline import available_devices
    from ..plotting import evaluation_plots  # noqa: F401

    # What the tabs import when a model is trained or a row explained, and the baselines beside it: imported
    # there, in the GUI thread (or in a worker holding the import lock the GUI thread then waits on), they
    # showed as 45-55 ms stalls after training.
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.neighbors  # noqa: F401

    from ..core import explain  # noqa: F401
    from ..core.explain import rows  # noqa: F401
    from ..plotting import explain_plots, faithfulness_plots, map_plots, row_figures, series_plots  # noqa: F401

    del torch
    return available_devices()


def write_figure(figure, path: str, dpi: int) -> None:
    """Write a matplotlib figure; the format follows the extension (png, eps, pdf, svg)."""
    from ..core.errors import HybridXAIError

    if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
        raise HybridXAIError(f"Cannot export '{Path(path).name}': use a name ending in .png, .eps, .pdf or .svg.")
    from ..plotting.export import export_figure

    export_figure(figure, path, dpi=dpi)
