"""Render a page of a run report for the README: docs/screenshots/report_page.png.

    .venv/bin/python docs/make_report_page.py [--epochs N] [--page 3] [--keep DIR]

Trains on scikit-learn's breast cancer table (569 rows, two classes) as a new user would, runs the 5-fold
repeated evaluation with the baselines, writes the report as HTML and PDF with the same commands a user
types (`hybridxai train / cv / report`), and renders one PDF page with poppler's `pdftoppm`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=0, help="0: the default recipe's automatic length")
    parser.add_argument("--page", type=int, default=4, help="4: the repeated evaluation and the baselines")
    parser.add_argument("--keep", help="folder to keep the data, model, cv run and reports in")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed to render the PDF page")
    from sklearn.datasets import load_breast_cancer

    from hybridxai_gui.cli import main as hybridxai

    work = Path(args.keep or tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    d = load_breast_cancer(as_frame=True)
    frame = d.frame.drop(columns="target")
    frame["diagnosis"] = [d.target_names[i] for i in d.target]
    csv = work / "breast_cancer.csv"
    frame.to_csv(csv, index=False)
    epochs = ["--epochs", str(args.epochs)]
    steps = [["train", str(csv), "--label", "diagnosis", "--calibrate", "--quiet", *epochs, "--out", str(work / "bc.pth")],
             ["cv", str(csv), "--label", "diagnosis", "--folds", "5", "--quiet", *epochs, "--out", str(work / "cv")],
             ["report", str(work / "bc.pth"), "--cv", str(work / "cv"), "--threshold", "0.3", "--out",
              str(work / "report.html")],
             ["report", str(work / "bc.pth"), "--cv", str(work / "cv"), "--threshold", "0.3", "--out",
              str(work / "report.pdf")]]
    for argv in steps:
        if hybridxai(argv) != 0:
            raise SystemExit(f"hybridxai {' '.join(argv)} failed")
    prefix = work / "page"
    subprocess.run(["pdftoppm", "-r", "90", "-png", "-f", str(args.page), "-l", str(args.page), "-singlefile",
                    str(work / "report.pdf"), str(prefix)], check=True)
    target = HERE / "screenshots" / "report_page.png"
    shutil.copyfile(f"{prefix}.png", target)
    print(f"wrote {target} (the reports are in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
