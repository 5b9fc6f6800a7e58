"""Start-up: process start to first window shown, and opening a 1,000,000 x 32 CSV in the app.

    .venv/bin/python benchmarks/bench_startup.py            # 5 start-ups, open the 1M-row CSV twice
    .venv/bin/python benchmarks/bench_startup.py --quick    # 3 start-ups, a 200,000-row CSV once
    ... --rows N --starts N --opens N --no-append

Everything runs offscreen (QT_QPA_PLATFORM=offscreen) in fresh processes with a throw-away settings
folder (XDG_CONFIG_HOME), so the user's recent files and window state are neither read nor changed.

* Start-up: wall time from launching `python -c ...` (which imports hybridxai_gui.app, calls
  create_main_window(), shows it and prints from a QTimer.singleShot(0), i.e. once the event loop has
  processed the show and first paint) until that line arrives; median of N. For scale, the same is timed
  for `python -c pass`, for a bare QMainWindow from PySide6, and for the same after `import pyqtgraph`.
* Opening a CSV: the window is up, then MainWindow.open_data(path) is called and a 10 ms timer polls until
  the Data tab's preview model has rows; reported: time to preview, the process's peak RSS above its RSS
  just before the open (getrusage ru_maxrss), and the longest gap between the 10 ms ticks meanwhile (the
  read runs in a worker thread; the GUI thread should stay live).

The CSV is the one bench_csv_load.py writes (/tmp/hybridxai_bench_<rows>x32.csv), written here if absent.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

STARTUP_APP = r"""
import os, sys
sys.path.insert(0, {root!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from hybridxai_gui.app import create_main_window
window = create_main_window([])
window.show()
def shown():
    print("SHOWN", flush=True)
    os._exit(0)  # skip the shutdown: only the time to the window is measured
QTimer.singleShot(0, shown)
QApplication.instance().exec()
"""

STARTUP_SPLASH = r"""
import os, sys
sys.path.insert(0, {root!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from hybridxai_gui.app import _application, start_window
_application([])
QTimer.singleShot(0, lambda: print("SPLASH", flush=True))  # runs in the splash's first event processing
window = start_window([])
def shown():
    print("SHOWN", flush=True)
    os._exit(0)
QTimer.singleShot(0, shown)
QApplication.instance().exec()
"""

STARTUP_BARE = r"""
import os
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1200, 800); w.show()
def shown():
    print("SHOWN", flush=True)
    os._exit(0)
QTimer.singleShot(0, shown)
app.exec()
"""

STARTUP_BARE_PG = "import pyqtgraph\n" + STARTUP_BARE

STARTUP_PASS = 'print("SHOWN", flush=True)'

OPEN_CSV = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from hybridxai_gui.app import create_main_window
window = create_main_window([])
state = {{'warmed': False}}
_warmed = getattr(window, '_warmed', None)
def warmed(*a, **k):  # the window's background warm-up (torch, pandas, matplotlib imports) has finished
    state['warmed'] = True
    if _warmed is not None:
        return _warmed(*a, **k)
window._warmed = warmed
window.show()
app = QApplication.instance()
shown_at = time.perf_counter()
def rss():
    with open('/proc/self/statm') as fh:
        return int(fh.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
import threading, traceback
state['snap'] = {{}}
def _stack(frame, depth=3):
    # the innermost frames, then the innermost frame of the app's own code (where the call came from)
    stack = traceback.extract_stack(frame)
    name = lambda fs: fs.filename.split('site-packages/')[-1].replace({root!r} + '/', '') + f':{{fs.lineno}} {{fs.name}}'
    out = [name(fs) for fs in reversed(stack[-depth:])]
    own = [fs for fs in stack[:-depth] if 'hybridxai_gui' in fs.filename]
    if own:
        out.append('... ' + name(own[-1]))
    return ' < '.join(out)
def watchdog():  # when the GUI thread has not ticked for 100 ms, note where every thread is (once per stall)
    main_id = threading.main_thread().ident
    while True:
        time.sleep(0.02)
        last = state.get('last')
        if last is None or last in state['snap'] or time.perf_counter() - last < 0.1:
            continue
        frames = sys._current_frames()
        state['snap'][last] = {{'gui': _stack(frames[main_id]) if main_id in frames else '?',
                               'others': [_stack(f, 3) for t, f in frames.items()
                                          if t not in (main_id, threading.get_ident())]}}
def begin():
    threading.Thread(target=watchdog, daemon=True).start()
    state['base'] = rss()
    state['t0'] = time.perf_counter()
    state['last'] = state['t0']
    state['gap'] = 0.0
    window.open_data({path!r})
    timer.start(10)
def poll():
    now = time.perf_counter()
    if now - state['last'] > state['gap']:
        state['gap'] = now - state['last']
        state['gap_stack'] = state['snap'].get(state['last'])
    state['last'] = now
    model = window.dataTab.previewModel
    if model.rowCount() > 0:
        timer.stop()
        seconds = now - state['t0']
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"seconds": seconds, "base": state['base'], "peak": peak, "max_gap": state['gap'],
                           "warmed": state['warmed'], "gap_stack": state.get('gap_stack'),
                           "rows": model.rowCount()}}), flush=True)
        os._exit(0)
    if now - state['t0'] > 600:
        print(json.dumps({{"error": "timed out"}}), flush=True)
        os._exit(1)
timer = QTimer()
timer.timeout.connect(poll)
# Let the window settle (its background warm-up imports torch etc.) before opening the file, as a user
# would; otherwise the imports' memory and GIL time would be counted against the open.
def wait_warm():
    if state['warmed'] or time.perf_counter() - shown_at > 90:
        QTimer.singleShot(500, begin)
    else:
        QTimer.singleShot(100, wait_warm)
QTimer.singleShot(100, wait_warm)
app.exec()
"""


SPLASH_ROW = "HybridXAI as started: its splash shown"


def _env(config_dir: str) -> dict:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=config_dir, PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("LANG", "C.UTF-8")
    return env


def time_to_line(code: str, env: dict, timeout: float = 120, marks: dict | None = None) -> float:
    """Seconds from launching `python -c code` to its line SHOWN; the times of other lines go into marks."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        for line in proc.stdout:
            if line.strip() == "SHOWN":
                seconds = time.perf_counter() - t0
                proc.wait(timeout)
                return seconds
            if marks is not None and line.strip():
                marks.setdefault(line.strip(), []).append(time.perf_counter() - t0)
        raise RuntimeError(proc.stderr.read()[-2000:])
    finally:
        if proc.poll() is None:
            proc.kill()


def open_csv(path: Path, env: dict) -> dict:
    code = OPEN_CSV.format(root=str(common.ROOT), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=900)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(lines[-1])


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--starts", type=int, default=None)
    parser.add_argument("--opens", type=int, default=None)
    args = parser.parse_args(argv)
    n_rows = args.rows or (200_000 if args.quick else 1_000_000)
    starts = args.starts or (3 if args.quick else 5)
    opens = args.opens or (1 if args.quick else 2)

    config_dir = tempfile.mkdtemp(prefix="hybridxai-bench-config-")
    env = _env(config_dir)
    codes = {"python -c pass": STARTUP_PASS, "bare PySide6 QMainWindow shown": STARTUP_BARE,
             "bare QMainWindow after `import pyqtgraph`": STARTUP_BARE_PG,
             "HybridXAI main window shown": STARTUP_APP.format(root=str(common.ROOT)),
             "HybridXAI as started (splash, libraries, window shown)": STARTUP_SPLASH.format(root=str(common.ROOT))}
    times = {name: [] for name in codes}
    times[SPLASH_ROW] = []
    for name, code in codes.items():  # one untimed run each fills the OS file cache
        time_to_line(code, env)
    for i in range(starts):
        for name, code in codes.items():
            marks: dict = {}
            times[name].append(time_to_line(code, env, marks=marks))
            if "SPLASH" in marks:
                times[SPLASH_ROW].append(marks["SPLASH"][0])
        print(f"  start-up round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    app_median = statistics.median(times["HybridXAI main window shown"])
    rows = [[name, statistics.median(v), min(v), max(v), f"{statistics.median(v) / app_median:.2f}×"]
            for name, v in times.items()]
    body = common.table(["start-up (offscreen, fresh process)", f"median s of {starts}", "min s", "max s",
                         "vs app"], rows)

    from bench_csv_load import N_FEATURES, write_csv

    path = Path(f"/tmp/hybridxai_bench_{n_rows}x{N_FEATURES}.csv")
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        write_csv(path, n_rows)
    array_mb = n_rows * N_FEATURES * 4 / 1e6
    opened = []
    for i in range(opens):
        m = open_csv(path, env)
        opened.append(m)
        print(f"  open {i + 1}: {m}", flush=True)
    secs = statistics.median(m["seconds"] for m in opened)
    peak = statistics.median((m["peak"] - m["base"]) / 1e6 for m in opened)
    gap = max(m["max_gap"] for m in opened)
    body += "\n\n" + common.table(
        ["opening a CSV in the app", "time to preview s (median)", "peak RSS above pre-open, MB",
         "peak / float32 array", "longest GUI-thread gap, ms"],
        [[f"{n_rows:,} × {N_FEATURES} + label ({path.stat().st_size / 1e6:.0f} MB), {opens} run(s)", secs,
          f"{peak:.0f}", f"{peak / array_mb:.2f}×", f"{gap * 1000:.0f}"]])
    worst = max(opened, key=lambda m: m["max_gap"])
    if worst.get("gap_stack"):
        snap = worst["gap_stack"]
        body += (f"\n\n- Longest GUI stall while opening ({worst['max_gap'] * 1000:.0f} ms), 100 ms into it: GUI thread at "
                 f"`{snap['gui']}`" + "".join(f"; other thread at `{o}`" for o in snap["others"][:3] if o))
    body += ("\n\n- 'main window shown' builds the window without the splash (create_main_window: the libraries then "
             "load after it shows, and the window stalls while they do); 'as started' is what `hybridxai-gui` does "
             "(app.start_window): the splash at once, the window when the libraries have loaded behind it."
             "\n- Start-up is wall time on a shared machine: compare with the bare-PySide6 row of the same run. "
             "Float32 array = rows × 32 × 4 bytes.")
    common.append_results("Start-up and opening a large CSV", body, quick=args.quick, no_append=args.no_append,
                          version_names=("PySide6", "pandas"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
