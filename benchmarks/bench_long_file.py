"""Opening a long sensor log: 1,000,000 rows × 6 channels (one row per time step, 10,000 recordings of 100 steps)
in the app, while a 10 ms GUI timer records every gap in the GUI thread.

    .venv/bin/python benchmarks/bench_long_file.py              # 1,000,000 rows
    .venv/bin/python benchmarks/bench_long_file.py --quick      # 100,000 rows
    ... --rows N --no-append

Measured from File ▸ Open until the Data tab shows the detected layout and the per-class series plot (read,
statistics, layout detection, series per class: all in workers; only the drawing is the GUI thread's).
Goal (issue 14): the longest GUI gap under 50 ms.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hybridxai-bench-config-")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

GOAL_MS = 50.0


def write_long_file(path: Path, rows: int, steps: int = 100, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    series = rows // steps
    activity = rng.integers(0, 4, series)
    t = np.tile(np.arange(steps) * 0.1, series)
    base = np.repeat(activity, steps)[:, None] * np.sin(2 * np.pi * t)[:, None]
    values = (base + rng.normal(0, 1, (series * steps, 6))).astype(np.float32)
    frame = pd.DataFrame(values, columns=["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"])
    frame.insert(0, "time_s", np.round(t, 3))
    frame.insert(0, "recording", np.repeat([f"rec{i:05d}" for i in range(series)], steps))
    frame["activity"] = np.repeat(np.array(["walking", "running", "standing", "cycling"])[activity], steps)
    frame.to_csv(path, index=False, float_format="%.5g")


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args(argv)
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    folder = Path(tempfile.mkdtemp(prefix="hybridxai-long-"))
    path = folder / "sensor_log.csv"
    write_long_file(path, rows)
    size_mb = path.stat().st_size / 1e6

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from hybridxai_gui.app import create_main_window

    window = create_main_window([])
    window.persist_settings = False
    window.resize(1400, 900)
    window.show()
    app = QApplication.instance()
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    state = {"start": None, "done": None}

    def shown() -> bool:
        tab = window.dataTab
        return (tab.view is not None and tab.classPlot is not None and tab.classPlot.profile is not None
                and not tab.classPlot.panel.pending)

    def poll() -> None:
        if state["start"] is not None and shown():
            state["done"] = time.perf_counter()
            QTimer.singleShot(300, app.quit)  # a little after, to catch the last paint
        else:
            QTimer.singleShot(20, poll)

    def start() -> None:
        timer.start(10)
        state["start"] = time.perf_counter()
        window.open_data(str(path))
        poll()

    from bench_gui_responsiveness import Watchdog

    class _Ticks:
        last_tick = None

    recorder = _Ticks()
    timer.timeout.connect(lambda: setattr(recorder, "last_tick", time.perf_counter()))
    watchdog = Watchdog(recorder)
    watchdog.start()
    def when_warm() -> None:  # open after the window's background warm-up (imports), as a user would a moment later
        from hybridxai_gui.gui.worker import GeneratorWorker

        if any(w.isRunning() for w in window.findChildren(GeneratorWorker)):
            QTimer.singleShot(200, when_warm)
        else:
            QTimer.singleShot(500, start)

    QTimer.singleShot(1000, when_warm)
    QTimer.singleShot(600_000, app.quit)
    app.exec()
    timer.stop()
    watchdog.running = False
    window.shutdown()
    stalls = [snap["gui"] + " || " + " ## ".join(snap["others"]) for snap in watchdog.snapshots.values()]
    if state["done"] is None:
        print("the layout and the plot did not show within 10 minutes")
        return 1
    t = np.asarray([x for x in ticks if x >= state["start"]])
    gaps = np.diff(t) * 1000 if len(t) > 1 else np.zeros(1)
    layout = window.dataTab.layoutPanel.layoutLabel.text()
    table = [["rows", f"{rows:,}"], ["file", f"{size_mb:.0f} MB"],
             ["open → layout + plot shown", f"{state['done'] - state['start']:.1f} s"],
             ["longest GUI gap", f"{gaps.max():.0f} ms"], ["p99 gap", f"{np.percentile(gaps, 99):.0f} ms"],
             ["gaps over 50 ms", f"{int((gaps > GOAL_MS).sum())}"], ["layout shown", layout[:90]]]
    verdict = "met" if gaps.max() < GOAL_MS else "missed"
    body = common.table(["", "value"], table) + f"\n\nGoal: longest GUI gap < {GOAL_MS:.0f} ms: **{verdict}**."
    if stalls:
        body += "\n\nThe GUI thread during stalls over 100 ms:\n" + "\n".join(f"- `{s}`" for s in stalls[:6])
    common.append_results("Opening a long sensor log", body, quick=args.quick, no_append=args.no_append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
