"""Generate resources/demo_signals.csv, the demo data set bundled with the app.

A sensor-log-like table: each row is one 48-sample recording (columns t00..t47) of a noisy,
slowly drifting baseline. Rows labelled "early fault" carry a short oscillation burst near the
start of the recording (centred around t08..t15), rows labelled "late fault" carry the same kind
of burst near the end (centred around t32..t40); "normal" rows have none. Burst amplitude, width,
frequency and position vary from row to row, and a few faults are faint, so a classifier does
well but has to find the burst -- which is also where Grad-CAM and SHAP should point.

Deterministic: the seed is fixed, so re-running rewrites the same bytes.

    python scripts/make_demo_data.py            # writes resources/demo_signals.csv
    python scripts/make_demo_data.py OUT.csv    # writes elsewhere
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SEED = 20240517
N_PER_CLASS = 100
N_STEPS = 48
CLASSES = ("normal", "early fault", "late fault")
# Burst centres are drawn from these ranges (inclusive), in sample indices.
BURST_CENTRES = {"early fault": (9, 14), "late fault": (33, 39)}


def _row(rng: np.random.Generator, label: str) -> np.ndarray:
    t = np.arange(N_STEPS, dtype=float)
    # Baseline: offset, slow drift and a low-frequency wave, plus AR(1) sensor noise.
    offset = rng.normal(0.0, 0.5)
    drift = rng.normal(0.0, 0.01) * t
    wave = rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * t / rng.uniform(30, 60) + rng.uniform(0, 2 * np.pi))
    noise = np.empty(N_STEPS)
    noise[0] = rng.normal(0.0, 0.2)
    for i in range(1, N_STEPS):
        noise[i] = 0.5 * noise[i - 1] + rng.normal(0.0, 0.2)
    x = offset + drift + wave + noise
    if label in BURST_CENTRES:
        lo, hi = BURST_CENTRES[label]
        centre = rng.uniform(lo, hi)
        width = rng.uniform(1.5, 3.0)
        # Mostly clear bursts, some faint ones that sit close to the noise.
        amp = rng.uniform(0.5, 0.8) if rng.random() < 0.1 else rng.uniform(0.9, 2.0)
        freq = rng.uniform(0.18, 0.32)
        envelope = np.exp(-0.5 * ((t - centre) / width) ** 2)
        x = x + amp * envelope * np.sin(2 * np.pi * freq * (t - centre) + rng.uniform(0, 2 * np.pi)) \
              + 0.5 * amp * envelope
    return x


def make_demo_frame():
    import pandas as pd

    rng = np.random.default_rng(SEED)
    labels = [c for c in CLASSES for _ in range(N_PER_CLASS)]
    rng.shuffle(labels)
    rows = np.stack([_row(rng, lab) for lab in labels])
    df = pd.DataFrame(np.round(rows, 3), columns=[f"t{i:02d}" for i in range(N_STEPS)])
    df["label"] = labels
    return df


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parent.parent
    out = Path(argv[0]) if argv else root / "resources" / "demo_signals.csv"
    df = make_demo_frame()
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False, float_format="%.3f", lineterminator="\n")
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(df)} rows, {df.shape[1]} columns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
