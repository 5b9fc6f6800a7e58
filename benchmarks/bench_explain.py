"""`hybridxai explain`: time for 100 breast-cancer rows with figures, one series row of a 3-member model, and how
faithful each view is on real data.

    .venv/bin/python benchmarks/bench_explain.py            # timing + faithfulness on 3 sets x 3 seeds (~15 CPU min)
    .venv/bin/python benchmarks/bench_explain.py --quick    # timing + 1 seed per set
    .venv/bin/python benchmarks/bench_explain.py --series-row   # only the series row (~5 CPU min, training included)
    ... --no-append                                          # print only; leave benchmarks/README.md alone

Part 0, one series row (target: ≤ 10 s, issue 26): BasicMotions (long file, 6 channels × 100 steps, label
`activity`) trained with the defaults (an ensemble of 3 networks), then test series 0 explained with SHAP and
the checks (Grad-CAM, attention, faithfulness, the randomisation check) in-process, as the app's Compute does
(wall and CPU seconds, per stage), and as `hybridxai explain --rows 0` in a fresh process (imports, files and
figures included).

Part 1, timing (target: ≤ 20 s): a breast-cancer model trained with the defaults (`hybridxai train`), then
`hybridxai explain MODEL breast_cancer.csv --rows 0-99 --out DIR` run as a fresh process (imports included),
twice; wall and CPU seconds of the process. The same run in-process gives the CPU seconds of each stage
(SHAP, Grad-CAM/attention, faithfulness, randomisation check, files and figures) and the faithfulness cost
per explained row.

Part 2, faithfulness: for breast cancer (30 features), wine (13) and PickupGestureWiimoteZ from shared/data
(10 gestures, series of 29-361 samples resampled to 128 and z-normalised per series; SHAP over 16 segments of
8 steps), a model per seed trained with the defaults on the training split, then `explain` of up to 50 test
rows: mean deletion and insertion areas per view (SHAP, Grad-CAM, attention, random ordering), whether SHAP's
mean deletion area is below random's, and the model-randomisation check's rank correlations.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
PYTHON = sys.executable
VIEWS = ("shap", "gradcam", "attention", "random")


def sklearn_frames(name: str):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    ds = datasets.load_breast_cancer(as_frame=True) if name == "breast_cancer" else datasets.load_wine(as_frame=True)
    df = ds.frame.drop(columns="target")
    df["label"] = [str(ds.target_names[i]) for i in ds.target]
    train, test = train_test_split(df, test_size=0.2, random_state=0, stratify=df["label"])
    return df, train, test


def pickup_frames(length: int = 128):
    """PickupGestureWiimoteZ: each series (trailing empty cells = shorter) resampled to `length`, z-normalised."""
    out = []
    for part in ("train", "test"):
        raw = pd.read_csv(DATA / f"PickupGestureWiimoteZ_{part}.csv")
        labels = raw.pop("gesture")
        rows = []
        for values in raw.to_numpy(dtype=float):
            v = values[~np.isnan(values)]
            r = np.interp(np.linspace(0, len(v) - 1, length), np.arange(len(v)), v)
            rows.append((r - r.mean()) / (r.std() or 1.0))
        df = pd.DataFrame(np.array(rows), columns=[f"z{t:03d}" for t in range(length)])
        df["gesture"] = labels.astype(str).to_numpy()
        out.append(df)
    return out


def cli(*argv, cwd=None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run `hybridxai ...` as a fresh process: (wall s, CPU s of the child, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(common.ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([PYTHON, "-m", "hybridxai_gui.cli", *argv], capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"hybridxai {' '.join(argv)} failed: {proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def _auto_threads(n_rows: int) -> int:
    from hybridxai_gui.core.explain.parallel import auto_workers

    return auto_workers(n_rows, 1, "threads")


def timing(folder: Path, lines: list[str]) -> None:
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
    from hybridxai_gui.outputs import explanations as ex

    df, _, _ = sklearn_frames("breast_cancer")
    csv = folder / "breast_cancer.csv"
    df.to_csv(csv, index=False)
    cli("train", str(csv), "--out", str(folder / "bc.pth"), "--quiet")
    runs, single = [], []
    for k in range(2):  # alternating: the default (--workers auto: one thread per core) and one thread
        out = folder / f"explain{k}"
        runs.append(cli("explain", str(folder / "bc.pth"), str(csv), "--rows", "0-99", "--out", str(out)))
        single.append(cli("explain", str(folder / "bc.pth"), str(csv), "--rows", "0-99", "--workers", "1",
                          "--out", str(folder / f"explain_one{k}")))
    n_files = len(list((folder / "explain0").iterdir()))
    # the stages, in-process, in CPU seconds
    trained = load_checkpoint(folder / "bc.pth")
    stages: dict[str, float] = {}
    last = [time.process_time(), None]

    def progress(item):
        now = time.process_time()
        if last[1] is not None:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, item.stage

    run = ex.explain_file(trained, csv, "0-99", progress=progress)
    progress(type("End", (), {"stage": "end"})())
    start = time.process_time()
    out = folder / "explain_stages"
    out.mkdir()
    ex.write_explanation(trained, run, out)
    stages["files and figures"] = time.process_time() - start
    faith = run.faithfulness
    default = f"default: SHAP and the curves in {_auto_threads(100)} thread(s), figures in as many processes"
    rows = [[f"`hybridxai explain` 100 rows, run {k + 1} (fresh process)", wall, cpu, default]
            for k, (wall, cpu, _proc) in enumerate(runs)]
    rows += [[f"`hybridxai explain ... --workers 1`, run {k + 1} (fresh process)", wall, cpu, "one thread"]
             for k, (wall, cpu, _proc) in enumerate(single)]
    lines.append(common.table(["what", "wall s", "CPU s", "note"], rows + [
        [f"in-process: {name}", "", stages.get(key, 0.0), note] for name, key, note in (
            ("SHAP", "shap", f"{run.shap.method}, background {run.shap.background_size} rows, "
                             f"{run.shap.n_evaluations} forward rows per row"),
            ("Grad-CAM + attention", "views", ""),
            ("faithfulness (curves + captum)", "faithfulness",
             f"{stages.get('faithfulness', 0.0) / run.shap.n_rows * 1000:.1f} CPU ms per row; "
             f"{faith.forward_rows // run.shap.n_rows} forward rows per row for the curves"),
            ("randomisation check", "sanity", "SHAP, Grad-CAM, attention of 3 rows on a re-initialised model"),
            ("files and figures", "files and figures", f"{n_files} files"))]))
    lines.append("")
    lines.append(f"- Target: ≤ 20 s for 100 rows with figures. Best fresh-process run: "
                 f"{min(w for w, _, _ in runs):.1f} s wall, {min(c for _, c, _ in runs):.1f} CPU s (with "
                 f"--workers 1: {min(w for w, _, _ in single):.1f} s wall; load average {common.load_average()}).")


def series_row(folder: Path, lines: list[str]) -> None:
    """One BasicMotions test series explained by a default (3-member) model: in-process by stage, and fresh."""
    from hybridxai_gui.core.explain import clear_cache
    from hybridxai_gui.core.explain.rows import explain_table_rows
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
    from hybridxai_gui.core.pipeline import read_table

    train, test = DATA / "BasicMotions_train_long.csv", DATA / "BasicMotions_test_long.csv"
    model = folder / "bm.pth"
    cli("train", str(train), "--test", str(test), "--label", "activity", "--out", str(model), "--quiet")
    trained = load_checkpoint(model)
    frame = read_table(test)
    rows = []
    for k in range(2):
        clear_cache()  # the second run must not find the first one's SHAP values
        stages: dict[str, list[float]] = {}
        last = [time.perf_counter(), time.process_time(), None]
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        gen = explain_table_rows(trained, frame, test.name, rows="0")
        while True:
            try:
                item = next(gen)
            except StopIteration as stop:
                run = stop.value
                item = None
            wall, cpu = time.perf_counter(), time.process_time()
            if last[2] is not None:
                spent = stages.setdefault(last[2], [0.0, 0.0])
                spent[0] += wall - last[0]
                spent[1] += cpu - last[1]
            if item is None:
                break
            last[:] = [wall, cpu, item.stage]
        total = [time.perf_counter() - start_wall, time.process_time() - start_cpu]
        shap = run.shap
        rows.append([f"in-process run {k + 1}: SHAP and the checks", total[0], total[1],
                     f"{shap.method} over {len(shap.feature_names)} segments, background {shap.background_size}, "
                     f"{shap.n_evaluations} coalitions; " + ", ".join(
                         f"{name} {spent[1]:.1f}" for name, spent in stages.items()) + " CPU s"])
    out = folder / "bm_explain"
    wall, cpu, _proc = cli("explain", str(model), str(test), "--rows", "0", "--out", str(out))
    rows.append(["`hybridxai explain --rows 0` (fresh process)", wall, cpu, "imports, reading, files and figures too"])
    members = len(getattr(trained.model, "members", ())) or 1
    lines.append(common.table(["what", "wall s", "CPU s", "note"], rows))
    lines.append("")
    lines.append(f"- Target: one row of a {members}-member series model (BasicMotions default) explained with SHAP "
                 f"and the checks in ≤ 10 s. Best in-process: {min(r[1] for r in rows[:2]):.1f} s wall, "
                 f"{min(r[2] for r in rows[:2]):.1f} CPU s (load average {common.load_average()}).")


def faithfulness_rows(name: str, seeds: list[int], folder: Path) -> tuple[list[list], list[str]]:
    from hybridxai_gui.core.model_files.checkpoint import load_checkpoint
    from hybridxai_gui.core.data.tables import read_table
    from hybridxai_gui.core.explain.groups import segment_groups
    from hybridxai_gui.core.explain.rows import explain_table_rows

    if name == "PickupGestureWiimoteZ (128 steps, 16 segments)":
        train, test = pickup_frames()
        label, kind = "gesture", "series"
        groups, group_names = segment_groups(1, 128, 16, ["z"])
    else:
        _, train, test = sklearn_frames(name)
        label, kind, groups, group_names = "label", "table", None, None
    train_csv, test_csv = folder / f"{name[:12]}_train.csv", folder / f"{name[:12]}_test.csv"
    train.to_csv(train_csv, index=False)
    test.to_csv(test_csv, index=False)
    per_seed = []
    for seed in seeds:
        model = folder / f"{name[:12]}_{seed}.pth"
        start = time.perf_counter()
        small = ["--val-size", "0"] if kind == "series" else []  # 50 rows of 10 classes: no validation split
        cli("train", str(train_csv), "--test", str(test_csv), "--label", label, "--seed", str(seed),
            "--out", str(model), "--quiet", *small)
        train_s = time.perf_counter() - start
        trained = load_checkpoint(model)
        n = min(50, len(test))
        frame = read_table(test_csv, label=label)
        start = time.process_time()
        gen = explain_table_rows(trained, frame, test_csv.name, f"0-{n - 1}", kind=kind, groups=groups,
                                 group_names=group_names)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                run = stop.value
                break
        explain_cpu = time.process_time() - start
        acc = (trained.evaluation or {}).get("accuracy", float("nan"))
        per_seed.append((run, acc, train_s, explain_cpu))
    rows = []
    notes = []
    for view in VIEWS:
        d = [r.faithfulness.mean_deletion(view) for r, *_ in per_seed]
        i = [r.faithfulness.mean_insertion(view) for r, *_ in per_seed]
        rand = [r.faithfulness.randomisation.correlation.get(view) for r, *_ in per_seed
                if r.faithfulness.randomisation is not None]
        rand = [x for x in rand if x is not None]
        rows.append([name, view, common.mean_sd(d), common.mean_sd(i),
                     common.mean_sd(rand, 2) if rand else "–"])
    wins = sum(r.faithfulness.mean_deletion("shap") < r.faithfulness.mean_deletion("random") for r, *_ in per_seed)
    accs = common.mean_sd([a for _, a, _, _ in per_seed])
    first = per_seed[0][0]
    notes.append(f"- {name}: test accuracy {accs}; {first.shap.n_rows} test rows explained per seed "
                 f"({first.shap.method} SHAP over {first.shap.n_units} {'segments' if groups else 'features'}, "
                 f"background {first.shap.background_size}); SHAP's mean deletion area below random's in "
                 f"{wins}/{len(per_seed)} seeds; explain (SHAP + views + faithfulness + check) "
                 f"{common.mean_sd([c for *_, c in per_seed], 1)} CPU s per seed.")
    return rows, notes


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--series-row", action="store_true", help="only the one series row (part 0)")
    parser.add_argument("--timing", action="store_true",
                        help="the series row and the 100-row timing, not the faithfulness tables (~5 min)")
    args = parser.parse_args(argv)
    common.set_one_thread()
    seeds = [0] if args.quick else [0, 1, 2]
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines.append("**One series row, BasicMotions default (an ensemble of 3), 60 channel × time segments**")
        lines.append("")
        series_row(folder, lines)
        print("\n".join(lines), flush=True)
        if args.series_row:
            common.append_results("Explain", "\n".join(lines), quick=args.quick, no_append=args.no_append,
                                  version_names=("torch", "numpy", "matplotlib"))
            return 0
        lines.append("")
        lines.append("**Explain time, 100 breast-cancer rows × 30 features, default figures** "
                     "(per-row figures for the first 3 rows; PNG, and EPS for the global figures)")
        lines.append("")
        timing(folder, lines)
        print("\n".join(lines), flush=True)
        if args.timing:
            common.append_results("Explain", "\n".join(lines), quick=args.quick, no_append=args.no_append,
                                  version_names=("torch", "numpy", "matplotlib"))
            return 0
        lines.append("")
        lines.append(f"**Faithfulness on real data** (mean ± sd over {len(seeds)} seed(s) of each seed's mean "
                     "over the explained rows; deletion: lower = more faithful, insertion: higher = more "
                     "faithful; randomisation: rank correlation of the view before/after re-initialising every "
                     "weight, ≥ 0.5 is flagged)")
        lines.append("")
        all_rows, notes = [], []
        for name in ("breast_cancer", "wine", "PickupGestureWiimoteZ (128 steps, 16 segments)"):
            rows, more = faithfulness_rows(name, seeds, folder)
            all_rows += rows
            notes += more
            print(common.table(["data", "view", "deletion area", "insertion area", "randomisation ρ"], rows),
                  flush=True)
        lines.append(common.table(["data", "view", "deletion area", "insertion area", "randomisation ρ"], all_rows))
        lines.append("")
        lines += notes
    common.append_results("Explain", "\n".join(lines), quick=args.quick, no_append=args.no_append,
                          version_names=("torch", "numpy", "shap", "captum", "matplotlib"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
