"""What the main window loads late: the heavy imports, and figure writing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
FIGURE_SUFFIXES = (".png", ".eps", ".pdf", ".svg")
# Native libraries loaded before their package is imported (see preload_native_libraries): the package's own
# folder of shared libraries, and the file names (glob) to load, biggest first.
NATIVE_LIBRARIES = {"torch": ("lib", ("libc10.*", "libtorch_cpu.*", "libtorch.*", "*.dylib")),
                    "scipy": ("../scipy.libs", ("*.so*",)),  # scikit-learn's metrics import scipy
                    "sklearn": ("../scikit_learn.libs", ("*.so*",)),
                    "PIL": ("../pillow.libs", ("*.so*", "*.dylib"))}  # captum imports matplotlib, which imports PIL


def preload_native_libraries(package: str, folder: str, patterns: tuple[str, ...]) -> list[str]:
    """Load a package's plain native libraries (never its Python extension modules) with the interpreter free
    for other threads meanwhile; returns the files loaded.

    Why: `import torch` loads libtorch_cpu (hundreds of MB: relocations and static constructors) from inside
    the import, holding the interpreter throughout: a worker importing torch stopped the GUI thread for the
    whole load (0.8 s measured, 1.3 s on a busy machine). Loaded here first, the import finds the library in
    memory. C's dlopen is called as a ctypes foreign function, which releases the interpreter during the call
    (`ctypes.CDLL(path)` itself does not, in Python 3.11). RTLD_NOW does the relocations now rather than in
    the import; RTLD_LOCAL adds no symbols to the global namespace: torch's extension module links the same
    library by name and gets this copy. Best effort: a library that is not found or not loaded is left to
    the import. Windows is skipped (torch loads its DLLs through ctypes itself)."""
    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return []
    import ctypes
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec(package)
        dlopen = ctypes.CDLL(None).dlopen
    except (ImportError, ValueError, AttributeError, OSError):
        return []
    dlopen.argtypes, dlopen.restype = [ctypes.c_char_p, ctypes.c_int], ctypes.c_void_p
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        return []
    loaded = []
    for pattern in patterns:
        for path in sorted((Path(locations[0]) / folder).glob(pattern)):
            if not path.is_file() or "python" in path.name or path.name in loaded:
                continue
            if dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):
                loaded.append(path.name)
            else:
                log.debug("preloading %s failed", path)
    return loaded


def import_for_a_model() -> None:
    """Runs in a worker: what the window imports when it shows a trained or opened model (evaluation,
    calibration, baselines, explanations). The worker that produced the model imports it before handing the
    model over, so that the GUI thread never does, nor waits on the warm-up importing it."""
    from ..core.evaluation import baselines, calibration, crossval, metrics  # noqa: F401
    from ..core.explain import parallel, rows, run, summary  # noqa: F401


# The devices found by a finished warm-up (None until one finished): the app's start loads everything behind its
# splash (app.start_window), and the window it then shows has nothing left to import.
_warmed: list[tuple[str, str]] | None = None


def warmed_devices() -> list[tuple[str, str]] | None:
    """The device list of a finished warm_up_imports in this process, or None when none has finished."""
    return _warmed


def warm_up_imports(progress: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """The heavy imports, then the device list: run in a thread behind the splash (app.start_window), or in a
    worker right after a window shows that was built without it (tests, scripts). `progress(what)` is told what
    is loading, for the splash.

    Why behind a splash: in a fresh process these imports take 5-6 s, and while they run in a thread the window's
    thread stalls again and again (0.1-0.7 s, benchmarks/README.md, GUI responsiveness): an extension module's
    library is loaded with the interpreter held, a big module's code object is read in one C call, and a
    process started (the render process) or a library loaded from the window's thread waits for the dynamic
    loader while torch's libraries load. The window shown after them answers at once.

    A worker's import still holds the interpreter for each module's own code, but that code runs in short
    stretches between which the GUI thread gets its turn (the app sets a 0.25 ms switch interval); the long
    holds are native libraries loaded inside an import, which preload_native_libraries takes out of it.
    torch._dynamo is imported here because building the optimizer imports it otherwise, in the training
    worker (a ~200 ms freeze of the live charts). scikit-learn's metrics: the core imports them when it
    evaluates, which the training worker did at its end (170-240 ms stalls). The figures need nothing here:
    they are drawn in the render process (gui.render_service).
    """
    global _warmed
    say = progress or (lambda _what: None)
    say("Loading pandas")
    from ..core import pipeline  # noqa: F401  (pandas: what opening a file needs first)

    say("Loading PyTorch")
    preload_native_libraries("torch", *NATIVE_LIBRARIES["torch"])
    import torch
    import torch._dynamo  # noqa: F401

    say("Loading scikit-learn")
    for package in ("scipy", "sklearn"):
        preload_native_libraries(package, *NATIVE_LIBRARIES[package])
    import sklearn.metrics  # noqa: F401  (core.evaluation, after training)

    from ..core.evaluation import metrics  # noqa: F401
    from ..core.pipeline import available_devices

    # What the tabs import when a model is trained or a row explained, and the baselines beside it: imported
    # there, in the GUI thread (or in a worker holding the import lock the GUI thread then waits on), they
    # showed as 45-55 ms stalls after training.
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.neighbors  # noqa: F401

    say("Loading the explainers")
    import_for_a_model()
    from ..plotting import (evaluation_plots, explain_plots, faithfulness_plots, map_plots, render,  # noqa: F401
                            row_figures, series_plots, training_plots)

    preload_native_libraries("PIL", *NATIVE_LIBRARIES["PIL"])
    try:  # the faithfulness check's metrics (captum imports its attribution package and pyplot): 1-3 s the
        import captum.metrics  # noqa: F401  first explanation would otherwise spend importing them
    except ImportError:
        pass
    del torch
    say("Looking for devices")
    devices = available_devices()
    _warmed = devices
    return devices


def write_figure(figure, path: str, dpi: int) -> None:
    """Write a matplotlib figure in this thread; the format follows the extension (png, eps, pdf, svg). For
    tests and scripts: the window exports through its render process (FigurePanel.export)."""
    from ..core.errors import HybridXAIError

    if Path(path).suffix.lower() not in FIGURE_SUFFIXES:
        raise HybridXAIError(f"Cannot export '{Path(path).name}': use a name ending in .png, .eps, .pdf or .svg.")
    from ..plotting.export import export_figure

    export_figure(figure, path, dpi=dpi)
