"""The BiLSTM whose two directions run at once in training: bit-for-bit nn.LSTM, in outputs, states and gradients,
and the product's training gives the same network with it as without it."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai_gui.core.model import bilstm
from hybridxai_gui.core.model.bilstm import BiLSTM, directions_in_parallel

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="needs oneDNN (the CPU kernels)")


@pytest.fixture(autouse=True)
def any_size(monkeypatch):
    """The tests' small layers take the parallel path too (in use it starts at PARALLEL_MIN_CELLS)."""
    monkeypatch.setattr(bilstm, "PARALLEL_MIN_CELLS", 0)


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _pair(layers=2, dropout=0.3, batch_first=True, seed=0):
    torch.manual_seed(seed)
    plain = nn.LSTM(7, 5, num_layers=layers, batch_first=batch_first, bidirectional=True, dropout=dropout)
    fast = BiLSTM(7, 5, num_layers=layers, batch_first=batch_first, bidirectional=True, dropout=dropout)
    fast.load_state_dict(plain.state_dict())
    return plain, fast


def _run(module, x, seed):
    """Output, h_n, c_n and every gradient of a loss that reads all three (dropout draws from seed)."""
    x = x.clone().requires_grad_()
    module.zero_grad()
    torch.manual_seed(seed)
    out, (h_n, c_n) = module(x)
    weights = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    loss = (out * weights).sum() + (h_n ** 2).sum() + c_n.sum() * 0.5
    loss.backward()
    return [out.detach(), h_n.detach(), c_n.detach(), x.grad] + [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize("layers,batch_first", [(2, True), (1, True), (3, False)])
def test_bit_for_bit_nn_lstm_in_training(one_thread, layers, batch_first):
    plain, fast = _pair(layers=layers, batch_first=batch_first)
    x = torch.randn(6, 11, 7) if batch_first else torch.randn(11, 6, 7)
    expected = _run(plain.train(), x, seed=3)
    with directions_in_parallel():
        got = _run(fast.train(), x, seed=3)
        assert bilstm._active_pool() is not None
    assert bilstm._active_pool() is None
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        assert torch.equal(a, b)  # the same kernels on the same numbers: exactly equal, not merely close


def test_directions_really_run_on_the_helper_thread(one_thread, monkeypatch):
    seen = set()
    original = bilstm._layer

    def spy(*args, **kwargs):
        seen.add(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(bilstm, "_layer", spy)
    _, fast = _pair()
    with directions_in_parallel():
        _run(fast.train(), torch.randn(4, 9, 7), seed=0)
    assert threading.current_thread().name in seen
    assert any(name.startswith("hybridxai-bilstm") for name in seen)


def test_plain_lstm_outside_training(one_thread, monkeypatch):
    """Outside the context, in eval mode, without grad, or with states passed in, no helper is used."""
    def fail(*args, **kwargs):
        raise AssertionError("the parallel path ran")

    monkeypatch.setattr(bilstm, "_layer", fail)
    plain, fast = _pair()
    x = torch.randn(4, 9, 7)
    _run(fast.train(), x, seed=0)  # no context
    with directions_in_parallel():
        fast.eval()
        with torch.no_grad():
            assert torch.equal(fast(x)[0], plain.eval()(x)[0])
        fast.train()
        with torch.no_grad():
            fast(x)
        h0 = torch.zeros(4, 4, 5)
        fast(x, (h0, h0))


def test_small_layers_stay_serial(one_thread, monkeypatch):
    """Below PARALLEL_MIN_CELLS (time steps x rows) the handover costs more than it saves: nn.LSTM's own path."""
    calls = []
    original = bilstm._layer
    monkeypatch.setattr(bilstm, "_layer", lambda *a, **k: calls.append(1) or original(*a, **k))
    monkeypatch.setattr(bilstm, "PARALLEL_MIN_CELLS", 64)
    _, fast = _pair()
    with directions_in_parallel():
        _run(fast.train(), torch.randn(4, 15, 7), seed=0)  # 60 cells
        assert not calls
        _run(fast.train(), torch.randn(4, 16, 7), seed=0)  # 64 cells
        assert calls


def test_a_failure_in_the_helper_reaches_the_caller(one_thread, monkeypatch):
    original = bilstm._layer

    def fail_reverse(x, weights, h0, reverse, *rest):
        if reverse:
            raise RuntimeError("helper broke")
        return original(x, weights, h0, reverse, *rest)

    monkeypatch.setattr(bilstm, "_layer", fail_reverse)
    _, fast = _pair()
    with directions_in_parallel(), pytest.raises(RuntimeError, match="helper broke"):
        fast.train()(torch.randn(4, 9, 7))


def test_helper_thread_ends_with_the_context(one_thread):
    before = {t.name for t in threading.enumerate()}
    with directions_in_parallel():
        with directions_in_parallel():  # nested: the outer helper stays
            pool = bilstm._active_pool()
        assert bilstm._active_pool() is pool
    assert bilstm._active_pool() is None
    assert {t.name for t in threading.enumerate()} == before


def test_training_gives_the_same_network_with_and_without_the_helper(monkeypatch):
    """The product's training (BiLSTM directions at once) against the same run with the context switched off."""
    from hybridxai_gui.core.config import ModelConfig, TrainConfig
    from hybridxai_gui.core.data.prepare import prepare_data
    from hybridxai_gui.core.training import loop

    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 24)).astype(np.float32)
    y = (X[:, 5] + X[:, 17] > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(24)]).assign(label=y)
    data = prepare_data(frame, test_size=0.25, val_size=0.0, seed=0)
    model_config = ModelConfig(cnn_channels=8, lstm_hidden=8, num_heads=2, ensemble=1)
    train_config = TrainConfig(epochs=3, batch_size=16, seed=0)

    def weights():
        for item in loop.train(data, model_config, train_config):
            if isinstance(item, loop.TrainingFinished):
                return item.result.trained.model.state_dict()

    calls = []
    original = bilstm._layer

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(bilstm, "_layer", counting)
    parallel = weights()
    assert calls, "training did not use the parallel directions"
    monkeypatch.setattr(loop, "directions_in_parallel", lambda: __import__("contextlib").nullcontext())
    calls.clear()
    serial = weights()
    assert not calls
    assert parallel.keys() == serial.keys()
    for key in parallel:
        assert torch.equal(parallel[key], serial[key]), key
