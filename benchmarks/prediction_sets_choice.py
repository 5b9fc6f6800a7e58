"""How the prediction sets and the unlike flag were chosen (issue 27): on each set, one network trained on every
training row, five fold models (cross-conformal) and one network trained without a stratified 20 % calibration
split, with the same recipe (`quick` preset, seed 0); then

* accuracy on the test rows of the model trained on every row vs the one trained without the calibration rows;
* coverage and mean set size at 0.8 / 0.9 / 0.95 of cross-conformal sets (the model trained on every row, the
  fold models' scores) and of split-conformal sets (the model without the calibration rows, their scores);
* rows flagged unlike the training data, for two feature layers (`fc`: what the last linear layer reads, the
  attention's output; `conv`: the last convolution block averaged over positions) and two limits (the 99th
  percentile of the training rows' distances under the network that fitted them, or under networks that did not
  train on them: fold models, or the calibration rows of the split), on the test rows and on rows of noise (each
  column: its training mean + 10 × its training sd × N(0, 1)).

    .venv/bin/python benchmarks/prediction_sets_choice.py --sets glass,Coffee --record /tmp/choice.jsonl

The product's own pipeline is measured by bench_prediction_sets.py; this script only compares the options.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench_prediction_sets import DATA, SETS
from common import append_results, base_parser, set_one_thread, table

COVERAGES = (0.8, 0.9, 0.95)


def _features(model, X, layer: str) -> np.ndarray:
    import torch

    members = list(model.members) if hasattr(model, "members") else [model]
    got: list = []
    if layer == "fc":
        hooks = [m.fc.register_forward_pre_hook(lambda _m, a: got.append(a[0])) for m in members]
    else:
        hooks = [m.gradcam_layer.register_forward_hook(lambda _m, _a, o: got.append(o.mean(dim=2))) for m in members]
    try:
        with torch.inference_mode():
            model.eval()
            model(torch.from_numpy(np.asarray(X, dtype=np.float32)))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.cat(got, dim=1).numpy().astype(np.float64)


def run_one(name: str, seed: int, epochs: int | None) -> dict:
    from hybridxai_gui.core.config import DataConfig, apply_preset
    from hybridxai_gui.core.evaluation import uncertainty as U
    from hybridxai_gui.core.pipeline import TrainingRequest, prepare
    from hybridxai_gui.core.training.loop import TrainingFinished, train

    train_file, test_file, label, exclude, missing = SETS[name]
    model, training = apply_preset("quick")
    training = replace(training, seed=seed, **({"epochs": epochs} if epochs else {}))
    data = prepare(TrainingRequest(str(DATA / train_file), str(DATA / test_file),
                                   DataConfig(label=label, exclude=exclude, missing=missing), model, training))

    def fit(rows):
        part = replace(data, X_train=data.X_train[rows], y_train=data.y_train[rows], rows_train=data.rows_train[rows])
        return next(i for i in train(part, model, training) if isinstance(i, TrainingFinished)).result.trained

    n, C, y_test = len(data.y_train), len(data.class_names), data.y_test
    every = np.arange(n)
    start = time.process_time()
    full = fit(every)
    out = {"set": name, "seed": seed, "n_train": n, "n_test": len(y_test), "cpu_full": time.process_time() - start}
    raw = full.unscale(data.X_train)
    noise = full.scaler.transform(raw.mean(0) + 10 * raw.std(0) * np.random.default_rng(seed).normal(size=(200,
                                                                                                  raw.shape[1])))
    proba = full.predict_proba(data.X_test)
    out["accuracy_every_row"] = float((proba.argmax(1) == y_test).mean())

    def coverage(p, scores):
        result = {}
        for c in COVERAGES:
            q = U.threshold(scores, c)
            sets = None if q is None else U.prediction_sets(p, q)
            result[str(c)] = None if sets is None else (float(sets[np.arange(len(y_test)), y_test].mean()),
                                                        float(sets.sum(1).mean()))
        return result

    def flags(net, fitted_on, limit_rows_distances, layer):
        density = U.fit_density(_features(net, data.X_train[fitted_on], layer), data.y_train[fitted_on], C)
        limit = np.percentile(limit_rows_distances(density), 99)
        return {"test": float((density.distances(_features(net, data.X_test, layer)) > limit).mean()),
                "noise": float((density.distances(_features(net, noise, layer)) > limit).mean())}

    fold_of = U.stratified_folds(data.y_train, U.FOLDS, seed)
    scores, held = np.empty(n), {"fc": np.empty(n), "conv": np.empty(n)}
    start = time.process_time()
    for k in range(U.FOLDS):
        rest, mine = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        fold = fit(rest)
        scores[mine] = U.true_class_scores(fold.predict_proba(data.X_train[mine]), data.y_train[mine])
        for layer in held:
            own = U.fit_density(_features(fold.model, data.X_train[rest], layer), data.y_train[rest], C)
            held[layer][mine] = own.distances(_features(fold.model, data.X_train[mine], layer))
    out["cpu_folds"] = time.process_time() - start
    out["cross"] = coverage(proba, scores)
    for layer in held:
        out[f"flag_{layer}_fitted"] = flags(full.model, every, lambda d: d.distances(
            _features(full.model, data.X_train, layer)), layer)
        out[f"flag_{layer}_held_out"] = flags(full.model, every, lambda d: held[layer], layer)
    keep, cal = U.calibration_split(data.y_train, seed)
    split = fit(keep)
    p_split = split.predict_proba(data.X_test)
    out["accuracy_split"] = float((p_split.argmax(1) == y_test).mean())
    out["n_calibration"] = len(cal)
    out["split"] = coverage(p_split, U.true_class_scores(split.predict_proba(data.X_train[cal]), data.y_train[cal]))
    return out


def report(results: list[dict]) -> str:
    def cov(r, key):
        return " / ".join("–" if r[key][str(c)] is None else f"{r[key][str(c)][0]:.3f} ({r[key][str(c)][1]:.2f})"
                          for c in COVERAGES)

    rows = [[r["set"], f"{r['n_train']}/{r['n_test']}", f"{r['accuracy_every_row']:.3f} / {r['accuracy_split']:.3f}",
             cov(r, "cross"), f"{cov(r, 'split')} ({r['n_calibration']})",
             f"{r['cpu_full']:.0f} / {r['cpu_folds']:.0f}"] for r in results]
    sets = table(["set", "rows", "accuracy: every row / without 20 %", "cross-conformal: coverage (size) at 0.8 / "
                  "0.9 / 0.95", "split (n)", "CPU s: model / 5 fold models"], rows)
    flags = table(["set", "fc, fitted limit: test / noise", "fc, held-out limit", "conv, fitted limit",
                   "conv, held-out limit (chosen)"],
                  [[r["set"]] + [f"{r[k]['test']:.3f} / {r[k]['noise']:.3f}" for k in
                                 ("flag_fc_fitted", "flag_fc_held_out", "flag_conv_fitted", "flag_conv_held_out")]
                   for r in results])
    return f"{sets}\n\nRows flagged unlike the training data (test rows / noise rows):\n\n{flags}"


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", default="Coffee,glass,mpg,penguins")
    parser.add_argument("--record", help="JSON lines: results added as they come, done sets skipped")
    args = parser.parse_args()
    set_one_thread()
    names = ["glass"] if args.quick else [s.strip() for s in args.sets.split(",") if s.strip()]
    done = []
    if args.record and Path(args.record).exists():
        done = [json.loads(line) for line in Path(args.record).read_text().splitlines() if line.strip()]
    results = [r for r in done if r["set"] in names]
    for name in names:
        if any(r["set"] == name for r in results):
            continue
        result = run_one(name, 0, 3 if args.quick else None)
        print(json.dumps(result), flush=True)
        results.append(result)
        if args.record:
            with open(args.record, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(result) + "\n")
    append_results("Prediction sets: how they were chosen", report(results), quick=args.quick,
                   no_append=args.no_append)


if __name__ == "__main__":
    main()
