"""Helpers shared by the benchmark scripts: machine description, tables, appending to README.md.

Every script prints its table and, unless --no-append is given, appends a dated block (machine,
versions, load, the table and notes) under its own "## <title>" section of benchmarks/README.md,
creating the section when it is missing. Other sections (e.g. "## SHAP") are left as they are.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = Path(__file__).resolve().parent / "README.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a small smoke run (about a minute)")
    parser.add_argument("--no-append", action="store_true", help="print only; leave benchmarks/README.md alone")
    return parser


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def versions(names=("torch", "numpy", "pandas", "sklearn", "PySide6", "pyqtgraph")) -> str:
    import importlib

    out = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            module = sys.modules.get(name) or importlib.import_module(name)
            out.append(f"{name} {getattr(module, '__version__', '?')}")
        except Exception:  # noqa: BLE001 - a missing optional package is just not listed
            pass
    return ", ".join(out)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "?"
    except Exception:  # noqa: BLE001
        return "?"


def machine_line(version_names=None) -> str:
    v = versions(version_names) if version_names is not None else versions()
    return (f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} · {cpu_model()}, {os.cpu_count()} cores "
            f"(load avg at end {load_average()}) · {platform.system()} · {v} · commit {git_commit()}")


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:
            return "nan"
        return f"{value:.{digits}f}"
    return str(value)


def mean_sd(values, digits: int = 3) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub markdown table (also readable in a terminal)."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def _insert_block(text: str, title: str, block: str) -> str:
    heading = f"## {title}"
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        return text.rstrip("\n") + f"\n\n{heading}\n\n{block.rstrip()}\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    new = lines[:end] + [""] + block.rstrip().splitlines() + [""] + lines[end:]
    return "\n".join(new).rstrip("\n") + "\n"


def append_results(title: str, body: str, *, quick: bool, no_append: bool, version_names=None) -> None:
    """Print `body` and append it, dated, under "## title" in benchmarks/README.md."""
    block = f"### Run of {machine_line(version_names)}{' — QUICK (smoke run, not of record)' if quick else ''}\n\n{body}\n"
    print()
    print(block)
    if no_append:
        return
    for _attempt in range(5):  # another engineer may be writing the file: re-read just before writing
        try:
            text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
            README.write_text(_insert_block(text, title, block), encoding="utf-8")
            print(f"(appended to {README.relative_to(ROOT)} under '## {title}')")
            return
        except OSError:
            time.sleep(0.5)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def set_one_thread() -> None:
    import torch

    torch.set_num_threads(1)
