"""What a HybridXAI model file may hold, checked before any tensor is loaded or any module built.

`check_model_file` judges what `model_file.read_model_file` read (plain values, tensor shapes, strides,
dtypes and record sizes): every setting within `MODEL_LIMITS`, every tensor stored as it is (no zero-stride
or partial views, records exactly as large as their tensors), the weights' shapes those of the network the
settings describe (built on torch's "meta" device, which allocates nothing), names unique non-empty text,
and, reading the records one chunk at a time, every weight, mean, spread, fill value and background value
finite (spreads above 0). Anything else is a CheckpointError with one line naming the file and the fault.

The tables are the documentation (README, "Checkpoints"); a key missing from them is not checked against a
range, so newer settings in a file pass through to the dataclasses, which ignore what they do not know.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.series import MAX_INPUTS
from ..errors import CheckpointError, HybridXAIError
from .model_file import ModelFile, TensorRef, _refuse


@dataclass(frozen=True)
class Limit:
    what: str  # words for messages
    low: float
    high: float
    kind: type = int  # int, float or bool


# Model settings a file may ask for. Bounds are far above anything trained here (the largest reference run:
# 150 features, 64 channels, 32 hidden units) and low enough that a network is never built unasked large;
# the parameter count below bounds their combination.
MODEL_LIMITS: dict[str, Limit] = {
    "n_features": Limit("input values per row", 1, MAX_INPUTS),
    "n_channels": Limit("input channels", 1, 10_000),
    "n_classes": Limit("classes", 2, 10_000),
    "cnn_channels": Limit("convolution channels", 1, 1_024),
    "kernel_size": Limit("convolution kernel size", 1, 1_025),
    "lstm_hidden": Limit("LSTM hidden units", 1, 2_048),
    "lstm_layers": Limit("LSTM layers", 1, 16),
    "num_heads": Limit("attention heads", 1, 256),
    "dropout": Limit("dropout", 0.0, 1.0, float),
    "position_channel": Limit("position channel switch", 0, 1, bool),
    "ensemble": Limit("ensemble members", 1, 32),
    "max_lstm_steps": Limit("steps the BiLSTM reads at most", 0, 100_000),
}


@dataclass(frozen=True)
class ContentLimits:
    parameters: int = 50_000_000  # network weights (200 MB as float32)
    tensor_bytes: int = 512 << 20  # every tensor of the file together (weights, optimizer, background, ...)
    background_rows: int = 1_000  # SHAP background rows (training keeps 100)
    tensor_dims: int = 8
    depth: int = 32  # nesting of lists and dicts in the plain values
    check_chunk_bytes: int = 8 << 20  # values are checked this much at a time


CONTENT_LIMITS = ContentLimits()

# The dtypes HybridXAI saves (numpy codes): anything else is not one of its files, or was altered.
SAVED_DTYPES = {"scaler mean": "f8", "scaler std": "f8", "scaler signed-log scale": "f8", "fill values": "f8",
                "background rows": "f4",
                "calibration scores": "f8", "feature means": "f8", "feature precision matrix": "f8"}
# Values that only make sense in a range: a calibration score is a sum of probabilities.
BOUNDED_VALUES = {"calibration scores": (0.0, 1.0 + 1e-6), "scaler signed-log scale": (0.0, 1e300)}
_EVAL_ARRAYS = {"y_true": "i8", "y_pred": "i8", "rows": "i8", "proba": "f8"}
_TORCH_CODES = {"float32": "f4", "float64": "f8", "float16": "f2", "int64": "i8", "int32": "i4", "int16": "i2",
                "int8": "i1", "uint8": "u1", "bool": "?"}


def _inconsistent(name: str, why: str) -> CheckpointError:
    return CheckpointError(f"Model file '{name}' is incomplete or inconsistent: {why}. Use another copy or train "
                           "the model again.")


def _path(keys: tuple) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else str(k)) for i, k in enumerate(keys))


# ---- plain structure ---------------------------------------------------------------------------------


def walk(payload: Any, name: str, max_depth: int = CONTENT_LIMITS.depth) -> list[tuple[tuple, TensorRef]]:
    """Every tensor in the payload with its path; refuse other kinds of values, deep nesting and shared or
    looping containers (a list reached twice makes a JSON dump repeat it, a loop makes it fail)."""
    tensors: list[tuple[tuple, TensorRef]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple]] = [(payload, ())]
    while stack:
        obj, keys = stack.pop()
        if isinstance(obj, TensorRef):
            tensors.append((keys, obj))
            continue
        if obj is None or isinstance(obj, (bool, int, float, str)):
            continue
        if not isinstance(obj, (dict, list, tuple)):
            raise _refuse(name, f"its {_path(keys) or 'top level'} holds a {type(obj).__name__}, which a model file "
                                "never holds")
        if len(keys) >= max_depth:
            raise _refuse(name, f"its {_path(keys[:3])} nests lists or dicts more than {max_depth} deep")
        if len(obj):
            if id(obj) in seen:
                raise _refuse(name, f"its {_path(keys)} is a list or dict that appears more than once (or "
                                    "contains itself)")
            seen.add(id(obj))
        if isinstance(obj, dict):
            for key, value in obj.items():
                if type(key) not in (str, int):
                    raise _refuse(name, f"its {_path(keys) or 'top level'} has a key of kind {type(key).__name__}")
                stack.append((value, keys + (key,)))
        else:
            stack.extend((value, keys + (i,)) for i, value in enumerate(obj))
    return tensors


# ---- tensors -----------------------------------------------------------------------------------------


def check_tensors(model_file: ModelFile, tensors: list[tuple[tuple, TensorRef]],
                  limits: ContentLimits = CONTENT_LIMITS) -> None:
    """Each tensor stored whole and contiguous in a record of exactly its size; every record used; the total
    within limits. Only metadata is read."""
    name = model_file.name
    used: dict[str, int] = {}
    for keys, t in tensors:
        where = _path(keys)
        if len(t.shape) > limits.tensor_dims or len(t.stride) != len(t.shape) or min(t.shape, default=0) < 0:
            raise _refuse(name, f"its tensor {where} has a malformed shape {t.shape}")
        if any(s == 0 and n > 1 for s, n in zip(t.stride, t.shape)):
            raise _refuse(name, f"its tensor {where} declares {t.numel:,} values that all repeat a few stored ones "
                                "(a zero-stride tensor, which HybridXAI never writes)")
        expected, step = [], 1
        for n in reversed(t.shape):
            expected.append(step)
            step *= n
        if any(s != e and n > 1 for s, e, n in zip(t.stride, reversed(expected), t.shape)):
            raise _refuse(name, f"its tensor {where} is not stored contiguously (strides {t.stride})")
        if t.offset != 0 or t.storage.numel != t.numel:
            raise _refuse(name, f"its tensor {where} uses {t.numel:,} of the {t.storage.numel:,} values its storage "
                                f"declares (from value {t.offset:,}); HybridXAI stores each tensor whole")
        record = model_file.records.get(t.storage.key)
        if record is None:
            raise _inconsistent(name, f"its tensor {where} refers to a record data/{t.storage.key} that is not there")
        if record != t.nbytes:
            raise _refuse(name, f"its tensor {where} needs {t.nbytes:,} bytes but its record data/{t.storage.key} "
                                f"holds {record:,}")
        used[t.storage.key] = record
    unused = set(model_file.records) - set(used)
    if unused:
        extra = sum(model_file.records[k] for k in unused)
        raise _refuse(name, f"it holds {len(unused)} record(s) of {extra:,} bytes that nothing in it refers to")
    total = sum(used.values())
    if total > limits.tensor_bytes:
        raise _refuse(name, f"its tensors hold {total:,} bytes, above the {limits.tensor_bytes:,} allowed")


def check_model_config(values: Any, name: str):
    """ModelConfig from a file's dict, each setting of MODEL_LIMITS checked for kind and range first."""
    from ..config import ModelConfig, config_from_dict

    if not isinstance(values, dict):
        raise _inconsistent(name, "its model settings are missing")
    for key, limit in MODEL_LIMITS.items():
        if key not in values:
            continue  # older files lack newer settings: the default applies
        value = values[key]
        if limit.kind is bool:
            ok = type(value) is bool
        elif limit.kind is int:
            ok = type(value) is int
        else:
            ok = type(value) in (int, float) and math.isfinite(value)
        if not ok:
            raise _inconsistent(name, f"its {limit.what} ({key}) is {value!r:.40}, not a {limit.kind.__name__}")
        if value > limit.high:
            raise _refuse(name, f"its {limit.what} ({key}) is {value:,}; this version reads at most {limit.high:,} "
                                "(README, Checkpoints)")
        if value < limit.low:
            raise _inconsistent(name, f"its {limit.what} ({key}) is {value!r}; this version reads {limit.low:,} to "
                                      f"{limit.high:,}")
    check_table_tokens(values, name)
    try:
        config = config_from_dict(ModelConfig, values)
        config.validate()
    except (TypeError, ValueError, HybridXAIError) as exc:
        raise _inconsistent(name, str(exc).rstrip(".")) from None
    return config


def check_table_tokens(values: dict, name: str) -> None:
    """A table network's column tokens (ModelConfig.tokens, column_sizes): a known kind, and sizes that are a list of
    whole numbers, each one column's features (at most a text column's MAX_CATEGORIES + 2 parts), adding up to the
    input values (so the network built from them is the one the weights fit; files without them are as before)."""
    from ..config import TOKENS
    from ..data.text_columns import MAX_CATEGORIES

    tokens = values.get("tokens", "none")
    if tokens not in TOKENS:
        raise _inconsistent(name, f"its column tokens ({tokens!r:.40}) are none of {', '.join(TOKENS)}")
    sizes = values.get("column_sizes", [])
    if not isinstance(sizes, (list, tuple)) or len(sizes) > values.get("n_features", 0):
        raise _inconsistent(name, "its column sizes are not a list of at most one size per input value")
    if any(type(v) is not int or not 1 <= v <= MAX_CATEGORIES + 2 for v in sizes):
        raise _inconsistent(name, f"its column sizes hold a value outside 1 to {MAX_CATEGORIES + 2}")


def expected_state(config, name: str, limits: ContentLimits = CONTENT_LIMITS) -> dict[str, tuple[tuple, str]]:
    """The network's state dict as {key: (shape, numpy dtype code)}, built on the meta device (nothing is
    allocated); refuse more parameters than allowed."""
    import torch

    from ..model.network import build_model

    with torch.device("meta"):
        model = build_model(config)
    parameters = sum(p.numel() for p in model.parameters())
    if parameters > limits.parameters:
        raise _refuse(name, f"its settings describe a network of {parameters:,} weights, above the "
                            f"{limits.parameters:,} allowed")
    return {k: (tuple(v.shape), _TORCH_CODES.get(str(v.dtype).removeprefix("torch."), str(v.dtype)))
            for k, v in model.state_dict().items()}


def check_state(state: Any, expected: dict[str, tuple[tuple, str]], name: str) -> None:
    if not isinstance(state, dict):
        raise _inconsistent(name, "its weights are missing")
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = ([f"lacks {', '.join(map(str, missing[:3]))}"] if missing else []) + (
            [f"has unknown {', '.join(map(str, unexpected[:3]))}"] if unexpected else [])
        raise _inconsistent(name, f"its weights do not fit its model settings (it {' and '.join(parts)})")
    for key, (shape, dtype) in expected.items():
        t = state[key]
        if not isinstance(t, TensorRef):
            raise _inconsistent(name, f"its weight {key} is not a tensor")
        if tuple(t.shape) != shape or t.dtype != dtype:
            raise _inconsistent(name, f"its weight {key} has shape {tuple(t.shape)} ({t.dtype}), but its model "
                                      f"settings need {shape} ({dtype})")


# ---- names, arrays and plain values ------------------------------------------------------------------


def check_names(values: Any, n: int, what: str, name: str) -> None:
    """A list of n unique, non-empty strings."""
    if not isinstance(values, list):
        raise _inconsistent(name, f"its {what} are missing (found {type(values).__name__})")
    if len(values) != n:
        raise _inconsistent(name, f"it has {len(values):,} {what} but its model has {n:,}")
    for value in values:
        if not isinstance(value, str):
            raise _inconsistent(name, f"its {what} include {value!r:.40}, which is not text")
        if not value.strip():
            raise _inconsistent(name, f"its {what} include an empty name")
    if len(set(values)) != len(values):
        seen: set[str] = set()
        twice = next(v for v in values if v in seen or seen.add(v))
        raise _inconsistent(name, f"its {what} name {twice!r:.60} more than once")


def check_array(value: Any, shape: tuple, what: str, name: str, optional: bool = False,
                max_rows: int | None = None) -> TensorRef | None:
    """A tensor of the given shape (None: any number of rows) and the dtype HybridXAI saves."""
    if value is None and optional:
        return None
    if not isinstance(value, TensorRef):
        raise _inconsistent(name, f"its {what} are missing or not a tensor")
    wanted = tuple(value.shape[0] if s is None and value.shape else s for s in shape)
    if tuple(value.shape) != wanted:
        raise _inconsistent(name, f"the shape of its {what} is {tuple(value.shape)}, not one value per feature "
                                  f"({shape[-1]:,})")
    if max_rows is not None and value.shape[0] > max_rows:
        raise _refuse(name, f"it holds {value.shape[0]:,} {what}, above the {max_rows:,} allowed")
    if value.dtype != SAVED_DTYPES[what]:
        raise _inconsistent(name, f"its {what}: stored as {value.dtype}, not {SAVED_DTYPES[what]} as HybridXAI "
                                  "saves them")
    return value


def check_plain(payload: dict, name: str) -> None:
    """The kinds of the plain values that `info`, the app and the evaluation read."""
    kinds = {"model_config": dict, "train_config": dict, "data_config": (dict, type(None)),
             "runtime_config": (dict, type(None)), "label_column": str, "history": list,
             "evaluation": (dict, type(None)), "versions": (dict, type(None)), "data_hash": str, "seed": int,
             "best_epoch": int, "created": str, "label_mapping": (dict, type(None))}
    for key, kind in kinds.items():
        if key in payload and (not isinstance(payload[key], kind) or isinstance(payload[key], bool)):
            raise _inconsistent(name, f"its {key} is of the wrong kind ({type(payload[key]).__name__})")
    if not payload.get("label_column", "label").strip():
        raise _inconsistent(name, "its label column has an empty name")
    if any(not isinstance(h, dict) for h in payload.get("history") or []):
        raise _inconsistent(name, "its training history holds entries that are not per-epoch records")
    evaluation = payload.get("evaluation") or {}
    for key, dtype in _EVAL_ARRAYS.items():
        value = evaluation.get(key)
        if isinstance(value, TensorRef) and value.dtype != dtype:
            raise _inconsistent(name, f"its evaluation's {key} are stored as {value.dtype}, not {dtype}")
    if not isinstance(evaluation.get("class_names", []), list):
        raise _inconsistent(name, "its evaluation's class names are not a list")


def check_uncertainty(value: Any, config, name: str) -> list[tuple[str, TensorRef, bool]]:
    """What a file keeps for prediction sets and the unlike-the-training-data flag (core.evaluation.uncertainty):
    kinds, shapes, sizes and plain values; returns its tensors for the value checks. None: a file from before."""
    from ..evaluation.uncertainty import MAX_DENSITY_WIDTH, MAX_SCORES, feature_width

    if value is None:
        return []
    if not isinstance(value, dict):
        raise _inconsistent(name, f"its prediction-set calibration is a {type(value).__name__}, not a record")
    notes = value.get("notes", [])
    if not isinstance(notes, list) or len(notes) > 16 or any(not isinstance(n, str) or len(n) > 2000 for n in notes):
        raise _inconsistent(name, "its prediction-set notes are not a short list of texts")
    tensors: list[tuple[str, TensorRef, bool]] = []
    calibration = value.get("calibration")
    if calibration is not None:
        if not isinstance(calibration, dict) or calibration.get("method") not in ("split", "cross"):
            raise _inconsistent(name, "its prediction-set calibration names no method (split or cross)")
        folds = calibration.get("folds", 0)
        if type(folds) is not int or not 0 <= folds <= 100:
            raise _inconsistent(name, f"its prediction-set calibration has {folds!r:.40} fold models")
        scores = calibration.get("scores")
        if isinstance(scores, TensorRef) and len(scores.shape) != 1:
            raise _inconsistent(name, f"its calibration scores have the shape {tuple(scores.shape)}, not one score "
                                      "per row")
        scores = check_array(scores, (None,), "calibration scores", name, max_rows=MAX_SCORES)
        if scores.shape[0] < 1:
            raise _inconsistent(name, "its prediction-set calibration holds no scores")
        tensors.append(("calibration scores", scores, False))
    density = value.get("density")
    if density is not None:
        width = feature_width(config)
        if not isinstance(density, dict) or width > MAX_DENSITY_WIDTH:
            raise _inconsistent(name, "its record of the training rows' features does not fit its network")
        means = check_array(density.get("means"), (config.n_classes, width), "feature means", name)
        precision = check_array(density.get("precision"), (width, width), "feature precision matrix", name)
        for key, low, high in (("limit", 0.0, math.inf), ("percentile", 1e-9, 100.0)):
            number = density.get(key)
            if type(number) not in (int, float) or not math.isfinite(number) or not low <= number <= high:
                raise _inconsistent(name, f"its unlike-the-training-data {key} is {number!r:.40}")
        tensors += [("feature means", means, False), ("feature precision matrix", precision, False)]
    return tensors


# ---- values ------------------------------------------------------------------------------------------


def _chunks(model_file: ModelFile, t: TensorRef, chunk_bytes: int) -> Iterator[np.ndarray]:
    values = model_file.values(t)
    step = max(1, chunk_bytes // max(1, values.itemsize))
    for start in range(0, len(values), step):
        yield values[start:start + step]


def check_values(model_file: ModelFile, checks: list[tuple[str, TensorRef, bool]],
                 limits: ContentLimits = CONTENT_LIMITS) -> None:
    """Each (what, tensor, positive) finite, and above 0 where `positive`; records read one at a time."""
    name = model_file.name
    for what, t, positive in checks:
        if t.dtype[0] != "f":
            continue
        for part in _chunks(model_file, t, limits.check_chunk_bytes):
            if not np.isfinite(part).all():
                raise _inconsistent(name, f"its {what}: NaN or infinite values (a diverged training or an "
                                          "altered file); predictions from it would be meaningless")
            if positive and not (part > 0).all():
                raise _inconsistent(name, f"its {what}: values of 0 or below; scaling by them would give "
                                          "meaningless predictions")
            low, high = BOUNDED_VALUES.get(what, (None, None))
            if low is not None and not ((part >= low) & (part <= high)).all():
                raise _inconsistent(name, f"its {what}: values outside {low:g} to {high:g}, which no model gives")


def check_encoding(encoding: Any, feature_names: list[str], name: str) -> None:
    """A table's text-column encoding (core.data.text_columns), when the file has one: its input columns unique
    names, each text column one of them with 1 to MAX_CATEGORIES + 2 unique values of bounded length, and the
    model's feature names exactly the parts it makes (so prediction builds the rows the network was trained on)."""
    from ..data.text_columns import MAX_CATEGORIES, MAX_VALUE_CHARS, ColumnEncoding

    if encoding is None:
        return
    if not isinstance(encoding, dict) or not isinstance(encoding.get("columns"), list) \
            or not isinstance(encoding.get("text"), list):
        raise _inconsistent(name, "its text-column encoding is not a list of columns and text columns")
    columns, text = encoding["columns"], encoding["text"]
    if not text or len(columns) > len(feature_names) or len(text) > len(columns):
        raise _inconsistent(name, f"its text-column encoding names {len(columns):,} columns and {len(text):,} text "
                                  f"columns for {len(feature_names):,} features")
    check_names(columns, len(columns), "encoded columns", name)
    seen: set[str] = set()
    for entry in text:
        if not isinstance(entry, dict) or entry.get("name") not in columns or entry["name"] in seen:
            raise _inconsistent(name, "its text-column encoding names a text column that is not one of its columns "
                                      "(or names it twice)")
        seen.add(entry["name"])
        categories = entry.get("categories")
        count = len(categories) if isinstance(categories, list) else 0
        if not 1 <= count <= MAX_CATEGORIES + 2:
            raise _refuse(name, f"its text column {entry['name']!r:.60} has {count:,} values; this "
                                f"version reads 1 to {MAX_CATEGORIES + 2}")
        if any(not isinstance(c, str) or len(c) > MAX_VALUE_CHARS + 20 for c in categories) \
                or len(set(categories)) != len(categories):
            raise _inconsistent(name, f"the values of its text column {entry['name']!r:.60} are not unique, short "
                                      "texts")
    try:
        parts = ColumnEncoding.from_dict(encoding).feature_names
    except (HybridXAIError, ValueError, TypeError) as exc:
        raise _inconsistent(name, f"its text-column encoding cannot be used ({exc})") from None
    if parts != list(feature_names):
        raise _inconsistent(name, "its feature names are not the parts its text-column encoding makes")


def check_model_file(model_file: ModelFile, limits: ContentLimits = CONTENT_LIMITS):
    """Everything a model file holds, from its metadata and then its values; returns its ModelConfig."""
    name, payload = model_file.name, model_file.payload
    check_tensors(model_file, walk(payload, name, limits.depth), limits)
    check_plain(payload, name)
    config = check_model_config(payload.get("model_config"), name)
    state = payload.get("model_state_dict")
    check_state(state, expected_state(config, name, limits), name)
    check_names(payload.get("feature_names"), config.n_features, "feature names", name)
    check_names(payload.get("class_names"), config.n_classes, "class names", name)
    check_encoding(payload.get("encoding"), payload["feature_names"], name)
    features = config.n_features
    scaler = payload.get("scaler")
    if not isinstance(scaler, dict):
        raise _inconsistent(name, "its scaler is missing")
    mean = check_array(scaler.get("mean"), (features,), "scaler mean", name)
    std = check_array(scaler.get("std"), (features,), "scaler std", name)
    soft = check_array(scaler.get("soft"), (features,), "scaler signed-log scale", name, optional=True)
    fill = check_array(payload.get("fill_values"), (features,), "fill values", name, optional=True)
    background = check_array(payload.get("background"), (None, features), "background rows", name, optional=True,
                             max_rows=limits.background_rows)
    checks = [(f"weights ({key})", t, False) for key, t in state.items()]
    checks += [("scaler mean", mean, False), ("scaler std", std, True)]
    checks += [("scaler signed-log scale", soft, False)] if soft is not None else []
    checks += [(what, t, False) for what, t in (("fill values", fill), ("background rows", background)) if t]
    checks += check_uncertainty(payload.get("uncertainty"), config, name)
    check_values(model_file, checks, limits)
    if soft is not None:  # 0 is "not read on the signed-log scale"; a tiny scale would overflow the inputs
        from ..data.series_data import MIN_SOFT

        for part in _chunks(model_file, soft, limits.check_chunk_bytes):
            if ((part > 0) & (part < MIN_SOFT)).any():
                raise _inconsistent(name, f"its scaler signed-log scale: values between 0 and {MIN_SOFT:g}, which no "
                                          "training gives; the inputs would overflow")
    model_file.verify_records(set(model_file.records) - {t.storage.key for _, t, _ in checks})
    return config


__all__ = ["Limit", "MODEL_LIMITS", "ContentLimits", "CONTENT_LIMITS", "SAVED_DTYPES", "check_model_file", "walk",
           "check_tensors", "check_model_config", "expected_state", "check_state", "check_names", "check_array",
           "check_plain", "check_values", "check_encoding", "check_table_tokens", "check_uncertainty"]
