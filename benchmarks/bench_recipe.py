"""The default recipe on real public series first, then on our synthetic sets, against 1-NN, logistic regression,
a random forest and (real sets) the measured MiniRocket anchor.

    .venv/bin/python benchmarks/bench_recipe.py              # real sets, 3 seeds: default, quick, seed preset
    .venv/bin/python benchmarks/bench_recipe.py --synthetic  # the synthetic sets, 3 seeds (the second table)
    .venv/bin/python benchmarks/bench_recipe.py --quick      # wine + BasicMotions long, 1 seed
    ... --sets ACSF1,Pickup --seeds 3 --jobs 2 --methods default,quick --no-append
    ... --record /tmp/recipe.jsonl  # keep each result as it comes; run the same command again to resume

Real sets (../shared/data, its README; anchors from anchors.json, measured on the same splits): ACSF1 (wide,
1,460 steps), PickupGestureWiimoteZ (wide, unequal lengths), BasicMotions as the long file and as the wide
file (6 channels), each trained on its train file and scored on its test file exactly as `hybridxai train
DATA --test TEST` does (core.pipeline.run_training: layout detection, resampling, per-channel scaling); and
scikit-learn's wine and breast cancer with the default stratified 80/20 split. Seeds vary the weights, the
shuffles and the validation split (the test files are fixed). The baselines are fitted on the training +
validation rows the network saw, with the same scaling. "CPU s" is one training on one thread.

Synthetic sets (each row z-normalised per series as UCR sets are): bump24 (a bump whose position is the
class), freq48 (sines of 2, 3 or 4 cycles), shape80 (square/triangle/sawtooth), cbf128 (cylinder-bell-funnel).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = Path("/work/shared/data")
REAL = {  # name -> (train file, test file, label column); None: a scikit-learn table split 80/20
    "ACSF1": ("ACSF1_train.csv", "ACSF1_test.csv", "appliance"),
    "PickupGestureWiimoteZ": ("PickupGestureWiimoteZ_train.csv", "PickupGestureWiimoteZ_test.csv", "gesture"),
    "BasicMotions long": ("BasicMotions_train_long.csv", "BasicMotions_test_long.csv", "activity"),
    "BasicMotions wide": ("BasicMotions_train_wide.csv", "BasicMotions_test_wide.csv", "activity"),
    "wine": None,
    "breast_cancer": None,
}
ANCHOR_KEYS = {"ACSF1": "ACSF1", "PickupGestureWiimoteZ": "PickupGestureWiimoteZ", "BasicMotions long": "BasicMotions",
               "BasicMotions wide": "BasicMotions"}
TABULAR = ("wine", "breast_cancer", "digits")
SIGNALS = ("bump24", "freq48", "shape80", "cbf128")
TARGETS = {"wine": 0.95, "breast_cancer": 0.95}  # other sets: at least 1-NN's accuracy
METHODS = {"default": "default", "quick": "quick", "seed preset": "seed"}  # method -> preset


# --- data ------------------------------------------------------------------------------------------------

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


def load_frame(name: str) -> tuple[pd.DataFrame, float]:
    """(frame with a 'label' column, test share) for a data set name; signal sets are fixed draws."""
    if name in TABULAR:
        from sklearn import datasets

        ds = getattr(datasets, f"load_{name}")()
        X, y, test_size = ds.data, ds.target, 0.2
    else:
        X, y = _signals(name, np.random.default_rng(sum(map(ord, name))))
        test_size = 0.5
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    df["label"] = y
    return df, test_size


# --- one run (in a worker process) -----------------------------------------------------------------------

def _anchors() -> dict:
    import json

    try:
        return json.loads((DATA / "anchors.json").read_text())
    except OSError:
        return {}


def _request(name: str, seed: int, preset: str):
    from hybridxai_gui.core.config import DataConfig, ModelConfig, RuntimeConfig, TrainConfig, apply_preset
    from hybridxai_gui.core.pipeline import TrainingRequest

    model, train = apply_preset(preset, ModelConfig(), TrainConfig())
    train = replace(train, seed=seed)
    runtime = RuntimeConfig(device="cpu", threads=1)
    spec = REAL.get(name)
    if spec is not None:
        train_file, test_file, label = spec
        return TrainingRequest(str(DATA / train_file), str(DATA / test_file), DataConfig(label=label), model, train,
                               runtime)
    frame, test_size = load_frame(name)
    return TrainingRequest(frame, None, DataConfig(label="label", test_size=test_size), model, train, runtime)


def run_task(task: tuple) -> dict:
    name, seed, method = task
    import torch

    torch.set_num_threads(1)
    from hybridxai_gui.core.pipeline import drain, prepare, run_training

    request = _request(name, seed, METHODS.get(method, "default"))
    out = {"set": name, "seed": seed, "method": method}
    if method == "baselines":
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier

        data = prepare(request)
        X = np.concatenate([data.X_train, data.X_val])
        y = np.concatenate([data.y_train, data.y_val])
        spec = data.series
        shape = (f"{spec.length} steps × {spec.n_channels} ch. ({spec.layout}{', resampled' if spec.resample else ''})"
                 if spec is not None else f"{data.X_train.shape[1]} features")
        out.update(n_train=len(data.X_train), n_val=len(data.X_val), n_test=len(data.X_test), shape=shape)
        for label, clf in (("1-NN", KNeighborsClassifier(1)), ("logistic", LogisticRegression(max_iter=5000)),
                           ("forest", RandomForestClassifier(300, random_state=seed, n_jobs=1))):
            c0 = time.process_time()
            clf.fit(X, y)
            out[label] = float((clf.predict(data.X_test) == data.y_test).mean())
            out[label + " cpu"] = time.process_time() - c0
        return out
    wall0, cpu0 = time.perf_counter(), time.process_time()
    outcome = drain(run_training(request))
    out["acc"] = outcome.evaluation.accuracy
    out["wall"] = time.perf_counter() - wall0
    out["cpu"] = time.process_time() - cpu0
    out["epochs"] = len(outcome.result.history)
    return out


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
            if (out["set"], out["seed"], out["method"]) in wanted:
                wanted.discard((out["set"], out["seed"], out["method"]))
                results.append(out)
        tasks = [t for t in tasks if t in wanted]
        if results:
            print(f"  {len(results)} run(s) taken from {record}; {len(tasks)} to go", flush=True)
    started = time.perf_counter()
    order = sorted(tasks, key=lambda t: (t[2] == "baselines", -load_cost(t[0]), t[2] != "default"))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        for out in pool.map(run_task, order):
            results.append(out)
            if record is not None:
                with record.open("a") as fh:
                    fh.write(json.dumps(out) + "\n")
            acc = out.get("acc", out.get("1-NN"))
            print(f"  [{time.perf_counter() - started:6.0f} s] {out['set']:<22} seed {out['seed']} {out['method']:<12} "
                  f"acc {acc:.3f}" + (f"  {out['cpu']:.0f} CPU s, {out['epochs']} epochs" if "cpu" in out else ""),
                  flush=True)
    return results


def load_cost(name: str) -> int:
    return {"ACSF1": 1460, "PickupGestureWiimoteZ": 361, "BasicMotions long": 600, "BasicMotions wide": 600,
            "digits": 64, "cbf128": 128, "shape80": 80, "freq48": 48}.get(name, 30)


def summarise(results: list[dict], sets: list[str], methods: list[str]) -> tuple[str, list[str], str]:
    anchors = _anchors()
    rows, misses, gaps = [], [], {}
    by: dict = {}
    for r in results:
        by.setdefault((r["set"], r["method"]), []).append(r)
    for name in sets:
        base = by.get((name, "baselines"), [])
        nn1 = statistics.mean(b["1-NN"] for b in base) if base else None
        anchor = anchors.get(ANCHOR_KEYS.get(name, ""), {})
        mini = anchor.get("minirocket", anchor.get("minirocket_resampled_250"))
        target = TARGETS.get(name)
        target_text = f"≥ {target:.2f}" if target else (f"≥ 1-NN ({nn1:.3f})" if nn1 is not None else "–")
        first = True
        for method in methods:
            runs = by.get((name, method), [])
            if not runs:
                continue
            accs = [r["acc"] for r in runs]
            mean = statistics.mean(accs)
            goal = target if target else nn1
            ok = "–" if goal is None else ("yes" if mean >= goal - 1e-9 else "**no**")
            if method == "default":
                if ok == "**no**":
                    misses.append(name)
                if mini is not None and name != "BasicMotions wide":  # BasicMotions counted once in the mean
                    gaps[name] = mean - mini
            b0 = base[0] if base else {}
            size = f"{b0.get('n_train', '?')}+{b0.get('n_val', '?')}/{b0.get('n_test', '?')} · {b0.get('shape', '')}"
            rows.append([name if first else "", size if first else "", method, common.mean_sd(accs),
                         common.mean_sd([r["cpu"] for r in runs], 0), f"{statistics.mean(r['epochs'] for r in runs):.0f}",
                         f"{mini:.2f}" if first and mini is not None else "", target_text if first else "", ok])
            first = False
        for label in ("1-NN", "logistic", "forest"):
            if base:
                rows.append(["", "", label, common.mean_sd([b[label] for b in base]),
                             common.mean_sd([b[label + " cpu"] for b in base], 1), "", "", "", ""])
    headers = ["data set", "train+val/test · shape", "model", "test accuracy (mean ± sd)", "CPU s per training",
               "epochs", "MiniRocket (anchor)", "target", "meets target"]
    gap_text = ""
    if gaps:
        gap_text = (f"Default recipe minus MiniRocket, mean over {', '.join(gaps)}: "
                    f"{statistics.mean(gaps.values()) * 100:+.1f} points "
                    f"({'; '.join(f'{k} {v * 100:+.1f}' for k, v in gaps.items())}).")
    return common.table(headers, rows), misses, gap_text


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", default=None, help="comma-separated data set names")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=None, help="comma-separated: default, quick, seed preset")
    parser.add_argument("--synthetic", action="store_true", help="the synthetic sets (the second table)")
    parser.add_argument("--record", type=Path, default=None,
                        help="JSON-lines file: each result is added as it comes; runs already there are skipped")
    args = parser.parse_args(argv)
    if args.quick:
        sets, seeds = ["wine", "BasicMotions long"], 1
    elif args.synthetic:
        sets, seeds = list(SIGNALS), 3
    else:
        sets, seeds = list(REAL), 3
    if args.sets:
        sets = args.sets.split(",")
    seeds = args.seeds or seeds
    methods = args.methods.split(",") if args.methods else (["default"] if args.quick else
                                                             ["default", "quick", "seed preset"])
    tasks = [(name, seed, m) for name in sets for seed in range(seeds) for m in ["baselines", *methods]]
    print(f"{len(tasks)} runs on {args.jobs} worker process(es), 1 torch thread each", flush=True)
    wall0 = time.perf_counter()
    resumed = args.record is not None and args.record.exists() and args.record.stat().st_size > 0
    results = run_all(tasks, args.jobs, args.record)
    total = time.perf_counter() - wall0
    text, misses, gap_text = summarise(results, sets, methods)
    notes = [f"- {seeds} seed(s); {args.jobs} worker processes; whole run {total:.0f} s wall"
             f"{' (this invocation only: earlier results came from ' + str(args.record) + ')' if resumed else ''}. "
             "default = the 'default' preset (32 conv channels, kernel 9, position channel, BiLSTM of at most 128 steps, "
             "noise augmentation 0.5 sd, last epoch, an ensemble of 3 for series and one network for tables); quick = "
             "always one network; seed preset = the original script's settings. Each trained through core.pipeline as "
             "`hybridxai train` does."]
    if gap_text:
        notes.append(f"- {gap_text}")
    notes.append(f"- Default misses its target on: {', '.join(misses)}." if misses else
                 "- The default meets every target it was run against.")
    body = text + "\n\n" + "\n".join(notes)
    title = "Default recipe on synthetic sets" if args.synthetic else "Default recipe on real data"
    common.append_results(title, body, quick=args.quick, no_append=args.no_append,
                          version_names=("torch", "numpy", "sklearn"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
