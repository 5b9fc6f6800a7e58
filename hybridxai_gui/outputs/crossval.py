"""Files `hybridxai cv --out DIR` writes, from a core.evaluation.crossval.CrossValidationResult.

- cv_metrics.csv: `fold, accuracy, macro_f1`, one line per fold (numbered 1 ... in the order they ran), then
  the lines `mean` and `sd` (sample standard deviation over the folds).
- baselines.csv: `model, accuracy_mean, accuracy_sd` (then macro_f1_mean, macro_f1_sd), the network as
  `hybrid` first, then logistic_regression, nearest_neighbour and random_forest when they were run.
- cv_summary.json: every metric of every fold (and of the baselines and a separate test file), to read back
  with CrossValidationResult.from_dict (`hybridxai report --cv DIR`).
- cv_spread.png: accuracy on each fold, mean ± sd, per model.
"""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path

from ..core.model_files.fileio import atomic_write, write_csv
from ..plotting.export import export_figure

SUMMARY_FILE = "cv_summary.json"


def cv_metrics_frame(result):
    import pandas as pd

    rows = [{"fold": str(i + 1), "accuracy": f.metrics["accuracy"], "macro_f1": f.metrics["macro_f1"]}
            for i, f in enumerate(result.folds)]
    for label, pick in (("mean", 0), ("sd", 1)):
        rows.append({"fold": label, "accuracy": result.summary("accuracy")[pick],
                     "macro_f1": result.summary("macro_f1")[pick]})
    return pd.DataFrame(rows, columns=["fold", "accuracy", "macro_f1"])


def baselines_frame(result):
    import pandas as pd

    rows = []
    for model in result.models:
        (acc, acc_sd), (f1, f1_sd) = result.summary("accuracy", model), result.summary("macro_f1", model)
        rows.append({"model": model, "accuracy_mean": acc, "accuracy_sd": acc_sd, "macro_f1_mean": f1,
                     "macro_f1_sd": f1_sd})
    return pd.DataFrame(rows, columns=["model", "accuracy_mean", "accuracy_sd", "macro_f1_mean", "macro_f1_sd"])


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


MAX_SUMMARY_BYTES = 16 << 20  # a summary of the most folds one evaluation runs holds well under 1 MB


def load_cv_summary(folder: str | Path):
    """A CrossValidationResult read back from a `cv --out` folder (or its cv_summary.json); every part checked
    (core.evaluation.crossval_checks), within MAX_SUMMARY_BYTES, before anything of it is shown."""
    from ..core.evaluation.crossval import CrossValidationResult
    from ..core.errors import HybridXAIError, setting

    path = Path(folder)
    path = path / SUMMARY_FILE if path.is_dir() else path
    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):  # a named pipe would wait for a writer forever
            raise HybridXAIError(f"{path} is not a regular file: give {setting('cv')} the folder a `cv --out` run "
                                 "wrote.")
        if size > MAX_SUMMARY_BYTES:
            raise HybridXAIError(f"{path} holds {size:,} bytes; a cross-validation summary written by HybridXAI holds "
                                 f"far less (at most {MAX_SUMMARY_BYTES:,} are read). Give {setting('cv')} the "
                                 "folder a `cv --out` run wrote.")
        with path.open("rb") as fh:
            data = json.loads(fh.read(MAX_SUMMARY_BYTES + 1).decode("utf-8"))
        result = CrossValidationResult.from_dict(data)
    except FileNotFoundError:
        raise HybridXAIError(f"{path} does not exist: give the folder a `cv --out` run wrote.") from None
    except IsADirectoryError:
        raise HybridXAIError(f"{path} is a folder, not a cross-validation summary.") from None
    except OSError as exc:
        raise HybridXAIError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except RecursionError:
        raise HybridXAIError(f"{path} is not a cross-validation summary written by HybridXAI (it nests lists or "
                             "objects thousands deep).") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HybridXAIError(f"{path} is not a cross-validation summary written by HybridXAI ({exc}).") from None
    for fold in result.folds:  # JSON has no NaN: null came back as None
        fold.metrics = {k: float("nan") if v is None else v for k, v in fold.metrics.items()}
        fold.baselines = {m: {k: float("nan") if v is None else v for k, v in d.items()}
                          for m, d in fold.baselines.items()}
    return result


def write_cv_outputs(result, out: Path) -> list[Path]:
    """Every file of a `cv --out` folder, moved in place together once all are written (as `train` writes a
    model and its side files): a run killed while writing leaves the previous run's set whole, never a mix."""
    from ..plotting._common import new_figure as Figure  # names as typed, CJK glyphs

    from ..core.evaluation.baselines import LABELS
    from ..core.model_files.fileio import staged
    from ..plotting.crossval_plots import draw_model_spread

    with staged() as stage:
        write_csv(cv_metrics_frame(result), out / "cv_metrics.csv", float_format="%.6f")
        write_csv(baselines_frame(result), out / "baselines.csv", float_format="%.6f")
        text = json.dumps(_json_safe(result.to_dict()), indent=1)
        atomic_write(out / SUMMARY_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        if result.folds:
            fig = Figure(figsize=(8, 1 + 0.6 * len(result.models)), layout="constrained")
            draw_model_spread(fig.add_subplot(), {m: result.values("accuracy", m) for m in result.models},
                              labels=LABELS)
            export_figure(fig, out / "cv_spread.png")
        else:  # no fold finished: an earlier run's figure must not stand beside this run's numbers
            stage.remove(out / "cv_spread.png")
        return stage.commit()


__all__ = ["cv_metrics_frame", "baselines_frame", "write_cv_outputs", "load_cv_summary", "SUMMARY_FILE",
           "MAX_SUMMARY_BYTES"]
