"""A trained model and everything needed to use it again, in one safe `.pth` file.

The file is a dict of plain values and tensors only, so it loads with
`torch.load(..., weights_only=True)`: a file that would need arbitrary unpickling (and so could run
code) is refused. Before that, the file is inspected without loading anything (model_file reads its
records and tensor metadata, checkpoint_limits judges them): a small file cannot make loading allocate
gigabytes, build a huge network or hand back NaN weights. Saving writes a temporary file in the same
folder and then replaces the target, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import math
import os
import pickle
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint_limits import check_model_file
from ..config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, config_from_dict
from ..data.prepare import Scaler
from ..evaluation.calibration import TEMPERATURE_BOUNDS
from ..errors import CheckpointError, HybridXAIError
from .fileio import atomic_write_stream
from ..model.network import build_model
from .model_file import read_model_file
from ..data.series import SeriesSpec
from ..data.text_columns import ColumnEncoding
from ..model.trained import TrainedModel
from ..evaluation.uncertainty import Uncertainty

FORMAT_NAME = "hybridxai-checkpoint"
FORMAT_VERSION = 1


def library_versions() -> dict[str, str]:
    import sys

    versions = {"python": sys.version.split()[0], "torch": str(torch.__version__), "numpy": str(np.__version__),
                "platform": platform.platform()}
    try:
        from ... import __version__

        versions["hybridxai"] = __version__
    except ImportError:  # pragma: no cover
        pass
    return versions


def _plain(obj: Any) -> Any:
    """Nested dicts/lists of Python scalars only: anything else would make weights_only loading refuse."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


def _tensor(values, dtype) -> torch.Tensor:
    """A contiguous copy that owns its storage: a view would be saved with the whole array it views, which
    loading refuses (checkpoint_limits)."""
    return torch.from_numpy(np.array(values, dtype=dtype, order="C", copy=True))


def _evaluation_payload(evaluation: dict | None) -> dict | None:
    """The evaluation with its per-row arrays as tensors: as lists, a 200,000-row test set made the pickle
    millions of values, slow to read and over the limits a file is read within."""
    if evaluation is None:
        return None
    out = _plain(evaluation)
    for key, dtype in (("y_true", np.int64), ("y_pred", np.int64), ("rows", np.int64), ("proba", np.float64)):
        if isinstance(out.get(key), list):
            try:
                out[key] = _tensor(out[key], dtype)
            except (ValueError, TypeError):  # ragged: keep the list as it is
                pass
    return out


def _to_payload(trained: TrainedModel, optimizer_state: dict | None) -> dict[str, Any]:
    state = {k: v.detach().cpu().clone() for k, v in trained.model.state_dict().items()}
    payload: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model_state_dict": state,
        "model_config": _plain(asdict(trained.model_config)),
        "train_config": _plain(asdict(trained.train_config)),
        "data_config": _plain(asdict(trained.data_config)),
        "runtime_config": _plain(asdict(trained.runtime_config)),
        "feature_names": list(trained.feature_names),
        "class_names": list(trained.class_names),
        "label_column": trained.label_column,
        "label_mapping": trained.label_mapping,
        "scaler": {"mean": _tensor(trained.scaler.mean, np.float64), "std": _tensor(trained.scaler.std, np.float64),
                   **({} if trained.scaler.soft is None else {"soft": _tensor(trained.scaler.soft, np.float64)})},
        "fill_values": None if trained.fill_values is None else _tensor(trained.fill_values, np.float64),
        "history": _plain([dict(h) for h in trained.history]),
        "evaluation": _evaluation_payload(trained.evaluation),
        "data_hash": trained.data_hash,
        "seed": int(trained.seed),
        "best_epoch": int(trained.best_epoch),
        "background": None if trained.background is None else _tensor(trained.background, np.float32),
        "created": str(trained.created),
        "versions": _plain(library_versions()),
        "temperature": float(trained.temperature),
        "series": None if trained.series is None else _plain(trained.series.to_dict()),
        "uncertainty": None if trained.uncertainty is None else trained.uncertainty.to_payload(),
    }
    if trained.encoding is not None:  # only tables with text columns: other files are as before
        payload["encoding"] = _plain(trained.encoding.to_dict())
    if optimizer_state is not None:
        payload["optimizer_state_dict"] = optimizer_state
    return payload


def save_checkpoint(trained: TrainedModel, path: str | os.PathLike, optimizer_state: dict | None = None) -> Path:
    """Write the model atomically: temp file in the same folder, fsync, then replace."""
    path = Path(path)
    if path.suffix.lower() != ".pth":
        path = path.with_suffix(path.suffix + ".pth") if path.suffix else path.with_suffix(".pth")
    payload = _to_payload(trained, optimizer_state)
    # Through an open file: torch then reports a full disk as the OSError it is (with a path it raises
    # RuntimeError), and the archive's folder is "archive", not the temporary file's name.
    atomic_write_stream(path, lambda fh: torch.save(payload, fh))
    trained.source = str(path)
    return path


def _arr(value) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.cpu().numpy()
    return np.asarray(value)


def _check_header(payload: Any, name: str) -> None:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise CheckpointError(f"'{name}' is not a HybridXAI model file (it has no HybridXAI checkpoint header).")
    version = payload.get("format_version")
    if type(version) is not int or version < 1:
        raise CheckpointError(f"'{name}' has no valid format version ({version!r:.40}): it is damaged or not a "
                              "HybridXAI model file.")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"'{name}' was saved by a newer HybridXAI (file format {version}, this version reads up to "
            f"{FORMAT_VERSION}). Update HybridXAI to open it."
        )


def _inspect(fh, name: str) -> ModelConfig:
    """Everything about the file that can be judged without loading it (model_file, checkpoint_limits)."""
    inspected = read_model_file(fh, name)
    try:
        _check_header(inspected.payload, name)
        return check_model_file(inspected)
    finally:
        inspected.archive.close()


def _evaluation_lists(evaluation: Any) -> Any:
    """The evaluation's per-row arrays back as lists (files keep them as tensors: see _to_payload)."""
    if not isinstance(evaluation, dict):
        return evaluation
    return {k: v.tolist() if isinstance(v, torch.Tensor) else v for k, v in evaluation.items()}


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> TrainedModel:
    """Load a model file safely; every failure is a CheckpointError naming the file and the cause.

    The file is inspected first (records, tensor metadata, limits, names and values; nothing is built),
    then loaded with `torch.load(weights_only=True)` from the same open file."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise CheckpointError(f"Model file '{path}' does not exist.")
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise CheckpointError(f"Cannot open model file '{path}': {exc.strerror or exc}.") from None
    with fh:
        model_config = _inspect(fh, name)
        fh.seek(0)
        try:
            payload = torch.load(fh, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            raise CheckpointError(
                f"Refused to open '{name}': it contains Python objects that would have to be executed to load it "
                "(not a HybridXAI model file, or a tampered one). Nothing from it was run."
            ) from exc
        except Exception as exc:  # torch raises many types for a damaged zip
            raise CheckpointError(
                f"Cannot read model file '{name}': it is truncated or corrupt ({type(exc).__name__}). "
                "Use another copy or train the model again."
            ) from exc
    try:
        train_config = config_from_dict(TrainConfig, payload["train_config"])
        # Files from before DataConfig / RuntimeConfig kept those settings inside train_config.
        data_config = config_from_dict(DataConfig, payload.get("data_config") or payload["train_config"])
        runtime_config = config_from_dict(RuntimeConfig, payload.get("runtime_config") or payload["train_config"])
        train_config.validate()
        data_config.validate(has_test_file=True)
        runtime_config.validate()
        model = build_model(model_config)
        model.load_state_dict(payload["model_state_dict"])
        model.eval()
        scaler = payload["scaler"]
        trained = TrainedModel(
            model=model,
            model_config=model_config,
            train_config=train_config,
            feature_names=list(payload["feature_names"]),
            class_names=list(payload["class_names"]),
            label_column=str(payload.get("label_column", "label")),
            scaler=Scaler(mean=_arr(scaler["mean"]).astype(np.float64), std=_arr(scaler["std"]).astype(np.float64),
                          soft=None if scaler.get("soft") is None else _arr(scaler["soft"]).astype(np.float64)),
            fill_values=_arr(payload.get("fill_values")),
            history=list(payload.get("history") or []),
            evaluation=_evaluation_lists(payload.get("evaluation")),
            data_hash=str(payload.get("data_hash", "")),
            seed=int(payload.get("seed", 0)),
            background=_arr(payload.get("background")),
            best_epoch=int(payload.get("best_epoch", 0)),
            created=str(payload.get("created", "")),
            versions=dict(payload.get("versions") or {}),
            source=str(path),
            data_config=data_config,
            runtime_config=runtime_config,
            temperature=float(payload.get("temperature", 1.0)),  # files from before calibration: 1.0
            series=SeriesSpec.from_dict(payload.get("series")),
            encoding=ColumnEncoding.from_dict(payload.get("encoding")),
            uncertainty=Uncertainty.from_payload(payload.get("uncertainty")),  # None in files from before
        )
        low, high = TEMPERATURE_BOUNDS
        if not (math.isfinite(trained.temperature) and low * (1 - 1e-6) <= trained.temperature <= high * (1 + 1e-6)):
            # calibration fits it within these bounds: 1e-300 would make every probability exactly 0 or 1
            raise ValueError(f"its temperature {trained.temperature!r:.40} is outside {low:g} to {high:g}, where "
                             "calibration fits it")
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, HybridXAIError) as exc:
        raise CheckpointError(f"Model file '{name}' is incomplete or inconsistent: {exc}") from exc
    n_features = model_config.n_features
    spec = trained.series
    if spec is not None and (spec.n_channels != model_config.n_channels or spec.n_channels * spec.length != n_features
                             or spec.layout not in ("wide", "long")):
        raise CheckpointError(f"Model file '{name}' is inconsistent: its series layout does not fit the network's "
                              "inputs. Use another copy or train the model again.")
    if spec is not None and spec.layout == "long" and not spec.id_column:
        raise CheckpointError(f"Model file '{name}' is inconsistent: its long layout names no series id column. Use "
                              "another copy or train the model again.")
    if spec is not None:
        roles = _series_roles(spec, trained.label_column)
        if roles:
            raise CheckpointError(f"Model file '{name}' is inconsistent: its series layout gives one column two roles "
                                  f"({roles}), so files would be read wrongly. Use another copy or train the model "
                                  "again.")
    if spec is None and model_config.n_channels != 1:
        raise CheckpointError(f"Model file '{name}' is inconsistent: a {model_config.n_channels}-channel network "
                              "without its series layout. Use another copy or train the model again.")
    return trained


def _series_roles(spec: SeriesSpec, label: str) -> str:
    """Columns a series layout reads in two roles (the label as the series id, the id as a channel, ...), or ""."""
    roles: dict[str, list[str]] = {}
    for role, columns in (("label", [label]), ("id", [spec.id_column]), ("time", [spec.time_column]),
                          ("channel", list(spec.input_columns))):
        for column in columns:
            if column is not None:
                roles.setdefault(column, []).append(role)
    twice = [f"{column!r:.60} as {' and '.join(r)}" for column, r in roles.items() if len(r) > 1]
    return "; ".join(twice[:3])


def describe(trained: TrainedModel) -> dict[str, Any]:
    """A summary of what a checkpoint holds (for `hybridxai info` and the app's status bar)."""
    return {
        "file": trained.source,
        "created": trained.created,
        "features": len(trained.feature_names),
        "feature_names": trained.feature_names,
        "classes": trained.class_names,
        "label_column": trained.label_column,
        "model_config": _plain(asdict(trained.model_config)),
        "train_config": _plain(asdict(trained.train_config)),
        "data_config": _plain(asdict(trained.data_config)),
        "series": None if trained.series is None else trained.series.describe(),
        "text_columns": {} if trained.encoding is None else {t.name: list(t.categories) for t in trained.encoding.text},
        "epochs_trained": len(trained.history),
        "best_epoch": trained.best_epoch,
        "evaluation": {k: v for k, v in (trained.evaluation or {}).items()
                       if k in ("accuracy", "macro_f1", "roc_auc_macro", "n_rows")},
        "parameters": sum(p.numel() for p in trained.model.parameters()),
        "data_hash": trained.data_hash,
        "seed": trained.seed,
        "temperature": trained.temperature,
        "uncertainty": (trained.uncertainty.describe() if trained.uncertainty is not None else
                        "not kept (a model file from before prediction sets)"),
        "versions": trained.versions,
    }
