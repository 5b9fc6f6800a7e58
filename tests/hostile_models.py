"""Hostile and damaged model files, built from a small valid one: the reproductions of issue 13 and their
relatives. Shared by the unit tests (which check each refusal and its message) and
benchmarks/bench_hostile_models.py (which times each refusal and measures its peak memory).

Each entry of HOSTILE: name -> (build(good_path, out_path), a regex the refusal's message must match).
"""

from __future__ import annotations

import struct
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

N_FEATURES, N_CLASSES = 8, 3


def small_trained(n_features: int = N_FEATURES, n_classes: int = N_CLASSES, evaluation: dict | None = None):
    """An untrained but complete TrainedModel (no training needed to test what loading refuses)."""
    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import Scaler
    from hybridxai_gui.core.model.network import HybridCNNLSTMAttention
    from hybridxai_gui.core.model.trained import TrainedModel

    torch.manual_seed(0)
    config = ModelConfig(n_features=n_features, n_classes=n_classes)
    rng = np.random.default_rng(0)
    return TrainedModel(
        model=HybridCNNLSTMAttention(config).eval(), model_config=config, train_config=TrainConfig(epochs=1),
        feature_names=[f"f{i}" for i in range(n_features)], class_names=[f"c{i}" for i in range(n_classes)],
        label_column="label", scaler=Scaler(rng.normal(size=n_features), rng.uniform(0.5, 2, n_features)),
        fill_values=rng.normal(size=n_features), history=[{"epoch": 1, "train_loss": 1.0}], evaluation=evaluation,
        data_hash="0" * 64, background=rng.normal(size=(20, n_features)).astype(np.float32),
    )


def write_good(path: Path) -> Path:
    from hybridxai_gui.core.model_files.checkpoint import save_checkpoint

    return save_checkpoint(small_trained(), path)


def _raw(good: Path) -> dict:
    return torch.load(good, weights_only=True)


def _changed(change: Callable[[dict], None]):
    def build(good: Path, out: Path) -> None:
        raw = _raw(good)
        change(raw)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))  # the pickler recurses into a 5,000-deep list
        try:
            torch.save(raw, out)
        finally:
            sys.setrecursionlimit(limit)
    return build


def _records(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _rezip(good: Path, out: Path, replace: Callable[[str, bytes], bytes | None] = lambda n, d: d,
           extra: list[tuple[str, bytes, int]] = (), compress: set[str] = frozenset()) -> None:
    """The good file's records again (replace(name, data) may alter or drop them), then `extra` ones."""
    with zipfile.ZipFile(out, "w") as archive:
        prefix = ""
        for info, data in _records(good):
            prefix = info.filename.split("/")[0] + "/"
            data = replace(info.filename, data)
            if data is not None:
                kind = zipfile.ZIP_DEFLATED if any(info.filename.endswith(c) for c in compress) else zipfile.ZIP_STORED
                archive.writestr(zipfile.ZipInfo(info.filename), data, compress_type=kind)
        for name, data, kind in extra:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the point of one of them
                archive.writestr(zipfile.ZipInfo(prefix + name), data, compress_type=kind)


def _with_pickle(pickle_bytes: Callable[[bytes], bytes]):
    def build(good: Path, out: Path) -> None:
        _rezip(good, out, lambda n, d: pickle_bytes(d) if n.endswith("data.pkl") else d)
    return build


def zip_bomb(good: Path, out: Path, gigabytes: float = 0.4) -> None:
    """A record of zeros deflated about 1,000:1 (4.4 GB fit in 4.4 MB), beside the good records."""
    _rezip(good, out)
    with zipfile.ZipFile(out, "a") as archive:
        prefix = archive.namelist()[0].split("/")[0] + "/"
        info = zipfile.ZipInfo(prefix + "data/999")
        info.compress_type = zipfile.ZIP_DEFLATED
        block = bytes(1 << 24)
        with archive.open(info, "w", force_zip64=True) as fh:
            for _ in range(int(gigabytes * (1 << 30)) >> 24):
                fh.write(block)


def overlapping_records(good: Path, out: Path, copies: int = 2000) -> None:
    """Stored records whose directory entries all point at the same bytes: a zip bomb without compression."""
    _rezip(good, out)
    data = out.read_bytes()
    end = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack("<HII", data[end + 10:end + 20])
    directory, entries, pos = data[cd_offset:cd_offset + cd_size], [], 0
    while pos < len(directory):  # the central directory's entries, as they are
        n, m, k = struct.unpack("<HHH", directory[pos + 28:pos + 34])
        entries.append(directory[pos:pos + 46 + n + m + k])
        pos += 46 + n + m + k
    biggest = max(entries, key=lambda e: struct.unpack("<I", e[24:28])[0])
    n = struct.unpack("<H", biggest[28:30])[0]
    prefix = biggest[46:46 + n].split(b"/")[0] + b"/data/"
    clones = b""
    for i in range(copies):
        name = prefix + b"x%05d" % i
        clones += biggest[:28] + struct.pack("<HHH", len(name), 0, 0) + biggest[34:46] + name
    total = count + copies
    out.write_bytes(data[:cd_offset] + directory + clones + data[end:end + 8]
                    + struct.pack("<HHII", total, total, cd_size + len(clones), cd_offset) + data[end + 20:])


def memo_bomb(data: bytes) -> bytes:
    """The payload's first memo entry moved to index 2**27: CPython's C unpickler would fill a 2 GB memo table
    for those five bytes."""
    assert data[3:5] == b"q\x00", "the top-level dict is memoised first"
    return data[:3] + b"r" + struct.pack("<I", 1 << 27) + data[5:]


def _deep(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _looping():
    value: list = [1]
    value.append(value)
    return value


def _scaler(key: str, tensor: torch.Tensor):
    return lambda raw: raw["scaler"].update({key: tensor})


def _first_weight(change):
    def apply(raw):
        key = next(iter(raw["model_state_dict"]))
        raw["model_state_dict"][key] = change(raw["model_state_dict"][key])
    return apply


def _long_series(**changes) -> dict:
    """A long file's series layout that fits small_trained's network (one channel of N_FEATURES steps)."""
    spec = {"layout": "long", "channels": ["acc"], "length": N_FEATURES, "columns": [], "id_column": "rid",
            "time_column": None, "resample": False}
    return {**spec, **changes}


F = N_FEATURES
HOSTILE: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    # 1. memory bombs and unbounded settings
    "scaler mean 250,000,000 zero-stride": (_changed(_scaler("mean", torch.zeros(1, dtype=torch.float64)
                                                           .expand(250_000_000))), "zero-stride"),
    "scaler mean 10^12 zero-stride": (_changed(_scaler("mean", torch.zeros(1, dtype=torch.float64).expand(10**12))),
                                      "zero-stride"),
    "lstm_hidden 3000": (_changed(lambda r: r["model_config"].update(lstm_hidden=3000)), r"lstm_hidden\) is 3,000"),
    "n_classes 10^7": (_changed(lambda r: r["model_config"].update(n_classes=10**7)), r"n_classes\) is 10,000,000"),
    "kernel_size 10^8": (_changed(lambda r: r["model_config"].update(kernel_size=10**8)), r"kernel_size\) is 100,000,000"),
    "n_features 10^9": (_changed(lambda r: r["model_config"].update(n_features=10**9)), r"n_features\) is 1,000,000,000"),
    "network over 50M weights": (_changed(lambda r: r["model_config"].update(lstm_hidden=2048, lstm_layers=16,
                                                                             num_heads=1)), "weights, above"),
    "background 10^8 x 8 zero-stride": (_changed(lambda r: r.update(background=torch.zeros(1, F).expand(10**8, F))),
                                        "zero-stride"),
    "background 5,000 rows": (_changed(lambda r: r.update(background=torch.zeros(5000, F))), "5,000 background rows"),
    "zip bomb (deflated record)": (lambda g, o: zip_bomb(g, o, 0.05), "compressed"),
    "compressed data.pkl": (lambda g, o: _rezip(g, o, compress={"data.pkl"}), "compressed"),
    "overlapping records": (overlapping_records, "overlap|records"),
    "memo bomb in the pickle": (_with_pickle(memo_bomb), "memo index"),
    "2,000,000 lists in the pickle": (_changed(lambda r: r.update(versions={"x": [[] for _ in range(2_000_000)]})),
                                      "memo index of 1,048,576"),
    "1,500,000 floats in the pickle": (_changed(lambda r: r.update(versions={"x": [i + 0.5 for i in range(1_500_000)]})),
                                       "more than 1,000,000 values"),
    "unreferenced 1 MB record": (lambda g, o: _rezip(g, o, extra=[("data/777", bytes(1 << 20),
                                                                    zipfile.ZIP_STORED)]), "nothing in it refers to"),
    "record name twice": (lambda g, o: _rezip(g, o, extra=[("data/0", bytes(1 << 20), zipfile.ZIP_STORED)]),
                          "record name twice"),
    "record shorter than its tensor": (lambda g, o: _rezip(g, o, lambda n, d: d[: len(d) // 2]
                                                           if n.endswith("data/0") else d), "needs .* bytes"),
    "storage larger than its tensor": (_changed(_scaler("mean", torch.zeros(1000, dtype=torch.float64)[:F])),
                                       "uses 8 of the 1,000"),
    "transposed background": (_changed(lambda r: r.update(background=torch.zeros(F, 20).T)), "contiguous"),
    "bare pickle": (lambda g, o: o.write_bytes(b"\x80\x02}q\x00."), "bare pickle"),
    # 3. silent nonsense
    "scaler std all 0": (_changed(_scaler("std", torch.zeros(F, dtype=torch.float64))), "std: values of 0 or below"),
    "scaler std NaN": (_changed(_scaler("std", torch.full((F,), float("nan"), dtype=torch.float64))), "NaN"),
    "scaler mean inf": (_changed(_scaler("mean", torch.full((F,), float("inf"), dtype=torch.float64))), "NaN"),
    "NaN weights": (_changed(_first_weight(lambda t: torch.full_like(t, float("nan")))), "weights .*NaN"),
    "NaN fill values": (_changed(lambda r: r.update(fill_values=torch.full((F,), float("nan"),
                                                                          dtype=torch.float64))), "fill values.*NaN"),
    "NaN background": (_changed(lambda r: r.update(background=torch.full((5, F), float("nan")))), "background.*NaN"),
    "class names a, a, a": (_changed(lambda r: r.update(class_names=["a", "a", "a"])), "more than once"),
    "class names None": (_changed(lambda r: r.update(class_names=[None, "b", "c"])), "not text"),
    "class name empty": (_changed(lambda r: r.update(class_names=["", "b", "c"])), "empty name"),
    "duplicate feature names": (_changed(lambda r: r.update(feature_names=["f0"] * F)), "more than once"),
    "feature names ints": (_changed(lambda r: r.update(feature_names=list(range(F)))), "not text"),
    "class names lists": (_changed(lambda r: r.update(class_names=[["a"], ["b"], ["c"]])), "not text"),
    "scaler mean stored as float32": (_changed(_scaler("mean", torch.zeros(F))), "stored as f4"),
    "weights of the wrong shape": (_changed(_first_weight(lambda t: torch.zeros(t.shape[0] + 1, *t.shape[1:]))),
                                   "shape"),
    "weights as float64": (_changed(_first_weight(lambda t: t.double())), "f8"),
    # 7. what `info` choked on
    "evaluation is a list": (_changed(lambda r: r.update(evaluation=[1, 2, 3])),
                             r"evaluation is of the wrong kind \(list\)"),
    "5,000-deep nested list": (_changed(lambda r: r.update(versions={"deep": _deep(5000)})), "deep"),
    "list containing itself": (_changed(lambda r: r.update(versions={"loop": _looping()})), "more than once"),
    "label column an int": (_changed(lambda r: r.update(label_column=7)), "label_column is of the wrong kind"),
    # issue 22 §7: files that passed every check and then read data wrongly
    "long model: the id column is its label": (_changed(lambda r: r.update(series=_long_series(id_column="label"))),
                                               "'label' as label and id"),
    "long model: the time column is its id": (_changed(lambda r: r.update(series=_long_series(time_column="rid"))),
                                              "'rid' as id and time"),
    "long model: a channel is its label": (_changed(lambda r: r.update(series=_long_series(channels=["label"]))),
                                           "'label' as label and channel"),
    "long model without a series id": (_changed(lambda r: r.update(series=_long_series(id_column=None))),
                                       "names no series id"),
    "temperature 1e-300": (_changed(lambda r: r.update(temperature=1e-300)), "temperature 1e-300 is outside"),
    "temperature 1e300": (_changed(lambda r: r.update(temperature=1e300)), r"temperature 1e\+300 is outside"),
}


def build_all(folder: Path, names=None) -> dict[str, tuple[Path, str]]:
    """Every hostile file (or those named) in `folder`: name -> (path, expected message regex)."""
    folder.mkdir(parents=True, exist_ok=True)
    good = write_good(folder / "good.pth")
    out = {}
    for i, (name, (build, message)) in enumerate(HOSTILE.items()):
        if names is not None and name not in names:
            continue
        path = folder / f"hostile{i:02d}.pth"
        build(good, path)
        out[name] = (path, message)
    return out
