"""Files the command line writes for a trained model: the model, the per-epoch results CSV, the training
figure and the test evaluation.

No Qt and no pyplot: figures are plain `matplotlib.figure.Figure` objects drawn by the plotting
package and saved by extension. Every file is written to a temporary name first and the model and the
files beside it are moved in place together, so an interrupted run never leaves a half-written result
behind, nor a new model beside an earlier run's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import HybridXAIError
from ..core.model_files.fileio import atomic_write, check_writable, staged, writable_target, write_csv
from ..plotting.export import export_figure

HISTORY_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr",
                   "seconds", "best_epoch")


def save_history_csv(history: list[dict], path: Path) -> Path:
    import pandas as pd

    df = pd.DataFrame([{k: h.get(k) for k in HISTORY_COLUMNS} for h in history], columns=list(HISTORY_COLUMNS))
    return write_csv(df, path)


def save_training_figure(history: list[dict], base: Path, best_epoch: int | None = None) -> list[Path]:
    """Loss and accuracy curves as `<base>.png` and `<base>.eps` (as the seed script wrote)."""
    from ..plotting._common import new_figure as Figure  # names as typed, CJK glyphs

    from ..plotting.training_plots import draw_training_history

    fig = Figure(figsize=(12, 5))
    draw_training_history(fig, history, best_epoch)
    return [export_figure(fig, Path(f"{base}.{ext}")) for ext in ("png", "eps")]


def side_files(model_path: Path) -> dict[str, Path]:
    """The files `train` writes beside MODEL.pth: results CSV, training figure (PNG, EPS), evaluation."""
    stem = Path(model_path).with_suffix("")
    return {"results": Path(f"{stem}_results.csv"), "png": Path(f"{stem}_training.png"),
            "eps": Path(f"{stem}_training.eps"), "evaluation": Path(f"{stem}_evaluation.txt")}


def check_training_outputs(model_path: Path) -> None:
    """Before training: every file `train` will write can be written (no folder, device or pipe in the way,
    a folder we may write in)."""
    check_writable(model_path)
    for path in side_files(model_path).values():
        writable_target(path)


@dataclass
class SavedTraining:
    model: Path
    files: dict[str, Path]  # side files written, by kind
    problem: HybridXAIError | None = None  # why the side files could not be written (the model was)


def save_training_outputs(trained, model_path: Path, best_epoch: int | None, report: str | None,
                          optimizer_state: dict | None = None) -> SavedTraining:
    """The model and the files beside it, moved in place together after all are written: a model never sits
    beside another run's results, figures or evaluation (an earlier `_evaluation.txt` is removed when this
    run has no test rows). When only the side files fail, the model is still saved, the earlier run's side
    files are removed, and `problem` says why."""
    from ..core.model_files.checkpoint import save_checkpoint

    paths = side_files(model_path)
    problem = None
    with staged() as stage:
        try:
            save_history_csv(trained.history, paths["results"])
            save_training_figure(trained.history, paths["png"].with_suffix(""), best_epoch=best_epoch)
            if report is not None:
                atomic_write(paths["evaluation"], lambda tmp: Path(tmp).write_text(report + "\n", "utf-8"))
        except HybridXAIError as exc:
            problem = exc
            stage.discard()
        written = {kind: path for kind, path in paths.items()
                   if problem is None and (kind != "evaluation" or report is not None)}
        for kind, path in paths.items():
            if kind not in written:
                stage.remove(path)
        saved = save_checkpoint(trained, model_path, optimizer_state=optimizer_state)
        stage.commit()  # side files first: the new model appears last, beside its own files
    return SavedTraining(saved, written, problem)
