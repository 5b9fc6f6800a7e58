"""The training loop on a CUDA GPU against the CPU: throughput and speed-up, fp32 and mixed precision.

    .venv/bin/python benchmarks/bench_cuda.py              # 20,000 rows x 256 steps x 3 channels, 3 epochs
    .venv/bin/python benchmarks/bench_cuda.py --quick      # 4,000 rows, 1 epoch
    ... --rows N --length T --epochs N --no-append

On a machine without a CUDA GPU it says so and exits 0 (nothing to measure). With one, it trains the same
prepared data with the `default` recipe's network on the CPU (1 thread, then all cores) and on `cuda` in fp32,
bf16 and fp16, and reports rows per second, the speed-up over one CPU thread, and the largest difference of
the GPU model's predicted probabilities from the CPU model's (fp32: floating-point order only).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import numpy as np  # noqa: E402


def synthetic(rows: int, length: int, channels: int = 3, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, rows)
    t = np.linspace(0, 1, length)
    X = rng.normal(0, 1, (rows, channels, length)) + (y[:, None, None] + 1) * np.sin(2 * np.pi * (y[:, None, None] + 1) * t)
    frame = pd.DataFrame(X.reshape(rows, -1), columns=[f"c{c}_{i:03d}" for c in range(channels) for i in range(length)])
    frame["label"] = [f"class {k}" for k in y]
    return frame


def run(data, device: str, precision: str, threads: int, epochs: int):
    from hybridxai_gui.core.config import ModelConfig, RuntimeConfig, TrainConfig, apply_preset
    from hybridxai_gui.core.training.loop import TrainingFinished, train

    model, recipe = apply_preset("default", ModelConfig(), TrainConfig(epochs=epochs))
    started = time.perf_counter()
    for item in train(data, model, recipe, runtime=RuntimeConfig(device=device, threads=threads, precision=precision)):
        if isinstance(item, TrainingFinished):
            result = item.result
    seconds = time.perf_counter() - started
    return result.trained, len(data.y_train) * epochs / seconds


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args(argv)
    import os

    import torch

    if not torch.cuda.is_available():
        print("No CUDA GPU on this machine: nothing to measure (run this where `torch.cuda.is_available()`).")
        return 0
    rows = args.rows or (4_000 if args.quick else 20_000)
    epochs = args.epochs or (1 if args.quick else 3)
    from hybridxai_gui.core.data.prepare import prepare_data

    data = prepare_data(synthetic(rows, args.length), seed=0)
    cases = [("cpu", "fp32", 1), ("cpu", "fp32", os.cpu_count() or 1), ("cuda", "fp32", 1), ("cuda", "bf16", 1),
             ("cuda", "fp16", 1)]
    results, reference = [], None
    for device, precision, threads in cases:
        trained, speed = run(data, device, precision, threads, epochs)
        proba = trained.predict_proba(data.X_test)
        if reference is None:
            reference = proba
        ratio = speed / float(results[0][3].replace(',', '')) if results else 1.0
        results.append([device, precision, threads, f"{speed:,.0f}", f"{ratio:.1f}×",
                        f"{np.abs(proba - reference).max():.1e}"])
        print(results[-1], flush=True)
    body = (f"{rows:,} rows × {args.length} steps × 3 channels, {epochs} epochs, `default` recipe; "
            f"GPU: {torch.cuda.get_device_name(0)}\n\n" + common.table(
                ["device", "precision", "CPU threads", "training rows/s", "speed-up", "max |Δp| vs 1 CPU thread"],
                results))
    common.append_results("CUDA training", body, quick=args.quick, no_append=args.no_append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
