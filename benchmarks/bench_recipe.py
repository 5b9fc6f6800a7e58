"""The default recipe on real data, as a user runs it: every training is the `hybridxai train` command in a fresh
process, one per seed, beside 1-NN, logistic regression, a random forest, gradient boosting and (series) the
measured MiniRocket anchor.

    .venv/bin/python benchmarks/bench_recipe.py --record /tmp/recipe.jsonl     # the run of record (3 seeds)
    .venv/bin/python benchmarks/bench_recipe.py --sets tables --record ...        # the real tables only
    .venv/bin/python benchmarks/bench_recipe.py --synthetic                       # the synthetic sets (second table)
    .venv/bin/python benchmarks/bench_recipe.py --quick                           # Coffee + wine, 1 seed
    ... --sets ACSF1,PLAID --seeds 3 --jobs 2 --methods default,quick --no-append

Sets (../shared/data, its README; anchors from anchors.json, measured on the same splits):
* series: ACSF1, PickupGestureWiimoteZ, BasicMotions (the long file and the wide file), Coffee, PigCVP, PLAID --
  each trained on its train file and scored on its test file;
* tables (issue "Real tables"): penguins, glass, biopsy, cells, hpc_jobs, mpg -- their train / test files (the
  cross-validated comparison of issue 24 is `benchmarks/bench_tables.py`);
* scikit-learn's wine and breast cancer: a stratified 80/20 split per seed, written to CSV files first.

One run is exactly the command a user types (printed with each result; `--seed` is the seed):

    hybridxai train TRAIN.csv --test TEST.csv --label LABEL --seed S --out model.pth

so a fresh clone reproduces each figure with that command on the same kind of machine (training computes on one
thread whatever the thread count, so the CPU's instruction set is what could differ). Where the default would
calibrate the prediction sets with five fold models (under 2,000 training rows: every series set), the command
adds `--prediction-sets off`: the fold models train after the model and change nothing in it (same weights, same
accuracy), so "CPU s" is the model's own training; the sets cost five single networks more (README, "Where the
scores come from"). "CPU s" is the child
process's user + system time: the whole command (reading, training with every ensemble member, scoring, writing).
The baselines are fitted in this process on the same rows with the same scaling and encodings the pipeline makes
(core.evaluation.baselines).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = Path("/work/shared/data")
SERIES = {  # name -> (train file, test file, label column, anchors key)
    "ACSF1": ("ACSF1_train.csv", "ACSF1_test.csv", "appliance", "ACSF1"),
    "PickupGestureWiimoteZ": ("PickupGestureWiimoteZ_train.csv", "PickupGestureWiimoteZ_test.csv", "gesture",
                              "PickupGestureWiimoteZ"),
    "BasicMotions long": ("BasicMotions_train_long.csv", "BasicMotions_test_long.csv", "activity", "BasicMotions"),
    "BasicMotions wide": ("BasicMotions_train_wide.csv", "BasicMotions_test_wide.csv", "activity", "BasicMotions"),
    "Coffee": ("Coffee_train.csv", "Coffee_test.csv", "bean", "Coffee"),
    "PigCVP": ("PigCVP_train.csv", "PigCVP_test.csv", "pig", "PigCVP"),
    "PLAID": ("PLAID_train_long.csv", "PLAID_test_long.csv", "appliance", "PLAID"),
}
TABLES = {name: (f"{name}_train.csv", f"{name}_test.csv", label, name) for name, label in (
    ("penguins", "species"), ("glass", "type"), ("biopsy", "class"), ("cells", "class"), ("hpc_jobs", "class"),
    ("mpg", "class"))}
SKLEARN = ("wine", "breast_cancer")
SIGNALS = ("bump24", "freq48", "shape80", "cbf128")
METHODS = {"default": "default", "quick": "quick", "seed preset": "seed", "pad": "default"}  # method -> preset
FLAGS = {"pad": ["--unequal", "pad"]}  # method -> its flags beside the preset (pad: series padded, not resampled)
COST = {"ACSF1": 5, "PigCVP": 5, "PLAID": 5, "PickupGestureWiimoteZ": 3, "cells": 2, "hpc_jobs": 2}
# sets counted once in the series mean (BasicMotions has two files of the same recordings)
SERIES_MEAN = ("ACSF1", "PickupGestureWiimoteZ", "BasicMotions long", "Coffee", "PigCVP", "PLAID")


# --- data: every set as a train and a test file --------------------------------------------------------------

def _znorm(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-8)


def _signals(name: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if name == "bump24":
        n, L = 180, 24
        y = np.arange(n) % 3
        t = np.arange(L)[None, :]
        centre = (6 + 6 * y + rng.uniform(-2.5, 2.5, n))[:, None]
        X = 2.0 * np.exp(-0.5 * ((t - centre) / 1.5) ** 2) + rng.normal(0, 0.6, (n, L))
    elif name == "freq48":
        n, L = 180, 48
        y = np.arange(n) % 3
        t = np.arange(L)[None, :] / L
        f = (2 + y + rng.uniform(-0.3, 0.3, n))[:, None]
        X = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi, (n, 1))) + rng.normal(0, 0.8, (n, L))
    elif name == "shape80":
        n, L = 210, 80
        y = np.arange(n) % 3
        period = 20
        phase = (np.arange(L)[None, :] + rng.uniform(0, period, (n, 1))) % period / period  # in [0, 1)
        square = np.where(phase < 0.5, 1.0, -1.0)
        triangle = 4 * np.abs(phase - 0.5) - 1
        sawtooth = 2 * phase - 1
        X = np.choose(y[:, None], [square, triangle, sawtooth]) + rng.normal(0, 0.6, (n, L))
    elif name == "cbf128":
        n, L = 150, 128
        y = np.arange(n) % 3
        t = np.arange(L)[None, :]
        a = rng.integers(16, 33, n)[:, None]
        b = a + rng.integers(32, 97, n)[:, None]
        inside = (t >= a) & (t <= b)
        amp = (6 + rng.normal(0, 1, (n, 1)))
        shapes = [np.ones((n, L)), (t - a) / (b - a), (b - t) / (b - a)]
        X = amp * inside * np.choose(y[:, None], shapes) + rng.normal(0, 1, (n, L))
    else:
        raise ValueError(name)
    return _znorm(X).astype(np.float32), y


def _split_files(name: str, seed: int, folder: Path) -> tuple[Path, Path, str]:
    """A generated set written as train / test CSV files: scikit-learn's tables split 80/20 stratified by the seed,
    a synthetic set (a fixed draw) split 50/50 by the seed."""
    from sklearn.model_selection import train_test_split

    if name in SKLEARN:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")()
        X, y, share = bunch.data, bunch.target, 0.2
        columns = [str(c) for c in bunch.feature_names]
    else:
        X, y = _signals(name, np.random.default_rng(sum(map(ord, name))))
        share = 0.5
        columns = [f"x{i:03d}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    frame["label"] = y
    train, test = train_test_split(frame, test_size=share, stratify=y, random_state=seed)
    paths = folder / f"{name}_{seed}_train.csv", folder / f"{name}_{seed}_test.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return paths[0], paths[1], "label"


def files_for(name: str, seed: int, folder: Path) -> tuple[Path, Path, str]:
    if name in SERIES or name in TABLES:
        train, test, label, _ = {**SERIES, **TABLES}[name]
        return DATA / train, DATA / test, label
    return _split_files(name, seed, folder)


# --- one run (in a worker process) -----------------------------------------------------------------------------

def command(train: Path, test: Path, label: str, seed: int, preset: str, out: Path, flags=()) -> list[str]:
    cmd = ["hybridxai", "train", str(train), "--test", str(test), "--label", label, "--seed", str(seed),
           "--out", str(out), "--quiet"]
    if _cross_conformal(train):  # the same model and accuracy, without the five fold models that calibrate sets
        cmd += ["--prediction-sets", "off"]
    return cmd + (["--preset", preset] if preset != "default" else []) + list(flags)


def _cross_conformal(train: Path) -> bool:
    """Whether the default (`--prediction-sets auto`) calibrates the prediction sets with fold models here: under
    SPLIT_MIN_ROWS training rows (series: every development set). Those fold models train after the model and
    change nothing in it, so a run leaves them out (`--prediction-sets off`) and measures the model's own cost;
    with a calibration split (more rows) the held-out rows change the model, so the default stays."""
    from hybridxai_gui.core.evaluation.uncertainty import SPLIT_MIN_ROWS

    if any(train.name == files[0] for files in SERIES.values()):
        return True
    with open(train, "rb") as f:
        return sum(1 for _ in f) - 1 < SPLIT_MIN_ROWS


def run_task(task: tuple) -> dict:
    """One training as the command line runs it (a fresh process), or the baselines on the same rows."""
    name, seed, method = task
    out = {"set": name, "seed": seed, "method": method}
    with tempfile.TemporaryDirectory(prefix="hybridxai-recipe-") as tmp:
        folder = Path(tmp)
        train, test, label = files_for(name, seed, folder)
        if method == "baselines":
            return {**out, **_baselines(train, test, label, seed)}
        cmd = command(train, test, label, seed, METHODS[method], folder / "m.pth", FLAGS.get(method, ()))
        argv = [sys.executable, "-m", "hybridxai_gui.cli", *cmd[1:]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        out["acc"] = _accuracy_of(folder / "m.pth")
        out["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out["wall"] = time.perf_counter() - wall0
        out["command"] = " ".join(c if c != str(folder / "m.pth") else "model.pth" for c in cmd)
    return out


def _accuracy_of(model: Path) -> float:
    """The test accuracy the command stored in the model file (its evaluation of the --test rows)."""
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint

    return float(load_checkpoint(model).evaluation["accuracy"])


def _baselines(train: Path, test: Path, label: str, seed: int) -> dict:
    """1-NN, logistic regression, random forest and gradient boosting on the rows and encodings the pipeline makes."""
    import torch

    torch.set_num_threads(1)
    from hybridxai_gui.core.config import DataConfig, apply_preset
    from hybridxai_gui.core.evaluation import baselines
    from hybridxai_gui.core.pipeline import TrainingRequest, prepare

    model, training = apply_preset("default")
    data = prepare(TrainingRequest(str(train), str(test), DataConfig(label=label), model, training))
    X_fit, y_fit = baselines.fit_rows(data)
    scores = baselines.fit_and_score(X_fit, y_fit, data.X_test, data.y_test, len(data.class_names), seed)
    spec = data.series
    shape = (f"{len(y_fit)} / {len(data.y_test)} series × " + (f"{spec.n_channels} ch. × " if spec.n_channels > 1 else "")
             + f"{spec.length}" if spec is not None else f"{len(y_fit)} / {len(data.y_test)} rows × {X_fit.shape[1]}")
    return {"shape": shape, **{s.model: s.accuracy for s in scores}}


def run_all(tasks: list[tuple], jobs: int, record: Path | None = None) -> list[dict]:
    """Run the tasks; with `record`, each result is appended to that JSON-lines file as it comes, and tasks already
    recorded there are not run again (a run that was killed resumes where it stopped)."""
    results = []
    if record is not None and record.exists():
        wanted = set(tasks)
        for line in record.read_text().splitlines():
            try:
                out = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by the kill
            key = (out["set"], out["seed"], out["method"])
            if key in wanted:
                wanted.discard(key)
                results.append(out)
        tasks = [t for t in tasks if t in wanted]
        if results:
            print(f"  {len(results)} run(s) taken from {record}; {len(tasks)} to go", flush=True)
    started = time.perf_counter()
    order = sorted(tasks, key=lambda t: (t[2] == "baselines", -COST.get(t[0], 1), t[2] != "default"))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        for out in pool.map(run_task, order):
            results.append(out)
            if record is not None:
                with record.open("a") as fh:
                    fh.write(json.dumps(out) + "\n")
            acc = out.get("acc", out.get("nearest_neighbour"))
            print(f"  [{time.perf_counter() - started:6.0f} s] {out['set']:<22} seed {out['seed']} {out['method']:<12} "
                  f"acc {acc:.3f}" + (f"  {out['cpu']:.0f} CPU s" if "cpu" in out else ""), flush=True)
    return results


# --- the table ---------------------------------------------------------------------------------------------------

def _anchors() -> dict:
    try:
        return json.loads((DATA / "anchors.json").read_text())
    except OSError:
        return {}


def _anchor(name: str, kind: str) -> float | None:
    key = {**SERIES, **TABLES}.get(name, (None, None, None, None))[3]
    entry = _anchors().get(key or "", {})
    return next((v for k, v in entry.items() if k.startswith(kind)), None)


BASELINE_COLUMNS = (("nearest_neighbour", "1-NN"), ("logistic_regression", "logistic"), ("random_forest", "forest"),
                    ("gradient_boosting", "gradient boosting"))


def summarise(results: list[dict], sets: list[str], methods: list[str]) -> tuple[str, list[str]]:
    by: dict = {}
    for r in results:
        by.setdefault((r["set"], r["method"]), []).append(r)
    rows, notes, gaps = [], [], {}
    for name in sets:
        base = by.get((name, "baselines"), [])
        mini = _anchor(name, "minirocket")
        first = True
        for method in methods:
            runs = sorted(by.get((name, method), []), key=lambda r: r["seed"])
            if not runs:
                continue
            accs = [r["acc"] for r in runs]
            mean = statistics.mean(accs)
            nn1 = statistics.mean(b["nearest_neighbour"] for b in base) if base else None
            if method == "default" and mini is not None and name in SERIES_MEAN:
                gaps[name] = mean - mini
            verdict = "–"
            if method == "default" and mini is not None:
                verdict = "yes" if mean >= mini - 0.03 - 1e-9 and (nn1 is None or mean > nn1 or mean == 1.0) else "**no**"
            rows.append([name if first else "", base[0].get("shape", "") if first and base else "", method,
                         common.mean_sd(accs), ", ".join(f"{a:.3f}" for a in accs),
                         common.mean_sd([r["cpu"] for r in runs], 0), f"{mini:.3f}" if first and mini else "", verdict])
            first = False
        for key, label in BASELINE_COLUMNS:
            values = [b[key] for b in base if key in b]
            if values:
                rows.append(["", "", label, common.mean_sd(values), ", ".join(f"{v:.3f}" for v in values), "", "", ""])
    headers = ["data set", "train / test · shape", "model", "test accuracy (mean ± sd)", "per seed (0, 1, 2, …)",
               "CPU s per command", "MiniRocket", "≥ MiniRocket − 3 and > 1-NN"]
    if gaps:
        worst = min(gaps, key=gaps.get)
        notes.append(f"Default recipe minus MiniRocket over the {len(gaps)} series sets: mean "
                     f"{100 * statistics.mean(gaps.values()):+.1f} points (goal ≥ −1); worst {worst} "
                     f"{100 * gaps[worst]:+.1f} (goal ≥ −3); " + "; ".join(f"{k} {100 * v:+.1f}" for k, v in gaps.items())
                     + ".")
    return common.table(headers, rows), notes


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", default=None, help="comma-separated names, or: series, tables, sklearn")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=None, help="comma-separated: default, quick, seed preset")
    parser.add_argument("--synthetic", action="store_true", help="the synthetic sets (the second table)")
    parser.add_argument("--record", type=Path, default=None,
                        help="JSON-lines file: each result is added as it comes; runs already there are skipped")
    args = parser.parse_args(argv)
    groups = {"series": list(SERIES), "tables": list(TABLES), "sklearn": list(SKLEARN)}
    if args.quick:
        sets, seeds = ["Coffee", "wine"], 1
    elif args.synthetic:
        sets, seeds = list(SIGNALS), 3
    else:
        sets, seeds = list(SERIES) + list(TABLES) + list(SKLEARN), 3
    if args.sets:
        sets = [s for part in args.sets.split(",") for s in groups.get(part, [part])]
    seeds = args.seeds or seeds
    methods = args.methods.split(",") if args.methods else ["default"]
    tasks = [(name, seed, m) for name in sets for seed in range(seeds) for m in ["baselines", *methods]]
    print(f"{len(tasks)} runs on {args.jobs} worker process(es), each training a fresh `hybridxai train` process",
          flush=True)
    wall0 = time.perf_counter()
    results = run_all(tasks, args.jobs, args.record)
    text, notes = summarise(results, sets, methods)
    example = next((r["command"] for r in results if r.get("command")), "")
    notes = [f"- {seeds} seed(s); {args.jobs} worker processes; this invocation {time.perf_counter() - wall0:.0f} s "
             f"wall. Each figure is one `hybridxai train` command in a fresh process (e.g. `{example}`); its seed is "
             "the `--seed`."] + [f"- {n}" for n in notes]
    title = "Default recipe on synthetic sets" if args.synthetic else "Default recipe on real data"
    common.append_results(title, text + "\n\n" + "\n".join(notes), quick=args.quick, no_append=args.no_append,
                          version_names=("torch", "numpy", "sklearn"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
