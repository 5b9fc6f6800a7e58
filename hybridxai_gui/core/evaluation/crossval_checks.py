"""Whether a cross-validation summary can be trusted and whether it is about a given model.

A `cv_summary.json` is read back for a report (`hybridxai report --cv DIR`), so it is input like any file: a
summary edited by hand, damaged or of another run must not show NaN accuracies, negative counts or a
hundred thousand folds as results, nor stand beside a model of other classes or another recipe.
`check_summary` judges the parsed JSON (ValueError naming the first fault); `recipe_of` is what a run
records of its recipe (the first fold's model settings); `model_mismatch` says why a summary is not about a
model, or None.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

MAX_COUNT = 10**10  # rows (series) of one evaluation: far above any file this version reads
# Settings a cross-validation and the model trained with the same options may differ in: the seed (the folds'
# and the model's draws), the held-out share of a single run, and what the data decides per split (a series
# model's length and inputs when it is the longest series of those training rows).
IGNORED = {"model": {"n_features"}, "training": {"seed"}, "data": {"test_size", "series_length"}}


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _share(value: Any, what: str) -> None:
    """A metric: a number from 0 to 1, or None where it is undefined (ROC-AUC of a fold with one class)."""
    if value is not None and not (_is_number(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{what} is {value!r:.40}, not a number from 0 to 1")


def _count(value: Any, what: str, low: int = 0, high: int = MAX_COUNT) -> int:
    if not _is_int(value) or not low <= value <= high:
        shown = f"{value:,}" if _is_int(value) else f"{value!r:.40}"
        raise ValueError(f"{what} is {shown}, not a whole number from {low:,} to {high:,}")
    return value


def _kind(value: Any, kinds, what: str) -> None:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(f"{what} is of the wrong kind ({type(value).__name__})")


def check_summary(d: Any) -> None:
    """Every part of a parsed summary of the kinds and ranges a run writes, and consistent with itself."""
    from .crossval import MAX_FOLDS

    _kind(d, dict, "the summary")
    config = d.get("config")
    _kind(config, dict, "its config")
    folds_asked = _count(config.get("folds", 5), "config.folds", 1, MAX_FOLDS)
    repeats = _count(config.get("repeats", 1), "config.repeats", 1, MAX_FOLDS)
    total = folds_asked * repeats if config.get("scheme", "kfold") == "kfold" else repeats
    if total > MAX_FOLDS:
        raise ValueError(f"it claims {total:,} folds, more than the {MAX_FOLDS:,} one evaluation runs")
    names = d.get("class_names")
    _kind(names, list, "class_names")
    if not 2 <= len(names) <= 10_000 or any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ValueError("its class names are not 2 or more distinct names")
    n_rows = _count(d.get("n_rows", 0), "n_rows")
    for key, kinds in (("source", str), ("notes", list), ("cancelled", bool), ("test_source", (str, type(None))),
                       ("recipe", (dict, type(None)))):
        if key in d:
            _kind(d[key], kinds, key)
    if any(not isinstance(n, str) for n in d.get("notes", [])):
        raise ValueError("its notes are not text")
    if d.get("unit", "rows") not in ("rows", "series"):
        raise ValueError(f"it counts {d.get('unit')!r:.40} instead of rows or series")
    if not _is_number(d.get("seconds", 0.0)) or d.get("seconds", 0.0) < 0:
        raise ValueError(f"seconds is {d.get('seconds')!r:.40}")
    folds = d.get("folds", [])
    _kind(folds, list, "folds")
    if len(folds) > total:
        raise ValueError(f"it holds {len(folds):,} folds but was asked for {total:,}")
    if len(folds) < total and not d.get("cancelled", False):
        raise ValueError(f"it holds {len(folds):,} of {total:,} folds but says it was not stopped")
    seen: set[int] = set()
    for i, fold in enumerate(folds):
        _check_fold(fold, f"fold {i + 1}", total, folds_asked, repeats, n_rows)
        if fold["index"] in seen:
            raise ValueError(f"fold {i + 1} repeats the index {fold['index']}")
        seen.add(fold["index"])


def _check_fold(fold: Any, where: str, total: int, folds: int, repeats: int, n_rows: int) -> None:
    _kind(fold, dict, where)
    _count(fold.get("index"), f"{where}: index", 0, total - 1)
    _count(fold.get("repeat"), f"{where}: repeat", 1, repeats)
    _count(fold.get("fold"), f"{where}: fold", 1, folds)
    sizes = [_count(fold.get(k), f"{where}: {k}") for k in ("n_train", "n_val", "n_test")]
    if sum(sizes) != n_rows:
        raise ValueError(f"{where}: {sizes[0]:,} training, {sizes[1]:,} validation and {sizes[2]:,} held-out rows "
                         f"do not add up to its {n_rows:,} rows")
    if sizes[0] == 0 or sizes[2] == 0:
        raise ValueError(f"{where}: a fold needs training and held-out rows")
    for key in ("metrics", "test_file"):
        metrics = fold.get(key)
        if metrics is None and key == "test_file":
            continue
        _kind(metrics, dict, f"{where}: {key}")
        for name, value in metrics.items():
            _share(value, f"{where}: {key}.{name}")
    baselines = fold.get("baselines", {})
    _kind(baselines, dict, f"{where}: baselines")
    for model, scores in baselines.items():
        _kind(scores, dict, f"{where}: baselines.{model}")
        for name, value in scores.items():
            if name == "seconds":
                if not (_is_number(value) and value >= 0):
                    raise ValueError(f"{where}: baselines.{model}.seconds is {value!r:.40}")
            else:
                _share(value, f"{where}: baselines.{model}.{name}")
    _count(fold.get("epochs", 0), f"{where}: epochs", 0, 10**7)
    for key in ("temperature", "seconds"):
        value = fold.get(key, 1.0)
        if not (_is_number(value) and value >= 0):
            raise ValueError(f"{where}: {key} is {value!r:.40}")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))  # tuples as lists: as the summary file keeps them


def recipe_of(trained) -> dict:
    """A model's settings as a cross-validation records them (model, training, data)."""
    return _plain({"model": asdict(trained.model_config), "training": asdict(trained.train_config),
                   "data": asdict(trained.data_config)})


def _defaults() -> dict:
    """Each section's settings at their defaults, as a recipe records them."""
    from ..config import DataConfig, ModelConfig, TrainConfig

    return _plain({"model": asdict(ModelConfig()), "training": asdict(TrainConfig()), "data": asdict(DataConfig())})


def model_mismatch(result, trained) -> str | None:
    """Why a cross-validation is not about this model (other classes, or another recipe), or None. A summary
    that records no recipe (written before it was recorded) is judged by its classes alone."""
    from ..data.csvio import format_names

    if list(result.class_names) != list(trained.class_names):
        return (f"its classes are {format_names(list(result.class_names))}, the model's "
                f"{format_names(list(trained.class_names))}: it evaluated other data")
    if result.recipe is None:
        return None
    here = recipe_of(trained)
    defaults = _defaults()
    differences = []
    for section, ignored in IGNORED.items():
        there_values, here_values = result.recipe.get(section) or {}, here.get(section) or {}
        for key in sorted(set(there_values) | set(here_values)):
            if key in ignored or key not in here_values:  # a setting of a newer version: not this model's
                continue
            if key not in there_values and here_values[key] == defaults[section].get(key):
                continue  # a setting added since that run was recorded, left at the value it had before it existed
            if there_values.get(key) != here_values[key]:
                differences.append(f"{key} {there_values.get(key)!r:.40} there, {here_values[key]!r:.40} here")
    if differences:
        return (f"it trained another recipe than the model ({'; '.join(differences[:4])}"
                + (f"; {len(differences) - 4} more" if len(differences) > 4 else "") + ")")
    return None


__all__ = ["check_summary", "recipe_of", "model_mismatch", "IGNORED"]
