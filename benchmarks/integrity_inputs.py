"""The crafted inputs of bench_integrity.py: CSV files, model files, cross-validation folders, output paths.

`Workspace(folder, env).build()` writes them all; each attribute is a path (str) the attempts pass to
`hybridxai`. Models the attempts need are trained with the command line itself (tiny networks, one epoch).
"""

from __future__ import annotations

import copy
import json
import math
import socket
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

TINY = ["--epochs", "1", "--preset", "quick", "--cnn-channels", "4", "--lstm-hidden", "4", "--heads", "2",
        "--kernel-size", "3", "--quiet"]
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1+1)"]
SIZE_CASES = ("100,000 folds (40 MB)", "200 MB of nothing", "nested 100,000 deep", "folds is an object")
CV_MESSAGES = {
    "other classes": "its classes are", "another recipe": "lr 0.5 there", "other features": "features",
    "NaN accuracy": "accuracy is nan", "Infinity accuracy": "accuracy is inf", "accuracy 1.7": "accuracy is 1.7",
    "negative count": "n_test is -5", "counts that do not add up": "do not add up",
    "100,000 folds claimed": "100,000", "100,000 folds (40 MB)": "bytes", "200 MB of nothing": "bytes",
    "nested 100,000 deep": "deep", "folds is an object": "folds is of the wrong kind",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def formula_cells(path) -> list[str]:
    """Cells of a CSV a spreadsheet would run as formulas (= + - @ first, not a number)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
    bad = []
    for cell in frame.to_numpy().ravel():
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            try:
                float(cell)
            except ValueError:
                bad.append(cell)
    return bad


def one_cv_set(folder: Path) -> tuple[bool, str]:
    """Whether a cv folder holds one run's files: as many folds in cv_metrics.csv as in cv_summary.json, and
    baselines.csv's mean equal to cv_metrics.csv's."""
    if not (folder / "cv_summary.json").exists():
        return False, "no summary"
    summary = json.loads((folder / "cv_summary.json").read_text())
    metrics = pd.read_csv(folder / "cv_metrics.csv", dtype={"fold": str})
    folds = metrics[~metrics["fold"].isin(["mean", "sd"])]
    accuracies = [f["metrics"]["accuracy"] for f in summary["folds"]]
    same = len(folds) == len(accuracies) and np.allclose(folds["accuracy"], accuracies, atol=1e-6)
    mean = pd.read_csv(folder / "baselines.csv").set_index("model").loc["hybrid", "accuracy_mean"]
    same = same and math.isclose(mean, metrics.set_index("fold").loc["mean", "accuracy"], abs_tol=1e-6)
    temporaries = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    return bool(same), f"{len(accuracies)}-fold set, {'one run' if same else 'MIXED'}" + (
        f", {len(temporaries)} temporary file(s) left for the next write to clean" if temporaries else "")


def _recordings(n_series: int = 30, length: int = 20, seed: int = 0) -> pd.DataFrame:
    from test_series import recordings

    return recordings(n_series=n_series, length=length, seed=seed, shuffle=False)


def many_records_zip(good: Path, out: Path, total: int) -> None:
    """A zip of the good file's records and empty ones, `total` in all (zip64 end record): the issue's 1,000,050."""
    with zipfile.ZipFile(good) as archive:
        records = [(info.filename, archive.read(info)) for info in archive.infolist()]
    extra = total - len(records)
    local, central = bytearray(), bytearray()
    names = [(n, d) for n, d in records] + [(f"archive/x{i:07d}", b"") for i in range(extra)]
    for name, data in names:
        raw = name.encode()
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(raw), 0)
        local += raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                               len(raw), 0, 0, 0, 0, 0, offset) + raw
    total, cd_offset, end64 = len(names), len(local), len(local) + len(central)
    tail = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, total, total, len(central), cd_offset)
    tail += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
    tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    out.write_bytes(bytes(local) + bytes(central) + tail)


class Workspace:
    def __init__(self, folder: Path, env: dict, quick: bool = False):
        self.folder, self.env, self.quick = Path(folder), env, quick
        self.mounts: list[Path] = []

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def _csv(self, name: str, frame: pd.DataFrame, **options) -> str:
        frame.to_csv(self.folder / name, index=False, **options)
        return self.path(name)

    def _train(self, data: str, out: str, *extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "hybridxai_gui.cli", "train", data, *TINY, *extra, "--out", out],
                              env=self.env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"training {data} failed: {done.stderr[-400:]}")
        return out

    def build(self) -> None:
        from helpers import wine_frame

        from hybridxai_gui.core.model_files.checkpoint import save_checkpoint
        import hostile_models

        self.wine = self._csv("wine.csv", wine_frame())
        self.wine_model = self._train(self.wine, self.path("wine.pth"))
        self._long_files()
        self.long_model = self._train(self.long, self.path("long.pth"))
        trained = hostile_models.small_trained()
        self.small_model = str(save_checkpoint(trained, self.folder / "small.pth"))
        rng = np.random.default_rng(0)
        small = pd.DataFrame(rng.normal(size=(30, 8)), columns=trained.feature_names).assign(
            label=[f"c{i % 3}" for i in range(30)])
        self.small_data = self._csv("small.csv", small)
        self._names(trained)
        self._cv_folders(trained)
        self.hostile = hostile_models.build_all(self.folder / "hostile")
        if self.quick:
            self.hostile = {k: v for k, v in self.hostile.items() if not k.startswith("zip bomb")}
        self.many_records = str(self.folder / "hostile" / "many_records.pth")
        many_records_zip(Path(self.small_model), Path(self.many_records), 1_000_050)
        self.hostile["zip of 1,000,050 records"] = (self.many_records, "1,000,050 records")
        (self.folder / "r.html").mkdir()
        self.folder_html = self.path("r.html")
        self.readonly_out = self._readonly()

    def _long_files(self) -> None:
        frame = _recordings()
        self.long = self._csv("long.csv", frame)
        text = frame.astype({"ax": object})
        text.loc[7, "ax"] = "high"
        self.long_text = self._csv("long_text.csv", text)
        comma = frame.astype({"ay": object})
        comma.loc[40, "ay"] = "1,5"
        self.long_comma = self._csv("long_comma.csv", comma)
        timed = frame.astype({"time_s": object})
        timed.loc[33, "time_s"] = "soon"
        self.long_time_text = self._csv("long_time_text.csv", timed)
        self.long_no_time = self._csv("long_no_time.csv", frame.drop(columns="time_s"))
        self.long_dup = self._csv("long_dup.csv", pd.concat([frame, frame.iloc[:20]]))
        self.long_twice = self._csv("long_twice.csv", pd.concat([frame, frame]))
        n = 1_000_000
        rng = np.random.default_rng(0)
        million = pd.DataFrame({"rid": "a", "t": np.arange(n), "acc": rng.normal(size=n).round(3), "label": "x"})
        short = pd.DataFrame({"rid": np.repeat(["b", "c", "d"], 50), "t": np.tile(np.arange(50), 3), "acc": 0.0,
                              "label": ["y"] * 50 + ["x"] * 50 + ["y"] * 50})
        self.million = self._csv("million.csv", pd.concat([million, short]))
        steps = 70_000
        channels = pd.DataFrame({"rid": "a", "t": np.arange(steps), **{f"c{i}": rng.normal(size=steps).round(2)
                                                                       for i in range(3)}, "label": "x"})
        self.wide_channels = self._csv("channels.csv", pd.concat([channels, short.rename(columns={"acc": "c0"})
                                                                  .assign(c1=0.0, c2=0.0)]))
        ids = ["long"] * 60_000 + [f"s{i:03d}" for i in range(200) for _ in range(3)]
        labels = ["a"] * 60_000 + [("a" if i % 2 else "b") for i in range(200) for _ in range(3)]
        times = list(range(60_000)) + [t for _ in range(200) for t in range(3)]
        self.one_long = self._csv("one_long.csv", pd.DataFrame({"rid": ids, "t": times, "acc": rng.normal(
            size=len(ids)).round(3), "label": labels}))
        steps = rng.normal(size=(20, 120_000))
        steps = (steps - steps.mean(axis=1, keepdims=True)) / steps.std(axis=1, keepdims=True)  # series, as archives keep them
        wide = pd.DataFrame(steps.round(3), columns=[f"t{i}" for i in range(120_000)])
        self.wide_steps = self._csv("wide_steps.csv", wide.assign(label=["a", "b"] * 10))
        named = pd.DataFrame(rng.normal(size=(6, 240_000)).round(2),
                             columns=[f"{c}_{i}" for c in ("acc", "gyr") for i in range(120_000)])
        self.wide_named = self._csv("wide_named.csv", named.assign(label=["a", "b"] * 3))
        table = pd.DataFrame(rng.normal(size=(6, 210_000)).round(2), columns=[f"m{i}x" for i in range(210_000)])
        self.wide_table = self._csv("wide_table.csv", table.assign(label=["a", "b"] * 3))

    def _names(self, trained) -> None:
        from helpers import wine_frame

        from hybridxai_gui.core.model_files.checkpoint import save_checkpoint

        formula = copy.deepcopy(trained)
        formula.class_names = FORMULAS
        formula.feature_names = ["=f0", "@f1", "+f2", "-f3", "f4", "f5", "f6", "f7"]
        self.formula_model = str(save_checkpoint(formula, self.folder / "formula.pth"))
        rng = np.random.default_rng(1)
        data = pd.DataFrame(rng.normal(size=(12, 8)), columns=formula.feature_names)
        self.formula_data = self._csv("formula.csv", data.assign(label=[FORMULAS[i % 3] for i in range(12)]))
        wine = wine_frame()
        wine["label"] = wine["label"].map(dict(zip(sorted(wine["label"].unique()), FORMULAS)))
        self.formula_train = self._csv("formula_train.csv", wine)
        escape = copy.deepcopy(trained)
        escape.class_names = ["a\x1b[2Jwiped", "b\x07bell", "c\x1b]0;title\x07"]
        self.escape_model = str(save_checkpoint(escape, self.folder / "escape.pth"))
        self.newline_data = str(self.folder / "d\nerror: forged.csv")
        pd.read_csv(self.small_data).to_csv(self.newline_data, sep=";", decimal=",", index=False)
        self.newline_out = str(self.folder / "p\nerror: forged too.csv")

    def _summary(self, trained, folds: int = 2, repeats: int = 1) -> dict:
        from hybridxai_gui.core.evaluation.crossval import CrossValidationConfig, CrossValidationResult, FoldResult
        from hybridxai_gui.core.evaluation.crossval_checks import recipe_of

        metrics = {"accuracy": 0.8, "balanced_accuracy": 0.8, "macro_f1": 0.79, "roc_auc": 0.9, "ece": 0.05}
        total = folds * repeats
        result = CrossValidationResult(CrossValidationConfig(folds=folds, repeats=repeats), list(trained.class_names),
                                       "d.csv", 20, [FoldResult(i, i // folds + 1, i % folds + 1, 9, 1, 10,
                                                                dict(metrics)) for i in range(total)])
        data = result.to_dict()
        data["recipe"] = recipe_of(trained)
        return json.loads(json.dumps(data))

    def _cv_folders(self, trained) -> None:
        good = self._summary(trained)

        def edited(change):
            summary = copy.deepcopy(good)
            change(summary)
            return json.dumps(summary)

        text = json.dumps(good)
        cases = {
            "this model's summary": text,
            "other classes": edited(lambda s: s.update(class_names=["x", "y", "z"])),
            "another recipe": edited(lambda s: s["recipe"]["training"].update(lr=0.5)),
            "other features": edited(lambda s: s["recipe"]["data"].update(features=["g0", "g1"])),
            "NaN accuracy": text.replace('"accuracy": 0.8', '"accuracy": NaN', 1),
            "Infinity accuracy": text.replace('"accuracy": 0.8', '"accuracy": Infinity', 1),
            "accuracy 1.7": edited(lambda s: s["folds"][0]["metrics"].update(accuracy=1.7)),
            "negative count": edited(lambda s: s["folds"][0].update(n_test=-5)),
            "counts that do not add up": edited(lambda s: s["folds"][1].update(n_train=9_000_000)),
            "100,000 folds claimed": edited(lambda s: s["config"].update(folds=100_000)),
            "100,000 folds (40 MB)": json.dumps(self._summary(trained, folds=10, repeats=10_000)),
            "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
            "folds is an object": edited(lambda s: s.update(folds={"a": 1})),
        }
        self.cv_folders = {}
        for i, (name, content) in enumerate(cases.items()):
            folder = self.folder / f"cv{i:02d}"
            folder.mkdir()
            (folder / "cv_summary.json").write_text(content)
            self.cv_folders[name] = str(folder)
        sparse = self.folder / "cv_sparse"
        sparse.mkdir()
        with open(sparse / "cv_summary.json", "wb") as fh:
            fh.truncate(200 << 20)
        self.cv_folders["200 MB of nothing"] = str(sparse)
        thousand = self.folder / "cv_thousand"
        thousand.mkdir()
        (thousand / "cv_summary.json").write_text(json.dumps(self._summary(trained, folds=10, repeats=100)))
        self.thousand = str(thousand)

    def _readonly(self) -> str:
        folder = self.folder / "readonly"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True)
        if done.returncode == 0:
            self.mounts.append(folder)
        return str(folder / "cv")

    def close(self) -> None:
        for folder in self.mounts:
            subprocess.run(["umount", str(folder)], capture_output=True)
