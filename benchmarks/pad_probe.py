"""Probe (issue 25): series of unequal length padded with zeros to the longest, instead of resampled onto it.

    PYTHONPATH=. .venv/bin/python benchmarks/pad_probe.py --sets PLAID,Pickup --seeds 0,1,2

The product resamples series of unequal length onto the longest (series.resample). This probe writes copies of
the two development sets with unequal lengths in which every series is padded with zeros to the longest training
series (PLAID's long file: rows of current 0 appended to each measurement; Pickup's wide file: its trailing empty
cells set to 0), so the product reads equal lengths and resamples nothing, and trains the default recipe's single
network on them through series_research.run_task (the same pipeline, seeds and scoring). Results are printed as
JSON lines, beside the stored runs of the resampled files for the same seeds. Not a product option: a measured
lead (benchmarks/RECIPE_RESEARCH.md, addendum of 2026-12-07, fifth session).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import series_research as sr  # noqa: E402


def pad_plaid(source: Path, target: Path) -> None:
    longest = None
    for part in ("train", "test"):
        df = pd.read_csv(source / f"PLAID_{part}_long.csv")
        sizes = df.groupby("measurement", sort=False).size()
        longest = int(sizes.max()) if longest is None else longest  # the training file's longest
        pieces = []
        for mid, group in df.groupby("measurement", sort=False):
            last = int(group["sample"].max())
            extra = max(0, longest - len(group))
            pieces += [group, pd.DataFrame({"measurement": mid, "sample": np.arange(last + 1, last + 1 + extra),
                                            "current_a": 0.0, "appliance": group["appliance"].iloc[0]})]
        pd.concat(pieces, ignore_index=True).to_csv(target / f"PLAID_{part}_long.csv", index=False)


def pad_pickup(source: Path, target: Path) -> None:
    for part in ("train", "test"):
        name = f"PickupGestureWiimoteZ_{part}.csv"
        df = pd.read_csv(source / name)
        steps = [c for c in df.columns if c != "gesture"]
        df[steps] = df[steps].fillna(0.0)
        df.to_csv(target / name, index=False)


PADDERS = {"PLAID": pad_plaid, "Pickup": pad_pickup}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="PLAID,Pickup")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    stored = sr.load(sr.RESULTS)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        for name in args.sets.split(","):
            PADDERS[name](sr.DATA, target)
        source, sr.DATA = sr.DATA, target
        try:
            for name in args.sets.split(","):
                padded = []
                for seed in (int(s) for s in args.seeds.split(",")):
                    out = sr.run_task((name, "baseline", seed))
                    padded.append(out["acc"])
                    print(json.dumps({"set": name, "seed": seed, "padded": round(out["acc"], 4),
                                      "cpu": round(out["cpu"], 1), "when": out["when"]}), flush=True)
                variant = "signed-log" if name == "PLAID" else "aug off"  # = the default on each set
                resampled = sr.figures(stored, name, variant, seeds=tuple(int(s) for s in args.seeds.split(",")))
                print(f"{name}: zero-padded {statistics.mean(padded):.3f} {[round(a, 3) for a in padded]}; "
                      f"resampled (stored '{variant}' runs) {statistics.mean(resampled):.3f} "
                      f"{[round(a, 3) for a in resampled]}")
        finally:
            sr.DATA = source
    return 0


if __name__ == "__main__":
    sys.exit(main())
