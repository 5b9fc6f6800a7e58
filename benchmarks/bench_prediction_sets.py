"""Prediction sets and the unlike-the-training-data flag on the development sets (issue 27), through the product's
own pipeline: `run_training` (the calibration the `train` command makes), then the test rows' sets at coverage
0.8, 0.9 and 0.95 and rows of pure noise through `predict_frame`.

For each set and coverage c it reports the coverage measured on the test rows beside the finite-sample bounds
for n calibration scores (split conformal: [c, c + 1/(n + 1)] for the set {score <= q}), the range the measured
share of m test rows falls in 95 % of the time when the calibration is exact (the number of covered test rows is
beta-binomial: m, k, n + 1 - k with k = ceil((n + 1)c)), the share of the tight sets {score <= q} (what the bounds
are about) and of the product's sets (which also hold the predicted class), and the mean set size. Then the
share of noise rows (each column: its training mean + 10 × its training sd × N(0, 1)) and of test rows flagged
unlike the training data.

    .venv/bin/python benchmarks/bench_prediction_sets.py --record /tmp/sets.jsonl          # the cheap sets
    .venv/bin/python benchmarks/bench_prediction_sets.py --sets ACSF1,PigCVP,PLAID --record /tmp/sets.jsonl

One network (the `quick` preset) and one torch thread; a set already in --record is not run again.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from common import append_results, base_parser, mean_sd, set_one_thread, table

DATA = Path("/work/shared/data")
# name: (train file, test file, label, columns left out (identifiers and text), missing values)
SETS = {
    "glass": ("glass_train.csv", "glass_test.csv", "type", ("rownames",), "error"),
    "mpg": ("mpg_train.csv", "mpg_test.csv", "class", ("rownames", "manufacturer", "model", "trans", "drv", "fl"),
            "error"),
    "penguins": ("penguins_train.csv", "penguins_test.csv", "species", ("island", "sex"), "drop"),
    "biopsy": ("biopsy_train.csv", "biopsy_test.csv", "class", ("rownames", "ID"), "drop"),
    "Coffee": ("Coffee_train.csv", "Coffee_test.csv", "bean", (), "error"),
    "BasicMotions": ("BasicMotions_train_wide.csv", "BasicMotions_test_wide.csv", "activity", (), "error"),
    "Pickup": ("PickupGestureWiimoteZ_train.csv", "PickupGestureWiimoteZ_test.csv", "gesture", (), "error"),
    "cells": ("cells_train.csv", "cells_test.csv", "class", ("rownames", "case"), "error"),
    "hpc_jobs": ("hpc_jobs_train.csv", "hpc_jobs_test.csv", "class", ("rownames", "protocol", "day"), "error"),
    "ACSF1": ("ACSF1_train.csv", "ACSF1_test.csv", "appliance", (), "error"),
    "PigCVP": ("PigCVP_train.csv", "PigCVP_test.csv", "pig", (), "error"),
    "PLAID": ("PLAID_train_long.csv", "PLAID_test_long.csv", "appliance", (), "error"),
}
CHEAP = ("glass", "mpg", "penguins", "biopsy", "Coffee", "BasicMotions", "Pickup", "cells", "hpc_jobs")
COVERAGES = (0.8, 0.9, 0.95)
NOISE_ROWS = 200


def expected_range(n: int, m: int, coverage: float, mass: float = 0.95) -> tuple[float, float] | None:
    """The central `mass` range of the share of m new rows whose tight set holds their class, for exact split
    conformal calibration on n scores (beta-binomial); None when n scores are too few for the coverage."""
    from scipy.stats import betabinom

    k = math.ceil((n + 1) * coverage - 1e-9)
    if k > n:
        return None
    dist = betabinom(m, k, n + 1 - k)
    return dist.ppf((1 - mass) / 2) / m, dist.ppf(1 - (1 - mass) / 2) / m


def noise_frame(path: Path, label: str, exclude, rng):
    """NOISE_ROWS rows of the training file's own layout: every value column its mean + 10 × its sd × N(0, 1). A long
    file gets NOISE_ROWS // 4 series of its median length, each value column drawn the same way."""
    import pandas as pd

    from hybridxai_gui.core.pipeline import read_table

    frame = read_table(path)
    values = [c for c in frame.columns if c != label and c not in exclude
              and pd.api.types.is_numeric_dtype(frame[c])]
    if "measurement" in frame.columns:  # PLAID: long (measurement, sample, current_a)
        lengths = frame.groupby("measurement").size()
        steps = int(lengths.median())
        series = NOISE_ROWS // 4
        col = frame["current_a"].to_numpy(dtype=float)
        return pd.DataFrame({"measurement": np.repeat([f"noise{i}" for i in range(series)], steps),
                             "sample": np.tile(np.arange(steps), series),
                             "current_a": np.nanmean(col) + 10 * np.nanstd(col) * rng.normal(size=series * steps)})
    raw = frame[values].to_numpy(dtype=float)
    noise = np.nanmean(raw, axis=0) + 10 * np.nanstd(raw, axis=0) * rng.normal(size=(NOISE_ROWS, len(values)))
    return pd.DataFrame(noise, columns=values)


def run_one(name: str, seed: int, preset: str, epochs: int | None) -> dict:
    from hybridxai_gui.core.config import DataConfig, apply_preset
    from hybridxai_gui.core.evaluation import uncertainty as U
    from hybridxai_gui.core.pipeline import TrainingRequest, drain, predict_frame, run_training

    train, test, label, exclude, missing = SETS[name]
    model, training = apply_preset(preset)
    training = replace(training, seed=seed, **({"epochs": epochs} if epochs else {}))
    request = TrainingRequest(str(DATA / train), str(DATA / test), DataConfig(label=label, exclude=exclude,
                                                                               missing=missing), model, training)
    folds_cpu = {"start": None}

    def watch(item) -> None:  # the CPU time from the first fold model on is the calibration's
        if isinstance(item, U.CalibrationProgress) and folds_cpu["start"] is None:
            folds_cpu["start"] = time.process_time()

    start, wall = time.process_time(), time.perf_counter()
    outcome = drain(run_training(request), watch)
    cpu = time.process_time() - start
    trained, evaluation, rows = outcome.trained, outcome.evaluation, outcome.uncertainty
    calibration = trained.uncertainty.calibration
    out = {"set": name, "seed": seed, "preset": preset, "n_train": len(outcome.prepared.y_train),
           "n_test": len(evaluation.y_true), "classes": len(trained.class_names),
           "accuracy": float(evaluation.accuracy), "method": calibration.method if calibration else "none",
           "n_scores": calibration.n if calibration else 0, "cpu_s": cpu, "wall_s": time.perf_counter() - wall,
           "calibration_cpu_s": (time.process_time() - folds_cpu["start"]) if folds_cpu["start"] else 0.0,
           "coverage": {}}
    y, proba = evaluation.y_true, evaluation.proba
    for c in COVERAGES:
        q = calibration.threshold(c) if calibration else None
        if q is None:
            out["coverage"][str(c)] = None
            continue
        sets, tight = U.prediction_sets(proba, q), U.prediction_sets(proba, q, include_predicted=False)
        out["coverage"][str(c)] = {
            "measured": float(sets[np.arange(len(y)), y].mean()), "tight": float(tight[np.arange(len(y)), y].mean()),
            "mean_size": float(sets.sum(axis=1).mean()), "bounds": calibration.bounds(c),
            "expected": expected_range(calibration.n, len(y), c)}
    out["test_flagged"] = float(rows.unlike.mean()) if rows is not None and rows.unlike is not None else None
    noise = noise_frame(DATA / train, label, exclude, np.random.default_rng(seed))
    flagged = predict_frame(trained, noise, "noise").uncertainty.unlike
    out["noise_flagged"] = float(flagged.mean()) if flagged is not None else None
    return out


def _bounds_met(m: dict, accuracy: float, coverage: float) -> tuple[str, str]:
    """(lower, upper): whether the measured share is inside the 95 % range's ends; above the upper end, the sets
    that hold only the predicted class cannot be smaller, when the model alone is right more often than asked."""
    low, high = m["expected"]
    lower = "yes" if m["measured"] >= low else "no"
    if m["measured"] <= high:
        return lower, "yes"
    return lower, f"above: accuracy {accuracy:.3f} > {coverage:g}" if accuracy > coverage else "no"


def report(results: list[dict]) -> str:
    rows = []
    for r in results:
        for c in COVERAGES:
            m = r["coverage"].get(str(c))
            if m is None:
                rows.append([r["set"], f"{c:g}", r["n_scores"], r["n_test"], "too few scores"] + [""] * 6)
                continue
            lower, upper = _bounds_met(m, r["accuracy"], c)
            (b0, b1), (e0, e1) = m["bounds"], m["expected"]
            rows.append([r["set"], f"{c:g}", r["n_scores"], r["n_test"], m["measured"], f"{b0:g}–{b1:.3f}",
                         f"{e0:.3f}–{e1:.3f}", lower, upper, m["tight"], f"{m['mean_size']:.2f}"])
    first = table(["set", "coverage c", "scores n", "test rows m", "measured", "bound [c, c+1/(n+1)]",
                   "95 % range for m rows", "≥ low end", "≤ high end", "tight sets {score ≤ q}", "mean set size"],
                  rows)
    flags = table(["set", "seed", "rows train/test", "calibration", "accuracy", "noise flagged", "test flagged",
                   "CPU s (of which fold models)"],
                  [[r["set"], r["seed"], f"{r['n_train']}/{r['n_test']}", f"{r['method']} ({r['n_scores']})",
                    r["accuracy"], r["noise_flagged"], r["test_flagged"],
                    f"{r['cpu_s']:.0f} ({r['calibration_cpu_s']:.0f})"] for r in results])
    noise = [r["noise_flagged"] for r in results if r["noise_flagged"] is not None]
    test = [r["test_flagged"] for r in results if r["test_flagged"] is not None]
    lowest, highest = min(noise, default=float("nan")), max(test, default=float("nan"))
    return (f"{first}\n\n{flags}\n\nNoise rows flagged: {mean_sd(noise)} (lowest {lowest:.3f}); test rows flagged: "
            f"{mean_sd(test)} (highest {highest:.3f}).")


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(CHEAP), help="comma-separated names (default: the cheap ones)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--record", help="JSON lines file: results are added as they come, done sets are skipped")
    args = parser.parse_args()
    set_one_thread()
    names = ["glass"] if args.quick else [s.strip() for s in args.sets.split(",") if s.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    done: list[dict] = []
    if args.record and Path(args.record).exists():
        done = [json.loads(line) for line in Path(args.record).read_text().splitlines() if line.strip()]
    results = [r for r in done if r["set"] in names and r["seed"] in seeds and r["preset"] == args.preset]
    for name in names:
        for seed in seeds:
            if any(r["set"] == name and r["seed"] == seed for r in results):
                continue
            result = run_one(name, seed, args.preset, 3 if args.quick else None)
            print(json.dumps(result), flush=True)
            results.append(result)
            if args.record:
                with open(args.record, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(result) + "\n")
    append_results("Prediction sets", report(results), quick=args.quick, no_append=args.no_append)


if __name__ == "__main__":
    main()
