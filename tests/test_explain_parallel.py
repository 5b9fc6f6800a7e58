"""An explanation spread over threads (the command line) or processes (the app) gives the numbers of one worker to
the last digit: SHAP's rows are seeded each on its own, the faithfulness curves' batches are computed as one thread
computes them. A cancel stops every thread; a failure in one thread reaches the caller."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch

from hybridxai_gui.core.config import ModelConfig
from hybridxai_gui.core.explain import clear_cache, parallel
from hybridxai_gui.core.explain.faithfulness import iter_faithfulness
from hybridxai_gui.core.explain.run import iter_explanation_run
from hybridxai_gui.core.jobs import drain
from hybridxai_gui.core.model.network import build_model

torch.set_num_threads(1)

F, C = 10, 3


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    model = build_model(ModelConfig(n_features=F, n_classes=C, cnn_channels=4, lstm_hidden=4, lstm_layers=1,
                                    num_heads=2, dropout=0.0, kernel_size=3)).eval()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, F)).astype(np.float32)
    bg = rng.normal(size=(8, F)).astype(np.float32)
    return model, X, bg


def _run(model, X, bg, workers, parallel_kind):
    clear_cache()
    return drain(iter_explanation_run(model, X, bg, feature_names=[f"f{i}" for i in range(F)],
                                      class_names=["a", "b", "c"], method="permutation", workers=workers,
                                      parallel=parallel_kind, sanity=False))


def test_threads_and_processes_give_one_workers_numbers(setting):
    model, X, bg = setting
    one = _run(model, X, bg, 1, "threads")
    for kind in ("threads", "processes"):
        many = _run(model, X, bg, 2, kind)
        np.testing.assert_array_equal(many.shap.values, one.shap.values, err_msg=kind)
        np.testing.assert_array_equal(many.shap.rows, one.shap.rows)
        for view in one.faithfulness.views:
            np.testing.assert_array_equal(many.faithfulness.views[view].deletion, one.faithfulness.views[view].deletion)
            np.testing.assert_array_equal(many.faithfulness.views[view].insertion,
                                          one.faithfulness.views[view].insertion)
    assert model.training is False  # the caller's model untouched: each thread beside the first has its own copy


def test_faithfulness_curves_over_threads_equal_one_thread(setting):
    model, X, bg = setting
    scores = {"a": np.random.default_rng(1).normal(size=(len(X), F))}
    targets = np.zeros(len(X), dtype=np.int64)
    kw = dict(batch_rows=64, infidelity_samples=0)  # small batches: several per thread
    one = drain(iter_faithfulness(model, X, targets, scores, bg, **kw))
    two = drain(iter_faithfulness(model, X, targets, scores, bg, workers=3, **kw))
    for view in one.views:
        np.testing.assert_array_equal(two.views[view].deletion, one.views[view].deletion)


def test_thread_map_keeps_the_order_and_gives_each_thread_its_own_model():
    seen: dict[int, set] = {}
    lock = threading.Lock()

    def fn(m, item):
        with lock:
            seen.setdefault(id(m), set()).add(threading.get_ident())
        return item * 2

    model = torch.nn.Linear(2, 2)
    assert parallel.thread_map(model, fn, range(10), workers=3) == [2 * i for i in range(10)]
    assert len(seen) == 3 and all(len(threads) == 1 for threads in seen.values())
    assert id(model) in seen
    assert parallel.thread_map(model, fn, [], workers=3) == []


def test_a_cancel_stops_every_thread_and_returns_nothing(setting):
    model, X, bg = setting
    calls = []
    event = threading.Event()

    def counting_cancel():
        calls.append(1)
        if len(calls) > 3:
            event.set()
        return event.is_set()

    gen = parallel.iter_shap_in_threads(model, X, None, bg, method="permutation", options={"n_permutations": 16},
                                        feature_names=[f"f{i}" for i in range(F)], class_names=["a", "b", "c"],
                                        workers=2, cancel=counting_cancel, poll_seconds=0.0)
    assert drain(gen) is None
    assert event.is_set()
    assert threading.active_count() < 20  # the pool's threads are gone (the executor joined them)


def test_a_failure_in_a_thread_reaches_the_caller(setting):
    model, X, bg = setting
    bad = X.copy()
    bad[-1, 0] = np.nan  # the last chunk's thread refuses its rows
    from hybridxai_gui.core.errors import HybridXAIError

    with pytest.raises(HybridXAIError, match="missing or infinite"):
        drain(parallel.iter_shap_in_threads(model, bad, None, bg, method="permutation", options={},
                                            feature_names=[f"f{i}" for i in range(F)], class_names=["a", "b", "c"],
                                            workers=2))


def test_auto_workers_threads_start_at_once_processes_from_many_rows():
    cores = parallel.default_workers()
    assert parallel.auto_workers(2, 1, "threads") == cores
    assert parallel.auto_workers(2, 1, "processes") == 1
    assert parallel.auto_workers(parallel.PARALLEL_ROWS, 1, "processes") == cores
    assert parallel.auto_workers(parallel.PARALLEL_ROWS, 2, "threads") == 1  # the cores are taken by torch's own


_FORK_SCRIPT = r"""
import os, sys, json
from pathlib import Path
from hybridxai_gui.outputs.explanations import _render_in_two, can_fork_renderer
out = Path(sys.argv[1]); fail_in_copy = sys.argv[2] == "fail"
parent = os.getpid()
def run_job(job):
    if fail_in_copy and os.getpid() != parent:
        raise OSError("disk full")
    (out / f"{job}.txt").write_text(str(os.getpid()))
done = []
ok = _render_in_two(run_job, list(range(7)), lambda: done.append(1))
print(json.dumps({"can": can_fork_renderer(), "ok": ok, "own": len(done), "parent": parent}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forked renderer is Linux's")
@pytest.mark.parametrize("mode", ["ok", "fail"])
def test_a_forked_copy_draws_every_other_figure_and_a_failed_copy_says_so(tmp_path, mode):
    import json
    import subprocess

    run = subprocess.run([sys.executable, "-c", _FORK_SCRIPT, str(tmp_path), mode], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout.strip().splitlines()[-1])
    assert said["can"] is True and said["own"] == 4  # jobs 0, 2, 4, 6 here
    writers = {int(p.stem): int(p.read_text()) for p in tmp_path.glob("*.txt")}
    assert all(writers[k] == said["parent"] for k in (0, 2, 4, 6))
    if mode == "ok":
        assert said["ok"] is True and sorted(writers) == list(range(7))
        assert {writers[k] for k in (1, 3, 5)} != {said["parent"]}  # another process drew these
    else:
        assert said["ok"] is False and sorted(writers) == [0, 2, 4, 6]  # the caller draws 1, 3, 5 itself


def test_no_fork_beside_other_threads():
    from hybridxai_gui.outputs.explanations import can_fork_renderer

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert can_fork_renderer() is False
    finally:
        stop.set()
        other.join()


def test_explain_with_two_workers_writes_the_same_figures(tmp_path):
    """The command line's figures drawn by two processes (a forked copy draws every other one) are the files one
    process writes, byte for byte for the PNGs."""
    import subprocess

    from helpers import untrained_wine_model

    model, csv, _trained = untrained_wine_model(tmp_path, background_rows=40)
    for workers in ("1", "2"):
        run = subprocess.run([sys.executable, "-m", "hybridxai_gui.cli", "explain", str(model), str(csv), "--rows",
                              "0-5", "--figures", "2", "--workers", workers, "--out", str(tmp_path / workers)],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    one, two = (sorted(p.name for p in (tmp_path / w).iterdir()) for w in ("1", "2"))
    assert one == two and len([n for n in one if n.endswith(".png")]) >= 10
    for name in one:
        if name.endswith(".png"):
            assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
