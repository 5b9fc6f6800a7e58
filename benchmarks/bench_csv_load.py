"""Loading a large CSV: hybridxai's read_table / prepare_data against plain pandas.read_csv.

    .venv/bin/python benchmarks/bench_csv_load.py            # 1,000,000 rows x 32 features + label, 3 repeats
    .venv/bin/python benchmarks/bench_csv_load.py --quick    # 200,000 rows, 1 repeat
    ... --rows N --repeats N --no-append   (the CSV stays in /tmp and is reused, also by bench_startup.py)

The CSV (32 float columns written with 6 significant digits + an integer label) is written once to
/tmp. Each measurement runs in a fresh Python process that first imports what it needs, then records
its resident memory, runs the one operation, and reports the wall time and the peak resident memory
(getrusage ru_maxrss) above that baseline. Targets (issue 2 §2): time about pandas' own, peak below
3× the float32 feature array (N × 32 × 4 bytes = 128 MB at 1,000,000 rows).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402

N_FEATURES = 32

CHILD = r"""
import json, resource, sys, time, os
sys.path.insert(0, {root!r})
import numpy as np, pandas as pd
from hybridxai_gui.core.data import csvio, prepare
path = {path!r}
def rss():
    with open('/proc/self/statm') as fh:
        return int(fh.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
base = rss()
t0, c0 = time.perf_counter(), cpu()
{code}
seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu_seconds, "base": base, "peak": peak, "after": rss()}}))
"""

OPERATIONS = {
    "pandas.read_csv(path) (C engine, float64)": "out = pd.read_csv(path)",
    "pandas.read_csv(path, dtype=float32 features)":
        "out = pd.read_csv(path, dtype={{f'f{{i}}': np.float32 for i in range({n})}})",
    "pandas.read_csv(open(path, 'rb'), dtype=float32) (a handle, as read_table passes)":
        "out = pd.read_csv(open(path, 'rb'), dtype={{f'f{{i}}': np.float32 for i in range({n})}})",
    "pandas.read_csv + .to_numpy(float32) of the features":
        "df = pd.read_csv(path); out = df.iloc[:, :{n}].to_numpy(np.float32)",
    "hybridxai read_table(path)": "out = csvio.read_table(path)",
    "hybridxai prepare_data(path)": "out = prepare.prepare_data(path)",
    "hybridxai prepare_data(read_table(path)) (app: preview, then train)":
        "df = csvio.read_table(path); out = prepare.prepare_data(df)",
}


def write_csv(path: Path, n_rows: int, seed: int = 0) -> float:
    """Write the benchmark CSV in blocks (6 significant digits, like most exported data)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    block = 100_000
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, n_rows, block):
            k = min(block, n_rows - start)
            X = rng.normal(0, 1, (k, N_FEATURES)).astype(np.float32)
            y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
            df = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
            df["label"] = y
            df.to_csv(fh, index=False, header=start == 0, float_format="%.6g")
    return time.perf_counter() - t0


def measure(code: str, path: Path) -> dict:
    script = CHILD.format(root=str(common.ROOT), path=str(path), code=code.format(n=N_FEATURES))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    n_rows = args.rows or (200_000 if args.quick else 1_000_000)
    repeats = args.repeats or (1 if args.quick else 3)
    path = Path(f"/tmp/hybridxai_bench_{n_rows}x{N_FEATURES}.csv")
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        print(f"  {write_csv(path, n_rows):.1f} s")
    size_mb = path.stat().st_size / 1e6
    array_mb = n_rows * N_FEATURES * 4 / 1e6
    print(f"{path}: {size_mb:.0f} MB on disk; float32 feature array {array_mb:.0f} MB")

    results: dict[str, list[dict]] = {name: [] for name in OPERATIONS}
    for r in range(repeats):
        names = list(OPERATIONS) if r % 2 == 0 else list(reversed(OPERATIONS))  # alternate order against drift
        for name in names:
            m = measure(OPERATIONS[name], path)
            results[name].append(m)
            peak = (m['peak'] - m['base']) / 1e6
            print(f"  [{r + 1}] {name}: {m['seconds']:.2f} s, {m['cpu']:.2f} CPU s, peak +{peak:.0f} MB", flush=True)

    pandas_cpu = statistics.median(m["cpu"] for m in results[next(iter(OPERATIONS))])
    pandas_wall = statistics.median(m["seconds"] for m in results[next(iter(OPERATIONS))])
    rows = []
    for name, ms in results.items():
        t = statistics.median(m["seconds"] for m in ms)
        c = statistics.median(m["cpu"] for m in ms)
        peak = statistics.median((m["peak"] - m["base"]) / 1e6 for m in ms)
        rows.append([name, c, f"{c / pandas_cpu:.2f}×", t, f"{t / pandas_wall:.2f}×", f"{peak:.0f}",
                     f"{peak / array_mb:.2f}×"])
    body = common.table(["operation (fresh process each)", "CPU s (median)", "CPU time vs pandas.read_csv(path)",
                         "wall s (median)", "wall vs pandas", "peak RSS above baseline, MB", "peak / float32 array"],
                        rows)
    body += (f"\n\n- {n_rows:,} rows × {N_FEATURES} float columns + integer label; file {size_mb:.0f} MB; float32 "
             f"array {array_mb:.0f} MB; median of {repeats} run(s), order alternated. Times compare CPU seconds "
             "(user + sys of the one operation) and wall time; pandas reads a path with a second thread and "
             "read_table files over 16 MB in byte ranges on up to 4 threads (2 here), so wall time is what a user "
             "waits, CPU time what a busy machine pays. Parser engine used by "
             f"hybridxai: {_engine()}.")
    common.append_results("CSV load", body, quick=args.quick, no_append=args.no_append,
                          version_names=("numpy", "pandas"))
    return 0


def _engine() -> str:
    import importlib

    for name in ("hybridxai_gui.core.data.csvio", "hybridxai_gui.core.data.tables"):
        try:
            engine = getattr(importlib.import_module(name), "_ENGINE", None)
        except ImportError:
            continue
        if engine:
            return engine
    return "?"


if __name__ == "__main__":
    sys.exit(main())
