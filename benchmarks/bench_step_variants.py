"""One optimiser step of the seed configuration, implemented several ways: which faster implementation of the same
mathematics could take training to 1.5x the seed script (issue 26.3)?

    .venv/bin/python benchmarks/bench_step_variants.py             # 150 features, batch 32, 200 steps x 3 rounds
    .venv/bin/python benchmarks/bench_step_variants.py --quick     # 40 steps x 1 round
    ... --compile     # also torch.compile (inductor; compiles for minutes on 2 cores)
    ... --no-append

The shape is bench_training.py's (rows of 150 features, 3 classes, batch 32, the seed preset's network: 16 conv
channels, BiLSTM 2 x 32, 4 heads; one torch thread, as the product trains). Each variant trains from the same
initial weights on the same batches; rounds alternate the variants' order and the table quotes the median CPU ms
per step, the ratio to the step as the product runs it, and the loss after the last step (the same mathematics
gives the same loss up to rounding). A profile of the product's step says where its time goes.

Variants: the step as shipped (Adam foreach, attention asked for its weights); Adam's fused kernel; attention
without weights (PyTorch's scaled-dot-product path); the LSTM without oneDNN (ATen's own cells); max-pooling as
a reshape and a max; with --compile, the network compiled by torch.compile.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

from hybridxai_gui.core.config import ModelConfig  # noqa: E402
from hybridxai_gui.core.model.network import HybridCNNLSTMAttention  # noqa: E402

N_FEATURES, N_CLASSES, BATCH = 150, 3, 32


class ReshapeMaxPool(nn.Module):
    """MaxPool1d(k) (floor) as a reshape and a max over the last axis."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, length = x.shape
        n = length // self.k
        return x[:, :, :n * self.k].reshape(b, c, n, self.k).max(dim=-1).values


def _forward_without_weights(model: HybridCNNLSTMAttention):
    def forward(x):
        h = model.block2(model.block1(x.reshape(x.shape[0], 1, model.length)))
        h, _ = model.lstm(model.late_pool(h).permute(0, 2, 1))
        a, _ = model.attention(h, h, h, need_weights=False)
        return model.fc(model.dropout(a.mean(dim=1)))
    return forward


def build(variant: str):
    torch.manual_seed(0)
    model = HybridCNNLSTMAttention(ModelConfig(n_features=N_FEATURES, n_classes=N_CLASSES))
    if variant == "max-pool as reshape + max":
        for block in (model.block1, model.block2):
            if isinstance(block.pool, nn.MaxPool1d):
                block.pool = ReshapeMaxPool(block.pool.kernel_size)
    fused = variant == "Adam fused kernel"
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, **({"fused": True} if fused else {"foreach": True}))
    if variant == "attention without weights (SDPA path)":
        forward = _forward_without_weights(model)
    elif variant == "torch.compile (inductor)":
        forward = torch.compile(lambda x: model(x)[0])
    else:
        def forward(x):
            return model(x)[0]
    return model, optimizer, forward


def run(variant: str, X, y, steps: int) -> tuple[float, float]:
    model, optimizer, forward = build(variant)
    criterion = nn.CrossEntropyLoss()
    model.train()
    with torch.backends.mkldnn.flags(enabled=variant != "LSTM without oneDNN (ATen cells)"):
        warm = 10 if variant != "torch.compile (inductor)" else 3
        for i in range(steps + warm):
            if i == warm:
                start = time.process_time()
            s = (i * BATCH) % (len(X) - BATCH)
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(forward(X[s:s + BATCH]), y[s:s + BATCH])
            loss.backward()
            optimizer.step()
    return (time.process_time() - start) / steps * 1000.0, float(loss)


def profile_shares(X, y) -> list[list]:
    from torch.profiler import ProfilerActivity, profile

    model, optimizer, forward = build("as shipped")
    criterion = nn.CrossEntropyLoss()
    for i in range(40):
        if i == 10:
            prof = profile(activities=[ProfilerActivity.CPU])
            prof.__enter__()
        optimizer.zero_grad(set_to_none=True)
        criterion(forward(X[i * BATCH:(i + 1) * BATCH]), y[i * BATCH:(i + 1) * BATCH]).backward()
        optimizer.step()
    prof.__exit__(None, None, None)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    rows = []
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:8]:
        rows.append([f"`{e.key}`", e.self_cpu_time_total / 30 / 1000, f"{e.self_cpu_time_total / total:.1%}"])
    return rows


def main(argv=None) -> int:
    parser = common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile (minutes to compile)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    steps, rounds = (40, 1) if args.quick else (200, 3)
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(8000, N_FEATURES, generator=generator)
    y = torch.randint(0, N_CLASSES, (8000,), generator=generator)
    variants = ["as shipped", "Adam fused kernel", "attention without weights (SDPA path)",
                "LSTM without oneDNN (ATen cells)", "max-pool as reshape + max"]
    if args.compile:
        variants.append("torch.compile (inductor)")
    ms: dict[str, list[float]] = {v: [] for v in variants}
    losses: dict[str, float] = {}
    for r in range(rounds):
        for v in (variants if r % 2 == 0 else variants[::-1]):
            t, loss = run(v, X, y, steps)
            ms[v].append(t)
            losses[v] = loss
            print(f"  round {r + 1}: {v}: {t:.2f} ms/step, loss {loss:.5f}", flush=True)
    base = statistics.median(ms["as shipped"])
    rows = [[v, statistics.median(ms[v]), f"{base / statistics.median(ms[v]):.2f}×", f"{losses[v]:.5f}"]
            for v in variants]
    body = common.table(["one optimiser step (150 features, batch 32, 1 thread)", "CPU ms (median)",
                         "speed vs as shipped", f"loss after {steps + 10} steps"], rows)
    body += "\n\n" + common.table(["where the shipped step's time goes (profile, 30 steps)", "CPU ms per step",
                                   "share"], profile_shares(X, y))
    body += ("\n\n- Reading: a ratio near 1.00× is no gain; the goal (issue 26.3) needs the whole step about 1.15× "
             "faster than shipped (bench_training.py: 1.30-1.34× the seed script with the step as shipped).")
    common.append_results("Training step variants (issue 26.3)", body, quick=args.quick, no_append=args.no_append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
