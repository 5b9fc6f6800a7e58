"""A trained model and everything needed to use it again, in one safe `.pth` file.

The file is a dict of plain values and tensors only, so it loads with
`torch.load(..., weights_only=True)`: a file that would need arbitrary unpickling (and so could run
code) is refused. Saving writes a temporary file in the same folder and then replaces the target,
so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import math
import os
import pickle
import zipfile
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, config_from_dict
from .data import Scaler
from .errors import CheckpointError, HybridXAIError
from .fileio import atomic_write
from .model import HybridCNNLSTMAttention
from .series import SeriesSpec
from .trained import TrainedModel

FORMAT_NAME = "hybridxai-checkpoint"
FORMAT_VERSION = 1


def library_versions() -> dict[str, str]:
    import sys

    versions = {"python": sys.version.split()[0], "torch": str(torch.__version__), "numpy": str(np.__version__),
                "platform": platform.platform()}
    try:
        from .. import __version__

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
        "scaler": {"mean": torch.as_tensor(trained.scaler.mean, dtype=torch.float64),
                   "std": torch.as_tensor(trained.scaler.std, dtype=torch.float64)},
        "fill_values": None if trained.fill_values is None
        else torch.as_tensor(np.asarray(trained.fill_values, dtype=np.float64)),
        "history": _plain([dict(h) for h in trained.history]),
        "evaluation": _plain(trained.evaluation),
        "data_hash": trained.data_hash,
        "seed": int(trained.seed),
        "best_epoch": int(trained.best_epoch),
        "background": None if trained.background is None
        else torch.as_tensor(np.asarray(trained.background, dtype=np.float32)),
        "created": str(trained.created),
        "versions": _plain(library_versions()),
        "temperature": float(trained.temperature),
        "series": None if trained.series is None else _plain(trained.series.to_dict()),
    }
    if optimizer_state is not None:
        payload["optimizer_state_dict"] = optimizer_state
    return payload


def save_checkpoint(trained: TrainedModel, path: str | os.PathLike, optimizer_state: dict | None = None) -> Path:
    """Write the model atomically: temp file in the same folder, fsync, then replace."""
    path = Path(path)
    if path.suffix.lower() != ".pth":
        path = path.with_suffix(path.suffix + ".pth") if path.suffix else path.with_suffix(".pth")
    payload = _to_payload(trained, optimizer_state)
    atomic_write(path, lambda tmp: torch.save(payload, tmp))
    trained.source = str(path)
    return path


def _arr(value) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.cpu().numpy()
    return np.asarray(value)


def _check_container(path: Path) -> None:
    """Refuse what is not a PyTorch file, and a zip whose stored checksums do not match (torch.load reads
    a damaged zip without noticing: flipped bytes in the weights loaded as different numbers)."""
    name = path.name
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(b"\x80"):  # a bare pickle (the legacy torch format): torch.load's weights_only decides
        return
    if head != b"PK\x03\x04":
        raise CheckpointError(f"'{name}' is not a HybridXAI model file (not a PyTorch .pth file at all: it starts "
                              f"with {head!r}). Open a .pth file saved by HybridXAI.")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(f"Cannot read model file '{name}': it is truncated or corrupt ({exc}). "
                              "Use another copy or train the model again.") from exc
    if bad is not None:
        raise CheckpointError(f"Cannot read model file '{name}': it is corrupt (the checksum of its part '{bad}' "
                              "does not match). Use another copy or train the model again.")


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> TrainedModel:
    """Load a model file safely; every failure is a CheckpointError naming the file and the cause."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise CheckpointError(f"Model file '{path}' does not exist.")
    if path.stat().st_size == 0:
        raise CheckpointError(f"Model file '{name}' is empty: it was not saved completely. Save the model again.")
    _check_container(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"Refused to open '{name}': it contains Python objects that would have to be executed to load it "
            "(not a HybridXAI model file, or a tampered one). Nothing from it was run."
        ) from exc
    except Exception as exc:  # torch raises many types for a damaged zip or a non-torch file
        raise CheckpointError(
            f"Cannot read model file '{name}': it is truncated or corrupt ({type(exc).__name__}). "
            "Use another copy or train the model again."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise CheckpointError(f"'{name}' is not a HybridXAI model file (it has no HybridXAI checkpoint header).")
    version = payload.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"'{name}' has no valid format version ({version!r}): it is damaged or not a "
                              "HybridXAI model file.")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"'{name}' was saved by a newer HybridXAI (file format {version}, this version reads up to "
            f"{FORMAT_VERSION}). Update HybridXAI to open it."
        )
    try:
        model_config = config_from_dict(ModelConfig, payload["model_config"])
        train_config = config_from_dict(TrainConfig, payload["train_config"])
        # Files from before DataConfig / RuntimeConfig kept those settings inside train_config.
        data_config = config_from_dict(DataConfig, payload.get("data_config") or payload["train_config"])
        runtime_config = config_from_dict(RuntimeConfig, payload.get("runtime_config") or payload["train_config"])
        model = HybridCNNLSTMAttention(model_config)
        model.load_state_dict(payload["model_state_dict"])
        model.eval()
        scaler = Scaler(mean=_arr(payload["scaler"]["mean"]).astype(np.float64),
                        std=_arr(payload["scaler"]["std"]).astype(np.float64))
        trained = TrainedModel(
            model=model,
            model_config=model_config,
            train_config=train_config,
            feature_names=list(payload["feature_names"]),
            class_names=list(payload["class_names"]),
            label_column=str(payload.get("label_column", "label")),
            scaler=scaler,
            fill_values=_arr(payload.get("fill_values")),
            history=list(payload.get("history") or []),
            evaluation=payload.get("evaluation"),
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
        )
        if not (math.isfinite(trained.temperature) and trained.temperature > 0):
            raise ValueError(f"its temperature {trained.temperature!r} is not a positive number")
        train_config.validate()
        data_config.validate(has_test_file=True)
        runtime_config.validate()
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, HybridXAIError) as exc:
        raise CheckpointError(f"Model file '{name}' is incomplete or inconsistent: {exc}") from exc
    n_features = model_config.n_features
    spec = trained.series
    if spec is not None and (spec.n_channels != model_config.n_channels or spec.n_channels * spec.length != n_features
                             or spec.layout not in ("wide", "long")):
        raise CheckpointError(f"Model file '{name}' is inconsistent: its series layout does not fit the network's "
                              "inputs. Use another copy or train the model again.")
    if spec is None and model_config.n_channels != 1:
        raise CheckpointError(f"Model file '{name}' is inconsistent: a {model_config.n_channels}-channel network "
                              "without its series layout. Use another copy or train the model again.")
    if len(trained.feature_names) != n_features or len(trained.class_names) != model_config.n_classes:
        raise CheckpointError(f"Model file '{name}' is inconsistent: feature/class names do not match the model.")
    shapes = {"scaler mean": trained.scaler.mean.shape, "scaler std": trained.scaler.std.shape}
    if trained.fill_values is not None:
        shapes["column means"] = trained.fill_values.shape
    wrong = [what for what, shape in shapes.items() if shape != (n_features,)]
    if trained.background is not None and (trained.background.ndim != 2 or trained.background.shape[1] != n_features):
        wrong.append("background rows")
    if wrong:
        raise CheckpointError(f"Model file '{name}' is inconsistent: its {', '.join(wrong)} do not have one value "
                              f"per feature ({n_features}). Use another copy or train the model again.")
    return trained


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
        "epochs_trained": len(trained.history),
        "best_epoch": trained.best_epoch,
        "evaluation": {k: v for k, v in (trained.evaluation or {}).items()
                       if k in ("accuracy", "macro_f1", "roc_auc_macro", "n_rows")},
        "parameters": sum(p.numel() for p in trained.model.parameters()),
        "data_hash": trained.data_hash,
        "seed": trained.seed,
        "temperature": trained.temperature,
        "versions": trained.versions,
    }
