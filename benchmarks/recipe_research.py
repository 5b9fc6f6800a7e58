"""Recipe research on real series (issue 15): the default recipe and variants on ACSF1, Pickup, BasicMotions,
wine and breast cancer, several seeds, test accuracy (mean ± sd) and CPU seconds per training.

    PYTHONPATH=. .venv/bin/python benchmarks/recipe_research.py --variants baseline,recommended --seeds 0,1,2
    ... --sets ACSF1 --variants baseline --seeds 0          # one run
    ... --list                                               # the variants and what they change
    ... --table                                              # print the table of every result stored so far

Each run (set, seed, variant) is stored as one JSON line in --results (default
benchmarks/recipe_results.jsonl) and skipped when already there, so the script resumes and the table can be
rebuilt without training. One process, one torch thread (the machine is shared); "CPU s" is
time.process_time() of the whole run: every training it needs (both arms of a validation choice, the refit,
every ensemble member), not the data loading nor the test scoring.

The seed varies the weights, the shuffling and the validation split (and, for the scikit-learn sets, the
test split). Test rows are scored once, after training; nothing is chosen on them.

Variants are laid over the 'default' preset. Besides ModelConfig / TrainConfig fields, a variant may ask for:
  choose_augment -- train with augmentation on and off, keep the one with the better validation accuracy
                    (ties: lower validation loss); the cost is both trainings;
  refit          -- after training (and choosing), train again on training + validation rows with the same
                    recipe and number of epochs, and keep that model;
  members        -- an ensemble: N models with training seeds seed, seed + 1000, ...; test logits averaged.
                    The stored result keeps each member's logits, so the table also shows N = 1 and N = 3 out
                    of a 5-member run (--ensemble-sizes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from real_sets import SETS, load_set, one_nn  # noqa: E402

from hybridxai_gui.core.config import TrainConfig, apply_preset  # noqa: E402
from hybridxai_gui.core.data.prepare import PreparedData, Scaler  # noqa: E402
from hybridxai_gui.core.training.loop import TrainingFinished, planned_epochs, train  # noqa: E402

# Runs on the tree this was written in (9b34a16: n_channels from ModelConfig, threads in TrainConfig) and on main
# after the series / runtime refactor (n_channels from PreparedData.series, threads in RuntimeConfig).
_PREPARED_FIELDS = {f.name for f in fields(PreparedData)}
_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}

RESULTS = HERE / "recipe_results.jsonl"

# name -> {"model": {...}, "train": {...}, plus optional "choose_augment", "refit", "members", "load": {...}}
VARIANTS: dict[str, dict] = {
    "baseline": {},  # the 'default' preset as it is on main
    # screened on Pickup, 3 seeds (one change each on the default preset)
    "aug off": {"train": {"augment": "off"}},
    "noise 0.2": {"train": {"augment_noise": 0.2}},
    "restore best": {"train": {"restore_best": True}},
    "lr 1e-3": {"train": {"lr": 0.001}},
    "batch 16": {"train": {"batch_size": 16}},
    "min_steps 3000": {"train": {"min_steps": 3000}},
    "cnn 32": {"model": {"cnn_channels": 32}},
    "lstm 64": {"model": {"lstm_hidden": 64}},
    "kernel 5": {"model": {"kernel_size": 5}},
    "kernel 15": {"model": {"kernel_size": 15}},
    "no smoothing": {"train": {"label_smoothing": 0.0}},
    "dropout 0.3": {"model": {"dropout": 0.3}},
    "pickup max length": {"load": {"pickup_length": "max"}},
    "pickup column scaling": {"load": {"scaling": "column"}},
    # LNN: max_lstm_steps NN (pooling bounds the BiLSTM's sequence; no change below 4 x NN steps, i.e. only
    # ACSF1 here); screened on ACSF1, seed 0
    "L64": {"model": {"max_lstm_steps": 64}},
    "L128": {"model": {"max_lstm_steps": 128}},
    "L192": {"model": {"max_lstm_steps": 192}},
    "L64 aug off": {"model": {"max_lstm_steps": 64}, "train": {"augment": "off"}},
    "L128 aug off": {"model": {"max_lstm_steps": 128}, "train": {"augment": "off"}},
    "L192 aug off": {"model": {"max_lstm_steps": 192}, "train": {"augment": "off"}},
    "L64 noise 0.2": {"model": {"max_lstm_steps": 64}, "train": {"augment_noise": 0.2}},
    "L128 cnn 32": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}},
    "L192 cnn 32": {"model": {"max_lstm_steps": 192, "cnn_channels": 32}},
    "L128 cnn 32 aug off": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}, "train": {"augment": "off"}},
    # ensembles (member k trains with seed + 1000 k; N = 1, 3 read from the same run); --posthoc pairs an
    # aug-on and an aug-off ensemble for the chosen-on-validation and mixed recipes
    "L192 ens5": {"model": {"max_lstm_steps": 192}, "members": 5},
    "L192 aug off ens5": {"model": {"max_lstm_steps": 192}, "train": {"augment": "off"}, "members": 5},
    "L128 cnn 32 ens3": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}, "members": 3},
    "L128 cnn 32 aug off ens3": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}, "train": {"augment": "off"},
                                 "members": 3},
    # a validation-chosen augmentation trained as such (the post-hoc table reads the same choice off the
    # ensemble runs without training again)
    "L128 cnn 32 aug chosen": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}, "choose_augment": True},
    # the recommendation (aliases: the table finds runs by spec): single model, and the 3-member ensemble
    "recommended": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}},
    "recommended ens3": {"model": {"max_lstm_steps": 128, "cnn_channels": 32}, "members": 3},
}


def configs(variant: dict, seed: int, n_channels: int, n_features: int):
    model, train = apply_preset("default")
    model = replace(model, n_channels=n_channels, n_features=n_features, **variant.get("model", {}))
    one_thread = {"threads": 1} if "threads" in _TRAIN_FIELDS else {}  # main: RuntimeConfig().threads is 1
    train = replace(train, seed=seed, **one_thread, **variant.get("train", {}))
    return model, train


def prepared(X_train, y_train, X_val, y_val, class_names, n_channels: int = 1) -> PreparedData:
    f = X_train.shape[1]
    empty = np.zeros((0, f), np.float32)
    extra = {}
    if "series" in _PREPARED_FIELDS and n_channels > 1:  # main reads the channel count from the series spec
        from hybridxai_gui.core.data.series import SeriesSpec

        extra["series"] = SeriesSpec("wide", tuple(f"c{i}" for i in range(n_channels)), length=f // n_channels)
    return PreparedData(
        feature_names=[f"x{i}" for i in range(f)], class_names=list(class_names), label_column="label",
        X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val, X_test=empty, y_test=np.zeros(0, np.int64),
        rows_train=np.arange(len(y_train)), rows_val=np.arange(len(y_val)), rows_test=np.zeros(0, np.int64),
        X_test_raw=empty, scaler=Scaler(np.zeros(f), np.ones(f)), fill_values=None, data_hash="", source="real",
        test_source=None, warnings=[], **extra)


def run_training(data, model_cfg, train_cfg):
    """Drain core.training.train (its signature is the same on both trees) and return the TrainResult."""
    for item in train(data, model_cfg, train_cfg):
        if isinstance(item, TrainingFinished):
            return item.result
    raise RuntimeError("training ended without a result")


def _val_score(trained, X_val, y_val) -> tuple[float, float]:
    if len(y_val) == 0:
        return float("nan"), float("nan")
    logits = torch.as_tensor(trained.predict_logits(X_val))
    loss = float(torch.nn.functional.cross_entropy(logits, torch.as_tensor(y_val)))
    return float((logits.argmax(1).numpy() == y_val).mean()), loss


def train_one(s, model_cfg, train_cfg, refit: bool, epochs: int | None = None):
    """(trained model, info) on the set's training rows (validation for choosing), optionally refitted."""
    data = prepared(s.X_train, s.y_train, s.X_val, s.y_val, s.class_names, s.n_channels)
    result = run_training(data, model_cfg, train_cfg)
    val_acc, val_loss = _val_score(result.trained, s.X_val, s.y_val)
    info = {"epochs": len(result.history), "best_epoch": result.best_epoch, "val_acc": val_acc, "val_loss": val_loss}
    if refit:  # same number of epochs as the chosen run (not re-planned for the larger set), no validation
        X = np.concatenate([s.X_train, s.X_val])
        y = np.concatenate([s.y_train, s.y_val])
        data = prepared(X, y, X[:0], y[:0], s.class_names, s.n_channels)
        result = run_training(data, model_cfg, replace(train_cfg, epochs=len(result.history), restore_best=False))
    return result.trained, info


def run_variant(set_name: str, seed: int, name: str) -> dict:
    variant = VARIANTS[name]
    s = load_set(set_name, seed, **variant.get("load", {}))
    torch.set_num_threads(1)
    model_cfg, train_cfg = configs(variant, seed, s.n_channels, s.X_train.shape[1])
    t0 = time.process_time()
    chosen = {}
    if variant.get("choose_augment"):
        arms = {}
        for arm in ("on", "off"):
            tc = replace(train_cfg, augment=arm)
            trained, info = train_one(s, model_cfg, tc, refit=False)
            arms[arm] = (trained, info, tc)
        key = {a: (arms[a][1]["val_acc"], -arms[a][1]["val_loss"]) for a in arms}
        pick = max(arms, key=lambda a: key[a])
        chosen = {"augment": pick, "val": {a: arms[a][1] for a in arms}}
        train_cfg = arms[pick][2]
        if variant.get("refit"):
            trained, info = train_one(s, model_cfg, train_cfg, refit=True)
        else:
            trained, info = arms[pick][0], arms[pick][1]
        members = [trained]
    else:
        members, member_val = [], []
        for k in range(variant.get("members", 1)):
            tc = replace(train_cfg, seed=seed + 1000 * k)
            trained, info_k = train_one(s, model_cfg, tc, refit=bool(variant.get("refit")))
            members.append(trained)
            member_val.append([info_k["val_acc"], info_k["val_loss"]])
            if k == 0:
                info = info_k
        if len(members) > 1:
            chosen = {}
            info = {**info, "member_val": member_val}
    cpu = time.process_time() - t0
    logits = [m.predict_logits(s.X_test) for m in members]
    mean_logits = np.mean(logits, axis=0)
    acc = float((mean_logits.argmax(1) == s.y_test).mean())
    member_acc = [float((lg.argmax(1) == s.y_test).mean()) for lg in logits]
    return {
        "set": set_name, "seed": seed, "variant": name, "spec": variant, "acc": acc, "cpu_s": cpu,
        "member_acc": member_acc, "member_logits": [lg.round(4).tolist() for lg in logits] if len(logits) > 1 else None,
        "y_test": s.y_test.tolist() if len(logits) > 1 else None,
        "shape": s.shape_text(), "one_nn": one_nn(s), "anchors": s.anchors, "chosen": chosen,
        "planned_epochs": planned_epochs(train_cfg, len(s.y_train)), "seq_len": members[0].model.seq_len,
        **info, "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def spec_key(name: str) -> str:
    return hashlib.sha1(json.dumps(VARIANTS[name], sort_keys=True).encode()).hexdigest()[:8]


def load_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _ms(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}"


def table(results: list[dict], sets, variants, sizes=(3, 5)) -> str:
    """Markdown table: per set and variant, test accuracy mean ± sd over seeds, CPU s, seeds, anchors."""
    rows = ["| set | variant | test accuracy | seeds | CPU s per run | epochs | LSTM steps | 1-NN (ours) | anchors |",
            "|---|---|---|---|---|---|---|---|---|"]
    for set_name in sets:
        for name in variants:
            # matched by spec, so an alias (e.g. "recommended") finds the runs stored under another name
            rs = [r for r in results if r["set"] == set_name and r.get("spec") == VARIANTS.get(name)]
            if not rs:
                continue
            rs = sorted({r["seed"]: r for r in rs}.values(), key=lambda r: r["seed"])
            anchors = ", ".join(f"{k} {v}" for k, v in rs[0]["anchors"].items())
            label = name
            extra = ""
            if rs[0].get("chosen"):
                extra = " (on: " + ", ".join(str(r["chosen"]["augment"]) for r in rs) + ")"
            rows.append(f"| {set_name} | {label}{extra} | {_ms([r['acc'] for r in rs])} | "
                        f"{','.join(str(r['seed']) for r in rs)} | {_ms([r['cpu_s'] for r in rs], 0)} | "
                        f"{rs[0]['epochs']} | {rs[0]['seq_len']} | {_ms([r['one_nn'] for r in rs])} | {anchors} |")
            if rs[0].get("member_logits"):
                n_all = len(rs[0]["member_logits"])
                for n in (1, *sizes):
                    if n > n_all:
                        continue
                    accs = []
                    for r in rs:
                        lg = np.mean(np.asarray(r["member_logits"][:n]), axis=0)
                        accs.append(float((lg.argmax(1) == np.asarray(r["y_test"])).mean()))
                    rows.append(f"| {set_name} | {name}: first {n} member(s) | {_ms(accs)} | "
                                f"{','.join(str(r['seed']) for r in rs)} | {_ms([r['cpu_s'] * n / n_all for r in rs], 0)}"
                                f" | | | | |")
    return "\n".join(rows)


def _acc(logits: list, y) -> float:
    return float((np.mean(np.asarray(logits), axis=0).argmax(1) == np.asarray(y)).mean())


def posthoc(results: list[dict], sets, on: str, off: str) -> str:
    """From two ensemble variants that differ only in augmentation (on / off), per set over seeds: single
    models, ensembles of 3 and 5, augmentation chosen on the validation split, and on+off mixtures.

    Choosing on validation: single model -- member 0 of each arm, the better validation accuracy (ties:
    lower loss); ensemble -- each arm's mean member validation accuracy (ties: mean loss). Nothing here
    looks at test rows to choose. CPU s is the training cost of the recipe (the chosen ones pay both arms).
    """
    out = ["| set | recipe | test accuracy | seeds | CPU s per run |", "|---|---|---|---|---|"]
    for set_name in sets:
        by_seed = {}
        for r in results:
            if r["set"] == set_name and r["variant"] in (on, off) and r.get("member_logits"):
                by_seed.setdefault(r["seed"], {})[r["variant"]] = r
        pairs = [(seed, d[on], d[off]) for seed, d in sorted(by_seed.items()) if on in d and off in d]
        if not pairs:
            continue
        n = min(len(a["member_logits"]) for _, a, _ in pairs)
        per = lambda r: r["cpu_s"] / len(r["member_logits"])  # noqa: E731
        recipes: dict[str, list[tuple[float, float]]] = {}
        for _seed, a, b in pairs:
            y = a["y_test"]
            for label, r in (("aug on", a), ("aug off", b)):
                for k in sorted({1, 3, n}):
                    if k <= n:
                        recipes.setdefault(f"{label}, {k} member(s)", []).append((_acc(r["member_logits"][:k], y),
                                                                                per(r) * k))
            va, vb = a["member_val"][0], b["member_val"][0]
            pick = a if (va[0], -va[1]) >= (vb[0], -vb[1]) else b
            recipes.setdefault("aug chosen on val, 1 member", []).append(
                (_acc(pick["member_logits"][:1], y), per(a) + per(b)))
            for k in sorted({3, n}):
                if k > n:
                    continue
                ma = np.mean(np.asarray(a["member_val"][:k]), axis=0)
                mb = np.mean(np.asarray(b["member_val"][:k]), axis=0)
                pick = a if (ma[0], -ma[1]) >= (mb[0], -mb[1]) else b
                recipes.setdefault(f"aug chosen on val, {k} members", []).append(
                    (_acc(pick["member_logits"][:k], y), (per(a) + per(b)) * k))
            for k in (1, 2):
                if 2 * k <= 2 * n:
                    recipes.setdefault(f"mixed: {k} on + {k} off", []).append(
                        (_acc(a["member_logits"][:k] + b["member_logits"][:k], y), (per(a) + per(b)) * k))
        for label, vals in recipes.items():
            out.append(f"| {set_name} | {label} | {_ms([v[0] for v in vals])} | {len(vals)} | "
                       f"{_ms([v[1] for v in vals], 0)} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--variants", default="baseline")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--list", action="store_true")
    p.add_argument("--table", action="store_true", help="print the table of stored results and exit")
    p.add_argument("--posthoc", default="", help="ON,OFF: two ensemble variants differing in augmentation; print "
                   "single / ensemble / chosen-on-validation / mixed recipes from their stored members and exit")
    p.add_argument("--read", default="", help="more result files (comma-separated) to include in the table")
    p.add_argument("--force", action="store_true", help="run again even when a result is stored")
    args = p.parse_args(argv)
    if args.list:
        for name, spec in VARIANTS.items():
            print(f"{name:28s} {spec}")
        return 0
    sets = args.sets.split(",")
    variants = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS] + [s for s in sets if s not in SETS]
    if unknown:
        p.error(f"unknown: {unknown}")
    seeds = [int(x) for x in args.seeds.split(",")]
    if args.posthoc:
        stored = load_results(args.results)
        for extra in filter(None, args.read.split(",")):
            stored += load_results(Path(extra))
        print(posthoc(stored, sets, *args.posthoc.split(",")))
        return 0
    if not args.table:
        done = {(r["set"], r["seed"], json.dumps(r["spec"], sort_keys=True)) for r in load_results(args.results)}
        for set_name in sets:
            for name in variants:
                for seed in seeds:
                    if not args.force and (set_name, seed, json.dumps(VARIANTS[name], sort_keys=True)) in done:
                        continue
                    r = run_variant(set_name, seed, name)
                    with args.results.open("a") as fh:
                        fh.write(json.dumps(r) + "\n")
                    print(f"{set_name:14s} seed {seed} {name:24s} acc {r['acc']:.3f} (members {r['member_acc']}) "
                          f"val {r['val_acc']:.3f} cpu {r['cpu_s']:.0f}s epochs {r['epochs']} L {r['seq_len']}"
                          f"{' chosen ' + r['chosen']['augment'] if r['chosen'] else ''}", flush=True)
    stored = load_results(args.results)
    for extra in filter(None, args.read.split(",")):
        stored += load_results(Path(extra))
    print(table(stored, sets, variants))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
