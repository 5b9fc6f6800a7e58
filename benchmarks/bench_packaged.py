"""The packaged app (dist/HybridXAI, built by `make app`, see docs/PACKAGING.md): size, files, start-up, self-test.

    .venv/bin/python benchmarks/bench_packaged.py            # 3 self-test runs
    .venv/bin/python benchmarks/bench_packaged.py --quick    # 1 run
    ... --app PATH --no-append

Reports the bundle's size (du) and file count, its largest parts, and for `HybridXAI --self-test` (run as the
Makefile does: `env -i`, offscreen, from /) the wall time from launch to the "window shown" line and to exit.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 else 0


def self_test(exe: Path, timeout: float = 600) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "--self-test"], cwd="/", env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    shown = None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if shown is None and "window shown" in line:
            shown = time.perf_counter() - t0
    code = proc.wait(timeout)
    return {"shown": shown, "total": time.perf_counter() - t0, "code": code, "last": lines[-1] if lines else ""}


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--app", default=str(common.ROOT / "dist" / "HybridXAI"))
    args = parser.parse_args(argv)
    app = Path(args.app)
    exe = app / "HybridXAI"
    if not exe.is_file():
        body = (f"- {app} does not exist in this checkout: the packaged app is measured after `make app` "
                "(see docs/PACKAGING.md); run this script then.")
        common.append_results("Packaged app", body, quick=args.quick, no_append=args.no_append, version_names=())
        return 0
    total = du_bytes(app)
    files = sum(len(f) for _, _, f in os.walk(app))
    internal = app / "_internal"
    parts = []
    if internal.is_dir():
        for child in internal.iterdir():
            if child.is_dir():
                parts.append((du_bytes(child), child.name))
        parts.sort(reverse=True)
    runs = []
    for i in range(1 if args.quick else 3):
        r = self_test(exe)
        runs.append(r)
        print(f"  self-test {i + 1}: {r}", flush=True)
    shown = [r["shown"] for r in runs if r["shown"] is not None]
    rows = [["bundle size (du)", f"{total / 2**20:.0f} MiB"], ["files", str(files)],
            ["largest parts", ", ".join(f"{n} {b / 2**20:.0f} MiB" for b, n in parts[:6])],
            [f"launch → 'window shown' (median of {len(runs)})", f"{statistics.median(shown):.1f} s" if shown else "–"],
            [f"--self-test wall (median of {len(runs)}; load demo, train 1 epoch, explain a row, export)",
             f"{statistics.median(r['total'] for r in runs):.1f} s"],
            ["--self-test exit codes", ", ".join(str(r["code"]) for r in runs)]]
    body = common.table(["packaged app (dist/HybridXAI)", "value"], rows)
    body += f"\n\n- Last self-test line: `{runs[-1]['last']}`"
    common.append_results("Packaged app", body, quick=args.quick, no_append=args.no_append, version_names=())
    return 0


if __name__ == "__main__":
    sys.exit(main())
