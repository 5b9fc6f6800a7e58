"""Files the command line writes beside a model: the per-epoch results CSV and the training figure.

No Qt and no pyplot: figures are plain `matplotlib.figure.Figure` objects drawn by the plotting
package and saved by extension. Every file is written to a temporary name first and then moved in
place, so an interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

from pathlib import Path

from ..core.fileio import write_csv
from ..plotting.export import export_figure

HISTORY_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr",
                   "seconds", "best_epoch")


def save_history_csv(history: list[dict], path: Path) -> Path:
    import pandas as pd

    df = pd.DataFrame([{k: h.get(k) for k in HISTORY_COLUMNS} for h in history], columns=list(HISTORY_COLUMNS))
    return write_csv(df, path)


def save_training_figure(history: list[dict], base: Path, best_epoch: int | None = None) -> list[Path]:
    """Loss and accuracy curves as `<base>.png` and `<base>.eps` (as the seed script wrote)."""
    from matplotlib.figure import Figure

    from ..plotting.training_plots import draw_training_history

    fig = Figure(figsize=(12, 5))
    draw_training_history(fig, history, best_epoch)
    return [export_figure(fig, Path(f"{base}.{ext}")) for ext in ("png", "eps")]
