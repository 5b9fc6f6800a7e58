"""Save a matplotlib Figure to PNG, EPS, PDF or SVG, chosen by the file's extension."""

from __future__ import annotations

import logging
from pathlib import Path

from ..core.errors import HybridXAIError
from ..core.model_files.fileio import atomic_write_stream

def _no_transparency_note(record: logging.LogRecord) -> bool:
    return "does not support transparency" not in record.getMessage()


FORMATS = {".png": "png", ".eps": "eps", ".pdf": "pdf", ".svg": "svg"}


def export_figure(fig, path: str | Path, dpi: int = 150) -> Path:
    """Write `fig` to `path`; the extension picks the format. Returns the path written."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise HybridXAIError(
            f"Cannot export a figure as '{path.suffix or path.name}': use one of {', '.join(FORMATS)}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # EPS has no transparency: matplotlib draws translucent artists opaque and logs it every time
        ps_log = logging.getLogger("matplotlib.backends.backend_ps")
        ps_log.addFilter(_no_transparency_note)
        try:
            atomic_write_stream(path, lambda fh: fig.savefig(fh, format=fmt, dpi=dpi, bbox_inches="tight"))
        finally:
            ps_log.removeFilter(_no_transparency_note)
    except OSError as exc:
        raise HybridXAIError(f"Could not write {path}: {exc.strerror or exc}.") from exc
    return path
