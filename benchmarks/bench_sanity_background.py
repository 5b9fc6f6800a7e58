"""The randomisation check's SHAP against fewer background rows: how far its rank correlation moves.

    .venv/bin/python benchmarks/bench_sanity_background.py            # BasicMotions, breast cancer, wine (~15 min)
    .venv/bin/python benchmarks/bench_sanity_background.py --quick    # wine only
    ... --no-append

The check (core.explain.sanity) re-explains its rows on a copy of the model with every weight re-initialised
and compares each view's ranking of the units before and after (Spearman ρ; ≥ 0.5 flags the view as "not
explaining the model"). For SHAP that second explanation cost as much as the first, per row. Here, for the
first test rows of each set (default models, `hybridxai train`), ρ of SHAP with the randomised model explained
against the whole background (the reference: what the check did) and against a seeded sample of 20 and 10 of
its rows, for three randomisation seeds; beside it, how far ρ moves between those seeds with the whole
background (the statistic's own spread).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import numpy as np  # noqa: E402

from bench_explain import DATA, cli, sklearn_frames  # noqa: E402

SEEDS = (0, 1, 2)
SIZES = (20, 10)
HEADERS = ["set", "background", "max |Δρ|", "mean |Δρ|", "mean ρ whole / sample", "ρ spread over seeds",
           "CPU s (sample vs whole)"]


def measure(model_path: Path, data_path: Path, rows: str) -> dict:
    from hybridxai_gui.core.explain.background import select_background
    from hybridxai_gui.core.explain.rows import background_rows, select_series, series_units
    from hybridxai_gui.core.explain.run import default_shap_options
    from hybridxai_gui.core.explain.sanity import randomised_copy, rank_similarity
    from hybridxai_gui.core.explain.shap_engine import ShapExplainer
    from hybridxai_gui.core.explain.views import shap_scores
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
    from hybridxai_gui.core.pipeline import read_table

    trained = load_checkpoint(model_path)
    X, _rows, _true, _lengths = select_series(trained, read_table(data_path), data_path.name, rows)
    background = background_rows(trained)
    groups, names, _ = series_units(trained)

    def shap(model, bg, method="auto"):
        explainer = ShapExplainer(model, bg, method, trained.feature_names, trained.class_names,
                                  output="probability", groups=groups, group_names=names, cache=False,
                                  **default_shap_options(method, len(bg)))
        start = time.process_time()
        return explainer.explain(X), time.process_time() - start

    before_result, _ = shap(trained.model, background)
    method = before_result.method  # the check explains the randomised model by the run's method, as the app does
    targets = before_result.predicted
    before = shap_scores(before_result, targets)

    def rho(result) -> np.ndarray:
        return np.array([rank_similarity(b, a) for b, a in zip(before, shap_scores(result, targets))])

    out = {"rows": len(X), "units": before.shape[1], "background": len(background), "full": [], "cpu": {}}
    for size in SIZES:
        out[size] = []
    for seed in SEEDS:
        randomised = randomised_copy(trained.model, seed)
        result, cpu = shap(randomised, background, method)
        out["full"].append(rho(result))
        out["cpu"]["full"] = cpu
        for size in SIZES:
            result, cpu = shap(randomised, select_background(background, size, "random", seed=0), method)
            out[size].append(rho(result))
            out["cpu"][size] = cpu
    return out


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sets", default="BasicMotions,breast_cancer,wine", help="comma-separated sets to measure")
    args = parser.parse_args(argv)
    common.set_one_thread()
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sets = []
        for name in (("wine",) if args.quick else tuple(args.sets.split(","))):
            if name == "BasicMotions":
                train, test = DATA / "BasicMotions_train_long.csv", DATA / "BasicMotions_test_long.csv"
                cli("train", str(train), "--test", str(test), "--label", "activity", "--out", str(folder / "bm.pth"),
                    "--quiet")
                sets.append((name, folder / "bm.pth", test, "0,10,20,30"))
            else:
                _df, train_frame, test_frame = sklearn_frames(name)
                train, test = folder / f"{name}_train.csv", folder / f"{name}_test.csv"
                train_frame.to_csv(train, index=False)
                test_frame.to_csv(test, index=False)
                cli("train", str(train), "--test", str(test), "--label", "label", "--out", str(folder / f"{name}.pth"),
                    "--quiet")
                sets.append((name, folder / f"{name}.pth", test, "0,1,2"))
        for name, model, test, rows in sets:
            found = measure(model, test, rows)
            full = np.array(found["full"])  # (seeds, rows)
            spread = full.max(axis=0) - full.min(axis=0)
            for size in SIZES:
                cheap = np.array(found[size])
                diff = np.abs(cheap - full)
                rows_out.append([f"{name} ({found['rows']} rows, {found['units']} units)", f"{size} of "
                                 f"{found['background']}", f"{diff.max():.3f}", f"{diff.mean():.3f}",
                                 f"{full.mean():+.3f} / {cheap.mean():+.3f}", f"{spread.mean():.3f}",
                                 f"{found['cpu'][size]:.1f} vs {found['cpu']['full']:.1f}"])
            print(common.table(HEADERS, rows_out), flush=True)
    body = common.table(HEADERS, rows_out)
    body += ("\n\n- ρ: Spearman correlation of SHAP's ranking of the units before and after every weight is "
             f"re-initialised, per row; Δρ: against the whole background, for randomisation seeds {SEEDS}; the "
             "spread: max − min of ρ over those seeds with the whole background, mean over rows. The check flags a "
             "view at a mean ρ ≥ 0.5.")
    common.append_results("SHAP", "**The randomisation check's SHAP against fewer background rows**\n\n" + body,
                          quick=args.quick, no_append=args.no_append, version_names=("torch", "numpy"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
