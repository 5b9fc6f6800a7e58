"""A bidirectional LSTM whose two directions run at once while a network trains on the CPU.

The two directions of a BiLSTM layer read the same input and share nothing until their outputs are joined, yet
PyTorch computes them one after the other (and, with one torch thread, on one core). While `directions_in_parallel()`
is active in a thread, `BiLSTM` computes the backward direction of each layer on a helper thread while the calling
thread computes the forward direction, in the forward pass and again in the backward pass (a custom autograd
function that calls oneDNN's LSTM layer kernel and its backward kernel, the very kernels `nn.LSTM` calls on the
CPU). It is the same mathematics in the same kernels: outputs, final states and every gradient are bit-for-bit those
of `nn.LSTM` (tests/test_bilstm.py), so a seed trains the same network with or without it. It only changes which
core does the work: training steps take less wall time on a machine with two cores or more (issue 26.3,
benchmarks/README.md § Training throughput); the CPU time summed over both threads is about the same.

Outside the context, on a GPU, with states passed in, or wherever oneDNN's kernels are not the ones `nn.LSTM`
would use, `BiLSTM` is plain `nn.LSTM` (same parameters, same state_dict keys: checkpoints are unchanged).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn
from torch.nn import functional as F

# Handing a direction to the helper and back costs ~0.1-0.2 ms a layer on a 2-core VM (its thread wakes from sleep);
# below about this many (time step x row) pairs per call the serial layer is quicker (a step of a 13-column table at
# batch 32 lost 14 %; 37 steps x 32 rows gained 1.1-1.7x; benchmarks/README.md § Training throughput).
PARALLEL_MIN_CELLS = 1024
_LSTM_MODE = 2  # oneDNN's RNN mode number for an LSTM (ATen's RNN_TANH 0, RNN_RELU 1, LSTM 2, GRU 3)
_local = threading.local()  # .helper: the _Helper of this thread's training, or absent


class _Helper:
    """The helper thread of one `directions_in_parallel()`; pool is None once it has ended (even when a generator
    holding the context is closed from another thread)."""

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool: ThreadPoolExecutor | None = pool


def _active_pool() -> ThreadPoolExecutor | None:
    helper = getattr(_local, "helper", None)
    return None if helper is None else helper.pool


@contextlib.contextmanager
def directions_in_parallel() -> Iterator[None]:
    """Within it, BiLSTM layers called from this thread compute their two directions at once (one on a helper
    thread of one torch thread). Nested use keeps the outer helper."""
    if _active_pool() is not None:
        yield
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="hybridxai-bilstm", initializer=torch.set_num_threads,
                              initargs=(1,))  # a new thread's OpenMP team would otherwise take every core
    helper = _Helper(pool)
    _local.helper = helper
    try:
        yield
    finally:
        helper.pool = None
        if getattr(_local, "helper", None) is helper:
            _local.helper = None
        pool.shutdown(wait=True)


def _layer(x, weights, h0, reverse: bool, hidden: int, num_layers: int, train: bool):
    """oneDNN's LSTM layer, one direction, time-major input: (output, h_n, c_n, workspace)."""
    return torch.ops.aten.mkldnn_rnn_layer(x, *weights, h0, h0, reverse, [], _LSTM_MODE, hidden, num_layers, True,
                                           True, False, train)


def _both(pool: ThreadPoolExecutor, work):
    """work(1) on the helper thread while work(0) runs here; both results, the helper's error raised here."""
    helper = pool.submit(work, 1)
    try:
        first = work(0)
    finally:
        second = helper.result()  # waits even when work(0) failed: the helper must not outlive its tensors
    return first, second


class _BiLayer(torch.autograd.Function):
    """One bidirectional LSTM layer: out (T, B, 2H), and each direction's h_n and c_n (B, H)."""

    @staticmethod
    def forward(ctx, x, hidden, num_layers, pool, *weights):
        h0 = x.new_zeros(x.shape[1], hidden)
        x_plain = x.detach()
        plain = [w.detach() for w in weights]

        def run(d):
            # Grad mode is per thread; the kernel keeps the workspace its backward needs only with it on. The
            # inputs are detached, so nothing is recorded here: this function is the graph's node.
            with torch.enable_grad():
                return _layer(x_plain, plain[4 * d:4 * d + 4], h0, d == 1, hidden, num_layers, True)

        first, second = _both(pool, run)
        ctx.save_for_backward(x_plain, h0, *plain, *first, *second)
        ctx.hidden, ctx.num_layers, ctx.pool = hidden, num_layers, pool
        ctx.set_materialize_grads(False)
        return torch.cat([first[0], second[0]], dim=-1), first[1], first[2], second[1], second[2]

    @staticmethod
    def backward(ctx, grad_out, grad_h0, grad_c0, grad_h1, grad_c1):
        x, h0, *rest = ctx.saved_tensors
        weights, results = rest[:8], (rest[8:12], rest[12:16])
        hidden = ctx.hidden
        grads_h, grads_c = (grad_h0, grad_h1), (grad_c0, grad_c1)

        def back(d):
            out, hy, cy, workspace = results[d]
            g = None if grad_out is None else grad_out[..., d * hidden:(d + 1) * hidden].contiguous()
            if g is None and grads_h[d] is None and grads_c[d] is None:
                return None
            if g is None:
                g = torch.zeros_like(out)
            return torch.ops.aten.mkldnn_rnn_layer_backward(
                x, *weights[4 * d:4 * d + 4], h0, h0, out, hy, cy, g, grads_h[d], grads_c[d], d == 1, _LSTM_MODE,
                hidden, ctx.num_layers, True, True, True, [], False, workspace)

        first, second = _both(ctx.pool, back)
        parts = []
        for d, result in enumerate((first, second)):
            parts.append((None,) * 5 if result is None else result[:5])
        grad_x = None
        if ctx.needs_input_grad[0]:
            grads = [p[0] for p in parts if p[0] is not None]
            grad_x = grads[0] + grads[1] if len(grads) == 2 else (grads[0] if grads else None)  # a + b == b + a
        return (grad_x, None, None, None, *parts[0][1:5], *parts[1][1:5])


class BiLSTM(nn.LSTM):
    """nn.LSTM (bidirectional, batch_first as configured) that computes its two directions at once inside
    `directions_in_parallel()` on the CPU; plain nn.LSTM everywhere else."""

    def _parallel_pool(self, x: torch.Tensor, hx) -> ThreadPoolExecutor | None:
        pool = _active_pool()
        if (pool is None or hx is not None or not self.bidirectional or not self.bias or self.proj_size
                or x.dim() != 3 or x.device.type != "cpu" or x.dtype != torch.float32
                or x.shape[0] * x.shape[1] < PARALLEL_MIN_CELLS or not torch.backends.mkldnn.is_available()
                or not torch.backends.mkldnn.enabled or torch.get_num_threads() != 1
                or torch.is_inference_mode_enabled()
                or not (torch.is_grad_enabled() and self.training)):
            return None  # only where nn.LSTM itself would run these oneDNN kernels, in a training step
        return pool

    def forward(self, input, hx=None):  # noqa: A002 (nn.LSTM's own argument name)
        pool = self._parallel_pool(input, hx)
        if pool is None:
            return super().forward(input, hx)
        h = input.transpose(0, 1).contiguous() if self.batch_first else input.contiguous()  # (T, B, I)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            weights = [getattr(self, f"{name}_l{layer}{suffix}") for suffix in ("", "_reverse")
                       for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, hy0, cy0, hy1, cy1 = _BiLayer.apply(h, self.hidden_size, self.num_layers, pool, *weights)
            h_n += [hy0, hy1]
            c_n += [cy0, cy1]
            if self.dropout and layer < self.num_layers - 1:  # as nn.LSTM: between layers, in training
                h = F.dropout(h, self.dropout, True)
        out = h.transpose(0, 1) if self.batch_first else h
        return out, (torch.stack(h_n), torch.stack(c_n))
