"""Data integrity on every path (issue 22): the issue's attempts and variants of the same faults, each a
`hybridxai` command in its own process, classified by what it did.

    .venv/bin/python benchmarks/bench_integrity.py            # ~25 min: every attempt, 6 kill -9 runs
    .venv/bin/python benchmarks/bench_integrity.py --quick    # ~10 min: fewer hostile files and kills
    .venv/bin/python benchmarks/bench_integrity.py --root /work/main --no-append   # the same attempts on another checkout

Each attempt says what must happen: a refusal (exit 2, one line on stderr, the message it must hold) or a
correct result (exit 0 and a check of what was written or printed). A command runs after the imports every
command makes (torch, pandas, the package), with a CPU limit (SIGXCPU at 120 s) and a memory watchdog (killed
above 3 GB); its CPU time after those imports and its peak resident memory (VmHWM, the whole process: about
300 MB of it are the imports) are measured. Outcomes:

- refused: exit 2 with one line, as asked, within 2 CPU s after the imports and 500 MB peak;
- correct: exit 0 and the check passed;
- silent wrong: exit 0 where a refusal was due, or a check that failed (or exit 2 for input that is fine);
- bomb: a refusal (or any end) after more than 2 CPU s or 500 MB, or killed by the limits;
- hang: still running after its wall-clock limit;
- exit 1: an internal error (a traceback or `internal error:`) for input at fault.

Crafted inputs: long files with stray text, repeated steps, roles mixed up, a 1,000,000-step series, a
120,000-column wide file; model files (tests/hostile_models.py, issue 13's and 22's) and a zip of 1,000,050
records; cross-validation folders of other classes or recipes, NaN and out-of-range numbers, 100,000 folds,
200 MB, nested 100,000 deep; stale distributed-training variables; output folders that are read-only, files
in the way; names that are spreadsheet formulas or terminal escapes; cv killed with kill -9 while writing.
Items 1, 9 and 10 (the app's export, chart wording, mathtext and fonts) are GUI and plotting work checked by
their own tests; they are not command-line attempts.
"""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

sys.path.insert(0, str(common.ROOT / "tests"))

import integrity_inputs as inputs  # noqa: E402

CPU_TARGET, MB_TARGET = 2.0, 500.0
OUTCOMES = ("refused", "correct", "silent wrong", "bomb", "hang", "exit 1")
KILL_MB = 3000.0  # the watchdog's limit (the machine is shared)

# A command after the imports every command makes; at exit its CPU time since then and its VmHWM go to a file.
WRAPPER = r"""
import atexit, json, sys, time
status = sys.argv.pop(1)
import torch, pandas, numpy, hybridxai_gui.cli, hybridxai_gui.core.pipeline, hybridxai_gui.core.model_files.checkpoint
start = time.process_time()
def record():
    peak = next(int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:'))
    open(status, 'w').write(json.dumps({"cpu": time.process_time() - start, "peak": peak}))
atexit.register(record)
sys.argv[0] = 'hybridxai'
sys.exit(hybridxai_gui.cli.main())  # as the console script calls it
"""


@dataclass
class Attempt:
    item: str
    what: str
    expect: str  # "refuse" or "correct"
    code: int | None
    cpu: float
    peak: float
    wall: float
    outcome: str
    note: str


ATTEMPTS: list[Attempt] = []


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (120, 130))
    os.setsid()


def _watch(proc: subprocess.Popen, killed: list) -> None:
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as fh:
                rss = next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            rss = 0
        if rss > KILL_MB:
            killed.append(rss)
            os.killpg(proc.pid, signal.SIGKILL)
            return
        time.sleep(0.1)


def run(item: str, what: str, argv: list[str], expect: str = "refuse", message: str | None = None, check=None,
        env: dict | None = None, timeout: float = 300) -> Attempt:
    """One command in its own process, classified (see the module's doc)."""
    status = tempfile.NamedTemporaryFile(prefix="hybridxai_integrity_", delete=False)
    status.close()
    os.unlink(status.name)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, status.name, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**ENV, **(env or {})}, preexec_fn=_limits)
    killed: list = []
    threading.Thread(target=_watch, args=(proc, killed), daemon=True).start()
    try:
        out, err = proc.communicate(timeout=timeout)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        hung = True
    wall = time.perf_counter() - started
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    try:
        import json

        measured = json.loads(Path(status.name).read_text())
        os.unlink(status.name)
    except (OSError, ValueError):
        measured = {"cpu": float("nan"), "peak": float("nan")}
    code = None if hung else proc.returncode
    lines = [line for line in err.splitlines() if line.strip()]
    internal = "Traceback" in err or "internal error" in err
    heavy = measured["cpu"] > CPU_TARGET or measured["peak"] > MB_TARGET
    if hung:
        outcome, note = "hang", f"still running after {timeout:.0f} s"
    elif killed or code in (-signal.SIGKILL, -signal.SIGXCPU):
        outcome, note = "bomb", f"killed ({'memory' if killed else 'CPU limit'})"
    elif code == 1 or internal:
        outcome, note = "exit 1", (lines[-1] if lines else "")
    elif code == 2:
        wanted = expect == "refuse" and len(lines) == 1 and (message is None or re.search(message, err))
        outcome = "bomb" if heavy else "refused" if wanted else "silent wrong"
        note = lines[-1] if lines else ""
        if not wanted:
            note = f"unexpected refusal: {note}"
    elif code == 0:
        passed = False
        if expect == "correct":
            try:
                passed = check is None or bool(check(out, err))
            except Exception as exc:  # noqa: BLE001 - a failed check is a silent wrong result
                note = f"check failed: {exc}"
        outcome = "correct" if passed else "silent wrong"
        note = "" if passed else ("a refusal was due" if expect == "refuse" else "the check failed")
    else:
        outcome, note = "exit 1", f"exit {code}: {lines[-1] if lines else ''}"
    attempt = Attempt(item, what, expect, code, measured["cpu"], measured["peak"], wall, outcome, note[:150])
    ATTEMPTS.append(attempt)
    print(f"  {outcome:<12} exit {code} {attempt.cpu:5.2f} CPU s {attempt.peak:5.0f} MB {wall:5.1f} s  "
          f"[{item}] {what}: {attempt.note[:90]}", flush=True)
    return attempt


def cli(*argv) -> list[str]:
    return [str(a) for a in argv]


# ---- the attempts ----------------------------------------------------------------------------------------


def long_files(w: inputs.Workspace) -> None:
    print("long files (items 2, 3, 4, 11):", flush=True)
    out = w.path("m.pth")
    run("2", "train: a text cell 'high' in a channel", cli("train", w.long_text, "--epochs", "1", "--out", out),
        message="holds numbers but line 9 has 'high'")
    run("2", "train: a decimal comma in one channel cell", cli("train", w.long_comma, "--epochs", "1", "--out", out),
        message="holds numbers")
    run("2", "predict (long model): a text cell in a channel", cli("predict", w.long_model, w.long_text, "--out",
                                                                   w.path("p.csv")), message="not numeric")
    for option, value in (("--channels", "ax,activity"), ("--channels", "ax,recording"), ("--channels", "ax,time_s"),
                          ("--id", "activity"), ("--features", "ax,recording")):
        extra = ["--layout", "long"] if option == "--features" else []
        run("3", f"train {option} {value}", cli("train", w.long, option, value, *extra, "--epochs", "1", "--out", out),
            message=re.escape(option))
    run("3", "train --time recording --id recording", cli("train", w.long, "--id", "recording", "--time",
                                                           "recording", "--epochs", "1", "--out", out),
        message="--time")
    run("4", "train: 20 (id, time) steps appended again", cli("train", w.long_dup, "--epochs", "1", "--out", out),
        message="two rows at time_s")
    run("4", "train: the whole file twice", cli("train", w.long_twice, "--epochs", "1", "--out", out),
        message="two rows at time_s")
    run("4", "predict (long model): repeated steps", cli("predict", w.long_model, w.long_dup, "--out",
                                                         w.path("p.csv")), message="two rows")
    run("11", "train: one series of 1,000,000 steps (default length)",
        cli("train", w.million, "--id", "rid", "--time", "t", "--epochs", "1", "--out", out),
        message="1,000,000 steps.*--series-length")
    run("11", "train: 3 channels × 70,000 steps", cli("train", w.wide_channels, "--id", "rid", "--time", "t",
                                                     "--epochs", "1", "--out", out), message="values per series")
    run("11", "train: one 60,000-step series among 200 short ones, --series-length 16",
        cli("train", w.one_long, "--id", "rid", "--time", "t", "--series-length", "16", *inputs.TINY, "--out",
            w.path("one_long.pth")), expect="correct",
        check=lambda o, e: "series of 16 steps" in o and Path(w.path("one_long.pth")).exists())
    run("11", "train: a wide file of series of 120,000 steps", cli("train", w.wide_steps, "--epochs", "1", "--out",
                                                                  out), message="120,000 step columns")
    run("3", "train --channels ax,ax", cli("train", w.long, "--channels", "ax,ax", "--epochs", "1", "--out", out),
        message="twice")
    run("2", "train: a text cell in the time column", cli("train", w.long_time_text, "--epochs", "1", "--out", out),
        message="time_s")
    run("4", "evaluate (long model): repeated steps", cli("evaluate", w.long_model, w.long_dup), message="two rows")
    run("4", "explain (long model): repeated steps", cli("explain", w.long_model, w.long_dup, "--rows", "0",
                                                         "--out", w.path("xd")), message="two rows")
    run("2-4", "predict (long model): no time column", cli("predict", w.long_model, w.long_no_time, "--out",
                                                           w.path("p.csv")), message="time_s")
    run("11", "train: 2 channels × 120,000 named step columns", cli("train", w.wide_named, "--epochs", "1", "--out",
                                                                    out), message="240,000 feature columns")
    run("11", "train: a table of 210,000 feature columns", cli("train", w.wide_table, "--epochs", "1", "--out", out),
        message="210,000 feature columns")
    run("2-4", "train the good long file", cli("train", w.long, *inputs.TINY, "--out", w.path("good.pth")),
        expect="correct", check=lambda o, e: "30 series" not in e and "24 training" in o)


def report_and_cv(w: inputs.Workspace) -> None:
    print("reports and cross-validation folders (items 5, 6, 14, 16):", flush=True)
    html = w.path("report.html")
    run("5", "report --data LONG --rows 0-2 (series model)", cli("report", w.long_model, "--data", w.long, "--rows",
                                                                 "0-2", "--out", html), expect="correct",
        check=lambda o, e: re.search(r"SHAP \(\w+\): 3/3 rows", e) and "data rows 0, 1, 2" in Path(html).read_text())
    run("gap", "report --rows prints progress", cli("report", w.wine_model, "--data", w.wine, "--rows", "0-4",
                                                    "--out", html), expect="correct",
        check=lambda o, e: "SHAP" in e and "rows" in e)
    for name, folder in w.cv_folders.items():
        good = name == "this model's summary"
        run("6" if name not in inputs.SIZE_CASES else "14/16", f"report --cv: {name}",
            cli("report", w.small_model, "--cv", folder, "--out", w.path("cv.html")),
            expect="correct" if good else "refuse", message=inputs.CV_MESSAGES.get(name),
            check=lambda o, e: "Repeated evaluation" in Path(w.path("cv.html")).read_text())
    run("14", "report --cv: 1,000 folds (the most allowed), HTML", cli("report", w.small_model, "--cv", w.thousand,
                                                                       "--out", w.path("k.html")), expect="correct",
        check=lambda o, e: Path(w.path("k.html")).stat().st_size > 0)
    run("14", "report --cv: 1,000 folds, PDF", cli("report", w.small_model, "--cv", w.thousand, "--out",
                                                   w.path("k.pdf")), expect="correct",
        check=lambda o, e: Path(w.path("k.pdf")).read_bytes()[:4] == b"%PDF")
    run("14", "report --out is a folder, model a 1M-record zip", cli("report", w.many_records, "--out", w.folder_html),
        message="r.html.*folder")
    if w.mounts:  # a read-only tmpfs could be mounted (root)
        run("16", "cv --out on a read-only file system", cli("cv", w.wine, "--folds", "2", *inputs.TINY, "--out",
                                                             w.readonly_out), message="read-only")
    run("16", "cv --out under a file", cli("cv", w.wine, "--folds", "2", *inputs.TINY, "--out",
                                           Path(w.wine) / "cv"), message="is a file")
    os.mkfifo(w.path("pipe.html"))
    run("14", "report --out a named pipe", cli("report", w.small_model, "--out", w.path("pipe.html")),
        message="named pipe")
    fifo = Path(w.path("cv_fifo"))
    fifo.mkdir()
    os.mkfifo(fifo / "cv_summary.json")
    run("14", "report --cv: its summary a named pipe", cli("report", w.small_model, "--cv", fifo, "--out",
                                                           w.path("f.html")), message="not a regular file",
        timeout=120)
    run("16", "evaluate --out a file", cli("evaluate", w.small_model, w.small_data, "--out", w.small_data),
        message="is a file")
    run("14", "cv --folds 5 --repeats 1000", cli("cv", w.wine, "--folds", "5", "--repeats", "1000", "--out",
                                                 w.path("cv5000")), message="5,000 folds")


def model_files(w: inputs.Workspace, quick: bool) -> None:
    print("model files (item 7, 14 and issue 13's):", flush=True)
    for name, (path, message) in w.hostile.items():
        new = name.startswith(("long model", "temperature", "zip of"))
        item = "14" if name.startswith("zip of") else "7" if new else "13"
        if quick and not new and not name.startswith(("scaler", "zip", "class")):
            continue
        run(item, f"info: {name}", cli("info", path), message=message)
        if new or not quick:
            run(item, f"predict: {name}", cli("predict", path, w.small_data, "--out", w.path("p.csv")), message=message)


def names_and_paths(w: inputs.Workspace) -> None:
    print("names and paths (item 8):", flush=True)
    p, ev, x, cv = w.path("f.csv"), w.path("eval"), w.path("x"), w.path("fcv")
    run("8", "predict: class names =, +, -, @", cli("predict", w.formula_model, w.formula_data, "--out", p),
        expect="correct", check=lambda o, e: not inputs.formula_cells(p))
    run("8", "evaluate --out: formula class names", cli("evaluate", w.formula_model, w.formula_data, "--out", ev),
        expect="correct", check=lambda o, e: not any(inputs.formula_cells(f) for f in Path(ev).glob("*.csv")))
    run("8", "explain: formula feature names", cli("explain", w.formula_model, w.formula_data, "--rows", "0",
                                                   "--method", "permutation", "--figures", "none", "--out", x),
        expect="correct", check=lambda o, e: not inputs.formula_cells(Path(x) / "shap_values.csv"))
    run("8", "cv: formula class names", cli("cv", w.formula_train, "--folds", "2", *inputs.TINY, "--out", cv),
        expect="correct", check=lambda o, e: not any(inputs.formula_cells(f) for f in Path(cv).glob("*.csv")))
    run("8", "info: ESC and BEL in a model file's names", cli("info", w.escape_model), expect="correct",
        check=lambda o, e: "\x1b" not in o and "\x07" not in o and "\\x1b" in o)
    run("8", "predict: a newline in the data and --out paths", cli("predict", w.small_model, w.newline_data, "--out",
                                                                   w.newline_out), expect="correct",
        check=lambda o, e: not any(line.startswith("error:") for line in (o + e).splitlines()))
    run("8", "predict: a newline in a missing model's path", cli("predict", w.path("none\nerror: forged.pth"),
                                                                 w.small_data, "--out", w.path("p.csv")),
        message="none\\\\nerror")


def environment(w: inputs.Workspace) -> None:
    print("distributed-training variables and workers (items 12, 13):", flush=True)
    train = cli("train", w.wine, *inputs.TINY, "--out", w.path("d.pth"))
    port = str(inputs.free_port())
    cases = {"WORLD_SIZE=2 RANK=0, no MASTER_*": {"WORLD_SIZE": "2", "RANK": "0"},
             "WORLD_SIZE=abc": {"WORLD_SIZE": "abc"},
             "RANK=1 alone (stale)": {"RANK": "1"},
             "RANK=5 of WORLD_SIZE=2": {"WORLD_SIZE": "2", "RANK": "5", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port},
             "MASTER_PORT=70000": {"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "70000"},
             "rank 0 waiting for a worker that never comes": {"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1",
                                                             "MASTER_PORT": port, "HYBRIDXAI_RENDEZVOUS_SECONDS": "5"},
             "rank 1 with nobody serving the rendezvous": {"WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "127.0.0.1",
                                                           "MASTER_PORT": port, "HYBRIDXAI_RENDEZVOUS_SECONDS": "5"}}
    for name, env in cases.items():
        run("12", f"train with {name}", train, env=env, timeout=120, message="WORLD_SIZE")
    run("12", "train with WORLD_SIZE=1 RANK=0 (one process)", train, env={"WORLD_SIZE": "1", "RANK": "0"},
        expect="correct", check=lambda o, e: "saved model" in o)
    run("13", "train --nproc 64", cli("train", w.wine, "--nproc", "64", "--epochs", "1", "--out", w.path("n.pth")),
        message="--nproc 64", timeout=120)


def kill_cv(w: inputs.Workspace, runs: int) -> None:
    """cv killed with kill -9 at random moments near its end: its folder then holds one run's set (the earlier
    2-fold run's or a new 3-fold run's), never a mix."""
    print(f"cv killed with kill -9 ({runs} runs, item 15):", flush=True)
    folder = Path(w.path("killed_cv"))
    base = [sys.executable, "-m", "hybridxai_gui.cli", "cv", w.wine, *inputs.TINY, "--baselines", "off",
            "--out", str(folder)]
    subprocess.run(base + ["--folds", "2"], env=ENV, capture_output=True, timeout=600)
    started = time.perf_counter()
    subprocess.run(base + ["--folds", "3", "--out", str(folder) + "_whole"], env=ENV, capture_output=True,
                   timeout=600)
    whole = time.perf_counter() - started
    rng = random.Random(0)
    for i in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(base + ["--folds", "3", "--seed", str(i + 1)], env=ENV, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.75, 1.05) * whole)
        proc.kill()
        proc.wait()
        one_set, note = inputs.one_cv_set(folder)
        outcome = "correct" if one_set else "silent wrong"
        ATTEMPTS.append(Attempt("15", f"cv killed after {time.perf_counter() - started:.1f} s", "correct",
                                proc.returncode, float("nan"), float("nan"), time.perf_counter() - started, outcome,
                                note))
        print(f"  {outcome:<12} [15] kill -9 run {i}: {note}", flush=True)


# ---- main ----------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    global ENV
    parser = common.base_parser(__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(common.ROOT), help="the checkout whose package runs the commands")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    args = parser.parse_args(argv)
    ENV = {**os.environ, "PYTHONPATH": args.root, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        ENV.pop(name, None)
    work = Path(tempfile.mkdtemp(prefix="hybridxai_integrity_"))
    print(f"building the inputs in {work} (package from {args.root})", flush=True)
    w = inputs.Workspace(work, ENV, quick=args.quick)
    try:
        w.build()
        long_files(w)
        report_and_cv(w)
        names_and_paths(w)
        environment(w)
        model_files(w, args.quick)
        kill_cv(w, 3 if args.quick else 6)
    finally:
        w.close()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    counts = Counter(a.outcome for a in ATTEMPTS)
    timed = [a for a in ATTEMPTS if a.outcome == "refused"]
    worst_cpu = max(timed, key=lambda a: a.cpu, default=None)
    worst_mb = max(timed, key=lambda a: a.peak, default=None)
    summary = common.table(["attempts"] + list(OUTCOMES) + ["slowest refusal (CPU s after imports)",
                                                             "largest refusal (peak MB)"],
                           [[str(len(ATTEMPTS))] + [str(counts.get(o, 0)) for o in OUTCOMES]
                            + [f"{worst_cpu.cpu:.2f} ({worst_cpu.what})" if worst_cpu else "–",
                               f"{worst_mb.peak:.0f} ({worst_mb.what})" if worst_mb else "–"]])
    by_item = Counter((a.item, a.outcome) for a in ATTEMPTS)
    items = sorted({a.item for a in ATTEMPTS}, key=lambda s: (len(s.split("/")[0].split("-")[0]), s))
    per_item = common.table(["item"] + list(OUTCOMES), [[item] + [str(by_item.get((item, o), 0)) for o in OUTCOMES]
                                                        for item in items])
    bad = [a for a in ATTEMPTS if a.outcome not in ("refused", "correct")]
    root = "this branch" if Path(args.root).resolve() == common.ROOT else f"the package at {args.root}"
    body = (f"{len(ATTEMPTS)} attempts on {root}, each a whole `hybridxai` process; CPU and memory measured after "
            f"the imports every command makes (peak is the whole process, ~300 MB of it imports). Targets: no "
            f"silent wrong output, no bomb (over {CPU_TARGET:.0f} CPU s or {MB_TARGET:.0f} MB before a refusal), no "
            f"hang, no exit 1 for bad input.\n\n" + summary + "\n\nBy item of issue 22 (13: issue 13's hostile "
            "files, re-run):\n\n" + per_item
            + ("\n\nNot as they should be:\n\n" + "\n".join(f"- [{a.item}] {a.what}: {a.outcome}, exit {a.code}, "
                                                             f"{a.cpu:.2f} CPU s, {a.peak:.0f} MB; {a.note}"
                                                             for a in bad) if bad else
               "\n\nEvery attempt was refused with one line or ended correctly."))
    common.append_results("Data integrity (issue 22)", body, quick=args.quick, no_append=args.no_append)
    return 0 if not bad else 1


ENV: dict = {}

if __name__ == "__main__":
    sys.exit(main())
