"""SHAP against fewer background rows: how far the values move from a long reference (issue 26.2's lever).

    .venv/bin/python benchmarks/bench_shap_background.py            # breast cancer, 20 rows, 3 seeds (~6 CPU min)
    .venv/bin/python benchmarks/bench_shap_background.py --quick    # 10 rows, 1 seed
    ... --no-append                                                 # print only; leave benchmarks/README.md alone

`hybridxai explain` runs permutation SHAP against 50 of the 100 training rows a model file keeps, one antithetic
pair of permutations tied to each background row (2,900 forward rows per explained row at 30 features). Fewer
background rows would make it cheaper in proportion. Here a default breast-cancer model (`hybridxai train`, the
benchmark's file) explains every fifth of the first 100 rows against: a reference (all 100 kept rows, 20 pairs each,
another seed), the shipped default, and seeded samples of 20-100 rows (random, or the rows nearest k-means
centres) with one or two pairs per row. Per configuration and seed: the relative error of each row's SHAP vector
for its predicted class (‖φ − φ_ref‖ / ‖φ_ref‖, median over rows), the rank correlation of |φ| per row (median),
the share of the reference's five largest features among the estimate's five largest, the Spearman correlation of
the global ranking (mean |φ| over rows), the base value's distance from the reference's, and how often the
standard error each value states (two of them) holds its distance from the reference. Same units as the explain
command (probability of the predicted class).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import numpy as np  # noqa: E402

from bench_explain import cli, sklearn_frames  # noqa: E402

HEADERS = ["background", "pairs per row", "forward rows per row", "rel. error (median)", "rank ρ per row",
           "top-5 shared", "global ρ", "base gap", "within 2 SE", "CPU s / row"]


def measure(model_path: Path, csv: Path, rows: np.ndarray, seeds: list[int]) -> list[list]:
    import torch
    from scipy.stats import spearmanr

    from hybridxai_gui.core.explain.rows import background_rows, select_series
    from hybridxai_gui.core.explain.shap_engine import ShapExplainer, select_background
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
    from hybridxai_gui.core.pipeline import read_table

    torch.set_num_threads(1)
    trained = load_checkpoint(model_path)
    frame = read_table(csv, label=trained.label_column)
    X, _, _, _ = select_series(trained, frame, csv.name, f"0-{int(rows.max())}", None, None, None)
    Xr = X[rows]
    stored = np.asarray(trained.background, dtype=np.float32)

    def explain(bg: np.ndarray, pairs: int, seed: int):
        e = ShapExplainer(trained.model, bg, "permutation", trained.feature_names, trained.class_names,
                          output="probability", n_permutations=2 * pairs * len(bg), seed=seed, cache=False)
        start = time.process_time()
        return e.explain(Xr, rows=rows), time.process_time() - start, e.evaluations_per_row()

    ref, _, _ = explain(stored, 20, 12345)
    picked = ref.model_output.argmax(axis=1)
    P = ref.values[np.arange(len(rows)), :, picked]

    def scores(result) -> tuple[float, ...]:
        Q = result.values[np.arange(len(rows)), :, picked]
        rel = np.linalg.norm(Q - P, axis=1) / np.linalg.norm(P, axis=1)
        rho = [spearmanr(np.abs(Q[i]), np.abs(P[i]))[0] for i in range(len(rows))]
        top = [len(set(np.argsort(-np.abs(Q[i]))[:5]) & set(np.argsort(-np.abs(P[i]))[:5])) / 5
               for i in range(len(rows))]
        glob = spearmanr(np.abs(Q).mean(axis=0), np.abs(P).mean(axis=0))[0]
        se = result.standard_error[np.arange(len(rows)), :, picked]
        covered = float((np.abs(Q - P) <= 2 * se).mean())
        return (float(np.median(rel)), float(np.median(rho)), float(np.mean(top)), float(glob),
                float(np.abs(result.base_values - ref.base_values).max()), covered)

    configs = [("50 (shipped: random of the 100 kept)", background_rows(trained), 1)]
    configs += [(f"{n} random", select_background(stored, n, "random", seed=0), 1) for n in (20, 25, 30, 40, 100)]
    configs += [("25 random", select_background(stored, 25, "random", seed=0), 2),
                ("50 random", select_background(stored, 50, "random", seed=0), 2),
                ("25 k-means", select_background(stored, 25, "kmeans", seed=0), 1)]
    table = []
    for name, bg, pairs in configs:
        runs = [explain(bg, pairs, seed) for seed in seeds]
        per_seed = np.array([scores(r) for r, _, _ in runs])  # (seeds, 6)
        mean = per_seed.mean(axis=0)
        spread = per_seed[:, 0].max() - per_seed[:, 0].min()
        table.append([name, pairs, runs[0][2], f"{mean[0]:.3f} (± {spread / 2:.3f})", f"{mean[1]:.3f}",
                      f"{mean[2]:.2f}", f"{mean[3]:.3f}", f"{mean[4]:.3f}", f"{mean[5]:.2f}",
                      f"{statistics.fmean(c for _, c, _ in runs) / len(rows):.3f}"])
    return table


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    args = parser.parse_args(argv)
    common.set_one_thread()
    rows = np.arange(0, 100, 10 if args.quick else 5)
    seeds = [0] if args.quick else [0, 1, 2]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        df, _, _ = sklearn_frames("breast_cancer")
        csv = folder / "breast_cancer.csv"
        df.to_csv(csv, index=False)
        cli("train", str(csv), "--out", str(folder / "bc.pth"), "--quiet")
        table = measure(folder / "bc.pth", csv, rows, seeds)
    body = (f"**SHAP against fewer background rows: breast cancer, default model, rows {', '.join(map(str, rows))} of "
            f"the file; reference: the 100 kept rows × 20 antithetic pairs (seed 12345); seeds "
            f"{', '.join(map(str, seeds))}**\n\n" + common.table(HEADERS, table) +
            "\n\n- rel. error: ‖φ − φ_ref‖ / ‖φ_ref‖ of each row's SHAP vector for its predicted class (probability "
            "units), median over rows, mean over seeds (± half its range over seeds); rank ρ: Spearman of |φ| per row, "
            "median; top-5 shared: the share of the reference's five largest |φ| among the estimate's five largest; "
            "global ρ: Spearman of mean |φ| per feature; base gap: largest distance of the base values from the "
            "reference's (100 rows); within 2 SE: the share of those values whose distance from the reference is at "
            "most twice the standard error the result states (`ShapResult.standard_error`; 0.95 for a normal error).")
    common.append_results("SHAP", body, quick=args.quick, no_append=args.no_append, version_names=("torch", "numpy"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
