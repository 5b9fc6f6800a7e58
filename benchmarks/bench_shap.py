"""Benchmark the SHAP engine: speed, additivity and accuracy on breast cancer (30 features) and wine (13).

    .venv/bin/python benchmarks/bench_shap.py            # full run (~10 CPU min; 25 min wall on a busy 2-core box)
    .venv/bin/python benchmarks/bench_shap.py --quick    # fewer rows, smaller references
    ... --no-append                                      # print only; do not touch benchmarks/README.md

Each data set gets a model trained here (a plain Adam loop, 1 torch thread, fixed seed; the project's
training.py is not needed), 100 random training rows as background and up to 100 test rows to explain.

Breast cancer: every method's global ranking (mean |SHAP| per feature over rows and classes) is compared
by Spearman correlation with a high-sample reference: our permutation estimator run with 10× the default
permutations and a different seed (an unbiased estimator; its correctness against exact values is checked
on wine). shap's own PermutationExplainer is timed on a few rows for comparison.
Wine: exact values on the first rows, and each method's error against them (mean |error| / mean |value|).
"""

from __future__ import annotations

import argparse
import os
import datetime as _dt
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hybridxai_gui.core.config import ModelConfig  # noqa: E402
from hybridxai_gui.core.explain import ShapExplainer, clear_cache, select_background  # noqa: E402
from hybridxai_gui.core.model.network import build_model  # noqa: E402


def load(name: str):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    ds = datasets.load_breast_cancer() if name == "breast_cancer" else datasets.load_wine()
    X, y = ds.data.astype(np.float64), ds.target.astype(np.int64)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1
    return ((Xtr - mu) / sd).astype(np.float32), ytr, ((Xte - mu) / sd).astype(np.float32), yte, len(ds.target_names)


def train_model(Xtr, ytr, n_classes, epochs=40, seed=0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(n_features=Xtr.shape[1], n_classes=n_classes))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(X), generator=g).split(32):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[idx])[0], y[idx])
            loss.backward()
            opt.step()
    return model.eval()


def accuracy(model, X, y):
    with torch.inference_mode():
        return float((model(torch.from_numpy(X))[0].argmax(1).numpy() == y).mean())


def global_rank_spearman(a, b):
    from scipy.stats import spearmanr

    return float(spearmanr(np.abs(a).mean(axis=(0, 2)), np.abs(b).mean(axis=(0, 2))).statistic)


def rel_error(a, ref):
    return float(np.abs(a - ref).mean() / np.abs(ref).mean())


class Timer:
    """Wall-clock and process CPU seconds: on a shared machine the CPU time is the stable figure."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def run(model, bg, X, method, **opts):
    clear_cache()
    res = ShapExplainer(model, bg, method, cache=False, **opts).explain(X)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-append", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    n_rows = 30 if args.quick else 100
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    # ---------------- breast cancer -----------------
    Xtr, ytr, Xte, yte, C = load("breast_cancer")
    model = train_model(Xtr, ytr, C)
    bg = select_background(Xtr, 100, "random", seed=0)
    X = Xte[:n_rows]
    out(f"Breast cancer: 30 features, 2 classes, test accuracy {accuracy(model, Xte, yte):.3f}; "
        f"{len(X)} rows explained, background {len(bg)} random training rows.")
    out()
    ref_mult = 4 if args.quick else 10
    with Timer() as t:
        ref = run(model, bg, X, "permutation", n_permutations=ref_mult * 400, seed=12345)
    out("| method | rows | wall s | CPU s | CPU s/row | forward rows/row | additivity gap | Spearman vs reference | "
        "rel. error vs reference |")
    out("|---|---|---|---|---|---|---|---|---|")
    out(f"| reference: permutation, {ref_mult * 400} perms, seed 12345 | {len(X)} | {t.wall:.1f} | {t.cpu:.1f} | "
        f"{t.cpu / len(X):.3f} | {ref.n_evaluations} | {ref.additivity_gap:.1e} | 1 | 0 |")
    cases = [("permutation (default: 400 perms)", "permutation", len(X), {}),
             ("permutation, 200 perms", "permutation", len(X), {"n_permutations": 200}),
             ("gradient (200 samples)", "gradient", len(X), {}),
             ("kernel (l1_reg off, 2F+2048 samples)", "kernel", 3 if args.quick else 5, {})]
    for label, method, n, opts in cases:
        with Timer() as t:
            res = run(model, bg, X[:n], method, **opts)
        sp = global_rank_spearman(res.values, ref.values[:n])
        out(f"| {label} | {n} | {t.wall:.1f} | {t.cpu:.1f} | {t.cpu / n:.3f} | {res.n_evaluations} | "
            f"{res.additivity_gap:.1e} | {sp:.3f} | {rel_error(res.values, ref.values[:n]):.3f} |")
    # shap's permutation explainer, called plainly, for the speed comparison
    import shap

    n_shap = 2 if args.quick else 3

    def f(z):
        with torch.inference_mode():
            return model(torch.as_tensor(z, dtype=torch.float32))[0].double().numpy()

    explainer = shap.PermutationExplainer(f, shap.maskers.Independent(bg, max_samples=100))
    with Timer() as t:
        expl = explainer(X[:n_shap], max_evals=2000, silent=True)  # values (rows, F, C)
    sv = expl.values
    gap = float(np.abs(expl.base_values + sv.sum(axis=1) - f(X[:n_shap])).max())
    out(f"| shap.PermutationExplainer, max_evals=2000 | {n_shap} | {t.wall:.1f} | {t.cpu:.1f} | {t.cpu / n_shap:.3f} | "
        f"200000 | {gap:.1e} | – | {rel_error(sv, ref.values[:n_shap]):.3f} |")
    out()

    # ---------------- wine -----------------
    Xtr, ytr, Xte, yte, C = load("wine")
    model = train_model(Xtr, ytr, C)
    bg = select_background(Xtr, 100, "random", seed=0)
    n_exact = 3 if args.quick else 10
    X = Xte[:n_exact]
    out(f"Wine: 13 features, 3 classes, test accuracy {accuracy(model, Xte, yte):.3f}; error vs exact on "
        f"{n_exact} rows, background {len(bg)} random training rows.")
    out()
    with Timer() as t:
        exact = run(model, bg, X, "exact")
    out("| method | rows | wall s | CPU s | CPU s/row | forward rows/row | additivity gap | rel. error vs exact | "
        "Spearman vs exact |")
    out("|---|---|---|---|---|---|---|---|---|")
    out(f"| exact (2^13 coalitions) | {n_exact} | {t.wall:.1f} | {t.cpu:.1f} | {t.cpu / n_exact:.3f} | "
        f"{exact.n_evaluations} | {exact.additivity_gap:.1e} | 0 | 1 |")
    for label, method, opts in [("permutation (default: 400 perms)", "permutation", {}),
                                ("permutation, 2000 perms", "permutation", {"n_permutations": 2000}),
                                ("kernel (l1_reg off)", "kernel", {}),
                                ("gradient (200 samples)", "gradient", {})]:
        with Timer() as t:
            res = run(model, bg, X, method, **opts)
        out(f"| {label} | {n_exact} | {t.wall:.1f} | {t.cpu:.1f} | {t.cpu / n_exact:.3f} | {res.n_evaluations} | "
            f"{res.additivity_gap:.1e} | {rel_error(res.values, exact.values):.3f} | "
            f"{global_rank_spearman(res.values, exact.values):.3f} |")
    out()

    if not args.no_append:
        import shap
        import sklearn

        readme = ROOT / "benchmarks" / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
        if "## SHAP" not in text:
            text = text.rstrip("\n") + "\n\n## SHAP\n\nProduced by `benchmarks/bench_shap.py` (runs are appended, newest last).\n"
        header = (f"\n### {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} — {platform.node()}, "
                  f"{platform.processor() or platform.machine()}, 1 torch thread{' (quick)' if args.quick else ''}\n\n"
                  f"Python {platform.python_version()}, torch {torch.__version__}, shap {shap.__version__}, "
                  f"numpy {np.__version__}, scikit-learn {sklearn.__version__}. {os.cpu_count()} CPUs; load average "
                  f"at the end {os.getloadavg()[0]:.1f} (other jobs shared the machine: wall s > CPU s).\n\n")
        # insert at the end of the SHAP section (before the next "## " heading, if any)
        start = text.index("## SHAP")
        nxt = text.find("\n## ", start + 1)
        block = header + "\n".join(lines) + "\n"
        text = text + block if nxt == -1 else text[:nxt].rstrip("\n") + "\n" + block + text[nxt:]
        readme.write_text(text, encoding="utf-8")
        print(f"Appended to {readme}")


if __name__ == "__main__":
    main()
