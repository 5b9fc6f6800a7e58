"""Series recipe research (issue 25): variants of the default recipe on the six development series sets, through the
product's own pipeline, several seeds, with a leave-one-set-out choice that cannot fit the sets it is judged on.

    PYTHONPATH=. .venv/bin/python benchmarks/series_research.py --variants baseline,"aug off" --seeds 0,1,2 --jobs 2
    ... --table                      # every stored run: per set and variant, single networks and ensembles of 3
    ... --loso                       # leave one set out: choose on five, report the sixth, for each set in turn
    ... --list                       # the variants and what they change

Every run trains ONE network (`ensemble = 1`) with the run's seed on the set's training file and scores its test
file (as `hybridxai train TRAIN --test TEST --label L` does: layout detection, resampling, per-channel scaling).
An ensemble of 3 of seed s is read off the stored runs of seeds s, s+1, s+2 (the product's ensemble initialises
and shuffles member k exactly as a single network of seed s+k; only dropout's draws interleave), so seeds 0-4 give
three single-network and three 3-member figures per set. Results go to one JSON line per run
(`--results`, default benchmarks/series_research.jsonl) with the test logits; a stored run is not trained again.

"CPU s" is `time.process_time()` of the training alone (one torch thread), not the reading nor the scoring.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

DATA = Path("/work/shared/data")
RESULTS = HERE / "series_research.jsonl"
# name -> (train file, test file, label column, anchors key)
SETS = {
    "ACSF1": ("ACSF1_train.csv", "ACSF1_test.csv", "appliance"),
    "Pickup": ("PickupGestureWiimoteZ_train.csv", "PickupGestureWiimoteZ_test.csv", "gesture"),
    "BasicMotions": ("BasicMotions_train_long.csv", "BasicMotions_test_long.csv", "activity"),
    "Coffee": ("Coffee_train.csv", "Coffee_test.csv", "bean"),
    "PigCVP": ("PigCVP_train.csv", "PigCVP_test.csv", "pig"),
    "PLAID": ("PLAID_train_long.csv", "PLAID_test_long.csv", "appliance"),
}
ANCHOR_KEY = {"Pickup": "PickupGestureWiimoteZ"}

# name -> {"model": {...}, "train": {...}, "data": {...}} laid over the 'default' preset (ensemble forced to 1)
VARIANTS: dict[str, dict] = {
    "baseline": {},  # the default recipe as it is (series: no noise augmentation since issue 25)
    "noise on": {"train": {"augment": "on"}},  # the default before issue 25: noise of 0.5 x each step's spread
    "aug off": {"train": {"augment": "off"}},  # = baseline on series, kept as measured before the change
    "cap512 aug off": {"data": {"series_length": 512}, "train": {"augment": "off"}},  # every set resampled to 512
    "late gp noise on": {"model": {"front_end": "late", "global_pool": True}, "train": {"augment": "on"}},
    "late gp aug off": {"model": {"front_end": "late", "global_pool": True}, "train": {"augment": "off"}},
    "inception gp aug off": {"model": {"front_end": "inception", "global_pool": True}, "train": {"augment": "off"}},
    "gp": {"model": {"global_pool": True}},
    "late": {"model": {"front_end": "late"}},
    "noise 0.2": {"train": {"augment": "on", "augment_noise": 0.2}},
    # Since the signed-log rule (series_data.channel_scaler: a channel whose series' amplitudes span > 2 orders of
    # magnitude is read as asinh first); on a set where it does not fire this is "baseline" bit for bit.
    "signed-log": {},
    "zscore": {"data": {"scaling": "zscore"}},  # the rule off: what "baseline" was before it
}


def anchors() -> dict:
    raw = json.loads((DATA / "anchors.json").read_text())
    out = {}
    for name in SETS:
        a = raw[ANCHOR_KEY.get(name, name)]
        out[name] = {"one_nn": next(v for k, v in a.items() if k.startswith("one_nn")),
                     "minirocket": next(v for k, v in a.items() if k.startswith("minirocket"))}
    return out


def run_task(task: tuple[str, str, int]) -> dict:
    set_name, variant, seed = task
    import torch

    torch.set_num_threads(1)
    from hybridxai_gui.core.config import DataConfig, RuntimeConfig, apply_preset
    from hybridxai_gui.core.pipeline import TrainingRequest, prepare
    from hybridxai_gui.core.training.loop import train

    spec = VARIANTS[variant]
    train_file, test_file, label = SETS[set_name]
    model, training = apply_preset("default")
    model = replace(model, ensemble=1, **spec.get("model", {}))
    training = replace(training, seed=seed, **spec.get("train", {}))
    data_cfg = replace(DataConfig(label=label), **spec.get("data", {}))
    request = TrainingRequest(str(DATA / train_file), str(DATA / test_file), data_cfg, model, training,
                              RuntimeConfig(device="cpu", threads=1))
    full = prepare(request)
    data = replace(full, X_test=full.X_test[:0], y_test=full.y_test[:0])  # scored once, after training
    cpu0 = time.process_time()
    result = None
    for item in train(data, model, training, runtime=request.runtime):
        result = getattr(item, "result", result)
    cpu = time.process_time() - cpu0
    logits = result.trained.predict_logits(full.X_test)
    acc = float((logits.argmax(1) == full.y_test).mean())
    return {"set": set_name, "variant": variant, "spec": spec, "seed": seed, "acc": acc, "cpu": cpu,
            "epochs": len(result.history), "n_features": int(full.X_test.shape[1]),
            "seq_len": int(getattr(result.trained.model, "seq_len", 0)),
            "logits": np.round(logits, 4).tolist(), "y_test": full.y_test.tolist(),
            "when": time.strftime("%Y-%m-%d %H:%M")}


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _key(set_name: str, variant: str, seed: int) -> tuple:
    return set_name, json.dumps(VARIANTS[variant], sort_keys=True), seed


def stored_by(results: list[dict]) -> dict:
    """(set, spec json, seed) -> run (the last stored)."""
    return {(r["set"], json.dumps(r["spec"], sort_keys=True), r["seed"]): r for r in results}


def _acc(runs: list[dict]) -> float:
    logits = np.mean([np.asarray(r["logits"]) for r in runs], axis=0)
    return float((logits.argmax(1) == np.asarray(runs[0]["y_test"])).mean())


def figures(results: list[dict], set_name: str, variant: str, seeds=(0, 1, 2), members: int = 1) -> list[float]:
    """Test accuracies for seeds s in `seeds`: single networks (members 1) or ensembles of seeds s .. s+members-1;
    only the seeds whose runs are all stored."""
    by = stored_by(results)
    spec = json.dumps(VARIANTS[variant], sort_keys=True)
    out = []
    for s in seeds:
        runs = [by.get((set_name, spec, s + k)) for k in range(members)]
        if all(runs):
            out.append(_acc(runs))
    return out


def cpu_of(results: list[dict], set_name: str, variant: str) -> float | None:
    spec = json.dumps(VARIANTS[variant], sort_keys=True)
    cpus = [r["cpu"] for r in results if r["set"] == set_name and json.dumps(r["spec"], sort_keys=True) == spec]
    return statistics.mean(cpus) if cpus else None


def _ms(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}"


def table(results: list[dict], variants: list[str], members: int) -> str:
    a = anchors()
    head = ["variant"] + list(SETS) + ["mean gap to MiniRocket (points)", "CPU s per network (sum over sets)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in variants:
        cells, gaps, cpu = [v], [], 0.0
        for s in SETS:
            accs = figures(results, s, v, members=members)
            cells.append(_ms(accs) + (f" ({len(accs)})" if 0 < len(accs) < 3 else ""))
            if accs:
                gaps.append(statistics.mean(accs) - a[s]["minirocket"])
            c = cpu_of(results, s, v)
            cpu += c or 0.0
        cells.append(f"{100 * statistics.mean(gaps):+.1f} ({len(gaps)} sets)" if gaps else "–")
        cells.append(f"{cpu:.0f}")
        rows.append("| " + " | ".join(cells) + " |")
    rows.append("| 1-NN (anchor) | " + " | ".join(f"{a[s]['one_nn']:.3f}" for s in SETS) + " | | |")
    rows.append("| MiniRocket (anchor) | " + " | ".join(f"{a[s]['minirocket']:.3f}" for s in SETS) + " | | |")
    return "\n".join(rows)


def loso(results: list[dict], variants: list[str], members: int) -> str:
    """For each set in turn: the variant with the best mean gap to MiniRocket over the OTHER five sets (only variants
    with every set stored), and what it scores on the held-out set."""
    a = anchors()
    complete = [v for v in variants if all(figures(results, s, v, members=members) for s in SETS)]
    if not complete:
        return "(no variant has runs on every set)"
    lines = ["| held-out set | chosen on the other five | its accuracy there | gap to MiniRocket | baseline there |",
             "|---|---|---|---|---|"]
    gaps = []
    for held in SETS:
        def score(v):
            return statistics.mean(statistics.mean(figures(results, s, v, members=members)) - a[s]["minirocket"]
                                   for s in SETS if s != held)
        best = max(complete, key=score)
        acc = statistics.mean(figures(results, held, best, members=members))
        base = figures(results, held, "baseline", members=members)
        gaps.append(acc - a[held]["minirocket"])
        lines.append(f"| {held} | {best} ({100 * score(best):+.1f} on the others) | {acc:.3f} | "
                     f"{100 * (acc - a[held]['minirocket']):+.1f} | {_ms(base)} |")
    lines.append(f"\nLeave-one-set-out estimate of the chosen recipe's gap to MiniRocket: "
                 f"{100 * statistics.mean(gaps):+.1f} points (variants considered: {', '.join(complete)}).")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--variants", default="baseline")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--members", type=int, default=1, help="table / loso: ensembles of this many seeds")
    p.add_argument("--list", action="store_true")
    p.add_argument("--table", action="store_true")
    p.add_argument("--loso", action="store_true")
    args = p.parse_args(argv)
    if args.list:
        for name, spec in VARIANTS.items():
            print(f"{name:24s} {spec}")
        return 0
    variants = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    results = load(args.results)
    if args.table or args.loso:
        print(table(results, variants, args.members) if args.table else loso(results, variants, args.members))
        return 0
    sets = args.sets.split(",")
    seeds = [int(x) for x in args.seeds.split(",")]
    done = set(stored_by(results))
    cost = {"ACSF1": 3, "PigCVP": 4, "PLAID": 3, "Pickup": 2, "BasicMotions": 1, "Coffee": 1}
    tasks = [(s, v, seed) for v in variants for seed in seeds for s in sets if _key(s, v, seed) not in done]
    order = {v: i for i, v in enumerate(variants)}
    tasks.sort(key=lambda t: (order[t[1]], -cost.get(t[0], 1)))  # each variant on every set before the next
    print(f"{len(tasks)} runs to go on {args.jobs} process(es)", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        for r in pool.map(run_task, tasks):
            with args.results.open("a") as fh:
                fh.write(json.dumps(r) + "\n")
            print(f"[{time.perf_counter() - t0:6.0f} s] {r['set']:12s} {r['variant']:22s} seed {r['seed']} "
                  f"acc {r['acc']:.3f} cpu {r['cpu']:.0f} s epochs {r['epochs']} L {r['seq_len']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
