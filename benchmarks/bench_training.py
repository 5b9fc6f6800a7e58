"""Training throughput: the core trainer against the reference script's pipeline, side by side.

    .venv/bin/python benchmarks/bench_training.py            # 10,000 rows x 150 features, 2 epochs, 2 rounds
    .venv/bin/python benchmarks/bench_training.py --quick    # 2,000 rows, 1 epoch, 1 round (~1 min)
    ... --epochs N --rounds N --no-append
    ... --reference-threads 1   # the reference on one torch thread instead of torch's default
    ... --core-threads 2 --busy  # what-if: the core trained on 2 torch threads, with a busy loop on one core

Each side runs at its default threads, as a user runs it (issue 26.3): the reference script never sets torch's
thread count, so it runs at torch's default (one per core); the core trains as it ships (one torch thread, so that
a seed gives the same network whatever the machine's thread count: issue 25). The speed that counts is training
rows per wall second; rows per CPU second (all threads' time) is shown beside it.

Both sides train the same model class with the seed configuration (apply_preset("seed"): Adam 0.005,
batch 32, StepLR, 1 torch thread) on the same 80 % / 20 % stratified split of one synthetic data set:

* reference: the original script's pipeline -- a per-row torch Dataset reading a pandas DataFrame with
  .iloc, a DataLoader (batch 32, shuffled), a test pass each epoch under torch.no_grad in batches of 32,
  training loss/accuracy accumulated from the training batches;
* core: hybridxai_gui.core.training.loop.train (pre-stacked tensors sliced per batch; each epoch it re-scores
  the whole training set and the test set in inference mode, EVAL_BATCH rows per forward pass).

Rounds alternate the order (reference first, then core first) and the table quotes the median of the
rounds and the ratio; absolute numbers drift on a shared machine, ratios measured in one run do not.
A second table takes the core epoch apart with a hand-written loop on the same tensors: optimiser steps
alone, row gathering vs slicing, the test pass at several batch sizes, the training-set re-score, and
two torch threads against one.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402

from hybridxai_gui.core.training import loop as training  # noqa: E402
from hybridxai_gui.core.config import apply_preset  # noqa: E402
from hybridxai_gui.core.data.prepare import prepare_data  # noqa: E402
from hybridxai_gui.core.model.network import HybridCNNLSTMAttention  # noqa: E402

N_CLASSES = 3
TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before anything sets it: what the seed script runs with


def synthetic(n_rows: int, n_features: int, seed: int = 0) -> pd.DataFrame:
    """Noisy rows with a class-specific bump: learnable, but not in one epoch."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n_rows)
    t = np.arange(n_features)
    centres = np.array([0.25, 0.5, 0.75]) * n_features
    X = rng.normal(0, 1, (n_rows, n_features))
    X += 1.5 * np.exp(-0.5 * ((t[None, :] - centres[y][:, None]) / (n_features / 20)) ** 2)
    df = pd.DataFrame(X.astype(np.float32), columns=[f"f{i}" for i in range(n_features)])
    df["label"] = y
    return df


# --- the reference script's pipeline ------------------------------------------------------------------

class CustomDataset(Dataset):
    """What the original script's data_loader.CustomDataset does: one DataFrame row per __getitem__."""

    def __init__(self, frame: pd.DataFrame):
        self.data = frame

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        features = torch.tensor(self.data.iloc[idx, :-1].values.astype(np.float32), dtype=torch.float32)
        label = torch.tensor(int(self.data.iloc[idx, -1]), dtype=torch.long)
        return features, label


def reference_run(train_df, test_df, model_config, lr, epochs, seed=0, threads=1) -> dict:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _reference_run(train_df, test_df, model_config, lr, epochs, seed)
    finally:
        torch.set_num_threads(previous)


def _reference_run(train_df, test_df, model_config, lr, epochs, seed) -> dict:
    torch.manual_seed(seed)
    model = HybridCNNLSTMAttention(model_config)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    train_loader = DataLoader(CustomDataset(train_df), batch_size=32, shuffle=True)
    test_loader = DataLoader(CustomDataset(test_df), batch_size=32, shuffle=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    test_seconds = 0.0
    for _epoch in range(epochs):
        model.train()
        running, correct, total = 0.0, 0, 0
        for inputs, labels in train_loader:
            optimizer.zero_grad()
            outputs, _ = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * inputs.size(0)
            correct += (outputs.argmax(1) == labels).sum().item()
            total += labels.size(0)
        t0 = time.process_time()
        model.eval()
        test_loss, test_correct, all_preds, all_labels = 0.0, 0, [], []
        with torch.no_grad():
            for inputs, labels in test_loader:
                outputs, _ = model(inputs)
                test_loss += criterion(outputs, labels).item() * inputs.size(0)
                predicted = outputs.argmax(1)
                test_correct += (predicted == labels).sum().item()
                all_preds.extend(predicted.cpu().numpy())
                all_labels.extend(labels.cpu().numpy())
        test_seconds += time.process_time() - t0
        scheduler.step()
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": time.process_time() - cpu_start, "test_seconds": test_seconds,
            "test_acc": test_correct / len(test_df)}


def core_run(data, model_config, train_config) -> dict:
    from hybridxai_gui.core.config import RuntimeConfig

    start, cpu_start = time.perf_counter(), time.process_time()
    for item in training.train(data, model_config, train_config, runtime=RuntimeConfig(device="cpu", threads=1)):
        if isinstance(item, training.TrainingFinished):
            result = item.result
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": time.process_time() - cpu_start, "test_acc": result.history[-1].test_acc,
            "epoch_seconds": [m.seconds for m in result.history]}


# --- the core epoch taken apart ------------------------------------------------------------------------

def timed(fn, repeat: int = 1, clock=time.process_time) -> float:
    """Best of `repeat` runs in CPU seconds of this process (1 torch thread: immune to other users' load)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def breakdown(data, model_config, n_steps: int) -> list[list]:
    """Seconds for each part of a core epoch, measured on the same tensors with the same model."""
    torch.manual_seed(0)
    model = HybridCNNLSTMAttention(replace(model_config, n_features=data.X_train.shape[1], n_classes=N_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    criterion = nn.CrossEntropyLoss()
    X, y = torch.as_tensor(data.X_train), torch.as_tensor(data.y_train)
    Xt, yt = torch.as_tensor(data.X_test), torch.as_tensor(data.y_test)
    n = len(X)
    batches = n // 32
    n_steps = min(n_steps, batches)

    def steps(gather: bool, count: int = n_steps):
        model.train()
        order = torch.randperm(n)
        Xp, yp = (X, y) if gather else (X[order], y[order])
        for b in range(count):
            if gather:
                idx = order[b * 32:(b + 1) * 32]
                xb, yb = X[idx], y[idx]
            else:
                xb, yb = Xp[b * 32:(b + 1) * 32], yp[b * 32:(b + 1) * 32]
            optimizer.zero_grad(set_to_none=True)
            logits, _ = model(xb)
            loss = criterion(logits, yb)
            loss.backward()
            optimizer.step()
            float(loss.detach())
            int((logits.detach().argmax(1) == yb).sum())

    def score(Xs, ys, batch, mode):
        model.eval()
        ctx = torch.inference_mode() if mode == "inference" else torch.no_grad()
        with ctx:
            for s in range(0, len(Xs), batch):
                logits, _ = model(Xs[s:s + batch])
                float(criterion(logits, ys[s:s + batch]))
                int((logits.argmax(1) == ys[s:s + batch]).sum())

    rows = []
    steps(True, 3)  # warm-up
    t_gather = timed(lambda: steps(True)) * batches / n_steps
    t_slice = timed(lambda: steps(False)) * batches / n_steps
    rows.append(["optimiser steps, rows gathered X[idx] (as core)", t_gather, n / t_gather, ""])
    rows.append(["optimiser steps, epoch permuted once then sliced", t_slice, n / t_slice,
                 f"{t_gather / t_slice:.3f}× vs gather"])
    t_loader = timed(lambda: [None for _ in DataLoader(CustomDataset(_frame(data.X_train[:2048], data.y_train[:2048])),
                                                       batch_size=32, shuffle=True)]) * n / 2048
    rows.append(["reference DataLoader + iloc alone (no model), per epoch", t_loader, n / t_loader,
                 f"{t_loader / t_gather:.1%} of the steps"])
    test_rows = []
    for batch, mode in ((32, "no_grad"), (256, "inference"), (2048, "inference")):
        t = timed(lambda: score(Xt, yt, batch, mode), 2)
        test_rows.append((batch, mode, t))
        rows.append([f"test pass ({len(Xt)} rows), batch {batch}, {mode}", t, len(Xt) / t, ""])
    train_scores = {}
    for batch in (256, 512, 2048):
        t = timed(lambda: score(X, y, batch, "inference"), 2)
        train_scores[batch] = t
        rows.append([f"training-set re-score ({n} rows), batch {batch}, inference", t, n / t,
                     f"{t / t_gather:.1%} of the steps"])
    # Threads: 2 against 1 on a few steps (FACTS: 1 beat 2 on a busy 2-core machine).
    k = max(5, n_steps // 12)
    t1 = timed(lambda: steps(True, k), clock=time.perf_counter)
    torch.set_num_threads(2)
    try:
        t2 = timed(lambda: steps(True, k), clock=time.perf_counter)
    finally:
        torch.set_num_threads(1)
    rows.append([f"{k} optimiser steps, 1 torch thread (wall s)", t1, 32 * k / t1, ""])
    rows.append([f"{k} optimiser steps, 2 torch threads (wall s)", t2, 32 * k / t2, f"{t1 / t2:.2f}× the speed of 1 thread"])
    return rows, t_gather, train_scores, dict(((b, m), t) for b, m, t in test_rows)


def _frame(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    df["label"] = y
    return df


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--features", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--reference-threads", default="default",
                        help="torch threads of the reference: 'default' (torch's own, as the script runs) or N")
    parser.add_argument("--core-threads", type=int, default=None,
                        help="what-if: train the core on N torch threads instead of the one it ships with "
                             "(training.TRAINING_THREADS; its models then differ from the shipped ones)")
    parser.add_argument("--busy", action="store_true",
                        help="run a busy loop on one core throughout (a user's other work on a 2-core machine)")
    args = parser.parse_args(argv)
    if args.core_threads is not None:
        training.TRAINING_THREADS = args.core_threads
    core_threads = training.TRAINING_THREADS
    busy = _busy_loop() if args.busy else None
    try:
        return _main(args, core_threads, busy is not None)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


def _busy_loop():
    """A process spinning on one core until killed (the machine's other user)."""
    import subprocess

    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _main(args, core_threads: int, busy: bool) -> int:
    reference_threads = (TORCH_DEFAULT_THREADS if args.reference_threads == "default"
                         else int(args.reference_threads))
    rows_n = args.rows or (2000 if args.quick else 10000)
    epochs = args.epochs or (1 if args.quick else 2)
    rounds = args.rounds or (1 if args.quick else 2)
    common.set_one_thread()

    df = synthetic(rows_n, args.features)
    data = prepare_data(df, test_size=0.2, val_size=0.0, seed=0)
    model_config, train_config = apply_preset("seed")
    model_config = replace(model_config, n_features=args.features, n_classes=N_CLASSES)
    train_config = replace(train_config, epochs=epochs)
    train_df, test_df = _frame(data.X_train, data.y_train), _frame(data.X_test, data.y_test)
    n_train = len(data.X_train)
    print(f"{rows_n} rows x {args.features} features: {n_train} training, {len(data.X_test)} test rows; "
          f"{epochs} epoch(s), {rounds} round(s); reference torch threads {reference_threads}, core on {core_threads}"
          f"{', busy loop on one core' if busy else ''}")

    ref, core = [], []
    for r in range(rounds):
        order = ("reference", "core") if r % 2 == 0 else ("core", "reference")
        for which in order:
            if which == "reference":
                out = reference_run(train_df, test_df, model_config, train_config.lr, epochs,
                                    threads=reference_threads)
                ref.append(out)
            else:
                out = core_run(data, model_config, train_config)
                core.append(out)
            print(f"round {r + 1} {which:<9}: {out['wall']:.1f} s wall, {out['cpu']:.1f} s CPU, "
                  f"{epochs * n_train / out['cpu']:.0f} samples per CPU s, "
                  f"test acc {out['test_acc']:.3f}")

    ref_wall = statistics.median(o["wall"] for o in ref)
    core_wall = statistics.median(o["wall"] for o in core)
    ref_cpu = statistics.median(o["cpu"] for o in ref)
    core_cpu = statistics.median(o["cpu"] for o in core)
    ref_sps, core_sps = epochs * n_train / ref_cpu, epochs * n_train / core_cpu
    print("taking a core epoch apart ...")
    parts, t_steps, train_scores, test_scores = breakdown(data, model_config, n_steps=60 if args.quick else 120)
    core_epoch = core_cpu / epochs

    core_label = ("as it ships" if core_threads == 1
                  else f"on {core_threads} torch threads (what-if: not as it ships)")
    main_table = common.table(
        ["pipeline", "wall s (median)", "CPU s (median)", "training samples / wall s", "samples / CPU s",
         "speed vs reference (wall)", "per CPU s vs reference", "test acc (last round)"],
        [[f"reference: iloc Dataset + DataLoader(32, shuffle) + no_grad test pass (32), {reference_threads} torch "
          f"thread(s)", ref_wall, ref_cpu, f"{epochs * n_train / ref_wall:.0f}", f"{ref_sps:.0f}", "1.00×", "1.00×",
          ref[-1]["test_acc"]],
         [f"core: training.train (seed preset, fixed epochs), {core_label}", core_wall, core_cpu,
          f"{epochs * n_train / core_wall:.0f}", f"{core_sps:.0f}", f"{ref_wall / core_wall:.2f}×",
          f"{core_sps / ref_sps:.2f}×", core[-1]["test_acc"]]])
    parts_table = common.table(["part of an epoch (hand loop on the core's tensors)", "CPU s", "rows / CPU s", "note"],
                               [[p[0], p[1], f"{p[2]:.0f}", p[3]] for p in parts])
    notes = [
        f"- Data: {rows_n} synthetic rows × {args.features} features, 3 classes, split 80/20 (no validation split, "
        f"so both sides score the same test rows); {epochs} epoch(s) × {rounds} round(s), order alternated; "
        f"reference on {reference_threads} torch thread(s) (torch's default here: {TORCH_DEFAULT_THREADS}), the core "
        f"{core_label} ({core_threads} torch thread(s))"
        f"{'; a busy loop on one core throughout' if busy else ''}; model = seed preset (16 channels, "
        "BiLSTM 2×32, 4 heads, kernel 3).",
        "- The speed that counts is training rows per wall second, each side at its default threads; rows per CPU "
        "second (every thread's time, so it does not reward using a second core) is shown beside it.",
        f"- Core epoch ≈ {core_epoch:.2f} CPU s, of which optimiser steps ≈ {t_steps:.2f} s ({t_steps / core_epoch:.0%}); "
        "the loop adds its metrics up on the device and reads them once per epoch (no host synchronisation "
        "per batch), and scores validation and test rows in inference mode, EVAL_BATCH rows per pass.",
        f"- Reference epoch ≈ {ref_cpu / epochs:.2f} CPU s; its no_grad test pass at batch 32 took "
        f"{statistics.median(o['test_seconds'] for o in ref) / epochs:.2f} CPU s per epoch "
        f"vs {test_scores[(256, 'inference')]:.2f} s at batch 256 in inference mode.",
    ]
    body = ("\n".join([main_table, "", parts_table, "", *notes]))
    print(body)
    common.append_results("Training throughput", body, quick=args.quick, no_append=args.no_append,
                          version_names=("torch", "numpy", "pandas"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
